#include "methods/method.h"

#include "util/check.h"

namespace selfens {
namespace {

template <typename E, size_t K>
E parse_enum(const std::string& s, const char* what, const std::pair<const char*, E> (&names)[K]) {
  std::string valid;
  for (const auto& [name, value] : names) {
    if (s == name) return value;
    valid += valid.empty() ? name : std::string(", ") + name;
  }
  throw InputError(std::string("unknown ") + what + " '" + s + "' (valid: " + valid + ")");
}

template <typename E, size_t K>
std::string enum_name(E v, const std::pair<const char*, E> (&names)[K]) {
  for (const auto& [name, value] : names)
    if (value == v) return name;
  return "?";
}

constexpr std::pair<const char*, Method> kMethods[] = {
    {"origin", Method::kOrigin},          {"per_prompt", Method::kPerPrompt},
    {"avg", Method::kAvg},                {"max", Method::kMax},
    {"weighted_avg", Method::kWeightedAvg}, {"weighted_max", Method::kWeightedMax},
    {"flex_attention", Method::kFlexAttention}};
constexpr std::pair<const char*, Layout> kLayouts[] = {{"shared", Layout::kShared},
                                                       {"concat", Layout::kConcat}};
constexpr std::pair<const char*, Positions> kPositions[] = {
    {"parallel", Positions::kParallel}, {"sequential", Positions::kSequential}};
constexpr std::pair<const char*, FusionBias> kBiases[] = {{"none", FusionBias::kNone},
                                                          {"mean", FusionBias::kMean}};

}  // namespace

Method parse_method(const std::string& s) { return parse_enum(s, "method", kMethods); }
std::string method_name(Method m) { return enum_name(m, kMethods); }
Layout parse_layout(const std::string& s) { return parse_enum(s, "layout", kLayouts); }
std::string layout_name(Layout l) { return enum_name(l, kLayouts); }
Positions parse_positions(const std::string& s) { return parse_enum(s, "positions", kPositions); }
std::string positions_name(Positions p) { return enum_name(p, kPositions); }
FusionBias parse_fusion_bias(const std::string& s) { return parse_enum(s, "fusion bias", kBiases); }
std::string fusion_bias_name(FusionBias b) { return enum_name(b, kBiases); }

bool is_logit_ensemble(Method m) {
  return m == Method::kAvg || m == Method::kMax || m == Method::kWeightedAvg ||
         m == Method::kWeightedMax;
}
bool is_weighted(Method m) { return m == Method::kWeightedAvg || m == Method::kWeightedMax; }
bool uses_paraphrases(Method m) { return m != Method::kOrigin; }

void validate(const MethodConfig& c) {
  SELFENS_REQUIRE(c.max_new_tokens > 0, "--max_new_tokens must be positive");
  SELFENS_REQUIRE(c.n > 0, "the number of paraphrases must be positive");
  bool flex = c.method == Method::kFlexAttention;
  SELFENS_REQUIRE(flex || c.layout == Layout::kShared,
                  "--layout concat applies to flex_attention only");
  SELFENS_REQUIRE(flex || c.positions == Positions::kParallel,
                  "--positions sequential applies to flex_attention only");
  SELFENS_REQUIRE(flex || c.fusion_bias == FusionBias::kNone,
                  "--fusion-bias applies to flex_attention only");
  SELFENS_REQUIRE(c.method != Method::kOrigin || c.indexs.size() <= 1,
                  "origin asks one paraphrase: give at most one index in --indexs");
}

}  // namespace selfens
