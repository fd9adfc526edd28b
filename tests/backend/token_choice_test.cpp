// The host reference of next-token choices (backend/token_choice.h): what
// every backend's choose_tokens must pick.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "backend/token_choice.h"
#include "backend/token_sampler.h"
#include "util/check.h"

namespace selfens {
namespace {

// rows x vocab logits drawn from N(0, sd).
std::vector<float> random_logits(int rows, int vocab, unsigned seed, float sd) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.0f, sd);
  std::vector<float> logits(size_t(rows) * size_t(vocab));
  for (float& x : logits) x = n(rng);
  return logits;
}

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

// A sampled choice is the Sampler's draw at the choice's uniform number,
// whatever the other choices of the plan are.
TEST(TokenChoice, SampledChoicesAreTheSamplersDraws) {
  const int rows = 4, vocab = 500;
  std::vector<float> logits = random_logits(rows, vocab, 11, 3.0f);
  logits[7] = logits[9] = 12.0f;  // a tie at the top of row 0
  const SampleDraw draws[] = {{1.0f, 1.0f, 0, 0, 0.3},  {0.7f, 0.9f, 50, 0, 0.999},
                              {1.5f, 0.5f, 0, 0, 0.01}, {1.0f, 1.0f, 3, 0, 0.5},
                              {0.2f, 0.95f, 1, 0, 0.75}};
  ChoicePlan plan;
  std::vector<int32_t> want;
  for (int r = 0; r < rows; ++r)
    for (const SampleDraw& d : draws) {
      plan.draws.push_back(d);
      plan.choices.push_back({r, 1, ChoiceKind::kSample, int32_t(plan.draws.size() - 1)});
      Sampler s(SamplingParams{d.temperature, d.top_p, d.top_k, 0});
      want.push_back(s.sample({logits.data() + size_t(r) * vocab, size_t(vocab)}, d.u));
    }
  plan.choices.push_back({2, 1, ChoiceKind::kWeightedSum, -1});  // greedy beside them
  want.push_back(argmax_lowest({logits.data() + 2 * vocab, size_t(vocab)}));
  EXPECT_EQ(choose_tokens_host(logits, vocab, plan), want);
}

// Hundreds of choices are split over threads: the same ids as choosing
// them one by one, and a bad choice in any part still throws.
TEST(TokenChoice, ManyChoicesOverThreadsAreTheSameIds) {
  const int rows = 64, vocab = 300;
  const std::vector<float> logits = random_logits(rows, vocab, 5, 2.0f);
  ChoicePlan plan;
  for (int r = 0; r < rows; ++r)
    for (int s = 0; s < 5; ++s) {
      plan.draws.push_back({0.8f, 0.9f, 40, 0, (r * 5 + s + 0.5) / (rows * 5)});
      plan.choices.push_back({r, 1, ChoiceKind::kSample, int32_t(plan.draws.size() - 1)});
    }
  std::vector<int32_t> one_by_one(plan.choices.size());
  for (size_t i = 0; i < plan.choices.size(); ++i)
    choose_tokens_host_range(logits, vocab, plan, i, i + 1, one_by_one);
  EXPECT_EQ(choose_tokens_host(logits, vocab, plan), one_by_one);
  plan.choices[plan.choices.size() - 3].row_begin = rows;  // outside the logits, last part
  EXPECT_THROW(choose_tokens_host(logits, vocab, plan), InternalError);
}

TEST(TokenChoice, SampledChoicesNeedOneRowAndADraw) {
  const std::vector<float> logits(6, 0.0f);
  ChoicePlan plan;
  plan.choices = {{0, 1, ChoiceKind::kSample, 0}};  // no draws
  EXPECT_THROW(choose_tokens_host(logits, 3, plan), InternalError);
  plan.draws.push_back({});
  plan.choices = {{0, 2, ChoiceKind::kSample, 0}};
  EXPECT_THROW(choose_tokens_host(logits, 3, plan), InternalError);
  plan.choices = {{1, 1, ChoiceKind::kSample, 0}};
  EXPECT_EQ(choose_tokens_host(logits, 3, plan).size(), 1u);
}

}  // namespace
}  // namespace selfens
