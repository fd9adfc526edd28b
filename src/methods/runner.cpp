#include "methods/runner.h"

#include <algorithm>
#include <cmath>

#include "methods/answer_text.h"
#include "methods/fusion.h"
#include "methods/scheduler.h"
#include "plan/question_plan.h"
#include "util/check.h"

namespace selfens {
namespace {

// A question's token counts as its plan sees them.
QuestionShape question_shape(int64_t prefix_len, const std::vector<std::vector<int32_t>>& views,
                             int cue_len) {
  QuestionShape shape;
  shape.prefix_len = static_cast<int32_t>(prefix_len);
  shape.cue_len = cue_len;
  for (const auto& v : views) shape.view_lens.push_back(static_cast<int32_t>(v.size()));
  return shape;
}

}  // namespace

struct MethodRunner::Group {
  std::vector<SpanId> spans;     // the spans whose logits are fused
  std::vector<int32_t> out;      // generated ids
  int32_t pending = -1;          // chosen token not yet fed to the spans
  int rows_seen = 0;             // logits rows received this step
  int fed = 0;                   // decode tokens fed to each span (padding included)
  bool done = false;
};

struct MethodRunner::Active {
  const QuestionInput* input = nullptr;
  std::vector<SpanId> owned;     // in creation order (freed in reverse)
  std::vector<Group> groups;
  int64_t forwarded = 0;
  bool finished() const {
    return std::all_of(groups.begin(), groups.end(), [](const Group& g) { return g.done; });
  }
};

MethodRunner::MethodRunner(Engine& engine, const Tokenizer& tokenizer, MethodConfig config,
                           std::vector<int32_t> prefix, int cue_len)
    : engine_(engine),
      tokenizer_(tokenizer),
      config_(std::move(config)),
      recipe_(recipe(config_.method)),
      prefix_(std::move(prefix)),
      cue_len_(cue_len),
      eos_(engine.config().eos_token_ids) {
  for (int32_t e : tokenizer.eos_ids())
    if (std::find(eos_.begin(), eos_.end(), e) == eos_.end()) eos_.push_back(e);
}

// Sizes the engine's KV pool for these questions and `batch_size` in
// flight (before P takes its pages), then encodes P once, shared by every
// question of the run.
void MethodRunner::prepare(std::span<const QuestionInput> questions, int batch_size) {
  if (prefix_span_ == kNoSpan) {
    int64_t longest = 0;
    int views = 1;
    for (const QuestionInput& q : questions) {
      views = std::max(views, static_cast<int>(q.views->size()));
      for (const auto& v : *q.views) longest = std::max<int64_t>(longest, int64_t(v.size()));
    }
    engine_.reserve_kv(kv_pages_needed(config_, static_cast<int64_t>(prefix_.size()), longest,
                                       views, std::max(1, std::min<int>(batch_size, int(questions.size()))),
                                       engine_.kv_page_size()));
  }
  if (prefix_span_ == kNoSpan && config_.plan.layout == Layout::kShared && !prefix_.empty()) {
    prefix_span_ = engine_.create_span({}, 0);
    StepBatch b;
    b.add_tokens(prefix_, prefix_span_, false);
    engine_.forward(b);
  }
}

MethodRunner::~MethodRunner() {
  if (prefix_span_ != kNoSpan) engine_.free_span(prefix_span_);
}

// The question's spans from its method's recipe, fed their prompt tokens;
// the spans that answer form one group (fused or flex) or one each.
void MethodRunner::admit(const QuestionInput& q, StepBatch& batch, std::vector<Active>& active) {
  active.emplace_back();
  Active& a = active.back();
  a.input = &q;
  const SpanMaker make = [this](std::span<const SpanId> parents, int32_t start_pos,
                                std::span<const KeyBias> bias) {
    return engine_.create_span(parents, start_pos, bias);
  };
  QuestionShape shape = question_shape(int64_t(prefix_.size()), *q.views, cue_len_);
  if (recipe_.weighted && recipe_.plan == PlanKind::kFused) shape.view_weights = q.weights;
  std::vector<int32_t> tokens;
  for (const PlannedSpan& s :
       plan_question(recipe_, config_.plan, prefix_span_, shape, make)) {
    a.owned.push_back(s.id);
    const auto& view = (*q.views)[s.view < 0 ? 0 : size_t(s.view)];
    tokens.clear();
    if (s.with_prefix) tokens.assign(prefix_.begin(), prefix_.end());
    tokens.insert(tokens.end(), view.begin() + s.from, view.begin() + s.to);
    batch.add_tokens(tokens, s.id, s.answers);
    a.forwarded += static_cast<int64_t>(tokens.size());
    if (!s.answers) continue;
    if (a.groups.empty() || recipe_.answer_per_view) a.groups.emplace_back();
    a.groups.back().spans.push_back(s.id);
  }
  // Owners of the new question's logits rows (one per group member).
  for (size_t gi = 0; gi < a.groups.size(); ++gi)
    for (size_t m = 0; m < a.groups[gi].spans.size(); ++m)
      row_owner_.push_back({static_cast<int32_t>(active.size() - 1), static_cast<int32_t>(gi),
                            static_cast<int32_t>(m)});
}

void MethodRunner::add_decode_rows(Active& a, size_t slot, StepBatch& batch) {
  for (size_t gi = 0; gi < a.groups.size(); ++gi) {
    Group& g = a.groups[gi];
    int32_t tok = g.pending;
    if (g.done && holding_) {
      tok = g.out.empty() ? 0 : g.out.back();  // padding: any token; its logits go unused
    } else if (g.done || g.pending < 0) {
      continue;
    } else {
      a.forwarded += static_cast<int64_t>(g.spans.size());
    }
    for (size_t m = 0; m < g.spans.size(); ++m) {
      batch.add(tok, g.spans[m], true);
      row_owner_.push_back({static_cast<int32_t>(slot), static_cast<int32_t>(gi),
                            static_cast<int32_t>(m)});
    }
    ++g.fed;
    g.pending = -1;
  }
}

// A finished question may pad one more step while every span stays within
// the max_new_tokens - 1 decode tokens its KV pages and positions were
// reserved for (kv_pages_needed, positions_needed).
bool MethodRunner::can_hold(const Active& a) const {
  return std::all_of(a.groups.begin(), a.groups.end(),
                     [&](const Group& g) { return g.fed + 1 < config_.max_new_tokens; });
}

void MethodRunner::choose_token(Active& a, Group& g, std::span<const float> rows, int n) {
  const int vocab = engine_.config().vocab_size;
  std::span<const float> scores = rows;
  if (n > 1 || recipe_.weighted) {
    fused_.resize(vocab);
    fuse_logits(recipe_.fusion, rows, n, vocab, a.input->weights, fused_);
    scores = fused_;
  }
  if (observer_) {
    size_t group = static_cast<size_t>(&g - a.groups.data());
    observer_(a.input->index, group, static_cast<int>(g.out.size()), scores);
  }
  accept_token(g, argmax(scores));
}

void MethodRunner::accept_token(Group& g, int32_t tok) {
  if (std::find(eos_.begin(), eos_.end(), tok) != eos_.end()) {
    g.done = true;  // EOS ends the answer and is not part of it
    return;
  }
  g.out.push_back(tok);
  if ((config_.stop_at_newline && answer_line_ended(g)) ||
      static_cast<int>(g.out.size()) >= config_.max_new_tokens)
    g.done = true;
  else
    g.pending = tok;
}

// The answer is complete once its prediction can no longer change
// (methods/answer_text.h: a newline after some non-space text, past a think
// block where one is open); only a token with a newline can complete it.
bool MethodRunner::answer_line_ended(const Group& g) const {
  if (tokenizer_.token_text(g.out.back()).find('\n') == std::string::npos) return false;
  return prediction_final(tokenizer_.decode(g.out, true));
}

void MethodRunner::apply_logits(const Logits& logits, std::vector<Active>& active) {
  SELFENS_CHECK(logits.rows == static_cast<int32_t>(row_owner_.size()), "logits rows mismatch");
  const size_t vocab = static_cast<size_t>(logits.vocab);
  for (int32_t r = 0; r < logits.rows;) {
    auto [slot, gi, m] = row_owner_[r];
    Group& g = active[slot].groups[gi];
    const int n = static_cast<int>(g.spans.size());
    // The rows of one group are consecutive in batch order.
    std::span<const float> rows(logits.data.data() + size_t(r) * vocab, size_t(n) * vocab);
    if (!g.done) choose_token(active[slot], g, rows, n);  // done: padding rows
    r += n;
  }
}

// The same choices as apply_logits, made by the engine where the logits are.
void MethodRunner::forward_and_choose(const StepBatch& batch, std::vector<Active>& active) {
  ChoicePlan plan;
  std::vector<Group*> owners;
  for (size_t r = 0; r < row_owner_.size();) {
    auto [slot, gi, m] = row_owner_[r];
    Group& g = active[slot].groups[gi];
    const int n = static_cast<int>(g.spans.size());
    if (n > 1 || recipe_.weighted)
      add_fusion_choice(recipe_.fusion, static_cast<int32_t>(r), n,
                        active[slot].input->weights, plan);
    else
      plan.choices.push_back({static_cast<int32_t>(r), 1, ChoiceKind::kWeightedSum, -1});
    owners.push_back(&g);
    r += size_t(n);
  }
  const std::vector<int32_t> ids = engine_.forward_choose(batch, plan);
  SELFENS_CHECK(ids.size() == owners.size(), "one chosen token per group");
  for (size_t i = 0; i < ids.size(); ++i)
    if (!owners[i]->done) accept_token(*owners[i], ids[i]);  // done: padding rows
}

void MethodRunner::release(Active& a) {
  for (auto it = a.owned.rbegin(); it != a.owned.rend(); ++it) engine_.free_span(*it);
  a.owned.clear();
}

bool MethodRunner::run(std::span<const QuestionInput> questions, int batch_size,
                       const std::function<void(QuestionOutput&&)>& on_done,
                       const std::function<bool()>& should_stop) {
  SELFENS_REQUIRE(batch_size > 0, "--batch_size must be positive");
  prepare(questions, batch_size);
  on_done_ = &on_done;
  // Where shapes seen before run faster, finished questions pad the batch
  // until an eighth of it is free (methods/scheduler.h).
  holding_ = engine_.steady_shapes();
  const int hold_until_free = holding_ ? std::max(1, batch_size / 8) : 0;
  return run_continuous_batches<MethodRunner, QuestionInput, Active>(*this, questions, batch_size,
                                                                     should_stop, hold_until_free);
}

void MethodRunner::step(const StepBatch& batch, std::vector<Active>& active) {
  if (observer_)
    apply_logits(engine_.forward(batch), active);  // the observer sees the scores
  else
    forward_and_choose(batch, active);
}

bool MethodRunner::finished(const Active& a) const { return a.finished(); }

QuestionOutput MethodRunner::take_output(Active& a) {
  QuestionOutput out;
  out.index = a.input->index;
  out.forwarded_tokens = a.forwarded;
  for (auto& g : a.groups) out.answers.push_back(std::move(g.out));
  return out;
}

void MethodRunner::deliver(QuestionOutput&& out) { (*on_done_)(std::move(out)); }

int64_t positions_needed(const MethodConfig& config, int64_t prefix_len,
                         const std::vector<std::vector<int32_t>>& views, int cue_len) {
  return plan_positions(recipe(config.method), config.plan,
                        question_shape(prefix_len, views, cue_len), config.max_new_tokens);
}

int64_t kv_pages_needed(const MethodConfig& config, int64_t prefix_len, int64_t max_view_len,
                        int views, int batch_size, int page_size) {
  auto pages = [&](int64_t tokens) { return (tokens + page_size - 1) / page_size; };
  int64_t per_view = config.plan.layout == Layout::kConcat ? prefix_len + max_view_len : max_view_len;
  int64_t per_question = views * pages(per_view + config.max_new_tokens + 1);
  if (recipe(config.method).plan == PlanKind::kFused) per_question += pages(config.max_new_tokens + 8);
  return pages(prefix_len) + int64_t(batch_size) * per_question + 4;
}

}  // namespace selfens
