#pragma once
// Shared by the tokenizer tests: where each family's tokenizer lives, one
// loaded copy per family, and the JSONL goldens.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/test_paths.h"
#include "model/gguf.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_spec.h"
#include "util/check.h"

namespace selfens::test {

// Assets fetched by scripts/fetch_test_assets.sh (Llama 3 / Qwen2 files).
inline std::filesystem::path tokenizer_assets_dir() {
  std::filesystem::path base;
  if (const char* d = std::getenv("SELFENS_ASSETS_DIR")) base = d;
  else if (const char* h = std::getenv("HOME")) base = std::filesystem::path(h) / ".cache/selfens/assets";
  return base / "tokenizers";
}

inline std::filesystem::path tokenizer_fixtures() { return fixtures_dir() / "tokenizer"; }

// Family name -> tokenizer; "smollm2_gguf" is built from the default model.
inline const Tokenizer& family_tokenizer(const std::string& family) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto it = cache.find(family);
  if (it != cache.end()) return *it->second;
  std::unique_ptr<Tokenizer> t;
  if (family == "smollm2_gguf") {
    GgufFile g(default_model_gguf().string());
    t = Tokenizer::from_gguf(g);
  } else if (family == "gpt2_bytelevel") {  // SmolLM2's vocabulary, plain ByteLevel
    const auto p = tokenizer_fixtures() / "smollm2" / "tokenizer.json";
    std::ifstream f(p);
    nlohmann::json j = nlohmann::json::parse(f);
    j["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}};
    t = build_tokenizer(spec_from_tokenizer_json(j.dump(), p.string()));
  } else if (family == "smollm2") {
    t = Tokenizer::from_tokenizer_json((tokenizer_fixtures() / "smollm2" / "tokenizer.json").string());
  } else {
    const auto p = tokenizer_assets_dir() / family / "tokenizer.json";
    if (!std::filesystem::exists(p))
      throw std::runtime_error(p.string() + " missing: run scripts/fetch_test_assets.sh");
    t = Tokenizer::from_tokenizer_json(p.string());
  }
  return *cache.emplace(family, std::move(t)).first->second;
}

inline std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& p) {
  std::ifstream f(p);
  if (!f) throw std::runtime_error("cannot open " + p.string());
  std::vector<nlohmann::json> rows;
  std::string line;
  while (std::getline(f, line)) {
    if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
  }
  return rows;
}

inline std::string show(const std::vector<int32_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(v[i]);
  }
  s += ']';
  return s;
}

// Expects InputError whose message contains every part.
template <typename Fn>
void expect_input_error(Fn fn, std::initializer_list<std::string> parts) {
  try {
    fn();
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    for (const auto& p : parts)
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos)
          << "message '" << e.what() << "' lacks '" << p << "'";
  }
}

}  // namespace selfens::test
