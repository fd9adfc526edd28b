#pragma once
// Model names -> files. A name resolves through the models table (built-in
// defaults, extended/overridden by $SELFENS_MODELS_FILE or
// ~/.config/selfens/models.json; format in models/models.json), an explicit
// path (.gguf file or HF directory), or an HF repo id in the HF cache
// ($HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub).
#include <string>
#include <string_view>
#include <vector>

namespace selfens {

struct ModelEntry {
  std::string name;     // e.g. "smollm2_135m_it"
  std::string path;     // a .gguf file or HF directory; relative to models_cache_dir()
  std::string hf_repo;  // or an HF repo id, e.g. "Qwen/Qwen2.5-7B-Instruct"
  std::string fetch;    // optional: the command that fetches a missing "path" file
};

// Built-in entries, then those of the user's models file (same name overrides).
std::vector<ModelEntry> model_table();
// Entries of one models file; throws InputError naming the file and entry.
std::vector<ModelEntry> read_models_file(const std::string& path);
// The same from the file's text; `path` names it in errors.
std::vector<ModelEntry> parse_models_json(std::string_view text, const std::string& path);

std::string models_cache_dir();  // $SELFENS_MODELS_DIR or ~/.cache/selfens/models
std::string hf_hub_dir();        // $HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub

// Snapshot directory of an HF repo in the cache (refs/main, else the only or
// newest snapshot); "" when the repo is not cached.
std::string find_hf_snapshot(const std::string& repo_id);

// A .gguf file or HF directory for the name or path; InputError saying how
// to fix it otherwise.
std::string resolve_model_path(const std::string& name_or_path);

}  // namespace selfens
