#include "backend/token_sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "util/check.h"

namespace selfens {

void validate(const SamplingParams& p) {
  SELFENS_REQUIRE(std::isfinite(p.temperature) && p.temperature > 0,
                  "--temperature must be > 0, got " + std::to_string(p.temperature));
  SELFENS_REQUIRE(std::isfinite(p.top_p) && p.top_p > 0 && p.top_p <= 1,
                  "--top_p must be in (0, 1], got " + std::to_string(p.top_p));
  SELFENS_REQUIRE(p.top_k >= 0, "--top_k must be >= 0 (0: off), got " + std::to_string(p.top_k));
}

// ---------------------------------------------------------------- Sampler

Sampler::Sampler(SamplingParams params) : params_(params) { validate(params_); }

void Sampler::set_params(SamplingParams params) {
  validate(params);
  params_ = params;
}

double Sampler::prepare(std::span<const float> logits) {
  const size_t vocab = logits.size();
  SELFENS_CHECK(vocab > 0, "empty logits row");
  float thr = -std::numeric_limits<float>::infinity();
  const size_t k = static_cast<size_t>(params_.top_k);
  if (k > 0 && k < vocab) {  // HF TopK: keep values >= the k-th largest
    kth_.assign(logits.begin(), logits.end());
    std::nth_element(kth_.begin(), kth_.begin() + static_cast<std::ptrdiff_t>(k - 1), kth_.end(),
                     std::greater<float>());
    thr = kth_[k - 1];
  }
  float mx = -std::numeric_limits<float>::infinity();
  for (float v : logits) mx = std::max(mx, v);
  SELFENS_CHECK(std::isfinite(mx), "logits row has no finite maximum");
  const double inv_t = 1.0 / static_cast<double>(params_.temperature);
  w_.assign(vocab, 0.0);
  kept_.clear();
  double total = 0;
  for (size_t i = 0; i < vocab; ++i) {
    if (!(logits[i] >= thr)) continue;  // also drops NaN
    double w = std::exp((static_cast<double>(logits[i]) - mx) * inv_t);
    if (w <= 0) continue;
    w_[i] = w;
    kept_.push_back(static_cast<int32_t>(i));
    total += w;
  }
  ordered_ = false;
  if (params_.top_p >= 1.0f) return total;

  // Top-p: sort a growing head of the candidates until it covers top_p.
  auto more_probable = [&](int32_t a, int32_t b) { return w_[a] > w_[b] || (w_[a] == w_[b] && a < b); };
  const double target = static_cast<double>(params_.top_p) * total;
  size_t n = std::min<size_t>(64, kept_.size());
  for (;;) {
    std::partial_sort(kept_.begin(), kept_.begin() + static_cast<std::ptrdiff_t>(n), kept_.end(),
                      more_probable);
    double cum = 0;
    size_t j = 0;
    for (; j < n && cum < target; ++j) cum += w_[kept_[j]];  // keep while the mass before < top_p
    if (j < n || n == kept_.size()) {
      kept_.resize(j);
      ordered_ = true;
      return cum;
    }
    n = std::min(n * 4, kept_.size());
  }
}

int32_t Sampler::sample(std::span<const float> logits, double u) {
  const double mass = prepare(logits);
  const double target = u * mass;
  double acc = 0;
  for (int32_t id : kept_) {
    acc += w_[id];
    if (acc > target) return id;
  }
  return kept_.back();  // u * mass rounded up to the whole mass
}

void Sampler::distribution(std::span<const float> logits, std::vector<int32_t>& ids,
                           std::vector<double>& probs) {
  const double mass = prepare(logits);
  ids = kept_;
  if (!ordered_)
    std::sort(ids.begin(), ids.end(),
              [&](int32_t a, int32_t b) { return w_[a] > w_[b] || (w_[a] == w_[b] && a < b); });
  probs.clear();
  for (int32_t id : ids) probs.push_back(w_[id] / mass);
}

}  // namespace selfens
