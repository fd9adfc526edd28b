#pragma once
// Runs questions through one method on the engine: builds each question's
// spans (DESIGN section 2), keeps up to `batch_size` questions in flight,
// refills as they finish, and decodes greedily.
//
// Every method is a set of *groups*: a group is the spans whose last rows'
// logits are fused into one token, which is then appended to every span of
// the group.
//   origin          1 group of 1 span (Q0, its answer appended to it)
//   per_prompt      N groups of 1 span (Qi)
//   avg/max/weighted 1 group of N spans (Qi), fused by methods/fusion.h
//   flex_attention  1 group of 1 span G, whose parents are all Qi
#include <cstdint>
#include <array>
#include <functional>
#include <span>
#include <vector>

#include "engine/engine.h"
#include "methods/method.h"
#include "methods/prompt_tokens.h"
#include "plan/question_plan.h"
#include "tokenizer/tokenizer.h"

namespace selfens {

struct QuestionInput {
  size_t index = 0;                           // the caller's question index
  const std::vector<std::vector<int32_t>>* views = nullptr;  // tokens after P, per view
  std::vector<float> weights;                 // per view (weighted methods)
};

struct QuestionOutput {
  size_t index = 0;
  std::vector<std::vector<int32_t>> answers;  // generated ids per group
  int64_t forwarded_tokens = 0;               // rows this question put through the model
};

class MethodRunner {
 public:
  // prefix: the shared P tokens; for the shared layout they are encoded once
  // (at the start of the first run) into a span every question's spans
  // descend from. run() also sizes the engine's KV pool for its questions.
  MethodRunner(Engine& engine, const Tokenizer& tokenizer, MethodConfig config,
               std::vector<int32_t> prefix, int cue_len);
  ~MethodRunner();

  // Runs the questions; on_done is called as each finishes. Stops early,
  // dropping unfinished questions, when should_stop() turns true; returns
  // false then.
  bool run(std::span<const QuestionInput> questions, int batch_size,
           const std::function<void(QuestionOutput&&)>& on_done,
           const std::function<bool()>& should_stop = {});

  int64_t prefix_tokens() const { return static_cast<int64_t>(prefix_.size()); }

  // Sees the scores each group's token is chosen from (raw logits for one
  // span, fused scores otherwise), for diagnostics and equivalence tests.
  using StepObserver =
      std::function<void(size_t question, size_t group, int step, std::span<const float> scores)>;
  void set_step_observer(StepObserver observer) { observer_ = std::move(observer); }

 private:
  struct Group;
  struct Active;
  void admit(const QuestionInput& q, StepBatch& batch, std::vector<Active>& active);
  void prepare(std::span<const QuestionInput> questions, int batch_size);
  void add_decode_rows(Active& a, size_t slot, StepBatch& batch);
  // The hooks of run_continuous_batches (methods/scheduler.h).
  template <class R, class I, class A>
  friend bool run_continuous_batches(R&, std::span<const I>, int, const std::function<bool()>&,
                                     int);
  bool can_hold(const Active& a) const;
  void begin_step() { row_owner_.clear(); }
  void step(const StepBatch& batch, std::vector<Active>& active);
  bool finished(const Active& a) const;
  QuestionOutput take_output(Active& a);
  void deliver(QuestionOutput&& out);
  void apply_logits(const Logits& logits, std::vector<Active>& active);
  void choose_token(Active& a, Group& g, std::span<const float> rows, int n);
  void release(Active& a);
  bool answer_line_ended(const Group& g) const;
  void accept_token(Group& g, int32_t tok);
  void forward_and_choose(const StepBatch& batch, std::vector<Active>& active);

  Engine& engine_;
  const Tokenizer& tokenizer_;
  MethodConfig config_;
  const MethodRecipe& recipe_;  // of config_.method, looked up once (read every step)
  std::vector<int32_t> prefix_;
  int cue_len_;
  SpanId prefix_span_ = kNoSpan;
  std::vector<int32_t> eos_;
  // Each logits row's owner, in batch order: (active slot, group, member).
  std::vector<std::array<int32_t, 3>> row_owner_;
  std::vector<float> fused_;  // [vocab]
  StepObserver observer_;
  const std::function<void(QuestionOutput&&)>* on_done_ = nullptr;  // during run()
  // Done groups feed padding rows instead of leaving the batch (run():
  // Engine::steady_shapes), so that the step's shape holds.
  bool holding_ = false;
};

// The positions one question's plan reaches (its largest position + 1 after
// max_new_tokens answer tokens): what must fit the model's context.
// prefix_len: |P|; views: the question's tokens after P (plan_positions of
// plan/question_plan.h, the plan the runner builds).
int64_t positions_needed(const MethodConfig& config, int64_t prefix_len,
                         const std::vector<std::vector<int32_t>>& views, int cue_len);

// How many KV pages a run needs for `batch_size` questions in flight.
int64_t kv_pages_needed(const MethodConfig& config, int64_t prefix_len, int64_t max_view_len,
                        int views, int batch_size, int page_size);

}  // namespace selfens
