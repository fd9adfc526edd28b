#pragma once
// Sampled decoding, as Hugging Face transformers samples (the per-row draw,
// Sampler, is backend/token_sampler.h: devices draw where the logits are).
//
// Randomness is counter-based: every sampled stream has an id made from
// (seed, question uuid, paraphrase index, sample index), and the uniform
// number of step t is a pure function of (id, t). So a stream's tokens do not
// depend on the batch size or on which other streams run beside it.
//
// SampleRunner decodes many streams per prompt (a greedy one and S sampled
// ones) that share the prompt's KV: P (shared prefix, once per run) -> Qi
// (the prompt, once) -> one child span per stream fed its own tokens.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backend/token_sampler.h"
#include "engine/engine.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace selfens {

// The model's generation defaults (generation_config.json / GGUF metadata);
// top_k 0 (not set) becomes 50, transformers' default.
SamplingParams sampling_defaults(const GenerationDefaults& g, uint64_t seed = 0);
// "temperature=0.7 top_p=0.9 top_k=0 seed=0"
std::string describe(const SamplingParams& p);

// --- counter-based random numbers (splitmix64 mixing) ---
uint64_t stable_hash(std::string_view text);  // FNV-1a 64, the same on every platform
uint64_t stream_id(uint64_t seed, uint64_t uuid_hash, uint64_t paraphrase, uint64_t sample);
double stream_uniform(uint64_t stream, uint64_t step);  // in [0, 1)

// One prompt's decoding job.
struct SampleJob {
  size_t index = 0;                               // the caller's index
  const std::vector<int32_t>* tokens = nullptr;   // prompt tokens after the prefix
  bool greedy = true;                             // also decode the greedy answer
  int num_samples = 0;                            // sampled answers
  uint64_t uuid_hash = 0;                         // stable_hash(question uuid)
  uint64_t paraphrase = 0;                        // paraphrase index (stream id part)
};

struct SampleOutput {
  size_t index = 0;
  std::vector<int32_t> greedy;                    // ids (empty when !greedy)
  std::vector<std::vector<int32_t>> samples;      // [num_samples] ids
  int64_t forwarded_tokens = 0;                   // rows this prompt put through the model
};

struct SampleRunnerOptions {
  SamplingParams sampling;
  int max_new_tokens = 20;
  // true: streams are children of the prompt's span (the prompt is encoded
  // once). false: every stream re-encodes prefix + prompt in its own span
  // (the baseline of bench_confidence; same tokens, more work).
  bool share_prompt = true;
};

// Stops a stream: EOS (not kept), max_new_tokens, or a token with a newline
// once the text has something before it (the first line of the stripped
// generation, which is all the original kept, is then final).
class SampleRunner {
 public:
  SampleRunner(Engine& engine, const Tokenizer& tokenizer, SampleRunnerOptions options,
               std::vector<int32_t> prefix);
  ~SampleRunner();
  SampleRunner(const SampleRunner&) = delete;
  SampleRunner& operator=(const SampleRunner&) = delete;

  // Keeps up to `prompts_in_flight` prompts in flight. Returns false when
  // should_stop() turned true (unfinished prompts are dropped).
  bool run(std::span<const SampleJob> jobs, int prompts_in_flight,
           const std::function<void(SampleOutput&&)>& on_done,
           const std::function<bool()>& should_stop = {});

  int64_t prefix_tokens() const { return static_cast<int64_t>(prefix_.size()); }

 private:
  struct Stream;
  struct Active;
  void prepare(std::span<const SampleJob> jobs, int prompts_in_flight);
  // The hooks of run_continuous_batches (methods/scheduler.h).
  template <class R, class I, class A>
  friend bool run_continuous_batches(R&, std::span<const I>, int, const std::function<bool()>&,
                                     int);
  void begin_step() { row_owner_.clear(); }
  void step(const StepBatch& batch, std::vector<Active>& active);
  bool finished(const Active& a) const;
  SampleOutput take_output(Active& a);
  void deliver(SampleOutput&& out);
  void admit(const SampleJob& job, StepBatch& batch, std::vector<Active>& active);
  void add_decode_rows(Active& a, size_t slot, StepBatch& batch);
  void add_choice(ChoicePlan& plan, int32_t row, const Stream& s) const;
  void accept(Stream& s, int32_t tok);
  void release(Active& a);

  Engine& engine_;
  const Tokenizer& tokenizer_;
  SampleRunnerOptions options_;
  std::vector<int32_t> prefix_;
  SpanId prefix_span_ = kNoSpan;
  std::vector<int32_t> eos_;
  std::vector<std::pair<int32_t, int32_t>> row_owner_;  // (active slot, stream or -1: all)
  const std::function<void(SampleOutput&&)>* on_done_ = nullptr;  // during run()
};

// KV pages for `prompts_in_flight` prompts of at most max_prompt_len tokens
// with `streams` streams each.
int64_t sample_kv_pages(const SampleRunnerOptions& o, int64_t prefix_len, int64_t max_prompt_len,
                        int streams, int prompts_in_flight, int page_size);

}  // namespace selfens
