#include "methods/fusion.h"

#include <algorithm>
#include <cmath>

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

int32_t argmax(std::span<const float> v) {
  SELFENS_CHECK(!v.empty(), "argmax of an empty row");
  return static_cast<int32_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

namespace {

// Weights normalised to sum 1; all-zero confidences fall back to uniform.
std::vector<double> normalised(std::span<const float> w, int n) {
  SELFENS_CHECK(static_cast<int>(w.size()) == n, "one confidence per paraphrase");
  double sum = 0;
  for (float x : w) sum += x;
  std::vector<double> out(n, 1.0 / n);
  if (sum > 0)
    for (int i = 0; i < n; ++i) out[i] = w[i] / sum;
  return out;
}

void softmax_max_into(std::span<const float> row, std::span<float> out, bool first) {
  float m = *std::max_element(row.begin(), row.end());
  double z = 0;
  for (float x : row) z += std::exp(static_cast<double>(x - m));
  for (size_t j = 0; j < row.size(); ++j) {
    float p = static_cast<float>(std::exp(static_cast<double>(row[j] - m)) / z);
    out[j] = first ? p : std::max(out[j], p);
  }
}

}  // namespace

void fuse_logits(Fusion f, std::span<const float> rows, int n, int vocab,
                 std::span<const float> weights, std::span<float> out) {
  SELFENS_CHECK(n > 0 && rows.size() == static_cast<size_t>(n) * vocab, "fusion rows shape");
  SELFENS_CHECK(out.size() == static_cast<size_t>(vocab), "fusion output shape");
  auto row = [&](int i) { return rows.subspan(static_cast<size_t>(i) * vocab, vocab); };
  switch (f) {
    case Fusion::kAvg:
    case Fusion::kWeightedAvg: {
      std::vector<double> w = f == Fusion::kAvg ? std::vector<double>(n, 1.0 / n)
                                                : normalised(weights, n);
      std::vector<double> acc(vocab, 0.0);
      for (int i = 0; i < n; ++i) {
        auto r = row(i);
        for (int j = 0; j < vocab; ++j) acc[j] += w[i] * r[j];
      }
      for (int j = 0; j < vocab; ++j) out[j] = static_cast<float>(acc[j]);
      return;
    }
    case Fusion::kMax:
      for (int i = 0; i < n; ++i) softmax_max_into(row(i), out, i == 0);
      return;
    case Fusion::kWeightedMax: {
      SELFENS_CHECK(static_cast<int>(weights.size()) == n, "one confidence per paraphrase");
      int best = static_cast<int>(std::max_element(weights.begin(), weights.end()) - weights.begin());
      std::copy(row(best).begin(), row(best).end(), out.begin());
      return;
    }
  }
}

}  // namespace selfens
