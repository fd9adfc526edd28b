#pragma once
// The methods (the original's seven and weighted_flex), each defined once
// (DESIGN section 2): its name, how a question becomes spans and rows, how each step's token is chosen, and
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
//   weighted_flex   as flex_attention, G's scores on each Qi's keys raised by
//                   log of its confidence weight (the twin of weighted_avg)
#include <string>
#include <string_view>
#include <vector>

namespace selfens {

enum class Method {
  kOrigin, kPerPrompt, kAvg, kMax, kWeightedAvg, kWeightedMax, kFlexAttention, kWeightedFlex
};
enum class Layout { kShared, kConcat };  // shared prefix span P, or full prompts (flex only)
enum class Positions { kParallel, kSequential };
enum class FusionBias { kNone, kMean };  // mean: -log N on each Qi for G
// isolated: each Qi sees P and itself; causal: Qi also sees Q1..Q(i-1), plain
// causal attention over the concatenated paraphrases (the original's
// --normal_attention ablation; positions sequential).
enum class ParaphraseAttention { kIsolated, kCausal };
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
  bool weighted;          // reads confidence.feather (fused plans: as biases on the Qi keys)
  const char* summary;    // one line for usage texts
};

// Every method, in report order: origin, per_prompt, avg, max, weighted_avg,
// weighted_max, flex_attention, weighted_flex.
const std::vector<MethodRecipe>& method_recipes();
const MethodRecipe& recipe(Method m);
// InputError "unknown method 'X' (valid: origin, ...)" for other names.
const MethodRecipe& recipe(std::string_view name);

Method parse_method(const std::string& s);
std::string method_name(Method m);
const std::vector<std::string>& method_names();  // report order
// A method's place in report order (method_names().size() for other names).
size_t method_rank(std::string_view method);
std::string method_list(std::string_view sep = " | ");  // "origin | per_prompt | ..."

Layout parse_layout(const std::string& s);  // InputError naming the valid values
std::string layout_name(Layout l);
Positions parse_positions(const std::string& s);
std::string positions_name(Positions p);
FusionBias parse_fusion_bias(const std::string& s);
std::string fusion_bias_name(FusionBias b);
ParaphraseAttention parse_paraphrase_attention(const std::string& s);
std::string paraphrase_attention_name(ParaphraseAttention a);

bool is_logit_ensemble(Method m);  // a fusion of N rows: avg, max, weighted_avg, weighted_max
bool is_logit_ensemble(std::string_view method);
bool is_weighted(Method m);
bool uses_paraphrases(Method m);   // every method but origin

// The options that shape a fused plan (flex_attention, weighted_flex only).
// The fused span G scores the keys of each paraphrase span Qi as
//   q.k / sqrt(d) / fusion_temperature + log(fusion_scale) + b_i
// with b_i = -log N under the `mean` bias, plus log(w_i / sum w) for
// weighted_flex; P and G's own keys keep plain scores. Temperature and scale
// follow Adaptive Parallel Encoding (Yang et al., ICLR 2025) as a per-key
// transform (docs/decisions.md says how it differs from APE's).
struct PlanOptions {
  Layout layout = Layout::kShared;
  Positions positions = Positions::kParallel;
  FusionBias fusion_bias = FusionBias::kNone;
  float fusion_temperature = 1.0f;  // > 0
  float fusion_scale = 1.0f;        // > 0: multiplies the Qi keys' total weight
  ParaphraseAttention attention = ParaphraseAttention::kIsolated;
};

// The part of a result file's name that names non-default fusion options,
// e.g. "mean_T0.5_S2", "causal_mean" ("" for the defaults, which keep
// today's file names).
std::string fusion_variant(const PlanOptions& o);
// A temperature or scale as written in file names and metadata ("%g": 0.5, 2).
std::string fusion_number(float v);
// Checks temperature and scale, and that causal paraphrase attention has the
// shared layout and sequential positions (InputError naming the option).
void validate_fusion(const PlanOptions& o);

}  // namespace selfens
