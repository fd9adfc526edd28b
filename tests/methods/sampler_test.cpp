// The sampler against exact distributions (chi-square), its counter-based
// randomness, and SampleRunner's streams: reproducible across batch sizes,
// identical whether the prompt's KV is shared or re-encoded per stream.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <vector>

#include "common/test_paths.h"
#include "methods/sampler.h"
#include "methods/session.h"
#include "util/check.h"

namespace selfens {
namespace {

// Exact HF-style distribution by the plain route: scale, full sort, cut.
std::vector<double> reference_probs(const std::vector<float>& logits, double t, double top_p,
                                    int top_k) {
  const size_t n = logits.size();
  std::vector<double> s(n);
  for (size_t i = 0; i < n; ++i) s[i] = logits[i] / t;
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return s[a] > s[b]; });
  std::vector<bool> keep(n, true);
  if (top_k > 0)
    for (size_t i = 0; i < n; ++i) keep[i] = s[i] >= s[order[size_t(top_k) - 1]];
  double mx = s[order[0]], z = 0;
  for (size_t i = 0; i < n; ++i) z += keep[i] ? std::exp(s[i] - mx) : 0;
  double before = 0;
  for (size_t i : order) {
    if (!keep[i]) continue;
    double p = std::exp(s[i] - mx) / z;
    if (before >= top_p) keep[i] = false;
    before += p;
  }
  std::vector<double> out(n, 0);
  double kz = 0;
  for (size_t i = 0; i < n; ++i) kz += keep[i] ? std::exp(s[i] - mx) : 0;
  for (size_t i = 0; i < n; ++i) out[i] = keep[i] ? std::exp(s[i] - mx) / kz : 0;
  return out;
}

// Chi-square of 1e5 draws against `expect`; tokens of probability 0 must
// never be drawn. Returns (statistic, degrees of freedom).
std::pair<double, int> chi_square(Sampler& sampler, const std::vector<float>& logits,
                                  const std::vector<double>& expect, uint64_t seed) {
  const int draws = 100000;
  std::vector<int> count(logits.size(), 0);
  const uint64_t stream = stream_id(seed, 0, 0, 0);
  for (int d = 0; d < draws; ++d) ++count[sampler.sample(logits, stream_uniform(stream, d))];
  double chi = 0;
  int cells = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    if (expect[i] == 0) {
      EXPECT_EQ(count[i], 0) << "token " << i << " is outside the kept set";
      continue;
    }
    double e = expect[i] * draws;
    chi += (count[i] - e) * (count[i] - e) / e;
    ++cells;
  }
  return {chi, cells - 1};
}

// Upper 0.1% point of chi-square (Wilson-Hilferty), generous enough to be
// stable yet far below what a wrong distribution gives with 1e5 draws.
double chi_critical(int dof) {
  const double z = 3.09;
  double k = dof;
  return k * std::pow(1 - 2 / (9 * k) + z * std::sqrt(2 / (9 * k)), 3);
}

const std::vector<float> kLogits = {2.0f, 1.5f, 1.4f, 0.3f, 0.0f, -0.5f, -1.0f, 1.5f, -3.0f, 0.9f};

TEST(Sampler, TopPWithTemperatureMatchesTheExactDistribution) {
  Sampler s({.temperature = 0.7f, .top_p = 0.8f});
  auto expect = reference_probs(kLogits, 0.7, 0.8, 0);
  int kept = static_cast<int>(std::count_if(expect.begin(), expect.end(), [](double p) { return p > 0; }));
  ASSERT_GT(kept, 2);
  ASSERT_LT(kept, static_cast<int>(kLogits.size()));  // the cut is exercised
  auto [chi, dof] = chi_square(s, kLogits, expect, 1);
  EXPECT_LT(chi, chi_critical(dof)) << "dof " << dof;

  std::vector<int32_t> ids;
  std::vector<double> probs;
  s.distribution(kLogits, ids, probs);
  ASSERT_EQ(static_cast<int>(ids.size()), kept);
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_NEAR(probs[i], expect[ids[i]], 1e-7);
}

TEST(Sampler, TopKMatchesTheExactDistribution) {
  Sampler s({.temperature = 1.3f, .top_k = 4});
  auto expect = reference_probs(kLogits, 1.3, 1.0, 4);
  // 2.0, 1.5, 1.5 (tie), 1.4: exactly four kept.
  EXPECT_EQ(std::count_if(expect.begin(), expect.end(), [](double p) { return p > 0; }), 4);
  auto [chi, dof] = chi_square(s, kLogits, expect, 2);
  EXPECT_LT(chi, chi_critical(dof));
}

TEST(Sampler, TopKTiesAtTheCutAreKeptAsInTransformers) {
  Sampler s({.top_k = 2});  // 2.0 then a tie 1.5 / 1.5: both kept
  std::vector<int32_t> ids;
  std::vector<double> probs;
  s.distribution(kLogits, ids, probs);
  EXPECT_EQ(ids, (std::vector<int32_t>{0, 1, 7}));
}

