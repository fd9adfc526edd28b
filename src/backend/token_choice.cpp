#include "backend/token_choice.h"

#include <algorithm>
#include <cmath>

#include "backend/token_sampler.h"
#include "util/check.h"
#include "util/parallel.h"

namespace selfens {

int32_t argmax_lowest(std::span<const float> v) {
  SELFENS_CHECK(!v.empty(), "argmax of an empty row");
  return static_cast<int32_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

namespace {

void check_choice(const TokenChoice& c, const ChoicePlan& plan, size_t n_rows_total) {
  SELFENS_CHECK(c.n_rows > 0 && c.row_begin >= 0 &&
                    size_t(c.row_begin) + size_t(c.n_rows) <= n_rows_total,
                "token choice rows outside the logits");
  if (c.kind == ChoiceKind::kSample) {
    SELFENS_CHECK(c.n_rows == 1 && c.weight_begin >= 0 &&
                      size_t(c.weight_begin) < plan.draws.size(),
                  "sampled token choice: one row and a draw of the plan");
    const SampleDraw& d = plan.draws[size_t(c.weight_begin)];
    validate(SamplingParams{d.temperature, d.top_p, d.top_k, 0});
    return;
  }
  SELFENS_CHECK(
      c.weight_begin < 0 || size_t(c.weight_begin) + size_t(c.n_rows) <= plan.weights.size(),
      "token choice weights outside the plan");
}

}  // namespace

void check_choices(const ChoicePlan& plan, size_t n_logit_rows) {
  for (const TokenChoice& c : plan.choices) check_choice(c, plan, n_logit_rows);
}

void fuse_choice(const TokenChoice& c, std::span<const float> weights,
                 std::span<const float> rows, int32_t vocab, std::span<float> out) {
  const size_t v = size_t(vocab);
  SELFENS_CHECK(rows.size() == size_t(c.n_rows) * v && out.size() == v, "fuse_choice shapes");
  auto row = [&](int i) { return rows.subspan(size_t(i) * v, v); };
  if (c.kind == ChoiceKind::kMaxProb) {
    for (int i = 0; i < c.n_rows; ++i) {
      auto r = row(i);
      const float m = *std::max_element(r.begin(), r.end());
      double z = 0;
      for (float x : r) z += std::exp(static_cast<double>(x - m));
      for (size_t j = 0; j < v; ++j) {
        const float p = static_cast<float>(std::exp(static_cast<double>(r[j] - m)) / z);
        out[j] = i == 0 ? p : std::max(out[j], p);
      }
    }
    return;
  }
  std::vector<double> acc(v, 0.0);
  for (int i = 0; i < c.n_rows; ++i) {
    const double w = c.weight_begin < 0 ? 1.0 / c.n_rows : double(weights[size_t(c.weight_begin + i)]);
    auto r = row(i);
    for (size_t j = 0; j < v; ++j) acc[j] += w * r[j];
  }
  for (size_t j = 0; j < v; ++j) out[j] = static_cast<float>(acc[j]);
}

void choose_tokens_host_range(std::span<const float> logits, int32_t vocab,
                              const ChoicePlan& plan, size_t begin, size_t end,
                              std::span<int32_t> out) {
  const size_t v = size_t(vocab);
  SELFENS_CHECK(vocab > 0 && logits.size() % v == 0, "choose_tokens: logits shape");
  SELFENS_CHECK(begin <= end && end <= plan.choices.size() && out.size() == plan.choices.size(),
                "choose_tokens: choice range");
  thread_local std::vector<float> fused;
  thread_local Sampler sampler{SamplingParams{}};  // keeps its [vocab] scratch
  for (size_t i = begin; i < end; ++i) {
    const TokenChoice& c = plan.choices[i];
    check_choice(c, plan, logits.size() / v);
    auto rows = logits.subspan(size_t(c.row_begin) * v, size_t(c.n_rows) * v);
    if (c.kind == ChoiceKind::kSample) {
      const SampleDraw& d = plan.draws[size_t(c.weight_begin)];
      sampler.set_params(SamplingParams{d.temperature, d.top_p, d.top_k, 0});
      out[i] = sampler.sample(rows, d.u);
    } else if (c.n_rows == 1 && c.kind == ChoiceKind::kWeightedSum && c.weight_begin < 0) {
      out[i] = argmax_lowest(rows);  // plain greedy: no copy
    } else {
      fused.resize(v);
      fuse_choice(c, plan.weights, rows, vocab, fused);
      out[i] = argmax_lowest(fused);
    }
  }
}

std::vector<int32_t> choose_tokens_host(std::span<const float> logits, int32_t vocab,
                                        const ChoicePlan& plan) {
  // Sampling a row of a large vocabulary takes tens of microseconds: a
  // step of thousands of sampled streams is split over up to 16 threads.
  std::vector<int32_t> out(plan.choices.size());
  parallel_ranges(out.size(), 16, [&](size_t begin, size_t end) {
    choose_tokens_host_range(logits, vocab, plan, begin, end, out);
  });
  return out;
}

}  // namespace selfens
