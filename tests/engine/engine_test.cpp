// The engine's guarantees (DESIGN section 2): the batched, paged forward pass
// equals a plain full-attention reference; a span's results depend only on its
// ancestors, not on what else shares the batch.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <set>

#include "engine/engine.h"
#include "engine/rope.h"
#include "engine/reference.h"
#include "common/test_paths.h"
#include "model/loader.h"

namespace selfens {
namespace {

using test::make_tiny_model;
using test::random_tokens;
using test::ref_causal;
using test::TinySpec;

EngineOptions small_options(int64_t pages = 64) {
  EngineOptions o;
  o.threads = 2;
  o.kv_pages = pages;
  o.page_size = 16;
  return o;
}

void expect_near(std::span<const float> got, const std::vector<float>& want, double tol,
                 const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, double(std::fabs(got[i] - want[i])));
  EXPECT_LE(worst, tol) << what;
}

int argmax(std::span<const float> v) {
  return int(std::max_element(v.begin(), v.end()) - v.begin());
}

struct Variant {
  const char* name;
  TinySpec spec;
};

class SingleSpan : public ::testing::TestWithParam<Variant> {};

TEST_P(SingleSpan, MatchesReferenceAllRows) {
  auto model = make_tiny_model(GetParam().spec);
  Engine engine(model, small_options());
  std::mt19937 rng(7);
  const std::vector<int> toks = random_tokens(rng, 37, model->config.vocab_size);  // 3 pages
  const SpanId s = engine.create_span({}, 0);
  StepBatch b;
  for (int t : toks) b.add(t, s, true);
  const Logits out = engine.forward(b);
  const test::RefOutput ref = ref_causal(*model, toks);
  ASSERT_EQ(out.rows, 37);
  for (int i = 0; i < 37; ++i) expect_near(out.row(i), ref.logits[size_t(i)], 1e-4, "row " + std::to_string(i));
  // Then decode 5 more tokens one at a time with the cache.
  std::vector<int> seq = toks;
  for (int step = 0; step < 5; ++step) {
    const int next = (step * 31 + 5) % model->config.vocab_size;
    seq.push_back(next);
    StepBatch d;
    d.add(next, s, true, int32_t(seq.size() - 1));
    const Logits o = engine.forward(d);
    expect_near(o.row(0), ref_causal(*model, seq).logits.back(), 1e-4, "decode step");
  }
}

INSTANTIATE_TEST_SUITE_P(
    Models, SingleSpan,
    ::testing::Values(Variant{"llama", {false, false, false, 2, 1}},
                      Variant{"llama_tied", {false, true, false, 3, 2}},
                      Variant{"llama3_rope", {false, false, true, 2, 3}},
                      Variant{"llama3_rope_tied", {false, true, true, 2, 4}},
                      Variant{"qwen2_bias", {true, false, false, 2, 5}},
                      Variant{"qwen2_bias_tied", {true, true, false, 3, 6}}),
    [](const auto& info) { return std::string(info.param.name); });

// A BF16 safetensors model loaded as the file's bf16 bytes (what a bf16
// device is given) computes the very logits of its fp32 load.
TEST(Bf16Views, SameLogitsAsTheFp32Load) {
  const std::string dir = (test::fixtures_dir() / "models" / "tiny-qwen2").string();
  std::vector<std::vector<float>> logits;
  for (bool views : {false, true}) {
    auto model = std::make_shared<const Model>(load_model(dir, LoadOptions{.bf16_views = views}));
    ASSERT_EQ(model->weights.layers[0].wq.data.empty(), views);
    Engine engine(model, small_options());
    std::mt19937 rng(3);
    const SpanId s = engine.create_span({}, 0);
    StepBatch b;
    for (int t : random_tokens(rng, 21, model->config.vocab_size)) b.add(t, s, true);
    const Logits out = engine.forward(b);
    logits.push_back(out.data);
  }
  EXPECT_EQ(logits[0], logits[1]);
}

TEST(Rope, InvFreqMatchesLoaderLlama3Rule) {
  for (bool scaled : {false, true}) {
    TinySpec spec;
    spec.llama3_rope = scaled;
    const ModelConfig c = make_tiny_model(spec)->config;
    const std::vector<float> got = rope_inv_freq(c);
    const std::vector<double> want = test::ref_inv_freq(c);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i] / want[i], 1.0, 1e-6) << i;
  }
  ModelConfig bad = make_tiny_model({})->config;
  bad.rope_scaling.type = "yarn";
  EXPECT_THROW(rope_inv_freq(bad), InputError);
}