TEST(Sampler, PlainSamplingAndAWrongDistributionIsDetected) {
  Sampler s({});
  auto expect = reference_probs(kLogits, 1.0, 1.0, 0);
  auto [chi, dof] = chi_square(s, kLogits, expect, 3);
  EXPECT_LT(chi, chi_critical(dof));
  // The test can fail: the same draws against the T = 0.7 distribution.
  auto wrong = reference_probs(kLogits, 0.7, 1.0, 0);
  auto [chi2, dof2] = chi_square(s, kLogits, wrong, 3);
  EXPECT_GT(chi2, chi_critical(dof2));
}

TEST(Sampler, TopPOverALargeVocabularyGrowsItsSortedHead) {
  std::vector<float> flat(5000);
  for (size_t i = 0; i < flat.size(); ++i) flat[i] = 0.001f * float(i % 97);
  Sampler s({.top_p = 0.9f});
  std::vector<int32_t> ids;
  std::vector<double> probs;
  s.distribution(flat, ids, probs);
  auto expect = reference_probs(flat, 1.0, 0.9, 0);
  size_t kept = static_cast<size_t>(std::count_if(expect.begin(), expect.end(), [](double p) { return p > 0; }));
  EXPECT_EQ(ids.size(), kept);
  EXPECT_GT(kept, 1000u);
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_NEAR(probs[i], expect[ids[i]], 1e-9);
}

TEST(Sampler, NearZeroTemperatureIsGreedy) {
  Sampler s({.temperature = 1e-4f});
  for (int d = 0; d < 1000; ++d) EXPECT_EQ(s.sample(kLogits, stream_uniform(9, d)), 0);
  // The top-p head always keeps one token.
  Sampler p({.top_p = 1e-6f});
  for (int d = 0; d < 100; ++d) EXPECT_EQ(p.sample(kLogits, stream_uniform(9, d)), 0);
}

TEST(Sampler, BadParametersAreInputErrors) {
  EXPECT_THROW(validate(SamplingParams{.temperature = 0}), InputError);
  EXPECT_THROW(validate(SamplingParams{.temperature = -1}), InputError);
  EXPECT_THROW(validate(SamplingParams{.temperature = NAN}), InputError);
  EXPECT_THROW(validate(SamplingParams{.top_p = 0}), InputError);
  EXPECT_THROW(validate(SamplingParams{.top_p = 1.01f}), InputError);
  EXPECT_THROW(validate(SamplingParams{.top_k = -1}), InputError);
  EXPECT_THROW(Sampler(SamplingParams{.temperature = 0}), InputError);
  EXPECT_NO_THROW(validate(SamplingParams{.temperature = 1e-4f, .top_p = 1.0f, .top_k = 0}));
}

TEST(Sampler, StreamRandomnessIsAPureFunctionOfItsKey) {
  EXPECT_EQ(stable_hash("abc"), 0xe71fa2190541574bULL);  // FNV-1a 64 test vector
  uint64_t a = stream_id(1, stable_hash("q"), 0, 0);
  EXPECT_EQ(a, stream_id(1, stable_hash("q"), 0, 0));
  std::set<uint64_t> ids = {a, stream_id(2, stable_hash("q"), 0, 0), stream_id(1, stable_hash("r"), 0, 0),
                            stream_id(1, stable_hash("q"), 1, 0), stream_id(1, stable_hash("q"), 0, 1)};
  EXPECT_EQ(ids.size(), 5u);
  double mean = 0;
  for (int t = 0; t < 10000; ++t) {
    double u = stream_uniform(a, t);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    mean += u / 10000;
  }
  EXPECT_NEAR(mean, 0.5, 0.01);
}

TEST(Sampler, DefaultsComeFromTheGenerationConfig) {
  GenerationDefaults g{.temperature = 0.6f, .top_p = 0.9f, .top_k = 50, .do_sample = true};
  SamplingParams p = sampling_defaults(g, 7);
  EXPECT_FLOAT_EQ(p.temperature, 0.6f);
  EXPECT_FLOAT_EQ(p.top_p, 0.9f);
  EXPECT_EQ(p.top_k, 50);
  EXPECT_EQ(p.seed, 7u);
  EXPECT_EQ(sampling_defaults(GenerationDefaults{}).top_k, 50);  // transformers' default
}

// ---------------------------------------------------------------- runner

struct Prompts {
  std::vector<int32_t> prefix;
  std::vector<std::vector<int32_t>> bodies;
};

