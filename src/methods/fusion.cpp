#include "methods/fusion.h"

#include <algorithm>

#include "util/check.h"

namespace selfens {

Fusion parse_fusion(const std::string& method) {
  if (method == "avg") return Fusion::kAvg;
  if (method == "max") return Fusion::kMax;
  if (method == "weighted_avg") return Fusion::kWeightedAvg;
  if (method == "weighted_max") return Fusion::kWeightedMax;
  throw InputError("unknown fusion method '" + method + "'");
}

std::string fusion_name(Fusion f) {
  switch (f) {
    case Fusion::kAvg: return "avg";
    case Fusion::kMax: return "max";
    case Fusion::kWeightedAvg: return "weighted_avg";
    case Fusion::kWeightedMax: return "weighted_max";
  }
  return "?";
}

int32_t argmax(std::span<const float> v) { return argmax_lowest(v); }

namespace {

// Confidences normalised to sum 1; all-zero confidences fall back to uniform.
std::vector<float> normalised(std::span<const float> w, int n) {
  SELFENS_CHECK(static_cast<int>(w.size()) == n, "one confidence per paraphrase");
  double sum = 0;
  for (float x : w) sum += x;
  std::vector<float> out(n, static_cast<float>(1.0 / n));
  if (sum > 0)
    for (int i = 0; i < n; ++i) out[i] = static_cast<float>(w[i] / sum);
  return out;
}

}  // namespace

void add_fusion_choice(Fusion f, int32_t row_begin, int n, std::span<const float> weights,
                       ChoicePlan& plan) {
  TokenChoice c;
  c.row_begin = row_begin;
  c.n_rows = n;
  switch (f) {
    case Fusion::kAvg: break;
    case Fusion::kMax: c.kind = ChoiceKind::kMaxProb; break;
    case Fusion::kWeightedAvg: {
      c.weight_begin = static_cast<int32_t>(plan.weights.size());
      for (float w : normalised(weights, n)) plan.weights.push_back(w);
      break;
    }
    case Fusion::kWeightedMax: {
      SELFENS_CHECK(static_cast<int>(weights.size()) == n, "one confidence per paraphrase");
      c.row_begin += static_cast<int32_t>(std::max_element(weights.begin(), weights.end()) -
                                          weights.begin());
      c.n_rows = 1;
      break;
    }
  }
  plan.choices.push_back(c);
}

void fuse_logits(Fusion f, std::span<const float> rows, int n, int vocab,
                 std::span<const float> weights, std::span<float> out) {
  SELFENS_CHECK(n > 0 && rows.size() == static_cast<size_t>(n) * vocab, "fusion rows shape");
  SELFENS_CHECK(out.size() == static_cast<size_t>(vocab), "fusion output shape");
  ChoicePlan plan;
  add_fusion_choice(f, 0, n, weights, plan);
  const TokenChoice& c = plan.choices[0];
  fuse_choice(c, plan.weights, rows.subspan(size_t(c.row_begin) * vocab, size_t(c.n_rows) * vocab),
              vocab, out);
}

}  // namespace selfens
