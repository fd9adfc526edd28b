#include <gtest/gtest.h>

#include "eval/match.h"

namespace selfens::eval {
namespace {

TEST(Match, PartialIsContiguous) {
  const LemmaSeq pred = {"the", "united", "state", "of", "america"};
  EXPECT_TRUE(partial_match(pred, {"united", "state"}));
  EXPECT_TRUE(partial_match(pred, pred));
  EXPECT_FALSE(partial_match(pred, {"united", "america"}));  // not contiguous
  EXPECT_FALSE(partial_match(pred, {"state", "united"}));    // order matters
  EXPECT_FALSE(partial_match({"united"}, {"united", "state"}));
}

TEST(Match, WholeTokensOnly) {
  EXPECT_FALSE(partial_match({"parisian"}, {"paris"}));
}

TEST(Match, Bidirectional) {
  EXPECT_TRUE(bidirectional_match({"paris"}, {"paris", ",", "france"}));
  EXPECT_TRUE(bidirectional_match({"paris", ",", "france"}, {"paris"}));
  EXPECT_FALSE(bidirectional_match({"paris"}, {"london"}));
}

TEST(Match, Empties) {
  EXPECT_FALSE(partial_match({"a"}, {}));
  EXPECT_FALSE(partial_match({}, {}));
  EXPECT_FALSE(partial_match({}, {"a"}));
  EXPECT_FALSE(bidirectional_match({}, {"a"}));
  EXPECT_FALSE(bidirectional_match({"a"}, {}));
  EXPECT_FALSE(bidirectional_match({}, {}));
  EXPECT_FALSE(is_correct({"a"}, {}));
  EXPECT_FALSE(is_correct({"a"}, {{}}));
  EXPECT_FALSE(is_correct({}, {{"a"}}));
}

TEST(Match, IsCorrectAnyAnswer) {
  const LemmaSeq pred = {"he", "be", "bear", "in", "hawaii"};
  EXPECT_TRUE(is_correct(pred, {{"honolulu"}, {"hawaii"}}));
  EXPECT_FALSE(is_correct(pred, {{"honolulu"}, {"kenya"}}));
}

}  // namespace
}  // namespace selfens::eval
