#pragma once
// One question's spans under a method's recipe (plan/method_recipe.h), made
// through a SpanMaker: the engine for a live run (methods/runner.cpp), a
// SpanGraph for a picture (report/method_plan.cpp). One function builds
// both, so the picture `selfens mask` draws is the plan that runs.
//
// Shared layout (P encoded once per run, `prefix` its span):
//   independent  Qi = view i (cue included) at |P|, parent P; the answer is
//                appended to Qi
//   fused        Qi = view i without the cue, parent P, at |P| (parallel) or
//                after Q(i-1) (sequential); G = cue + answer, parents all Qi,
//                at the end of the longest Qi (parallel) or of the last
//                (sequential), with score bias -log N on each Qi (bias mean)
// Concat layout (fused only; no P span): Qi = P + view i without the cue, a
// root span at 0 (parallel) or after Q(i-1) (sequential).
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "plan/method_recipe.h"
#include "plan/span_graph.h"

namespace selfens {

// Token counts of one question as the plan sees them.
struct QuestionShape {
  int32_t prefix_len = 0;          // |P|
  std::vector<int32_t> view_lens;  // tokens after P of each paraphrase asked, cue included
  int32_t cue_len = 1;             // trailing tokens of every view that spell the cue "A:"
  std::vector<float> view_weights;  // weighted fused plans: confidence per view (>= 0)
};

// Makes spans (parents, start position, score biases -> id): the engine's
// create_span, or a SpanGraph's create (graph_span_maker).
using SpanMaker = std::function<SpanId(std::span<const SpanId> parents, int32_t start_pos,
                                       std::span<const KeyBias> bias)>;

// A span of the question's plan and the prompt tokens it is fed.
struct PlannedSpan {
  SpanId id = kNoSpan;
  int view = 0;            // paraphrase index (0-based); fused G: -1
  bool with_prefix = false;  // its tokens start with P's (concat layout)
  int32_t from = 0, to = 0;  // then tokens [from, to) of view `view` (G: view 0's cue)
  bool answers = false;    // its last row gives logits and the answer is appended to it
};

// Makes the question's spans, in creation order (Q1..QN, then G when fused).
// `prefix` is P's span (kNoSpan when P is empty or the layout is concat).
// views: the number of paraphrases asked is shape.view_lens.size() (origin:
// 1). InputError for an empty shape or an option the method does not take.
std::vector<PlannedSpan> plan_question(const MethodRecipe& recipe, const PlanOptions& options,
                                       SpanId prefix, const QuestionShape& shape,
                                       const SpanMaker& make);

// The positions the plan reaches with `max_new_tokens` answer tokens: one
// past the largest position, what must fit the model's context.
int64_t plan_positions(const MethodRecipe& recipe, const PlanOptions& options,
                       const QuestionShape& shape, int max_new_tokens);

// A SpanMaker over a SpanGraph (pictures, tests).
SpanMaker graph_span_maker(SpanGraph& graph);

}  // namespace selfens
