// positions_needed (the length every prompt + answer is checked against the
// model's context, issue 23) equals the positions the runner really uses:
// for each method, layout and position scheme, one past the largest position
// any span of the question reaches, counting the last generated token.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/test_paths.h"
#include "data/prompt.h"
#include "engine/engine.h"
#include "methods/prompt_tokens.h"
#include "methods/runner.h"
#include "methods/session.h"

namespace selfens {
namespace {

const std::string kBlock = "Answer briefly.\n\nQ: What is the capital of Italy?\nA: Rome";
const std::vector<std::string> kParaphrases = {
    "What is the capital of France?", "Which city is the capital of France, the country?",
    "France's capital?"};

struct Case {
  Method method;
  Layout layout;
  Positions positions;
};

TEST(PositionsNeeded, EqualsThePositionsTheRunnerUses) {
  Session s = open_session((test::fixtures_dir() / "models" / "tiny-llama3").string());
  std::vector<std::string> prompts;
  for (const auto& p : kParaphrases) prompts.push_back(data::build_prompt(kBlock, p));
  TokenizedRun tokens = tokenize_run(*s.tokenizer, {prompts}, data::prompt_parts(kBlock, "").prefix);
  const Case cases[] = {{Method::kOrigin, Layout::kShared, Positions::kParallel},
                        {Method::kPerPrompt, Layout::kShared, Positions::kParallel},
                        {Method::kAvg, Layout::kShared, Positions::kParallel},
                        {Method::kFlexAttention, Layout::kShared, Positions::kParallel},
                        {Method::kFlexAttention, Layout::kShared, Positions::kSequential},
                        {Method::kFlexAttention, Layout::kConcat, Positions::kParallel},
                        {Method::kFlexAttention, Layout::kConcat, Positions::kSequential}};
  int full_length_cases = 0;
  for (const Case& c : cases) {
    MethodConfig m;
    m.method = c.method;
    m.paraphrases.n = c.method == Method::kOrigin ? 1 : 3;
    m.plan.layout = c.layout;
    m.plan.positions = c.positions;
    m.max_new_tokens = 9;
    m.stop_at_newline = false;
    std::vector<std::vector<int32_t>> views(tokens.views[0].begin(), tokens.views[0].begin() + m.paraphrases.n);
    EngineOptions eo;
    eo.threads = 1;
    eo.kv_pages = kv_pages_needed(m, int64_t(tokens.prefix.size()), tokens.max_view_len(), 3, 1,
                                  eo.page_size);
    Engine engine(s.model, eo);
    MethodRunner runner(engine, *s.tokenizer, m, tokens.prefix, tokens.cue_len);
    int32_t max_end = 0;  // one past the largest position written so far
    runner.set_step_observer([&](size_t, size_t, int, std::span<const float>) {
      for (SpanId id = 0; id < 4096; ++id)
        if (engine.plan().exists(id)) max_end = std::max(max_end, engine.span_end_pos(id));
    });
    std::vector<QuestionInput> in(1);
    in[0].views = &views;
    in[0].weights.assign(views.size(), 1.0f);
    size_t longest = 0;
    ASSERT_TRUE(runner.run(in, 1, [&](QuestionOutput&& o) {
      for (const auto& a : o.answers) longest = std::max(longest, a.size());
    }));
    const int64_t needed = positions_needed(m, int64_t(tokens.prefix.size()), views, tokens.cue_len);
    const std::string what = method_name(c.method) + " " + layout_name(c.layout) + " " +
                             positions_name(c.positions);
    // The last chosen token is never fed back: it would sit at max_end.
    if (longest == size_t(m.max_new_tokens)) {
      EXPECT_EQ(max_end + 1, needed) << what;
      ++full_length_cases;
    } else {
      EXPECT_LE(max_end + 1, needed) << what << " (stopped at EOS after " << longest << ")";
    }
  }
  EXPECT_GE(full_length_cases, 4) << "too few answers ran to max_new_tokens to check equality";
}

}  // namespace
}  // namespace selfens