// Equivalence 2: P -> Q1..QN with parallel positions; each Qi's KV and last
// logits equal P+Qi encoded alone.
TEST(Equivalence, QuestionsOverSharedPrefixEqualAlone) {
  for (bool one_batch : {false, true}) {
    auto model = make_tiny_model({true, false, true, 2, 11});
    Engine engine(model, small_options());
    std::mt19937 rng(3);
    const int V = model->config.vocab_size;
    const std::vector<int> p = random_tokens(rng, 21, V);
    const std::vector<int> lens = {5, 12, 17, 3};
    std::vector<std::vector<int>> qs;
    for (int n : lens) qs.push_back(random_tokens(rng, n, V));
    const SpanId sp = engine.create_span({}, 0);
    StepBatch b;
    b.add_tokens(p, sp, false);
    if (!one_batch) {
      engine.forward(b);
      b.clear();
    }
    std::vector<SpanId> q_ids;
    for (const auto& q : qs) {
      q_ids.push_back(engine.create_span(std::array{sp}, int32_t(p.size())));
      b.add_tokens(q, q_ids.back(), true);
    }
    const Logits out = engine.forward(b);
    ASSERT_EQ(out.rows, int(qs.size()));
    for (size_t i = 0; i < qs.size(); ++i) {
      std::vector<int> alone = p;
      alone.insert(alone.end(), qs[i].begin(), qs[i].end());
      const test::RefOutput ref = ref_causal(*model, alone);
      expect_near(out.row(int(i)), ref.logits.back(), 1e-4, "logits of Q" + std::to_string(i));
      for (int l = 0; l < model->config.num_layers; ++l) {
        std::vector<float> k, v;
        engine.read_kv(q_ids[i], l, k, v);
        std::vector<float> want_k, want_v;
        for (size_t t = p.size(); t < alone.size(); ++t) {
          want_k.insert(want_k.end(), ref.k[size_t(l)][t].begin(), ref.k[size_t(l)][t].end());
          want_v.insert(want_v.end(), ref.v[size_t(l)][t].begin(), ref.v[size_t(l)][t].end());
        }
        expect_near(k, want_k, 1e-4, "K of Q" + std::to_string(i));
        expect_near(v, want_v, 1e-4, "V of Q" + std::to_string(i));
      }
    }
  }
}

// A question (P -> Q -> G) decoded greedily; `others` questions of various
// lengths share every batch. Returns the logits of every step.
struct QuestionRun {
  std::vector<std::vector<float>> logits;
  std::vector<int> tokens;
};

QuestionRun run_question(const std::shared_ptr<Model>& model, const std::vector<int>& p,
                         const std::vector<std::vector<int>>& questions, size_t watch,
                         int steps) {
  Engine engine(model, small_options(256));
  const SpanId sp = engine.create_span({}, 0);
  StepBatch b;
  b.add_tokens(p, sp, false);
  engine.forward(b);
  b.clear();
  std::vector<SpanId> q_ids, g_ids;
  for (const auto& q : questions) {
    q_ids.push_back(engine.create_span(std::array{sp}, int32_t(p.size())));
    b.add_tokens(q, q_ids.back(), true);
  }
  Logits out = engine.forward(b);
  for (size_t i = 0; i < questions.size(); ++i)
    g_ids.push_back(engine.create_span(std::array{q_ids[i]}, engine.span_end_pos(q_ids[i])));
  QuestionRun run;
  for (int s = 0; s < steps; ++s) {
    run.logits.emplace_back(out.row(int(watch)).begin(), out.row(int(watch)).end());
    run.tokens.push_back(argmax(out.row(int(watch))));
    b.clear();
    for (size_t i = 0; i < questions.size(); ++i) b.add(argmax(out.row(int(i))), g_ids[i], true);
    out = engine.forward(b);
  }
  return run;
}

