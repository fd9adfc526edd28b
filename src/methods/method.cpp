#include "methods/method.h"

#include "util/check.h"

namespace selfens {

void validate(const MethodConfig& c) {
  SELFENS_REQUIRE(c.max_new_tokens > 0, "--max_new_tokens must be positive");
  SELFENS_REQUIRE(c.paraphrases.n > 0, "the number of paraphrases must be positive");
  const bool flex = recipe(c.method).plan == PlanKind::kFused;
  SELFENS_REQUIRE(flex || c.plan.layout == Layout::kShared,
                  "--layout concat applies to flex_attention only");
  SELFENS_REQUIRE(flex || c.plan.positions == Positions::kParallel,
                  "--positions sequential applies to flex_attention only");
  validate_fusion(c.plan);
  SELFENS_REQUIRE(flex || fusion_variant(c.plan).empty(),
                  "--fusion_bias, --fusion_temperature, --fusion_scale and "
                  "--paraphrase_attention apply to flex_attention and weighted_flex only");
  const MethodRecipe& r = recipe(c.method);
  SELFENS_REQUIRE(!r.first_view_only || c.paraphrases.indexs.size() <= 1,
                  "origin asks one paraphrase: give at most one index in --indexs");
  SELFENS_REQUIRE(!r.first_view_only || (!c.paraphrases.pool && !c.paraphrases.synced),
                  "origin asks the question itself: pools and synced samples apply to the "
                  "methods that use paraphrases");
  SELFENS_REQUIRE(!c.paraphrases.synced || r.fuses || r.plan == PlanKind::kFused,
                  "--synced_samples applies to the ensembles (avg, max, weighted_avg, "
                  "weighted_max, flex_attention, weighted_flex), as the original's "
                  "g_ori_sample_sync_xzhao.py");
}

}  // namespace selfens
