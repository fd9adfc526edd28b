#pragma once
// The attention plan of one question for a method, as `selfens mask` and the
// HTML report draw it: the spans plan/question_plan.h makes for the method's
// recipe (the plan the runner executes), appended to their full lengths, and
// cut into display segments with labels:
//
//   origin                      P -> Q1, answer G appended to Q1
//   per_prompt, avg, max,       P -> Qi, answer Gi appended to Qi   for each i
//   weighted_avg, weighted_max
//   flex_attention              P -> Qi (without the cue "A:") for each i;
//                               G = cue + answer, parents all Qi
//
// Positions (flex): parallel = every Qi at |P|, G after the longest;
// sequential = the Qi end to end after P, G after the last. Bias mean: G gets
// -log N on each Qi. Layout concat: no P span; each "P+Qi" is a root span.
#include <string>
#include <string_view>
#include <vector>

#include "plan/method_recipe.h"
#include "plan/question_plan.h"
#include "plan/span_graph.h"

namespace selfens::report {

// Token counts of one question's segments.
struct PlanShape {
  int prefix_len = 0;              // |P|: instruction + few-shot, shared
  std::vector<int> question_lens;  // |Qi| per paraphrase, its answer cue included; origin uses [0]
  int generated_len = 0;           // answer tokens (of each Gi for N-row methods)
  int cue_len = 1;                 // trailing tokens of each Qi that spell "A:"
};

enum class SegmentKind { kPrefix, kQuestion, kGenerated };

struct PlanSpan {  // a display segment
  SpanId id = kNoSpan;
  int32_t from = 0, length = 0;  // tokens of span `id`
  std::string label;  // "P", "Q1".."QN", "P+Q1" (concat), "G" or "G1".."GN"
  SegmentKind kind = SegmentKind::kPrefix;
  int index = 0;      // paraphrase index (0-based) for Q/G segments, 0 otherwise
};

struct MethodPlan {
  SpanGraph graph;              // every span appended to its full length
  std::vector<PlanSpan> spans;  // display order: P, Q1..QN, then G or G1..GN
  std::vector<SpanSegment> segments() const;  // of `spans`, for build_dense_mask
  // The segment that starts span `id` (its label names the span).
  const PlanSpan* first_segment(SpanId id) const;
};

// Builds the plan of `method` for one question. InputError for an unknown
// method, no paraphrases, a paraphrase no longer than the cue, or a
// negative length.
MethodPlan build_method_plan(std::string_view method, const PlanShape& shape,
                             const PlanOptions& options = {});

}  // namespace selfens::report