// Equivalence 6: a question's outputs do not depend on its batch.
TEST(Equivalence, QuestionIndependentOfBatch) {
  auto model = make_tiny_model({false, false, false, 2, 21});
  std::mt19937 rng(5);
  const int V = model->config.vocab_size;
  const std::vector<int> p = random_tokens(rng, 19, V);
  const std::vector<int> q = random_tokens(rng, 9, V);
  std::vector<std::vector<int>> crowd;
  for (int n : {4, 20, 1, 13, 7, 33, 2, 10}) crowd.push_back(random_tokens(rng, n, V));
  const QuestionRun alone = run_question(model, p, {q}, 0, 6);
  std::vector<std::vector<int>> batch;  // the question is 4th of 9
  for (size_t i = 0; i < crowd.size(); ++i) {
    if (i == 3) batch.push_back(q);
    batch.push_back(crowd[i]);
  }
  const QuestionRun shared = run_question(model, p, batch, 3, 6);
  EXPECT_EQ(alone.tokens, shared.tokens);
  for (size_t s = 0; s < alone.logits.size(); ++s) {
    expect_near(shared.logits[s], alone.logits[s], 1e-5, "step " + std::to_string(s));
  }
}

// flex_attention: G with parents Q1..QN sees P once, all Qi and itself, with
// a -log N bias on the Qi keys (and, as a fusion option, a temperature on
// them and a bias per Qi); compared with the plan's dense mask.
class FlexAttention : public ::testing::TestWithParam<float> {};  // the Qi keys' score scale

TEST_P(FlexAttention, FusedSpanMatchesDenseMaskReference) {
  const float key_scale = GetParam();
  auto model = make_tiny_model({false, false, false, 2, 31});
  Engine engine(model, small_options());
  std::mt19937 rng(9);
  const int V = model->config.vocab_size;
  const std::vector<int> p = random_tokens(rng, 18, V);
  const std::vector<std::vector<int>> qs = {random_tokens(rng, 6, V), random_tokens(rng, 11, V),
                                            random_tokens(rng, 4, V)};
  const SpanId sp = engine.create_span({}, 0);
  std::vector<SpanId> q_ids;
  std::vector<KeyBias> bias;
  size_t max_q = 0;
  for (const auto& q : qs) {
    q_ids.push_back(engine.create_span(std::array{sp}, int32_t(p.size())));
    // Neutral scale: today's -log N; otherwise a different bias per Qi too.
    const float extra = key_scale == 1.0f ? 0.0f : 0.3f * float(q_ids.size()) - 0.5f;
    bias.push_back({q_ids.back(), -std::log(float(qs.size())) + extra, key_scale});
    max_q = std::max(max_q, q.size());
  }
  const SpanId g = engine.create_span(q_ids, int32_t(p.size() + max_q), bias);
  const std::vector<int> gen = {5, 77, 3, 42, 60};
  StepBatch b;
  b.add_tokens(p, sp, false);
  for (size_t i = 0; i < qs.size(); ++i) b.add_tokens(qs[i], q_ids[i], false);
  b.add(gen[0], g, true);  // G's first tokens in the same batch
  b.add(gen[1], g, true);
  Logits first = engine.forward(b);
  std::vector<std::vector<float>> got;
  for (int r = 0; r < first.rows; ++r) got.emplace_back(first.row(r).begin(), first.row(r).end());
  for (size_t t = 2; t < gen.size(); ++t) {  // then one token per step
    StepBatch d;
    d.add(gen[t], g, true);
    Logits o = engine.forward(d);
    got.emplace_back(o.row(0).begin(), o.row(0).end());
  }
  std::vector<SpanId> order = {sp};
  order.insert(order.end(), q_ids.begin(), q_ids.end());
  order.push_back(g);
  const DenseMask mask = build_dense_mask(engine.plan(), order);
  std::vector<int> all = p;
  for (const auto& q : qs) all.insert(all.end(), q.begin(), q.end());
  all.insert(all.end(), gen.begin(), gen.end());
  ASSERT_EQ(mask.n, int(all.size()));
  const test::RefOutput ref =
      test::ref_forward(*model, all, mask.position, mask.mask, mask.bias, mask.scale);
  const size_t g0 = all.size() - gen.size();
  for (size_t t = 0; t < gen.size(); ++t)
    expect_near(got[t], ref.logits[g0 + t], 1e-4, "G token " + std::to_string(t));
  // The mask itself: G sees P and every Qi fully, biased on the Qi only.
  for (int k = 0; k < int(g0); ++k) EXPECT_TRUE(mask.visible(int(g0), k)) << k;
  EXPECT_FLOAT_EQ(mask.bias[g0 * mask.n + 0], 0.0f);
  EXPECT_FLOAT_EQ(mask.bias[g0 * mask.n + p.size()],
                  -std::log(3.0f) + (key_scale == 1.0f ? 0.0f : -0.2f));
  EXPECT_FLOAT_EQ(mask.scale[g0 * mask.n + 0], 1.0f);
  EXPECT_FLOAT_EQ(mask.scale[g0 * mask.n + p.size()], key_scale);
}

