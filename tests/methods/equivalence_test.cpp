// DESIGN section 2, equivalences 1, 3, 4, 5 and 6 on real model files: the
// tiny Llama-3-style and Qwen2-style test models (random weights, committed
// under tests/fixtures/models) and SmolLM2-135M-Instruct (the default model).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
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

const std::string kBlock =
    "Answer the question based on general world knowledge. Provide a short and direct answer."
    "\n\nQ: What is the capital of Italy?\nA: Rome\n\nQ: Who wrote Hamlet?\nA: William Shakespeare";

// Three questions with three paraphrases each (written for this test).
const std::vector<std::vector<std::string>> kQuestions = {
    {"What is the capital of France?", "Which city is the capital of France?",
     "France's capital city is which one?"},
    {"How many legs does a spider have?", "A spider has how many legs?",
     "What is the number of legs on a spider?"},
    {"What colour is the sky on a clear day?", "On a clear day, the sky is what colour?",
     "Which colour does a clear sky have?"},
};

struct MethodRun {
  std::vector<std::vector<std::vector<int32_t>>> answers;  // [question][group] ids
  // First-step scores per question and group.
  std::map<std::pair<size_t, size_t>, std::vector<float>> first_scores;
  int64_t rows = 0;  // tokens forwarded, padding rows included
};

class MethodEquivalence : public ::testing::TestWithParam<std::string> {
 protected:
  static std::map<std::string, Session>& sessions() {
    static std::map<std::string, Session> s;
    return s;
  }
  Session& session() {
    auto& s = sessions()[GetParam()];
    if (!s.model) s = open_session(model_path(GetParam()));
    return s;
  }
  static std::string model_path(const std::string& name) {
    if (name == "smollm2") return test::default_model_gguf().string();
    return (test::fixtures_dir() / "models" / name).string();
  }

  // Runs `config` on the questions; views[q] = the paraphrase indices asked.
  MethodRun run(MethodConfig config, const std::vector<std::vector<int>>& views, int batch,
          size_t questions = kQuestions.size()) {
    Session& s = session();
    std::vector<std::vector<std::string>> prompts(questions);
    for (size_t q = 0; q < questions; ++q)
      for (int v : views[q]) prompts[q].push_back(data::build_prompt(kBlock, kQuestions[q][v]));
    return run_tokens(config, tokenize_run(*s.tokenizer, prompts,
                                           data::prompt_parts(kBlock, "").prefix),
                      batch);
  }

  // The tokens of the prompts of `run`, each question's paraphrases
  // concatenated into one view: P, then each paraphrase without the answer
  // cue, then the cue. What causal paraphrase attention must equal.
  TokenizedRun concatenated_views(const std::vector<std::vector<int>>& views) {
    Session& s = session();
    std::vector<std::vector<std::string>> prompts(views.size());
    for (size_t q = 0; q < views.size(); ++q)
      for (int v : views[q]) prompts[q].push_back(data::build_prompt(kBlock, kQuestions[q][v]));
    TokenizedRun t = tokenize_run(*s.tokenizer, prompts, data::prompt_parts(kBlock, "").prefix);
    for (auto& question : t.views) {
      std::vector<int32_t> one;
      for (const auto& view : question) one.insert(one.end(), view.begin(), view.end() - t.cue_len);
      one.insert(one.end(), question[0].end() - t.cue_len, question[0].end());
      question = {one};
    }
    return t;
  }

  MethodRun run_tokens(const MethodConfig& config, const TokenizedRun& tokens, int batch) {
    Session& s = session();
    const size_t questions = tokens.views.size();
    EngineOptions eo;
    eo.threads = 2;
    eo.tuning.hold_finished = hold_;
    eo.kv_pages = kv_pages_needed(config, static_cast<int64_t>(tokens.prefix.size()),
                                  tokens.max_view_len(), 8, batch, eo.page_size);
    Engine engine(s.model, eo);
    MethodRunner runner(engine, *s.tokenizer, config, tokens.prefix, tokens.cue_len);
    MethodRun out;
    out.answers.resize(questions);
    if (observe_)  // without an observer the engine chooses the tokens itself
      runner.set_step_observer([&](size_t q, size_t g, int step, std::span<const float> scores) {
        if (step == 0) out.first_scores[{q, g}].assign(scores.begin(), scores.end());
      });
    std::vector<QuestionInput> inputs(questions);
    for (size_t q = 0; q < questions; ++q) {
      inputs[q].index = q;
      inputs[q].views = &tokens.views[q];
      const size_t n = tokens.views[q].size();
      inputs[q].weights.assign(n, 1.0f);
      if (varied_weights_)
        for (size_t i = 0; i < n; ++i) inputs[q].weights[i] = 1.0f / float(1 + (i + q) % 3);
    }
    EXPECT_TRUE(runner.run(inputs, batch, [&](QuestionOutput&& o) {
      out.answers[o.index] = std::move(o.answers);
    }));
    out.rows = engine.stats().rows;
    const int64_t p_pages = (int64_t(tokens.prefix.size()) + eo.page_size - 1) / eo.page_size;
    EXPECT_EQ(engine.kv_stats().used_pages, p_pages) << "pages leaked beyond P";
    return out;
  }

