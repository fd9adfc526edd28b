#pragma once
// The seven methods and the options that shape their attention plans.
#include <string>
#include <vector>

namespace selfens {

enum class Method { kOrigin, kPerPrompt, kAvg, kMax, kWeightedAvg, kWeightedMax, kFlexAttention };
enum class Layout { kShared, kConcat };          // shared prefix span, or full prompts
enum class Positions { kParallel, kSequential };
enum class FusionBias { kNone, kMean };           // mean: -log N on each Qi for G

Method parse_method(const std::string& s);  // InputError listing the valid names
std::string method_name(Method m);
Layout parse_layout(const std::string& s);
std::string layout_name(Layout l);
Positions parse_positions(const std::string& s);
std::string positions_name(Positions p);
FusionBias parse_fusion_bias(const std::string& s);
std::string fusion_bias_name(FusionBias b);

bool is_logit_ensemble(Method m);  // avg, max, weighted_avg, weighted_max
bool is_weighted(Method m);
bool uses_paraphrases(Method m);   // every method but origin

struct MethodConfig {
  Method method = Method::kOrigin;
  int n = 1;                   // paraphrases per question (origin: 1)
  std::vector<int> indexs;     // explicit paraphrase indices (repeats allowed)
  Layout layout = Layout::kShared;
  Positions positions = Positions::kParallel;
  FusionBias fusion_bias = FusionBias::kNone;
  int max_new_tokens = 20;
  // false: answers run to max_new_tokens (or EOS) after their first line has
  // ended (the prediction, that first line, is the same; benchmarks that
  // time exactly max_new_tokens tokens per question use it).
  bool stop_at_newline = true;
  // Paraphrases asked per question: indexs.size() when given, else n.
  int views() const { return indexs.empty() ? n : static_cast<int>(indexs.size()); }
};

// Checks option combinations (e.g. concat/sequential only for flex_attention).
void validate(const MethodConfig& config);

}  // namespace selfens
