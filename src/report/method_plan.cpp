#include "report/method_plan.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "util/check.h"

namespace selfens::report {

namespace {

[[noreturn]] void bad_choice(std::string_view option, std::string_view got,
                             std::string_view accepted) {
  throw InputError("--" + std::string(option) + ": unknown value '" + std::string(got) +
                   "' (accepted: " + std::string(accepted) + ")");
}

void check_shape(std::string_view method, const PlanShape& shape) {
  SELFENS_REQUIRE(!shape.question_lens.empty(),
                  "plan for " + std::string(method) + ": no paraphrase lengths given");
  SELFENS_REQUIRE(shape.prefix_len >= 0, "plan: prefix length must be >= 0, got " +
                                             std::to_string(shape.prefix_len));
  SELFENS_REQUIRE(shape.generated_len >= 0, "plan: generated length must be >= 0, got " +
                                                std::to_string(shape.generated_len));
  for (size_t i = 0; i < shape.question_lens.size(); ++i)
    SELFENS_REQUIRE(shape.question_lens[i] >= 0,
                    "plan: paraphrase " + std::to_string(i + 1) + " length must be >= 0, got " +
                        std::to_string(shape.question_lens[i]));
}

// Creates a span of `len` tokens and records it in display order.
SpanId add_span(MethodPlan& plan, std::span<const SpanId> parents, int start, int len,
                std::string label, SegmentKind kind, int index,
                std::span<const KeyBias> bias = {}) {
  SpanId id = plan.graph.create(parents, start, bias);
  plan.graph.append(id, len);
  plan.spans.push_back({id, std::move(label), kind, index});
  return id;
}

// The question segments: shared layout = P then Qi children of P; concat =
// root segments "P+Qi". Returns their ids; `end_pos` gets each one's end.
std::vector<SpanId> add_questions(MethodPlan& plan, const PlanShape& shape, size_t n,
                                  const PlanOptions& opt, bool fused,
                                  std::vector<int>& end_pos) {
  const bool sequential = fused && opt.positions == Positions::kSequential;
  std::vector<SpanId> qs;
  std::vector<SpanId> parents;
  int pos = 0;
  if (opt.layout == Layout::kShared) {
    parents.push_back(add_span(plan, {}, 0, shape.prefix_len, "P", SegmentKind::kPrefix, 0));
    pos = shape.prefix_len;
  }
  const int base = pos;
  for (size_t i = 0; i < n; ++i) {
    const bool concat = opt.layout == Layout::kConcat;
    const int len = shape.question_lens[i] + (concat ? shape.prefix_len : 0);
    const int start = sequential ? pos : base;
    std::string label = concat ? "P+Q" : "Q";
    label += std::to_string(i + 1);
    qs.push_back(add_span(plan, parents, start, len, label, SegmentKind::kQuestion, int(i)));
    end_pos.push_back(start + len);
    pos = start + len;
  }
  return qs;
}

void build_independent(MethodPlan& plan, const PlanShape& shape, size_t n,
                       const PlanOptions& opt) {
  std::vector<int> end_pos;
  std::vector<SpanId> qs = add_questions(plan, shape, n, opt, /*fused=*/false, end_pos);
  for (size_t i = 0; i < n; ++i) {
    const SpanId parent[] = {qs[i]};
    std::string label = "G";
    if (n != 1) label += std::to_string(i + 1);
    add_span(plan, parent, end_pos[i], shape.generated_len, label, SegmentKind::kGenerated,
             int(i));
  }
}

void build_fused(MethodPlan& plan, const PlanShape& shape, size_t n, const PlanOptions& opt) {
  std::vector<int> end_pos;
  std::vector<SpanId> qs = add_questions(plan, shape, n, opt, /*fused=*/true, end_pos);
  const int start = *std::max_element(end_pos.begin(), end_pos.end());
  std::vector<KeyBias> bias;
  if (opt.fusion_bias == FusionBias::kMean)
    for (SpanId q : qs) bias.push_back({q, -std::log(float(n))});
  add_span(plan, qs, start, shape.generated_len, "G", SegmentKind::kGenerated, 0, bias);
}

}  // namespace

Layout parse_layout(std::string_view s) {
  if (s == "shared") return Layout::kShared;
  if (s == "concat") return Layout::kConcat;
  bad_choice("layout", s, "shared, concat");
}

Positions parse_positions(std::string_view s) {
  if (s == "parallel") return Positions::kParallel;
  if (s == "sequential") return Positions::kSequential;
  bad_choice("positions", s, "parallel, sequential");
}

FusionBias parse_fusion_bias(std::string_view s) {
  if (s == "none") return FusionBias::kNone;
  if (s == "mean") return FusionBias::kMean;
  bad_choice("fusion_bias", s, "none, mean");
}

std::string_view to_string(Layout v) { return v == Layout::kShared ? "shared" : "concat"; }
std::string_view to_string(Positions v) {
  return v == Positions::kParallel ? "parallel" : "sequential";
}
std::string_view to_string(FusionBias v) { return v == FusionBias::kNone ? "none" : "mean"; }

const std::vector<std::string>& method_names() {
  static const std::vector<std::string> names = {
      "origin", "per_prompt", "avg", "max", "weighted_avg", "weighted_max", "flex_attention"};
  return names;
}

bool is_logit_ensemble(std::string_view m) {
  return m == "avg" || m == "max" || m == "weighted_avg" || m == "weighted_max";
}

std::vector<SpanId> MethodPlan::order() const {
  std::vector<SpanId> ids;
  for (const PlanSpan& s : spans) ids.push_back(s.id);
  return ids;
}

MethodPlan build_method_plan(std::string_view method, const PlanShape& shape,
                             const PlanOptions& options) {
  check_shape(method, shape);
  MethodPlan plan;
  const size_t n = shape.question_lens.size();
  if (method == "origin") {
    build_independent(plan, shape, 1, options);
  } else if (method == "per_prompt" || is_logit_ensemble(method)) {
    build_independent(plan, shape, n, options);
  } else if (method == "flex_attention") {
    build_fused(plan, shape, n, options);
  } else {
    throw InputError("--method: unknown method '" + std::string(method) +
                     "' (accepted: origin, per_prompt, avg, max, weighted_avg, "
                     "weighted_max, flex_attention)");
  }
  return plan;
}

}  // namespace selfens::report
