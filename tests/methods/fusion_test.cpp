#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "methods/fusion.h"
#include "util/check.h"

namespace selfens {
namespace {

std::vector<float> fused(Fusion f, const std::vector<float>& rows, int n,
                         const std::vector<float>& w = {}) {
  int vocab = static_cast<int>(rows.size()) / n;
  std::vector<float> out(vocab);
  fuse_logits(f, rows, n, vocab, w, out);
  return out;
}

TEST(Fusion, AvgIsMeanOfLogits) {
  auto out = fused(Fusion::kAvg, {1, 2, 3, 3, 2, 1}, 2);
  EXPECT_FLOAT_EQ(out[0], 2);
  EXPECT_FLOAT_EQ(out[1], 2);
  EXPECT_FLOAT_EQ(out[2], 2);
}

TEST(Fusion, MaxTakesMaxProbability) {
  // Row 0 is confident about token 0, row 1 mildly prefers token 2.
  auto out = fused(Fusion::kMax, {10, 0, 0, 0, 0, 1}, 2);
  EXPECT_EQ(argmax(out), 0);
  EXPECT_NEAR(out[0], std::exp(10.f) / (std::exp(10.f) + 2), 1e-6);
}

TEST(Fusion, MaxDiffersFromAvg) {
  std::vector<float> rows = {5, 4.9f, 0, -20, 4.9f, 5};
  EXPECT_EQ(argmax(fused(Fusion::kAvg, rows, 2)), 1);
  EXPECT_NE(argmax(fused(Fusion::kMax, rows, 2)), 1);
}

TEST(Fusion, WeightedAvgNormalisesConfidences) {
  auto out = fused(Fusion::kWeightedAvg, {0, 4, 4, 0}, 2, {3, 1});
  EXPECT_FLOAT_EQ(out[0], 1);
  EXPECT_FLOAT_EQ(out[1], 3);
}

TEST(Fusion, WeightedMaxUsesMostConfidentRow) {
  auto out = fused(Fusion::kWeightedMax, {0, 4, 4, 0, 1, 1}, 3, {0.2f, 0.9f, 0.5f});
  EXPECT_EQ(out, (std::vector<float>{4, 0}));
}

TEST(Fusion, IdenticalRowsGiveTheSameArgmax) {
  std::vector<float> one = {0.3f, -1, 2.5f, 2.4f};
  std::vector<float> rows;
  for (int i = 0; i < 5; ++i) rows.insert(rows.end(), one.begin(), one.end());
  for (Fusion f : {Fusion::kAvg, Fusion::kMax, Fusion::kWeightedAvg, Fusion::kWeightedMax})
    EXPECT_EQ(argmax(fused(f, rows, 5, {1, 1, 1, 1, 1})), 2) << fusion_name(f);
}

TEST(Fusion, UnknownMethodIsInputError) {
  EXPECT_THROW(parse_fusion("median"), InputError);
}

}  // namespace
}  // namespace selfens