  bool observe_ = true;         // set a step observer (host-side choosing)
  int hold_ = 0;                // BackendOptions::hold_finished (finished questions pad)
  bool varied_weights_ = false; // confidences differ between paraphrases

  static MethodConfig cfg(Method m, int n, FusionBias bias = FusionBias::kNone) {
    MethodConfig c;
    c.method = m;
    c.paraphrases.n = n;
    c.plan.fusion_bias = bias;
    c.max_new_tokens = 12;
    return c;
  }
  static std::vector<std::vector<int>> same_views(std::vector<int> v) {
    return std::vector<std::vector<int>>(kQuestions.size(), v);
  }
};

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float d = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) d = std::max(d, std::fabs(a[i] - b[i]));
  return d;
}

TEST_P(MethodEquivalence, FlexWithOneParaphraseIsOrigin) {  // equivalence 1
  MethodRun origin = run(cfg(Method::kOrigin, 1), same_views({0}), 4);
  MethodRun flex = run(cfg(Method::kFlexAttention, 1), same_views({0}), 4);
  for (size_t q = 0; q < kQuestions.size(); ++q) {
    EXPECT_EQ(flex.answers[q][0], origin.answers[q][0]) << "question " << q;
    EXPECT_LT(max_abs_diff(flex.first_scores[{q, 0}], origin.first_scores[{q, 0}]), 1e-4);
  }
}

TEST_P(MethodEquivalence, LogitEnsemblesOfIdenticalParaphrasesAreOrigin) {  // equivalence 3
  MethodRun origin = run(cfg(Method::kOrigin, 1), same_views({1}), 4);
  for (Method m : {Method::kAvg, Method::kMax, Method::kWeightedAvg, Method::kWeightedMax}) {
    MethodRun ens = run(cfg(m, 3), same_views({1, 1, 1}), 4);
    for (size_t q = 0; q < kQuestions.size(); ++q) {
      EXPECT_EQ(ens.answers[q][0], origin.answers[q][0]) << method_name(m) << " question " << q;
      if (m != Method::kMax) {  // max fuses probabilities, not logits
        EXPECT_LT(max_abs_diff(ens.first_scores[{q, 0}], origin.first_scores[{q, 0}]), 1e-4)
            << method_name(m);
      }
    }
  }
}

TEST_P(MethodEquivalence, FlexOfIdenticalParaphrasesWithMeanBiasIsOrigin) {  // equivalence 4
  MethodRun origin = run(cfg(Method::kOrigin, 1), same_views({2}), 4);
  MethodRun flex = run(cfg(Method::kFlexAttention, 4, FusionBias::kMean), same_views({2, 2, 2, 2}), 4);
  for (size_t q = 0; q < kQuestions.size(); ++q) {
    EXPECT_EQ(flex.answers[q][0], origin.answers[q][0]) << "question " << q;
    EXPECT_LT(max_abs_diff(flex.first_scores[{q, 0}], origin.first_scores[{q, 0}]), 1e-4);
  }
}

// weighted_flex normalises its weights: identical paraphrases weighted in any
// way are one paraphrase seen once, as the mean bias makes them.
TEST_P(MethodEquivalence, WeightedFlexOfIdenticalParaphrasesIsOrigin) {
  varied_weights_ = true;
  MethodRun origin = run(cfg(Method::kOrigin, 1), same_views({2}), 4);
  MethodRun flex = run(cfg(Method::kWeightedFlex, 3), same_views({2, 2, 2}), 4);
  for (size_t q = 0; q < kQuestions.size(); ++q) {
    EXPECT_EQ(flex.answers[q][0], origin.answers[q][0]) << "question " << q;
    EXPECT_LT(max_abs_diff(flex.first_scores[{q, 0}], origin.first_scores[{q, 0}]), 1e-4);
  }
}

