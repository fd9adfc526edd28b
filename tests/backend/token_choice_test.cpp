// The host reference of next-token choices (backend/token_choice.h): what
// every backend's choose_tokens must pick.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "backend/token_choice.h"
#include "util/check.h"

namespace selfens {
namespace {

TEST(TokenChoice, GreedyTiesGoToTheLowestId) {
  const std::vector<float> logits = {0, 3, 1, 3,   // row 0: tie of ids 1 and 3
                                     5, 0, 0, 0};  // row 1
  ChoicePlan plan;
  plan.choices = {{0, 1, ChoiceKind::kWeightedSum, -1}, {1, 1, ChoiceKind::kWeightedSum, -1}};
  EXPECT_EQ(choose_tokens_host(logits, 4, plan), (std::vector<int32_t>{1, 0}));
}

TEST(TokenChoice, WeightedSumAndMaxProbability) {
  // Row 0 is sure of id 0; row 1 prefers id 1 but flatly.
  const std::vector<float> logits = {10, 0, 0,  //
                                     0, 1, 0.9f};
  ChoicePlan plan;
  plan.weights = {0.05f, 0.95f};
  plan.choices = {{0, 2, ChoiceKind::kWeightedSum, -1},  // mean: id 0 (5 vs 0.5)
                  {0, 2, ChoiceKind::kWeightedSum, 0},   // 0.5 vs 0.95: id 1
                  {0, 2, ChoiceKind::kMaxProb, -1}};     // p(0) ~ 1 in row 0
  EXPECT_EQ(choose_tokens_host(logits, 3, plan), (std::vector<int32_t>{0, 1, 0}));
  std::vector<float> fused(3);
  fuse_choice(plan.choices[2], plan.weights, logits, 3, fused);
  const double z1 = std::exp(-1.0) + 1 + std::exp(-0.1);
  EXPECT_NEAR(fused[1], 1 / z1, 1e-6);  // row 1's probability beats row 0's ~4.5e-5
  EXPECT_NEAR(fused[0], 1 / (1 + 2 * std::exp(-10.0)), 1e-6);
}

TEST(TokenChoice, ChoicesOutsideTheRowsOrWeightsAreRefused) {
  const std::vector<float> logits(6, 0.0f);
  ChoicePlan plan;
  plan.choices = {{1, 2, ChoiceKind::kWeightedSum, -1}};
  EXPECT_THROW(choose_tokens_host(logits, 3, plan), InternalError);
  plan.choices = {{0, 2, ChoiceKind::kWeightedSum, 1}};
  plan.weights = {1.0f};
  EXPECT_THROW(choose_tokens_host(logits, 3, plan), InternalError);
}

}  // namespace
}  // namespace selfens
