#include "model/resolve.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>

#include "builtin_models.h"
#include "model/loader.h"
#include "util/check.h"

namespace selfens {
namespace {

namespace fs = std::filesystem;

// The built-in table: models/models.json as compiled in (the original
// project's model names, the default model, the PyPI-fetched ones).
const std::vector<ModelEntry>& builtin_models() {
  static const std::vector<ModelEntry> table =
      parse_models_json(kBuiltinModelsJson, "models/models.json (built in)");
  return table;
}

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

fs::path home_dir() {
  const std::string h = env_or_empty("HOME");
  return h.empty() ? fs::path(".") : fs::path(h);
}

fs::path expand_home(const std::string& p) {
  if (p == "~" || p.rfind("~/", 0) == 0) return home_dir() / p.substr(p.size() > 1 ? 2 : 1);
  return p;
}

// The user's models file: $SELFENS_MODELS_FILE (must exist), else
// ~/.config/selfens/models.json when present; "" when none.
std::string user_models_file() {
  const std::string env = env_or_empty("SELFENS_MODELS_FILE");
  if (!env.empty()) {
    SELFENS_REQUIRE(fs::exists(env), env + ": models file not found (named by SELFENS_MODELS_FILE)");
    return env;
  }
  const fs::path p = home_dir() / ".config" / "selfens" / "models.json";
  return fs::exists(p) ? p.string() : std::string();
}

std::string known_names(const std::vector<ModelEntry>& table) {
  std::string s;
  for (const auto& e : table) s += (s.empty() ? "" : ", ") + e.name;
  return s;
}

std::string missing_file_hint(const ModelEntry& e) {
  if (!e.fetch.empty()) return "fetch it with " + e.fetch;
  return "put the file there, set SELFENS_MODELS_DIR, or give a path";
}

std::string resolve_entry(const ModelEntry& e) {
  if (!e.path.empty()) {
    fs::path p = expand_home(e.path);
    if (p.is_relative()) p = fs::path(models_cache_dir()) / p;
    SELFENS_REQUIRE(fs::exists(p), "model '" + e.name + "': file not found at " + p.string() + "; " +
                                       missing_file_hint(e));
    return p.string();
  }
  const std::string snap = find_hf_snapshot(e.hf_repo);
  SELFENS_REQUIRE(!snap.empty(),
                  "model '" + e.name + "' (" + e.hf_repo + "): not found in the Hugging Face cache " +
                      hf_hub_dir() + "; download it with `huggingface-cli download " + e.hf_repo +
                      "` (set HF_HOME for another cache) or give a path to its directory");
  return snap;
}

bool looks_like_repo_id(const std::string& s) {
  const size_t slash = s.find('/');
  return slash != std::string::npos && slash > 0 && slash + 1 < s.size() &&
         s.find('/', slash + 1) == std::string::npos && s[0] != '.' && s[0] != '~';
}

}  // namespace

std::string models_cache_dir() {
  const std::string env = env_or_empty("SELFENS_MODELS_DIR");
  if (!env.empty()) return env;
  return (home_dir() / ".cache" / "selfens" / "models").string();
}

std::string hf_hub_dir() {
  if (std::string v = env_or_empty("HF_HUB_CACHE"); !v.empty()) return v;
  if (std::string v = env_or_empty("HF_HOME"); !v.empty()) return (fs::path(v) / "hub").string();
  return (home_dir() / ".cache" / "huggingface" / "hub").string();
}

std::vector<ModelEntry> read_models_file(const std::string& path) {
  std::ifstream in(path);
  SELFENS_REQUIRE(in.good(), path + ": cannot open models file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_models_json(text.str(), path);
}

std::vector<ModelEntry> parse_models_json(std::string_view text, const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path + ": bad JSON: " + e.what());
  }
  const auto models = j.find("models");
  SELFENS_REQUIRE(j.is_object() && models != j.end() && models->is_object(),
                  path + ": expected {\"models\": {NAME: {\"path\": ...} or {\"hf\": ...}}}");
  std::vector<ModelEntry> out;
  for (const auto& [name, v] : models->items()) {
    ModelEntry e{name, "", "", ""};
    if (v.is_object() && v.contains("path") && v["path"].is_string()) e.path = v["path"];
    if (v.is_object() && v.contains("hf") && v["hf"].is_string()) e.hf_repo = v["hf"];
    if (v.is_object() && v.contains("fetch") && v["fetch"].is_string()) e.fetch = v["fetch"];
    SELFENS_REQUIRE(!name.empty(), path + ": a model has an empty name");
    SELFENS_REQUIRE(e.path.empty() != e.hf_repo.empty(),
                    path + ": model '" + name + "' needs exactly one of \"path\" or \"hf\"");
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<ModelEntry> model_table() {
  std::vector<ModelEntry> table = builtin_models();
  const std::string user = user_models_file();
  if (user.empty()) return table;
  for (ModelEntry& e : read_models_file(user)) {
    auto it = std::find_if(table.begin(), table.end(), [&](const ModelEntry& t) { return t.name == e.name; });
    if (it != table.end()) *it = std::move(e);
    else table.push_back(std::move(e));
  }
  return table;
}

std::string find_hf_snapshot(const std::string& repo_id) {
  std::string folder = "models--" + repo_id;
  for (size_t p = folder.find('/'); p != std::string::npos; p = folder.find('/'))
    folder.replace(p, 1, "--");
  const fs::path repo = fs::path(hf_hub_dir()) / folder;
  const fs::path snapshots = repo / "snapshots";
  std::error_code ec;
  if (!fs::is_directory(snapshots, ec)) return "";
  std::ifstream ref(repo / "refs" / "main");
  std::string rev;
  if (ref >> rev && fs::is_directory(snapshots / rev, ec)) return (snapshots / rev).string();
  fs::path best;
  fs::file_time_type best_time{};
  for (const auto& d : fs::directory_iterator(snapshots, ec)) {
    if (!d.is_directory()) continue;
    const auto t = fs::last_write_time(d.path(), ec);
    if (best.empty() || t > best_time) best = d.path(), best_time = t;
  }
  return best.string();
}

std::string resolve_model_path(const std::string& name_or_path) {
  SELFENS_REQUIRE(!name_or_path.empty(), "empty model name");
  const fs::path p = expand_home(name_or_path);
  if (fs::exists(p)) {
    SELFENS_REQUIRE(fs::is_directory(p) || p.extension() == ".gguf",
                    p.string() + ": not a .gguf file or a Hugging Face model directory");
    return p.string();
  }
  const std::vector<ModelEntry> table = model_table();
  for (const ModelEntry& e : table)
    if (e.name == name_or_path) return resolve_entry(e);
  if (looks_like_repo_id(name_or_path)) {
    const std::string snap = find_hf_snapshot(name_or_path);
    if (!snap.empty()) return snap;
  }
  throw InputError("unknown model '" + name_or_path + "': not a file, directory, cached " +
                   "Hugging Face repo id (looked in " + hf_hub_dir() + ") or known name (" +
                   known_names(table) + "); give a path to a .gguf file or HF directory, or " +
                   "add the name to $SELFENS_MODELS_FILE / ~/.config/selfens/models.json");
}

Model load_model(const std::string& name_or_path, const LoadOptions& options) {
  const std::string path = resolve_model_path(name_or_path);
  require_fits(path, peek_model_config(path), options.device);
  Model m = std::filesystem::is_directory(path) ? load_hf_model(path, options)
                                                : load_gguf_model(path);
  m.name = name_or_path;
  return m;
}

}  // namespace selfens
