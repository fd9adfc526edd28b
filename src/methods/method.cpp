#include "methods/method.h"

#include "util/check.h"

namespace selfens {

void validate(const MethodConfig& c) {
  SELFENS_REQUIRE(c.max_new_tokens > 0, "--max_new_tokens must be positive");
  SELFENS_REQUIRE(c.n > 0, "the number of paraphrases must be positive");
  const bool flex = recipe(c.method).plan == PlanKind::kFused;
  SELFENS_REQUIRE(flex || c.layout == Layout::kShared,
                  "--layout concat applies to flex_attention only");
  SELFENS_REQUIRE(flex || c.positions == Positions::kParallel,
                  "--positions sequential applies to flex_attention only");
  validate_fusion(c.plan_options());
  SELFENS_REQUIRE(flex || fusion_variant(c.plan_options()).empty(),
                  "--fusion_bias, --fusion_temperature and --fusion_scale apply to "
                  "flex_attention and weighted_flex only");
  SELFENS_REQUIRE(!recipe(c.method).first_view_only || c.indexs.size() <= 1,
                  "origin asks one paraphrase: give at most one index in --indexs");
}

}  // namespace selfens