Prompts tiny_prompts(const Tokenizer& tok) {
  Prompts p;
  p.prefix = tok.encode("Answer briefly.\n\n", true);
  const char* qs[] = {"Q: What is the capital of France?\nA:", "Q: Who wrote Hamlet?\nA:",
                      "Q: How many legs does a spider have?\nA:", "Q: What colour is the sky?\nA:",
                      "Q: Name a large ocean.\nA:"};
  for (const char* q : qs) p.bodies.push_back(tok.encode(q, false));
  return p;
}

std::map<size_t, SampleOutput> run_samples(Session& s, const Prompts& p, SampleRunnerOptions o,
                                          int in_flight, int samples) {
  std::vector<SampleJob> jobs;
  for (size_t i = 0; i < p.bodies.size(); ++i)
    jobs.push_back({.index = i, .tokens = &p.bodies[i], .greedy = true, .num_samples = samples,
                    .uuid_hash = stable_hash("q" + std::to_string(i)), .paraphrase = i % 2});
  size_t longest = 0;
  for (const auto& b : p.bodies) longest = std::max(longest, b.size());
  EngineOptions eo;
  eo.threads = 2;
  eo.kv_pages = sample_kv_pages(o, int64_t(p.prefix.size()), int64_t(longest), samples + 1,
                                in_flight, eo.page_size);
  Engine engine(s.model, eo);
  std::map<size_t, SampleOutput> out;
  {
    SampleRunner runner(engine, *s.tokenizer, o, p.prefix);
    EXPECT_TRUE(runner.run(jobs, in_flight, [&](SampleOutput&& r) { out[r.index] = std::move(r); }));
  }
  EXPECT_EQ(engine.kv_stats().used_pages, 0) << "pages leaked";
  return out;
}

class SampleRunnerTest : public ::testing::Test {
 protected:
  static Session& tiny() {
    static Session s = open_session((test::fixtures_dir() / "models" / "tiny-llama3").string());
    return s;
  }
};

TEST_F(SampleRunnerTest, SameSeedSameSamplesForAnyBatchSize) {
  Session& s = tiny();
  Prompts p = tiny_prompts(*s.tokenizer);
  SampleRunnerOptions o{.sampling = {.temperature = 1.0f, .top_p = 0.95f, .seed = 5}, .max_new_tokens = 8};
  auto one = run_samples(s, p, o, 1, 6);
  auto many = run_samples(s, p, o, 32, 6);
  ASSERT_EQ(one.size(), p.bodies.size());
  std::set<std::vector<int32_t>> distinct;
  for (size_t i = 0; i < p.bodies.size(); ++i) {
    EXPECT_EQ(one[i].greedy, many[i].greedy) << "prompt " << i;
    EXPECT_EQ(one[i].samples, many[i].samples) << "prompt " << i;
    ASSERT_EQ(one[i].samples.size(), 6u);
    for (const auto& smp : one[i].samples) distinct.insert(smp);
  }
  EXPECT_GT(distinct.size(), 10u) << "samples should vary (random tiny model, T = 1)";

  o.sampling.seed = 6;
  auto other = run_samples(s, p, o, 32, 6);
  int differ = 0;
  for (size_t i = 0; i < p.bodies.size(); ++i) {
    EXPECT_EQ(other[i].greedy, one[i].greedy);  // greedy does not depend on the seed
    differ += other[i].samples != one[i].samples;
  }
  EXPECT_EQ(differ, static_cast<int>(p.bodies.size()));
}

TEST_F(SampleRunnerTest, SharedPromptKvGivesTheSameTokensAsReencoding) {
  Session& s = tiny();
  Prompts p = tiny_prompts(*s.tokenizer);
  SampleRunnerOptions shared{.sampling = {.temperature = 0.8f, .top_k = 40, .seed = 11}, .max_new_tokens = 8};
  SampleRunnerOptions reenc = shared;
  reenc.share_prompt = false;
  auto a = run_samples(s, p, shared, 3, 4);
  auto b = run_samples(s, p, reenc, 3, 4);
  for (size_t i = 0; i < p.bodies.size(); ++i) {
    EXPECT_EQ(a[i].greedy, b[i].greedy) << "prompt " << i;
    EXPECT_EQ(a[i].samples, b[i].samples) << "prompt " << i;
    EXPECT_LT(a[i].forwarded_tokens, b[i].forwarded_tokens);
  }
}

TEST_F(SampleRunnerTest, NearZeroTemperatureSamplesAreTheGreedyAnswer) {
  Session& s = tiny();
  Prompts p = tiny_prompts(*s.tokenizer);
  SampleRunnerOptions o{.sampling = {.temperature = 1e-4f, .seed = 3}, .max_new_tokens = 10};
  auto out = run_samples(s, p, o, 2, 5);
  for (size_t i = 0; i < p.bodies.size(); ++i) {
    ASSERT_FALSE(out[i].greedy.empty());
    for (const auto& smp : out[i].samples) EXPECT_EQ(smp, out[i].greedy) << "prompt " << i;
  }
}

}  // namespace
}  // namespace selfens