INSTANTIATE_TEST_SUITE_P(KeyScale, FlexAttention, ::testing::Values(1.0f, 1.6f, 0.5f));

TEST(Greedy, GenerateEqualsFullRecomputeEachStep) {
  auto model = make_tiny_model({true, false, true, 2, 41});
  Engine engine(model, small_options());
  std::mt19937 rng(13);
  const std::vector<int> prompt = random_tokens(rng, 14, model->config.vocab_size);
  const std::vector<int32_t> got = engine.generate_greedy(prompt, 12);
  std::vector<int> seq = prompt, want;
  for (int s = 0; s < 12; ++s) {
    const int t = argmax(ref_causal(*model, seq).logits.back());
    want.push_back(t);
    seq.push_back(t);
  }
  EXPECT_EQ(std::vector<int>(got.begin(), got.end()), want);
  EXPECT_GT(std::set<int>(want.begin(), want.end()).size(), 3u);  // not a degenerate model
  EXPECT_EQ(engine.kv_stats().used_pages, 0);  // the span was freed
  // A stop predicate ends generation after (and including) the token.
  const std::vector<int32_t> cut =
      engine.generate_greedy(prompt, 12, [&](int32_t tok, const std::vector<int32_t>& so_far) {
        EXPECT_EQ(tok, so_far.back());
        return so_far.size() == 4;
      });
  EXPECT_EQ(std::vector<int>(cut.begin(), cut.end()),
            std::vector<int>(want.begin(), want.begin() + 4));
}

