// The engine against transformers (fp32, eager attention): first-step logits
// and 32-token greedy continuations of tiny Llama 3 (llama3 rope scaling) and
// Qwen2 (q/k/v bias, tied) models, goldens made by
// tools/reference/make_model_goldens.py. All prompts of a model run as
// separate spans of one ragged batch, then decode together.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/test_paths.h"
#include "engine/engine.h"
#include "model/loader.h"

namespace selfens {
namespace {

class HfGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(HfGolden, LogitsAndGreedyMatchTransformers) {
  const std::string name = GetParam();
  std::ifstream in(test::fixtures_dir() / "goldens" / (name + ".json"));
  ASSERT_TRUE(in) << "missing golden for " << name;
  const nlohmann::json golden = nlohmann::json::parse(in);
  auto model = std::make_shared<Model>(load_hf_model((test::fixtures_dir() / "models" / name).string()));
  EngineOptions opt;
  opt.threads = 2;
  opt.kv_pages = 256;
  Engine engine(model, opt);
  const auto& prompts = golden["prompts"];
  std::vector<SpanId> spans;
  StepBatch batch;
  for (const auto& p : prompts) {
    spans.push_back(engine.create_span({}, 0));
    batch.add_tokens(p["ids"].get<std::vector<int32_t>>(), spans.back(), true);
  }
  Logits out = engine.forward(batch);
  ASSERT_EQ(out.rows, int(prompts.size()));
  std::vector<std::vector<int>> got(prompts.size());
  int compared = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (prompts[i].contains("logits")) {
      ++compared;
      const auto want = prompts[i]["logits"].get<std::vector<float>>();
      ASSERT_EQ(want.size(), size_t(out.vocab));
      double worst = 0;
      for (size_t v = 0; v < want.size(); ++v)
        worst = std::max(worst, double(std::fabs(out.row(int(i))[v] - want[v])));
      EXPECT_LE(worst, 1e-4) << name << " prompt " << i;
    }
  }
  EXPECT_GT(compared, 0);
  const int steps = golden["new_tokens"].get<int>();
  for (int s = 0; s < steps; ++s) {
    batch.clear();
    for (size_t i = 0; i < prompts.size(); ++i) {
      const auto row = out.row(int(i));
      const int tok = int(std::max_element(row.begin(), row.end()) - row.begin());
      got[i].push_back(tok);
      batch.add(tok, spans[i], true);
    }
    if (s + 1 < steps) out = engine.forward(batch);
  }
  for (size_t i = 0; i < prompts.size(); ++i)
    EXPECT_EQ(got[i], prompts[i]["greedy"].get<std::vector<int>>()) << name << " prompt " << i;
}

INSTANTIATE_TEST_SUITE_P(Tiny, HfGolden, ::testing::Values("tiny-llama3", "tiny-qwen2", "tiny-qwen3"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s) if (c == '-') c = '_';
                           return s;
                         });

}  // namespace
}  // namespace selfens
