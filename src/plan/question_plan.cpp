#include "plan/question_plan.h"

#include <algorithm>
#include <cmath>

#include "util/check.h"

namespace selfens {
namespace {

std::vector<PlannedSpan> plan_independent(const QuestionShape& shape, SpanId prefix,
                                          const SpanMaker& make) {
  std::vector<SpanId> parents;
  if (prefix != kNoSpan) parents.push_back(prefix);
  std::vector<PlannedSpan> out;
  for (size_t v = 0; v < shape.view_lens.size(); ++v) {
    PlannedSpan s;
    s.id = make(parents, shape.prefix_len, {});
    s.view = static_cast<int>(v);
    s.to = shape.view_lens[v];
    s.answers = true;
    out.push_back(s);
  }
  return out;
}

// G's score transform on each Qi's keys (PlanOptions); none when neutral,
// so that default plans stay exactly today's.
std::vector<KeyBias> fused_key_transforms(const QuestionShape& shape, const PlanOptions& o,
                                          const std::vector<SpanId>& qs) {
  std::vector<float> bias(qs.size(), std::log(o.fusion_scale));
  if (o.fusion_bias == FusionBias::kMean)
    for (float& b : bias) b -= std::log(static_cast<float>(qs.size()));
  if (!shape.view_weights.empty()) {
    SELFENS_CHECK(shape.view_weights.size() == qs.size(), "one weight per paraphrase");
    double total = 0;
    for (float w : shape.view_weights) total += std::max(0.0f, w);
    // A zero weight would hide its paraphrase entirely: floor it (log 1e-6 ~ -13.8).
    for (size_t i = 0; i < qs.size(); ++i)
      bias[i] += total > 0 ? std::log(std::max(1e-6, std::max(0.0f, shape.view_weights[i]) / total))
                           : -std::log(static_cast<float>(qs.size()));
  }
  const float scale = 1.0f / o.fusion_temperature;
  std::vector<KeyBias> out;
  for (size_t i = 0; i < qs.size(); ++i)
    if (bias[i] != 0.0f || scale != 1.0f) out.push_back({qs[i], bias[i], scale});
  return out;
}

std::vector<PlannedSpan> plan_fused(const QuestionShape& shape, const PlanOptions& o,
                                    SpanId prefix, const SpanMaker& make) {
  const bool concat = o.layout == Layout::kConcat;
  const bool sequential = o.positions == Positions::kSequential;
  const bool causal = o.attention == ParaphraseAttention::kCausal;
  std::vector<SpanId> parents;
  if (prefix != kNoSpan) parents.push_back(prefix);
  const int32_t base = concat ? 0 : shape.prefix_len;
  int32_t pos = base, max_end = base;
  std::vector<PlannedSpan> out;
  std::vector<SpanId> qs;
  for (size_t v = 0; v < shape.view_lens.size(); ++v) {
    PlannedSpan s;
    s.view = static_cast<int>(v);
    s.with_prefix = concat;
    s.to = shape.view_lens[v] - shape.cue_len;
    const int32_t len = s.to + (concat ? shape.prefix_len : 0);
    s.id = make(parents, sequential ? pos : base, {});
    if (causal) parents = {s.id};  // the next paraphrase sees this one (and all before)
    pos += len;
    max_end = std::max(max_end, base + len);
    qs.push_back(s.id);
    out.push_back(s);
  }
  PlannedSpan g;
  // Causal: G's one parent is the last Qi, whose ancestors are all the others.
  g.id = make(causal ? parents : qs, sequential ? pos : max_end, fused_key_transforms(shape, o, qs));
  g.view = -1;
  g.from = shape.view_lens[0] - shape.cue_len;
  g.to = shape.view_lens[0];
  g.answers = true;
  out.push_back(g);
  return out;
}

}  // namespace

std::vector<PlannedSpan> plan_question(const MethodRecipe& recipe, const PlanOptions& options,
                                       SpanId prefix, const QuestionShape& shape,
                                       const SpanMaker& make) {
  SELFENS_REQUIRE(!shape.view_lens.empty(), std::string("plan for ") + recipe.name +
                                                ": no paraphrases");
  for (int32_t len : shape.view_lens)
    SELFENS_REQUIRE(len > shape.cue_len, std::string("plan for ") + recipe.name +
                                             ": a paraphrase has no tokens before the answer cue");
  if (recipe.plan == PlanKind::kFused) return plan_fused(shape, options, prefix, make);
  SELFENS_REQUIRE(options.layout == Layout::kShared && options.positions == Positions::kParallel &&
                      fusion_variant(options).empty(),
                  std::string("--layout, --positions and the --fusion_* options apply to fused "
                              "plans (flex_attention, weighted_flex) only, not to ") + recipe.name);
  return plan_independent(shape, prefix, make);
}

int64_t plan_positions(const MethodRecipe& recipe, const PlanOptions& options,
                       const QuestionShape& shape, int max_new_tokens) {
  SpanGraph graph;
  const SpanId prefix = options.layout == Layout::kShared ? graph.create({}, 0) : kNoSpan;
  int64_t end = shape.prefix_len;
  const SpanMaker make = graph_span_maker(graph);
  for (const PlannedSpan& s : plan_question(recipe, options, prefix, shape, make)) {
    const int64_t len = (s.with_prefix ? shape.prefix_len : 0) + (s.to - s.from) +
                        (s.answers ? max_new_tokens : 0);
    end = std::max<int64_t>(end, graph.get(s.id).start_pos + len);
  }
  return end;
}

SpanMaker graph_span_maker(SpanGraph& graph) {
  return [&graph](std::span<const SpanId> parents, int32_t start_pos,
                  std::span<const KeyBias> bias) { return graph.create(parents, start_pos, bias); };
}

}  // namespace selfens
