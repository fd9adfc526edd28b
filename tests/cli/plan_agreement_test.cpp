// The picture `selfens mask` draws is the plan the runner executes (issue
// 14): for every method x layout x positions x bias, the spans of one
// question in the engine's live plan (read at the first step, before any
// answer token is fed) equal those of build_method_plan for the same token
// counts: positions, lengths, parents and score biases, span by span.
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "common/test_paths.h"
#include "data/prompt.h"
#include "engine/engine.h"
#include "methods/prompt_tokens.h"
#include "methods/runner.h"
#include "methods/session.h"
#include "report/method_plan.h"

namespace selfens {
namespace {

const std::string kBlock = "Answer briefly.\n\nQ: What is the capital of Italy?\nA: Rome";
const std::vector<std::string> kParaphrases = {
    "What is the capital of France?", "Which city is the capital of the country France?",
    "France's capital?"};

// Spans of a graph in creation order (ids grow), as comparable records.
struct SpanRecord {
  int32_t start, length;
  std::vector<size_t> parents;           // creation ranks
  std::vector<std::tuple<size_t, float, float>> bias;  // key rank, bias, scale
  bool operator==(const SpanRecord&) const = default;
};

std::vector<SpanRecord> records(const SpanGraph& g) {
  std::vector<SpanId> ids;
  for (SpanId id = 0; id < 4096; ++id)
    if (g.exists(id)) ids.push_back(id);
  auto rank = [&](SpanId id) { return size_t(std::find(ids.begin(), ids.end(), id) - ids.begin()); };
  std::vector<SpanRecord> out;
  for (SpanId id : ids) {
    const Span& s = g.get(id);
    SpanRecord r{s.start_pos, s.length, {}, {}};
    for (SpanId p : s.parents) r.parents.push_back(rank(p));
    for (const KeyBias& b : s.bias) r.bias.emplace_back(rank(b.key), b.bias, b.scale);
    out.push_back(r);
  }
  return out;
}

TEST(PlanAgreement, MaskDrawsThePlanTheRunnerBuilds) {
  Session s = open_session((test::fixtures_dir() / "models" / "tiny-llama3").string());
  std::vector<std::string> prompts;
  for (const auto& p : kParaphrases) prompts.push_back(data::build_prompt(kBlock, p));
  TokenizedRun tokens = tokenize_run(*s.tokenizer, {prompts}, data::prompt_parts(kBlock, "").prefix);
  int compared = 0;
  for (const MethodRecipe& r : method_recipes()) {
    for (Layout layout : {Layout::kShared, Layout::kConcat})
      for (Positions pos : {Positions::kParallel, Positions::kSequential})
        for (FusionBias bias : {FusionBias::kNone, FusionBias::kMean})
          for (auto [temperature, scale] : {std::pair{1.0f, 1.0f}, std::pair{0.5f, 3.0f}}) {
          MethodConfig m;
          m.method = r.method;
          m.paraphrases.n = r.first_view_only ? 1 : 3;
          m.plan = {layout, pos, bias, temperature, scale, ParaphraseAttention::kIsolated};
          m.max_new_tokens = 4;
          const bool takes_options = r.plan == PlanKind::kFused;
          if (!takes_options && (layout != Layout::kShared || pos != Positions::kParallel ||
                                 !fusion_variant(m.plan).empty()))
            continue;
          const std::string what = std::string(r.name) + " " + layout_name(layout) + " " +
                                   positions_name(pos) + " " + fusion_bias_name(bias) + " T" +
                                   fusion_number(temperature) + " S" + fusion_number(scale);
          std::vector<std::vector<int32_t>> views(tokens.views[0].begin(),
                                                  tokens.views[0].begin() + m.paraphrases.n);
          EngineOptions eo;
          eo.threads = 1;
          eo.kv_pages = kv_pages_needed(m, int64_t(tokens.prefix.size()), tokens.max_view_len(), 3,
                                        1, eo.page_size);
          Engine engine(s.model, eo);
          MethodRunner runner(engine, *s.tokenizer, m, tokens.prefix, tokens.cue_len);
          std::vector<SpanRecord> live;
          runner.set_step_observer([&](size_t, size_t, int step, std::span<const float>) {
            if (step == 0 && live.empty()) live = records(engine.plan());
          });
          std::vector<QuestionInput> in(1);
          in[0].views = &views;
          in[0].weights.assign(views.size(), 1.0f);
          ASSERT_TRUE(runner.run(in, 1, [](QuestionOutput&&) {})) << what;

          report::PlanShape shape;
          shape.prefix_len = int(tokens.prefix.size());
          shape.cue_len = tokens.cue_len;
          for (const auto& v : views) shape.question_lens.push_back(int(v.size()));
          shape.generated_len = 0;  // read before any answer token is fed
          const report::MethodPlan picture =
              report::build_method_plan(r.name, shape, m.plan);
          EXPECT_EQ(records(picture.graph), live) << what;
          ++compared;
        }
  }
  // Six methods without options; flex_attention and weighted_flex with all sixteen.
  EXPECT_EQ(compared, 6 + 2 * 16);
}

}  // namespace
}  // namespace selfens
