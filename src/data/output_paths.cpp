#include "data/output_paths.h"

#include <regex>

#include "plan/method_recipe.h"
#include "util/check.h"

namespace selfens::data {
namespace fs = std::filesystem;

std::string output_model_name(const std::string& model) {
  std::string s = model;
  while (!s.empty() && (s.back() == '/' || s.back() == '\\')) s.pop_back();
  size_t slash = s.find_last_of("/\\");
  if (slash != std::string::npos) s = s.substr(slash + 1);
  const std::string ext = ".gguf";
  if (s.size() > ext.size() && s.compare(s.size() - ext.size(), ext.size(), ext) == 0)
    s.resize(s.size() - ext.size());
  SELFENS_REQUIRE(!s.empty() && s != "." && s != "..",
                  "model name '" + model + "' gives no output directory name");
  return s;
}

std::string join_indexs(const std::vector<int>& indexs) {
  std::string s;
  for (size_t i = 0; i < indexs.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(indexs[i]);
  }
  return s;
}

std::string shard_file_name(const ShardFile& f) {
  return f.stem + ".shard" + std::to_string(f.index) + "of" + std::to_string(f.count) + ".feather";
}

std::optional<ShardFile> parse_shard_file(const std::string& name) {
  static const std::regex re(R"(^(.+)\.shard(\d{1,4})of(\d{1,4})\.feather$)");
  std::smatch m;
  if (!std::regex_match(name, m, re)) return std::nullopt;
  return ShardFile{m[1].str(), std::stoi(m[2]), std::stoi(m[3])};
}

OutputPaths::OutputPaths(fs::path root, std::string dataset, const std::string& model)
    : root_(std::move(root)), dataset_(std::move(dataset)), model_(output_model_name(model)) {
  SELFENS_REQUIRE(!dataset_.empty() && dataset_.find('/') == std::string::npos,
                  "data set name '" + dataset_ + "' is not a directory name");
}

fs::path OutputPaths::dir() const { return root_ / dataset_ / model_; }
fs::path OutputPaths::origin() const { return dir() / "origin.feather"; }
fs::path OutputPaths::per_prompt() const { return dir() / "per_prompt.feather"; }
fs::path OutputPaths::confidence() const { return dir() / "confidence.feather"; }
fs::path OutputPaths::paraphrases() const { return dir() / "paraphrases.jsonl"; }

fs::path OutputPaths::ensemble(const std::string& method, int n) const {
  SELFENS_REQUIRE(is_logit_ensemble(std::string_view(method)),
                  "unknown ensemble method '" + method + "' (avg, max, weighted_avg, weighted_max)");
  return run_file(method, n);
}

fs::path OutputPaths::flex_attention(int n) const { return run_file("flex_attention", n); }

fs::path OutputPaths::run_file(const std::string& method, int n, const std::vector<int>& indexs,
                               const std::string& variant) const {
  if (method == "confidence") return confidence();
  const MethodRecipe& r = recipe(std::string_view(method));  // InputError for other names
  const std::string stem = r.file_stem;
  if (r.first_view_only) return dir() / (stem + ".feather");  // origin: one file, indices or not
  const std::string tail = (variant.empty() ? "" : "_" + variant) + ".feather";
  if (!indexs.empty()) return dir() / "diversity" / (stem + "-" + join_indexs(indexs) + tail);
  if (!r.numbered) return dir() / (stem + tail);
  return dir() / (stem + "-" + std::to_string(n) + tail);
}

fs::path OutputPaths::selection_file(const std::string& method, const ParaphraseSelection& s,
                                    const std::string& variant) const {
  const std::string tag = s.file_tag();
  if (tag.empty()) return run_file(method, s.views(), s.indexs, variant);
  const MethodRecipe& r = recipe(std::string_view(method));
  const std::string tail = (variant.empty() ? "" : "_" + variant) + ".feather";
  const std::string prefix = s.synced ? "syncedsample_" : "";
  return dir() / (prefix + r.file_stem + "-" + tag + tail);
}

}  // namespace selfens::data
