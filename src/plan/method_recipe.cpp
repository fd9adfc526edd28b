#include "plan/method_recipe.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "util/check.h"

namespace selfens {
namespace {

using PK = PlanKind;
// The table. Columns: method, name, file stem, numbered, plan, first view
// only, answer per view, fuses, fusion, weighted, summary.
const std::vector<MethodRecipe> kRecipes = {
    {Method::kOrigin, "origin", "origin", false, PK::kIndependent, true, false, false,
     Fusion::kAvg, false, "the question alone (paraphrase 0)"},
    {Method::kPerPrompt, "per_prompt", "per_prompt", false, PK::kIndependent, false, true, false,
     Fusion::kAvg, false, "each paraphrase on its own, one row per paraphrase"},
    {Method::kAvg, "avg", "ensemble_avg", true, PK::kIndependent, false, false, true, Fusion::kAvg,
     false, "mean of the N logit rows"},
    {Method::kMax, "max", "ensemble_max", true, PK::kIndependent, false, false, true, Fusion::kMax,
     false, "element-wise max of the N probability rows"},
    {Method::kWeightedAvg, "weighted_avg", "ensemble_weighted_avg", true, PK::kIndependent, false,
     false, true, Fusion::kWeightedAvg, true, "logit rows weighted by confidence.feather"},
    {Method::kWeightedMax, "weighted_max", "ensemble_weighted_max", true, PK::kIndependent, false,
     false, true, Fusion::kWeightedMax, true, "the logit row of the most confident paraphrase"},
    {Method::kFlexAttention, "flex_attention", "flex_attention", true, PK::kFused, false, false,
     false, Fusion::kAvg, false, "the N paraphrases in one attention plan, one row per step"},
    {Method::kWeightedFlex, "weighted_flex", "weighted_flex", true, PK::kFused, false, false,
     false, Fusion::kAvg, true, "flex_attention, each paraphrase's keys weighted by confidence"},
};

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

constexpr std::pair<const char*, Layout> kLayouts[] = {{"shared", Layout::kShared},
                                                       {"concat", Layout::kConcat}};
constexpr std::pair<const char*, Positions> kPositions[] = {
    {"parallel", Positions::kParallel}, {"sequential", Positions::kSequential}};
constexpr std::pair<const char*, FusionBias> kBiases[] = {{"none", FusionBias::kNone},
                                                          {"mean", FusionBias::kMean}};
constexpr std::pair<const char*, ParaphraseAttention> kAttentions[] = {
    {"isolated", ParaphraseAttention::kIsolated}, {"causal", ParaphraseAttention::kCausal}};

}  // namespace

const std::vector<MethodRecipe>& method_recipes() { return kRecipes; }

const MethodRecipe& recipe(Method m) {
  for (const MethodRecipe& r : kRecipes)
    if (r.method == m) return r;
  throw_internal(__FILE__, __LINE__, "method without a recipe");
}

const MethodRecipe& recipe(std::string_view name) {
  for (const MethodRecipe& r : kRecipes)
    if (name == r.name) return r;
  throw InputError("unknown method '" + std::string(name) + "' (valid: " + method_list(", ") + ")");
}

Method parse_method(const std::string& s) { return recipe(std::string_view(s)).method; }
std::string method_name(Method m) { return recipe(m).name; }

const std::vector<std::string>& method_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const MethodRecipe& r : kRecipes) v.push_back(r.name);
    return v;
  }();
  return names;
}

size_t method_rank(std::string_view method) {
  const auto& names = method_names();
  return size_t(std::find(names.begin(), names.end(), method) - names.begin());
}

std::string method_list(std::string_view sep) {
  std::string out;
  for (const MethodRecipe& r : kRecipes) out += (out.empty() ? "" : std::string(sep)) + r.name;
  return out;
}

Layout parse_layout(const std::string& s) { return parse_enum(s, "layout", kLayouts); }
std::string layout_name(Layout l) { return enum_name(l, kLayouts); }
Positions parse_positions(const std::string& s) { return parse_enum(s, "positions", kPositions); }
std::string positions_name(Positions p) { return enum_name(p, kPositions); }
FusionBias parse_fusion_bias(const std::string& s) { return parse_enum(s, "fusion bias", kBiases); }
std::string fusion_bias_name(FusionBias b) { return enum_name(b, kBiases); }
ParaphraseAttention parse_paraphrase_attention(const std::string& s) {
  return parse_enum(s, "paraphrase attention", kAttentions);
}
std::string paraphrase_attention_name(ParaphraseAttention a) { return enum_name(a, kAttentions); }

std::string fusion_number(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", double(v));
  return buf;
}

std::string fusion_variant(const PlanOptions& o) {
  std::string tag;
  auto add = [&](const std::string& part) { tag += (tag.empty() ? "" : "_") + part; };
  if (o.attention != ParaphraseAttention::kIsolated) add(paraphrase_attention_name(o.attention));
  if (o.fusion_bias != FusionBias::kNone) add(fusion_bias_name(o.fusion_bias));
  if (o.fusion_temperature != 1.0f) add("T" + fusion_number(o.fusion_temperature));
  if (o.fusion_scale != 1.0f) add("S" + fusion_number(o.fusion_scale));
  return tag;
}

void validate_fusion(const PlanOptions& o) {
  SELFENS_REQUIRE(std::isfinite(o.fusion_temperature) && o.fusion_temperature > 0.0f,
                  "--fusion_temperature must be a positive number, got " +
                      fusion_number(o.fusion_temperature));
  SELFENS_REQUIRE(std::isfinite(o.fusion_scale) && o.fusion_scale > 0.0f,
                  "--fusion_scale must be a positive number, got " + fusion_number(o.fusion_scale));
  if (o.attention == ParaphraseAttention::kCausal) {
    SELFENS_REQUIRE(o.layout == Layout::kShared,
                    "--paraphrase_attention causal takes --layout shared (each paraphrase already "
                    "sees the prompt block through the ones before it)");
    SELFENS_REQUIRE(o.positions == Positions::kSequential,
                    "--paraphrase_attention causal lays the paraphrases one after another: it takes "
                    "--positions sequential");
  }
}

bool is_logit_ensemble(Method m) { return recipe(m).fuses; }
bool is_logit_ensemble(std::string_view method) {
  for (const MethodRecipe& r : kRecipes)
    if (method == r.name) return r.fuses;
  return false;
}
bool is_weighted(Method m) { return recipe(m).weighted; }
bool uses_paraphrases(Method m) { return !recipe(m).first_view_only; }

}  // namespace selfens