// Equal confidences: weighted_flex is flex_attention with the mean bias, and
// fusion_scale N cancels the mean bias (today's plain flex_attention).
TEST_P(MethodEquivalence, FusionOptionsWithNeutralSettings) {
  const auto views = same_views({0, 1, 2});
  MethodRun mean = run(cfg(Method::kFlexAttention, 3, FusionBias::kMean), views, 4);
  MethodRun weighted = run(cfg(Method::kWeightedFlex, 3), views, 4);
  MethodRun plain = run(cfg(Method::kFlexAttention, 3), views, 4);
  MethodConfig cancel = cfg(Method::kFlexAttention, 3, FusionBias::kMean);
  cancel.plan.fusion_scale = 3.0f;
  MethodRun cancelled = run(cancel, views, 4);
  MethodConfig hot = cfg(Method::kFlexAttention, 3);
  hot.plan.fusion_temperature = 0.25f;
  MethodRun sharp = run(hot, views, 4);
  int differs = 0;
  for (size_t q = 0; q < kQuestions.size(); ++q) {
    EXPECT_EQ(weighted.answers[q][0], mean.answers[q][0]) << "question " << q;
    EXPECT_LT(max_abs_diff(weighted.first_scores[{q, 0}], mean.first_scores[{q, 0}]), 1e-5);
    EXPECT_EQ(cancelled.answers[q][0], plain.answers[q][0]) << "question " << q;
    EXPECT_EQ(max_abs_diff(cancelled.first_scores[{q, 0}], plain.first_scores[{q, 0}]), 0.0f)
        << "question " << q;
    differs += max_abs_diff(sharp.first_scores[{q, 0}], plain.first_scores[{q, 0}]) > 1e-3;
  }
  EXPECT_GT(differs, 0) << "a temperature of 0.25 changed no score";
}

// Causal paraphrase attention (the original's --normal_attention ablation)
// is one causal sequence: origin asked the concatenated paraphrases.
TEST_P(MethodEquivalence, CausalParaphraseAttentionIsOriginOnTheConcatenation) {
  const auto views = same_views({0, 1, 2});
  MethodConfig causal = cfg(Method::kFlexAttention, 3);
  causal.plan.attention = ParaphraseAttention::kCausal;
  causal.plan.positions = Positions::kSequential;
  MethodRun flex = run(causal, views, 4);
  MethodRun origin = run_tokens(cfg(Method::kOrigin, 1), concatenated_views(views), 4);
  MethodRun isolated = run(cfg(Method::kFlexAttention, 3), views, 4);
  int differs = 0;
  for (size_t q = 0; q < kQuestions.size(); ++q) {
    EXPECT_EQ(flex.answers[q][0], origin.answers[q][0]) << "question " << q;
    EXPECT_LT(max_abs_diff(flex.first_scores[{q, 0}], origin.first_scores[{q, 0}]), 1e-4);
    differs += max_abs_diff(flex.first_scores[{q, 0}], isolated.first_scores[{q, 0}]) > 1e-3;
  }
  EXPECT_GT(differs, 0) << "causal attention scored as the isolated plan";
}

TEST_P(MethodEquivalence, PerPromptRowIsOriginWithThatParaphrase) {  // equivalence 5
  MethodRun per = run(cfg(Method::kPerPrompt, 3), same_views({0, 1, 2}), 4);
  for (int v = 0; v < 3; ++v) {
    MethodRun origin = run(cfg(Method::kOrigin, 1), same_views({v}), 4);
    for (size_t q = 0; q < kQuestions.size(); ++q)
      EXPECT_EQ(per.answers[q][v], origin.answers[q][0]) << "question " << q << " view " << v;
  }
}

TEST_P(MethodEquivalence, AnswersDoNotDependOnBatchSize) {  // equivalence 6
  for (Method m : {Method::kFlexAttention, Method::kAvg, Method::kPerPrompt}) {
    MethodRun one = run(cfg(m, 3), same_views({0, 1, 2}), 1);
    MethodRun many = run(cfg(m, 3), same_views({0, 1, 2}), 32);
    for (size_t q = 0; q < kQuestions.size(); ++q) {
      EXPECT_EQ(one.answers[q], many.answers[q]) << method_name(m) << " question " << q;
      EXPECT_LT(max_abs_diff(one.first_scores[{q, 0}], many.first_scores[{q, 0}]), 1e-4);
    }
  }
}

