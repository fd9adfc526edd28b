#include "methods/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "methods/answer_text.h"
#include "methods/fusion.h"
#include "methods/scheduler.h"
#include "util/check.h"

namespace selfens {
namespace {

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;
constexpr int kHfDefaultTopK = 50;

// splitmix64's output function: a bijective 64-bit mix.
uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

SamplingParams sampling_defaults(const GenerationDefaults& g, uint64_t seed) {
  SamplingParams p;
  p.temperature = g.temperature > 0 ? g.temperature : 1.0f;
  p.top_p = g.top_p > 0 && g.top_p <= 1 ? g.top_p : 1.0f;
  // transformers' GenerationConfig defaults top_k to 50 when the file does not
  // set it; GenerationDefaults reads an absent top_k as 0, so 0 means 50 here
  // (--top_k 0 turns it off).
  p.top_k = g.top_k > 0 ? g.top_k : kHfDefaultTopK;
  p.seed = seed;
  return p;
}

std::string describe(const SamplingParams& p) {
  std::ostringstream s;
  s << "temperature=" << p.temperature << " top_p=" << p.top_p << " top_k=" << p.top_k
    << " seed=" << p.seed;
  return s.str();
}

uint64_t stable_hash(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t stream_id(uint64_t seed, uint64_t uuid_hash, uint64_t paraphrase, uint64_t sample) {
  uint64_t h = mix64(seed + kGolden);
  h = mix64(h ^ uuid_hash);
  h = mix64(h ^ (paraphrase * kGolden + 1));
  return mix64(h ^ (sample * 0xd1b54a32d192ed03ULL + 2));
}

double stream_uniform(uint64_t stream, uint64_t step) {
  uint64_t bits = mix64(stream ^ mix64((step + 1) * kGolden));
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

// ---------------------------------------------------------------- SampleRunner

struct SampleRunner::Stream {
  uint64_t id = 0;          // stream_id(...) (sampled streams)
  bool greedy = false;
  SpanId span = kNoSpan;    // the stream's own span (created at its first fed token)
  std::vector<int32_t> out; // generated ids
  std::string text;         // their decoded bytes
  int32_t pending = -1;     // chosen token not yet fed
  bool done = false;
};

struct SampleRunner::Active {
  const SampleJob* job = nullptr;
  SpanId prompt = kNoSpan;        // Qi (shared mode)
  std::vector<Stream> streams;    // greedy first (when asked), then the samples
  int64_t forwarded = 0;
  bool finished() const {
    return std::all_of(streams.begin(), streams.end(), [](const Stream& s) { return s.done; });
  }
};

SampleRunner::SampleRunner(Engine& engine, const Tokenizer& tokenizer, SampleRunnerOptions options,
                           std::vector<int32_t> prefix)
    : engine_(engine),
      tokenizer_(tokenizer),
      options_(options),
      prefix_(std::move(prefix)),
      eos_(engine.config().eos_token_ids) {
  validate(options_.sampling);
  SELFENS_REQUIRE(options_.max_new_tokens > 0,
                  "--max_new_tokens must be positive, got " + std::to_string(options_.max_new_tokens));
  for (int32_t e : tokenizer.eos_ids())
    if (std::find(eos_.begin(), eos_.end(), e) == eos_.end()) eos_.push_back(e);
}

// Sizes the engine's KV pool for these jobs (before P takes its pages), then
// encodes P once per run.
void SampleRunner::prepare(std::span<const SampleJob> jobs, int prompts_in_flight) {
  if (prefix_span_ != kNoSpan) return;
  int64_t longest = 0;
  int streams = 1;
  for (const SampleJob& j : jobs) {
    longest = std::max<int64_t>(longest, static_cast<int64_t>(j.tokens->size()));
    streams = std::max(streams, j.num_samples + (j.greedy ? 1 : 0));
  }
  const int in_flight = std::max(1, std::min<int>(prompts_in_flight, static_cast<int>(jobs.size())));
  engine_.reserve_kv(sample_kv_pages(options_, static_cast<int64_t>(prefix_.size()), longest,
                                     streams, in_flight, engine_.kv_page_size()));
  if (options_.share_prompt && !prefix_.empty()) {
    prefix_span_ = engine_.create_span({}, 0);
    StepBatch b;
    b.add_tokens(prefix_, prefix_span_, false);
    engine_.forward(b);
  }
}

SampleRunner::~SampleRunner() {
  if (prefix_span_ != kNoSpan) engine_.free_span(prefix_span_);
}

void SampleRunner::admit(const SampleJob& job, StepBatch& batch, std::vector<Active>& active) {
  SELFENS_REQUIRE(job.num_samples >= 0 && (job.greedy || job.num_samples > 0),
                  "a sampling job needs a greedy answer or at least one sample");
  SELFENS_CHECK(job.tokens && !job.tokens->empty(), "a sampling job has no prompt tokens");
  active.emplace_back();
  Active& a = active.back();
  a.job = &job;
  const auto slot = static_cast<int32_t>(active.size() - 1);
  a.streams.resize(static_cast<size_t>(job.num_samples) + (job.greedy ? 1 : 0));
  if (job.greedy) a.streams[0].greedy = true;
  for (int s = 0; s < job.num_samples; ++s)
    a.streams[static_cast<size_t>(s) + (job.greedy ? 1 : 0)].id =
        stream_id(options_.sampling.seed, job.uuid_hash, job.paraphrase, static_cast<uint64_t>(s));
  const auto& tokens = *job.tokens;
  if (options_.share_prompt) {
    std::vector<SpanId> parents;
    if (prefix_span_ != kNoSpan) parents.push_back(prefix_span_);
    a.prompt = engine_.create_span(parents, static_cast<int32_t>(prefix_.size()));
    batch.add_tokens(tokens, a.prompt, true);
    a.forwarded += static_cast<int64_t>(tokens.size());
    row_owner_.push_back({slot, -1});
    return;
  }
  std::vector<int32_t> whole = prefix_;
  whole.insert(whole.end(), tokens.begin(), tokens.end());
  for (size_t s = 0; s < a.streams.size(); ++s) {
    a.streams[s].span = engine_.create_span({}, 0);
    batch.add_tokens(whole, a.streams[s].span, true);
    a.forwarded += static_cast<int64_t>(whole.size());
    row_owner_.push_back({slot, static_cast<int32_t>(s)});
  }
}

void SampleRunner::add_decode_rows(Active& a, size_t slot, StepBatch& batch) {
  for (size_t s = 0; s < a.streams.size(); ++s) {
    Stream& st = a.streams[s];
    if (st.done || st.pending < 0) continue;
    if (st.span == kNoSpan) {
      SpanId parent = a.prompt;
      st.span = engine_.create_span(std::span<const SpanId>(&parent, 1), engine_.span_end_pos(parent));
    }
    batch.add(st.pending, st.span, true);
    row_owner_.push_back({static_cast<int32_t>(slot), static_cast<int32_t>(s)});
    ++a.forwarded;
    st.pending = -1;
  }
}

// The choice of stream s's next token from logits row `row`: the argmax
// (greedy) or a draw at the stream's uniform number of this step, made by
// the engine's backend where the logits are.
void SampleRunner::add_choice(ChoicePlan& plan, int32_t row, const Stream& s) const {
  if (s.greedy) {
    plan.choices.push_back({row, 1, ChoiceKind::kWeightedSum, -1});
    return;
  }
  const SamplingParams& p = options_.sampling;
  const auto step = static_cast<uint64_t>(s.out.size());
  plan.draws.push_back({p.temperature, p.top_p, p.top_k, 0, stream_uniform(s.id, step)});
  plan.choices.push_back({row, 1, ChoiceKind::kSample, static_cast<int32_t>(plan.draws.size() - 1)});
}

void SampleRunner::accept(Stream& s, int32_t tok) {
  if (std::find(eos_.begin(), eos_.end(), tok) != eos_.end()) {
    s.done = true;  // EOS ends the answer and is not part of it
    return;
  }
  s.out.push_back(tok);
  std::string piece = tokenizer_.token_text(tok);
  s.text += piece;
  bool ends = piece.find('\n') != std::string::npos && prediction_final(s.text);
  if (ends || static_cast<int>(s.out.size()) >= options_.max_new_tokens)
    s.done = true;
  else
    s.pending = tok;
}

void SampleRunner::release(Active& a) {
  for (auto& s : a.streams)
    if (s.span != kNoSpan) engine_.free_span(s.span);
  if (a.prompt != kNoSpan) engine_.free_span(a.prompt);
  a.streams.clear();
  a.prompt = kNoSpan;
}

bool SampleRunner::run(std::span<const SampleJob> jobs, int prompts_in_flight,
                       const std::function<void(SampleOutput&&)>& on_done,
                       const std::function<bool()>& should_stop) {
  SELFENS_REQUIRE(prompts_in_flight > 0, "--batch_size must be positive");
  prepare(jobs, prompts_in_flight);
  on_done_ = &on_done;
  // Sampled streams never hold (no can_hold): their shapes vary anyway.
  return run_continuous_batches<SampleRunner, SampleJob, Active>(*this, jobs, prompts_in_flight,
                                                                 should_stop, 0);
}

// One forward call; each stream's next token is chosen where the logits are.
void SampleRunner::step(const StepBatch& batch, std::vector<Active>& active) {
  ChoicePlan plan;
  std::vector<Stream*> owners;  // the stream of each choice
  for (size_t r = 0; r < row_owner_.size(); ++r) {
    auto [slot, s] = row_owner_[r];
    Active& a = active[static_cast<size_t>(slot)];
    for (size_t i = 0; i < a.streams.size(); ++i) {
      if (s >= 0 && i != static_cast<size_t>(s)) continue;  // s < 0: the prompt's last row
      add_choice(plan, static_cast<int32_t>(r), a.streams[i]);
      owners.push_back(&a.streams[i]);
    }
  }
  const std::vector<int32_t> ids = engine_.forward_choose(batch, plan);
  SELFENS_CHECK(ids.size() == owners.size(), "sampled choices mismatch");
  for (size_t c = 0; c < ids.size(); ++c) accept(*owners[c], ids[c]);
}

bool SampleRunner::finished(const Active& a) const { return a.finished(); }

SampleOutput SampleRunner::take_output(Active& a) {
  SampleOutput out;
  out.index = a.job->index;
  out.forwarded_tokens = a.forwarded;
  for (auto& s : a.streams) {
    if (s.greedy)
      out.greedy = std::move(s.out);
    else
      out.samples.push_back(std::move(s.out));
  }
  return out;
}

void SampleRunner::deliver(SampleOutput&& out) { (*on_done_)(std::move(out)); }

int64_t sample_kv_pages(const SampleRunnerOptions& o, int64_t prefix_len, int64_t max_prompt_len,
                        int streams, int prompts_in_flight, int page_size) {
  auto pages = [&](int64_t tokens) { return (tokens + page_size - 1) / page_size; };
  const int64_t answer = o.max_new_tokens + 1;
  int64_t per_prompt = o.share_prompt
                           ? pages(max_prompt_len) + int64_t(streams) * pages(answer)
                           : int64_t(streams) * pages(prefix_len + max_prompt_len + answer);
  return pages(prefix_len) + int64_t(prompts_in_flight) * per_prompt + 4;
}

}  // namespace selfens
