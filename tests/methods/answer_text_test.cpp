#include <gtest/gtest.h>

#include "methods/answer_text.h"
#include "methods/method.h"
#include "util/check.h"

namespace selfens {

TEST(AnswerText, PredictionIsFirstLineOfStrippedGeneration) {
  EXPECT_EQ(prediction_from_generation(" Paris\nQ: next"), "Paris");
  EXPECT_EQ(prediction_from_generation("\n\n Rome \n"), "Rome");
  EXPECT_EQ(prediction_from_generation(""), "");
  EXPECT_EQ(prediction_from_generation("\xc2\xa0S\xc3\xa3o Paulo\xe3\x80\x80"), "S\xc3\xa3o Paulo");
  EXPECT_EQ(prediction_from_generation("a\tb\n"), "a\tb");
}

// Qwen3 / R1 distills may think first: the prediction is the first line
// after the block, and the newline stop waits for it.
TEST(AnswerText, ThinkBlockIsSkippedAndHoldsTheStop) {
  EXPECT_EQ(prediction_from_generation("<think>\nThe capital... Paris.\n</think>\n\nParis\nQ:"), "Paris");
  EXPECT_EQ(prediction_from_generation(" \n<think>\nhmm\n"), "") << "block still open";
  EXPECT_EQ(prediction_from_generation("Paris <think> x </think> Rome"), "Paris <think> x </think> Rome")
      << "only a leading block counts";
  EXPECT_FALSE(prediction_final("<think>\nFirst, France.\n"));
  EXPECT_FALSE(prediction_final("<think>\nFirst.\n</think>\n\n"));
  EXPECT_FALSE(prediction_final("<think>\nFirst.\n</think>\n\nPar"));
  EXPECT_TRUE(prediction_final("<think>\nFirst.\n</think>\n\nParis\n"));
  EXPECT_FALSE(prediction_final("\n\n"));
  EXPECT_FALSE(prediction_final(" Paris"));
  EXPECT_TRUE(prediction_final(" Paris\n"));
}

TEST(Method, NamesRoundTripAndBadNamesAreInputErrors) {
  for (auto n : {"origin", "per_prompt", "avg", "max", "weighted_avg", "weighted_max",
                 "flex_attention"})
    EXPECT_EQ(method_name(parse_method(n)), n);
  EXPECT_THROW(parse_method("flex"), InputError);
  EXPECT_THROW(parse_layout("stacked"), InputError);
}

TEST(Method, ConcatLayoutOnlyForFlex) {
  MethodConfig c;
  c.method = Method::kAvg;
  c.plan.layout = Layout::kConcat;
  EXPECT_THROW(validate(c), InputError);
  c.method = Method::kFlexAttention;
  EXPECT_NO_THROW(validate(c));
}

}  // namespace selfens
