// `selfens confidence`'s decoding on the CPU: samples per second when the S
// samples of a prompt share its KV (P encoded once per run, Qi once per
// prompt, one child span per sample) against the same SampleRunner
// re-encoding P + Qi for every sample (what a plain per-sample generate
// does). Both decode the same tokens (checked). Prints one JSON line.
//
//   bench_confidence MODEL [--prompts N] [--samples S] [--in-flight B] [--threads T]
//                          [--max-new-tokens M] [--temperature T]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/prompt.h"
#include "engine/engine.h"
#include "methods/prompt_tokens.h"
#include "methods/sampler.h"
#include "methods/session.h"

namespace {

using namespace selfens;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string model;
  int prompts = 4, samples = 20, in_flight = 2, threads = 0, max_new_tokens = 20;
  float temperature = 1.0f;
};

struct Timing {
  double seconds = 0;
  int64_t forwarded = 0, sampled_tokens = 0;
  std::vector<std::vector<std::vector<int32_t>>> samples;  // [prompt][sample] ids
};

Timing run(Session& s, const TokenizedRun& tok, const Options& o, bool share) {
  SampleRunnerOptions ro{.sampling = {.temperature = o.temperature, .seed = 1},
                         .max_new_tokens = o.max_new_tokens, .share_prompt = share};
  EngineOptions eo;
  eo.threads = o.threads;
  eo.kv_pages = sample_kv_pages(ro, int64_t(tok.prefix.size()), tok.max_view_len(),
                                o.samples + 1, o.in_flight, eo.page_size);
  Engine engine(s.model, eo);
  std::vector<SampleJob> jobs;
  for (int i = 0; i < o.prompts; ++i)
    jobs.push_back({.index = size_t(i), .tokens = &tok.views[size_t(i)][0], .greedy = true,
                    .num_samples = o.samples, .uuid_hash = stable_hash(std::to_string(i)),
                    .paraphrase = 0});
  Timing t;
  t.samples.resize(size_t(o.prompts));
  auto start = Clock::now();
  SampleRunner runner(engine, *s.tokenizer, ro, tok.prefix);  // P's prefill is timed too
  runner.run(jobs, o.in_flight, [&](SampleOutput&& out) {
    t.forwarded += out.forwarded_tokens;
    for (const auto& x : out.samples) t.sampled_tokens += int64_t(x.size());
    t.samples[out.index] = std::move(out.samples);
  });
  t.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (share) t.forwarded += int64_t(tok.prefix.size());
  return t;
}

Options parse(int argc, char** argv) {
  Options o;
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_confidence MODEL [--prompts N] [--samples S] [--in-flight B]"
                         " [--threads T] [--max-new-tokens M] [--temperature T]\n");
    std::exit(2);
  }
  o.model = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--prompts") o.prompts = std::stoi(v);
    else if (k == "--samples") o.samples = std::stoi(v);
    else if (k == "--in-flight") o.in_flight = std::stoi(v);
    else if (k == "--threads") o.threads = std::stoi(v);
    else if (k == "--max-new-tokens") o.max_new_tokens = std::stoi(v);
    else if (k == "--temperature") o.temperature = std::stof(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      std::exit(2);
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  Session s = open_session(o.model);
  data::Dataset ds = data::load_dataset("demo", "data", o.model, "datasets");
  std::vector<std::vector<std::string>> prompts;
  for (int i = 0; i < o.prompts; ++i)
    prompts.push_back({data::build_prompt(ds.block, ds.questions[size_t(i) % ds.questions.size()].question)});
  TokenizedRun tok = tokenize_run(*s.tokenizer, prompts, data::prompt_parts(ds.block, "").prefix);

  Timing shared = run(s, tok, o, true);
  Timing reenc = run(s, tok, o, false);
  const double n = double(o.prompts) * o.samples;
  std::printf(
      "{\"bench\": \"confidence\", \"model\": \"%s\", \"prompts\": %d, \"samples_per_prompt\": %d, "
      "\"prompts_in_flight\": %d, \"prompt_tokens\": %zu, \"max_view_tokens\": %lld, "
      "\"sampled_tokens\": %lld, "
      "\"shared_kv\": {\"seconds\": %.3f, \"samples_per_s\": %.2f, \"forwarded_tokens\": %lld}, "
      "\"reencode\": {\"seconds\": %.3f, \"samples_per_s\": %.2f, \"forwarded_tokens\": %lld}, "
      "\"speedup\": %.2f, \"same_samples\": %s}\n",
      o.model.c_str(), o.prompts, o.samples, o.in_flight, tok.prefix.size(),
      static_cast<long long>(tok.max_view_len()), static_cast<long long>(shared.sampled_tokens),
      shared.seconds, n / shared.seconds, static_cast<long long>(shared.forwarded), reenc.seconds,
      n / reenc.seconds, static_cast<long long>(reenc.forwarded), reenc.seconds / shared.seconds,
      shared.samples == reenc.samples ? "true" : "false");
  return shared.samples == reenc.samples ? 0 : 1;
}