TEST(Kv, PagesFreedAndCapacityEnforced) {
  auto model = make_tiny_model({});
  Engine engine(model, small_options(6));  // 6 pages of 16 tokens
  const SpanId p = engine.create_span({}, 0);
  StepBatch b;
  b.add_tokens(std::vector<int>(20, 1), p, false);  // 2 pages
  engine.forward(b);
  EXPECT_EQ(engine.kv_stats().used_pages, 2);
  const SpanId q1 = engine.create_span(std::array{p}, 20);
  const SpanId q2 = engine.create_span(std::array{p}, 20);
  b.clear();
  b.add_tokens(std::vector<int>(17, 2), q1, true);  // 2 pages
  b.add_tokens(std::vector<int>(16, 3), q2, true);  // 1 page
  engine.forward(b);
  EXPECT_EQ(engine.kv_stats().used_pages, 5);
  // 2 more pages needed, 1 free: nothing is appended.
  b.clear();
  b.add_tokens(std::vector<int>(10, 4), q2, true);
  b.add_tokens(std::vector<int>(20, 4), q1, true);
  EXPECT_THROW(engine.forward(b), KvCapacityError);
  EXPECT_EQ(engine.span_length(q1), 17);
  EXPECT_EQ(engine.span_length(q2), 16);
  EXPECT_EQ(engine.kv_stats().used_pages, 5);
  EXPECT_THROW(engine.free_span(p), InputError);  // children live
  engine.free_span(q1);
  EXPECT_EQ(engine.kv_stats().used_pages, 3);
  EXPECT_EQ(engine.kv_stats().peak_pages, 5);
  b.clear();
  b.add_tokens(std::vector<int>(10, 4), q2, true);  // now it fits
  engine.forward(b);
  EXPECT_EQ(engine.span_length(q2), 26);
  engine.free_span(q2);
  engine.free_span(p);
  EXPECT_EQ(engine.kv_stats().used_pages, 0);
}

TEST(Batch, BadRowsAreRejected) {
  auto model = make_tiny_model({});
  Engine engine(model, small_options());
  const SpanId s = engine.create_span({}, 4);
  StepBatch b;
  b.add(1, s, true, 5);  // the span's first token sits at 4
  EXPECT_THROW(engine.forward(b), InputError);
  b.clear();
  b.add(1, 99, true);
  EXPECT_THROW(engine.forward(b), InputError);
  b.clear();
  b.add(97, s, true);
  EXPECT_THROW(engine.forward(b), InputError);
  EXPECT_THROW(engine.forward(StepBatch{}), InputError);
  EXPECT_EQ(engine.span_length(s), 0);
  b.clear();
  b.add(1, s, false, 4);
  b.add(2, s, true, 5);
  EXPECT_EQ(engine.forward(b).rows, 1);
  EXPECT_EQ(engine.span_end_pos(s), 6);
}

}  // namespace
}  // namespace selfens

// --- The KV pool apart from the weights (issue 14): an engine made without
// one, sized by reserve_kv, grown between runs, gives the same results. ---
namespace selfens {
namespace {

TEST(EngineKvPool, ReservedBetweenRunsWithTheSameWeights) {
  auto model = test::make_tiny_model(TinySpec{});
  std::mt19937 rng(11);
  const std::vector<int> toks = test::random_tokens(rng, 40, model->config.vocab_size);
  Engine fresh(model, small_options(64));
  const SpanId a = fresh.create_span({}, 0);
  StepBatch b;
  for (int t : toks) b.add(t, a, true);
  const Logits want = fresh.forward(b);

  Engine engine(model, small_options(0));  // no pool yet
  EXPECT_EQ(engine.kv_capacity(), 0);
  {
    const SpanId s = engine.create_span({}, 0);
    StepBatch one;
    one.add(toks[0], s, true);
    EXPECT_THROW(engine.forward(one), KvCapacityError);
    engine.free_span(s);
  }
  engine.reserve_kv(2);
  engine.reserve_kv(1);  // never shrinks
  EXPECT_EQ(engine.kv_capacity(), 2);
  const SpanId s = engine.create_span({}, 0);
  EXPECT_THROW(engine.reserve_kv(8), InternalError) << "no growing under a live span";
  engine.free_span(s);
  engine.reserve_kv(8);  // grown for a longer run, the weights untouched
  const SpanId t = engine.create_span({}, 0);
  StepBatch again;
  for (int x : toks) again.add(x, t, true);
  const Logits got = engine.forward(again);
  ASSERT_EQ(got.data.size(), want.data.size());
  for (size_t i = 0; i < got.data.size(); ++i) ASSERT_EQ(got.data[i], want.data[i]) << i;
}

}  // namespace
}  // namespace selfens