// The engine's token choice (Backend::choose_tokens, used when no observer
// needs the scores) picks what the runner's host fusion picks, every method.
TEST_P(MethodEquivalence, EngineChoiceEqualsHostFusion) {
  varied_weights_ = true;
  for (Method m : {Method::kOrigin, Method::kPerPrompt, Method::kAvg, Method::kMax,
                   Method::kWeightedAvg, Method::kWeightedMax, Method::kFlexAttention}) {
    const int n = m == Method::kOrigin ? 1 : 3;
    const auto views = m == Method::kOrigin ? same_views({0}) : same_views({0, 1, 2});
    observe_ = true;
    MethodRun host = run(cfg(m, n), views, 4);
    observe_ = false;
    MethodRun engine = run(cfg(m, n), views, 4);
    for (size_t q = 0; q < kQuestions.size(); ++q)
      EXPECT_EQ(engine.answers[q], host.answers[q]) << method_name(m) << " question " << q;
  }
}

// --no_newline_stop: answers run on past their first line, and the tokens
// up to where the default run stopped are the same (so is the prediction).
TEST_P(MethodEquivalence, NoNewlineStopOnlyExtendsTheAnswers) {
  for (Method m : {Method::kFlexAttention, Method::kAvg}) {
    MethodConfig full_cfg = cfg(m, 3);
    full_cfg.stop_at_newline = false;
    MethodRun stop = run(cfg(m, 3), same_views({0, 1, 2}), 4);
    MethodRun full = run(full_cfg, same_views({0, 1, 2}), 4);
    for (size_t q = 0; q < kQuestions.size(); ++q) {
      const std::vector<int32_t>& a = stop.answers[q][0];
      const std::vector<int32_t>& b = full.answers[q][0];
      ASSERT_LE(a.size(), b.size()) << method_name(m) << " question " << q;
      EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin())) << method_name(m) << " question " << q;
      const bool ended_at_newline =
          !a.empty() && session().tokenizer->token_text(a.back()).find('\n') != std::string::npos;
      if (ended_at_newline) {
        EXPECT_GT(b.size(), a.size()) << method_name(m) << " question " << q;
      }
    }
  }
}

// Finished questions kept in flight as padding rows until an eighth of the
// batch is free (what a backend that replays graphs gets:
// Engine::steady_shapes) change which step a question starts in, never an
// answer; on both choosing paths.
TEST_P(MethodEquivalence, HoldingFinishedQuestionsChangesNoAnswer) {
  Session& s = session();
  // Answers of different lengths (written for this test), so that
  // questions finish at different steps.
  std::vector<std::vector<std::string>> questions = kQuestions;
  questions.push_back({"Who painted the Mona Lisa?", "The Mona Lisa was painted by whom?",
                       "Which artist painted the Mona Lisa?"});
  questions.push_back({"What are the three primary colours?", "Name the three primary colours.",
                       "Which three colours are the primary colours?"});
  std::vector<std::vector<std::string>> prompts;
  for (size_t i = 0; i < 30; ++i) {  // 15 distinct (question, view order) pairs
    const auto& q = questions[i % questions.size()];
    prompts.emplace_back();
    for (size_t v = 0; v < 3; ++v) prompts.back().push_back(data::build_prompt(kBlock, q[(v + i / 3) % 3]));
  }
  const TokenizedRun tokens =
      tokenize_run(*s.tokenizer, prompts, data::prompt_parts(kBlock, "").prefix);
  int64_t padding_rows = 0;
  for (Method m : {Method::kFlexAttention, Method::kAvg, Method::kPerPrompt}) {
    for (bool observe : {true, false}) {
      observe_ = observe;
      hold_ = 0;
      const MethodRun plain = run_tokens(cfg(m, 3), tokens, 16);
      hold_ = 1;
      const MethodRun held = run_tokens(cfg(m, 3), tokens, 16);
      EXPECT_EQ(held.answers, plain.answers) << method_name(m) << " observe " << observe;
      EXPECT_GE(held.rows, plain.rows) << method_name(m);
      padding_rows += held.rows - plain.rows;
    }
  }
  hold_ = 0;
  // SmolLM2's answers end at a newline, at different steps: some were held.
  if (GetParam() == "smollm2") EXPECT_GT(padding_rows, 0);
}

TEST_P(MethodEquivalence, FlexFusesTheParaphrases) {
  // Not an equivalence: with distinct paraphrases the fused first step
  // differs from asking paraphrase 0 alone (the test can fail if fusion
  // were ignored).
  MethodRun origin = run(cfg(Method::kOrigin, 1), same_views({0}), 4);
  MethodRun flex = run(cfg(Method::kFlexAttention, 3), same_views({0, 1, 2}), 4);
  EXPECT_GT(max_abs_diff(flex.first_scores[{0, 0}], origin.first_scores[{0, 0}]), 1e-3);
}

INSTANTIATE_TEST_SUITE_P(Models, MethodEquivalence,
                         ::testing::Values("tiny-llama3", "tiny-qwen2", "tiny-qwen3", "smollm2"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
}  // namespace selfens
