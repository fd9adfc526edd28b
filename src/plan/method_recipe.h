#pragma once
// The seven methods, each defined once (DESIGN section 2): its name, how a
// question becomes spans and rows, how each step's token is chosen, and
// where its results go. The runner builds its live spans from these recipes
// (plan/question_plan.h), and `selfens mask`, the output paths, analyze's
// file discovery and the usage text read the same table: adding a method
// that reuses the span kinds is one entry here plus its fusion, if new.
//
//   method          spans per question           rows per step   choice
//   origin          P -> Q0 (answer appended)    1               argmax
//   per_prompt      P -> Qi (answers appended)   N               argmax per Qi
//   avg, max,       P -> Qi (answers appended)   N               N rows fused into one
//   weighted_*                                                   token, appended to all
//   flex_attention  P -> Qi; G over all Qi       1               argmax
#include <string>
#include <string_view>
#include <vector>

namespace selfens {

enum class Method { kOrigin, kPerPrompt, kAvg, kMax, kWeightedAvg, kWeightedMax, kFlexAttention };
enum class Layout { kShared, kConcat };  // shared prefix span P, or full prompts (flex only)
enum class Positions { kParallel, kSequential };
enum class FusionBias { kNone, kMean };  // mean: -log N on each Qi for G
// How N logit rows become one token (methods/fusion.h computes them).
enum class Fusion { kAvg, kMax, kWeightedAvg, kWeightedMax };

// How a method's question becomes spans.
enum class PlanKind {
  kIndependent,  // P -> Qi, each Qi's answer appended to it
  kFused,        // P -> Qi (without the answer cue); one G (cue + answer) over all Qi
};

struct MethodRecipe {
  Method method;
  const char* name;       // CLI and metadata name, e.g. "flex_attention"
  const char* file_stem;  // result file: STEM.feather, or STEM-N.feather when numbered
  bool numbered;          // the file name carries N (all but origin and per_prompt)
  PlanKind plan;
  bool first_view_only;   // origin: asks paraphrase 0 alone
  bool answer_per_view;   // per_prompt: every Qi answered on its own (N groups)
  bool fuses;             // the N rows of a step are fused into one token...
  Fusion fusion;          // ...this way (when fuses)
  bool weighted;          // reads confidence.feather
  const char* summary;    // one line for usage texts
};

// Every method, in report order: origin, per_prompt, avg, max, weighted_avg,
// weighted_max, flex_attention.
const std::vector<MethodRecipe>& method_recipes();
const MethodRecipe& recipe(Method m);
// InputError "unknown method 'X' (valid: origin, ...)" for other names.
const MethodRecipe& recipe(std::string_view name);

Method parse_method(const std::string& s);
std::string method_name(Method m);
const std::vector<std::string>& method_names();  // report order
std::string method_list(std::string_view sep = " | ");  // "origin | per_prompt | ..."

Layout parse_layout(const std::string& s);  // InputError naming the valid values
std::string layout_name(Layout l);
Positions parse_positions(const std::string& s);
std::string positions_name(Positions p);
FusionBias parse_fusion_bias(const std::string& s);
std::string fusion_bias_name(FusionBias b);

bool is_logit_ensemble(Method m);  // a fusion of N rows: avg, max, weighted_avg, weighted_max
bool is_logit_ensemble(std::string_view method);
bool is_weighted(Method m);
bool uses_paraphrases(Method m);   // every method but origin

// The options that shape a fused plan (layout, positions and bias apply to
// flex_attention only).
struct PlanOptions {
  Layout layout = Layout::kShared;
  Positions positions = Positions::kParallel;
  FusionBias fusion_bias = FusionBias::kNone;
};

}  // namespace selfens
