#include "data/output_paths.h"

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

namespace {

bool is_ensemble(const std::string& m) {
  return m == "avg" || m == "max" || m == "weighted_avg" || m == "weighted_max";
}

}  // namespace

fs::path OutputPaths::ensemble(const std::string& method, int n) const {
  SELFENS_REQUIRE(is_ensemble(method), "unknown ensemble method '" + method +
                                           "' (avg, max, weighted_avg, weighted_max)");
  return dir() / ("ensemble_" + method + "-" + std::to_string(n) + ".feather");
}

fs::path OutputPaths::flex_attention(int n) const {
  return dir() / ("flex_attention-" + std::to_string(n) + ".feather");
}

fs::path OutputPaths::run_file(const std::string& method, int n,
                               const std::vector<int>& indexs) const {
  std::string stem;
  if (method == "origin") return origin();
  if (method == "confidence") return confidence();
  if (method == "per_prompt") {
    if (indexs.empty()) return per_prompt();
    stem = "per_prompt";
  } else if (method == "flex_attention") {
    stem = "flex_attention";
  } else {
    SELFENS_REQUIRE(is_ensemble(method), "unknown method '" + method + "'");
    stem = "ensemble_" + method;
  }
  if (indexs.empty()) return dir() / (stem + "-" + std::to_string(n) + ".feather");
  return dir() / "diversity" / (stem + "-" + join_indexs(indexs) + ".feather");
}

}  // namespace selfens::data
