#pragma once
// The attention plan of one question for each method, as a SpanGraph with
// its spans in display order and their labels (for pictures and for the
// methods layer). DESIGN section 2:
//
//   origin                      P -> Q1 -> G
//   per_prompt, avg, max,       P -> Qi -> Gi            for each i
//   weighted_avg, weighted_max
//   flex_attention              P -> Qi for each i; one G, parents all Qi
//
// Positions (fused plans): parallel = every Qi starts at |P|, G at
// |P| + max|Qi|; sequential = the Qi end to end after P, G after the last.
// Independent rows (origin, per_prompt, logit ensembles) are separate
// sequences, so each Qi starts at |P| whatever `positions` says.
// Fusion bias mean: G gets -log N on each Qi (N identical copies weigh one).
// Layout concat (the original's format 2): no shared P; each segment "P+Qi"
// is one root span of |P| + |Qi| tokens, at 0 (parallel) or after the
// previous segment (sequential); G's parents are all segments.
#include <string>
#include <string_view>
#include <vector>

#include "plan/span_graph.h"

namespace selfens::report {

enum class Layout { kShared, kConcat };
enum class Positions { kParallel, kSequential };
enum class FusionBias { kNone, kMean };

// Parse "shared"/"concat", "parallel"/"sequential", "none"/"mean";
// InputError naming the option and the accepted values otherwise.
Layout parse_layout(std::string_view s);
Positions parse_positions(std::string_view s);
FusionBias parse_fusion_bias(std::string_view s);
std::string_view to_string(Layout v);
std::string_view to_string(Positions v);
std::string_view to_string(FusionBias v);

// The methods a plan exists for (and that analyze knows), in report order.
const std::vector<std::string>& method_names();  // origin, per_prompt, avg, max,
                                                 // weighted_avg, weighted_max, flex_attention
bool is_logit_ensemble(std::string_view method);  // avg, max, weighted_avg, weighted_max

// Token counts of one question's segments.
struct PlanShape {
  int prefix_len = 0;                 // |P|: instruction + few-shot, shared
  std::vector<int> question_lens;     // |Qi| per paraphrase; origin uses [0]
  int generated_len = 0;              // tokens generated (each Gi for N-row methods)
};

struct PlanOptions {
  Layout layout = Layout::kShared;
  Positions positions = Positions::kParallel;
  FusionBias fusion_bias = FusionBias::kNone;
};

enum class SegmentKind { kPrefix, kQuestion, kGenerated };

struct PlanSpan {
  SpanId id = kNoSpan;
  std::string label;  // "P", "Q1".."QN", "P+Q1" (concat), "G" or "G1".."GN"
  SegmentKind kind = SegmentKind::kPrefix;
  int index = 0;      // paraphrase index (0-based) for Q/G spans, 0 otherwise
};

struct MethodPlan {
  SpanGraph graph;              // every span appended to its full length
  std::vector<PlanSpan> spans;  // display order: P, Q1..QN, then G or G1..GN
  std::vector<SpanId> order() const;  // ids of `spans`, for build_dense_mask
};

// Builds the plan of `method` for one question. InputError for an unknown
// method, no paraphrases or a negative length (zero lengths are allowed).
MethodPlan build_method_plan(std::string_view method, const PlanShape& shape,
                             const PlanOptions& options = {});

}  // namespace selfens::report
