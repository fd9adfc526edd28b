#include "report/method_plan.h"

#include <string>

#include "util/check.h"

namespace selfens::report {
namespace {

void check_shape(std::string_view method, const PlanShape& shape) {
  SELFENS_REQUIRE(!shape.question_lens.empty(),
                  "plan for " + std::string(method) + ": no paraphrase lengths given");
  SELFENS_REQUIRE(shape.prefix_len >= 0, "plan: prefix length must be >= 0, got " +
                                             std::to_string(shape.prefix_len));
  SELFENS_REQUIRE(shape.generated_len >= 0, "plan: generated length must be >= 0, got " +
                                                std::to_string(shape.generated_len));
  SELFENS_REQUIRE(shape.cue_len >= 0, "plan: cue length must be >= 0");
  for (size_t i = 0; i < shape.question_lens.size(); ++i)
    SELFENS_REQUIRE(shape.question_lens[i] > shape.cue_len,
                    "plan: paraphrase " + std::to_string(i + 1) + " length must be more than the cue's " +
                        std::to_string(shape.cue_len) + ", got " +
                        std::to_string(shape.question_lens[i]));
}

std::string question_label(const PlannedSpan& s) {
  return (s.with_prefix ? "P+Q" : "Q") + std::to_string(s.view + 1);
}

}  // namespace

std::vector<SpanSegment> MethodPlan::segments() const {
  std::vector<SpanSegment> out;
  for (const PlanSpan& s : spans) out.push_back({s.id, s.from, s.length});
  return out;
}

const PlanSpan* MethodPlan::first_segment(SpanId id) const {
  for (const PlanSpan& s : spans)
    if (s.id == id && s.from == 0) return &s;
  return nullptr;
}

MethodPlan build_method_plan(std::string_view method, const PlanShape& shape,
                             const PlanOptions& options) {
  const MethodRecipe& r = recipe(method);
  check_shape(method, shape);
  QuestionShape q;
  q.prefix_len = shape.prefix_len;
  q.cue_len = shape.cue_len;
  const size_t n = r.first_view_only ? 1 : shape.question_lens.size();
  q.view_lens.assign(shape.question_lens.begin(), shape.question_lens.begin() + long(n));
  // weighted_flex: the picture has no confidences; equal weights (-log N each).
  if (r.weighted && r.plan == PlanKind::kFused) q.view_weights.assign(n, 1.0f);

  MethodPlan plan;
  SpanId prefix = kNoSpan;
  if (options.layout == Layout::kShared && shape.prefix_len > 0) {  // as the runner does
    prefix = plan.graph.create({}, 0);
    plan.graph.append(prefix, shape.prefix_len);
    plan.spans.push_back({prefix, 0, shape.prefix_len, "P", SegmentKind::kPrefix, 0});
  }
  const std::vector<PlannedSpan> planned =
      plan_question(r, options, prefix, q, graph_span_maker(plan.graph));
  std::vector<PlanSpan> answers;
  for (const PlannedSpan& s : planned) {
    const int32_t prompt = (s.with_prefix ? shape.prefix_len : 0) + (s.to - s.from);
    plan.graph.append(s.id, prompt);
    if (s.view < 0) {  // the fused G: the cue, then the answer
      plan.graph.append(s.id, shape.generated_len);
      plan.spans.push_back({s.id, 0, prompt + shape.generated_len, "G", SegmentKind::kGenerated, 0});
      continue;
    }
    plan.spans.push_back({s.id, 0, prompt, question_label(s), SegmentKind::kQuestion, s.view});
    if (!s.answers) continue;
    plan.graph.append(s.id, shape.generated_len);  // the answer, in the same span
    answers.push_back({s.id, prompt, shape.generated_len, n == 1 ? "G" : "G" + std::to_string(s.view + 1),
                       SegmentKind::kGenerated, s.view});
  }
  plan.spans.insert(plan.spans.end(), answers.begin(), answers.end());
  return plan;
}

}  // namespace selfens::report
