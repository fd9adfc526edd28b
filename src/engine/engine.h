#pragma once
// The engine: a model on a backend, the attention plan (spans), the paged KV
// cache, and the batched forward pass over a ragged StepBatch.
//
//   Engine engine(model, {.threads = 2});          // model: shared_ptr<const Model>
//   SpanId p = engine.create_span({}, 0);                  // shared prefix
//   SpanId q = engine.create_span(std::array{p}, len_p);   // a question
//   StepBatch b; b.add_tokens(p_ids, p, false); b.add_tokens(q_ids, q, true);
//   Logits out = engine.forward(b);                        // 1 row: q's last
//
// A row of span S attends to all tokens of S's ancestors (including tokens
// added to them in the same batch) and to S's tokens up to itself. Token i of
// a span sits at position start_pos + i; the caller picks start_pos (parallel
// layout: every Qi at |P|; G at |P| + max|Qi|).
//
// Results of a row depend only on its span's ancestors, never on the other
// rows of the batch (up to float rounding of the BLAS kernels, ~1e-6).
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "engine/layer_split.h"
#include "engine/step_batch.h"
#include "kv/kv_pages.h"
#include "model/model.h"
#include "plan/span_graph.h"

namespace selfens {

// Counters of the forward calls since the engine was made. With a device
// backend the ops run asynchronously: enqueue_seconds is host time (planning
// and launching), finish_seconds the wait for the device plus the download
// (and host-side choosing on the CPU).
struct EngineStats {
  int64_t forward_calls = 0;
  int64_t rows = 0;         // tokens forwarded
  int64_t logit_rows = 0;   // rows that produced logits
  double enqueue_seconds = 0;
  double finish_seconds = 0;
  EngineStats& operator+=(const EngineStats& o) {  // several engines of one job
    forward_calls += o.forward_calls;
    rows += o.rows;
    logit_rows += o.logit_rows;
    enqueue_seconds += o.enqueue_seconds;
    finish_seconds += o.finish_seconds;
    return *this;
  }
};

struct EngineOptions {
  std::string backend = "cpu";  // "cpu" or "cuda"
  int threads = 0;              // CPU threads (pool; BLAS runs one thread per slice); <= 0: all cores
  // Initial KV capacity in pages (memory is bounded by it); 0: none until a
  // run reserves what its plan needs (reserve_kv: the runners do).
  int64_t kv_pages = 1024;
  int32_t page_size = 16;       // tokens per KV page
  // The backend's settings (CUDA graphs, profiling, sampling, attention
  // tiling, step trace); `threads` above overrides tuning.threads.
  BackendOptions tuning = backend_options_from_environment();
  // --split layers: the model's layers over one backend per listed device
  // (CUDA indices; CPU parts share the cores), in ranges sized to each
  // device's memory (layer_split.h), activations passed from part to part
  // (Backend::copy_from). Empty: the whole model on one backend.
  std::vector<int> split_devices{};
};

class Engine {
 public:
  // The model is shared: the CPU backend uses its weights in place.
  Engine(std::shared_ptr<const Model> model, const EngineOptions& options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const ModelConfig& config() const { return model_->config; }
  const Model& model() const { return *model_; }
  // The backend of the last part, the one that holds the logits (its device
  // bound to the calling thread).
  Backend& backend();
  // Makes the calling thread able to run every part's backend (bind_thread).
  void bind_thread();
  // The layers of each part (one range without --split layers).
  std::vector<LayerRange> layer_ranges() const;

  // --- plan ---
  SpanId create_span(std::span<const SpanId> parents, int32_t start_pos,
                     std::span<const KeyBias> bias = {});
  // Frees the span and its KV pages; it must have no live children.
  void free_span(SpanId span);
  int32_t span_length(SpanId span) const { return plan_.get(span).length; }
  // Position the next token of `span` gets: start_pos + length.
  int32_t span_end_pos(SpanId span) const;
  const SpanGraph& plan() const { return plan_; }

  // --- compute ---
  // Runs one ragged batch; appends its tokens to their spans; returns the
  // logits of the rows with need_logits set. Throws InputError for a bad
  // batch (unknown span, wrong position, bad token) and KvCapacityError when
  // the KV pages run out (then nothing is appended).
  Logits forward(const StepBatch& batch);
  // The same forward pass, but instead of returning logits it returns one
  // token id per choice (rows indexed as forward's returned rows), chosen
  // where the logits are: a decode step on the GPU downloads only the ids.
  std::vector<int32_t> forward_choose(const StepBatch& batch, const ChoicePlan& choices);

  // Greedy decoding of one prompt in a fresh span at positions 0.. (freed
  // afterwards). Stops after max_new_tokens, at an EOS id of the model (not
  // returned), or after a token for which stop(token, generated) is true
  // (that token is returned).
  std::vector<int32_t> generate_greedy(
      std::span<const int32_t> prompt, int max_new_tokens,
      const std::function<bool(int32_t, const std::vector<int32_t>&)>& stop = {});

  // --- KV pool ---
  // The weights stay on the device for the engine's life; the KV pool is
  // per run: reserve_kv grows it to at least `pages` pages (a runner asks
  // for what its plan and batch need, so callers never count pages). Growing
  // drops the old pool, so no span may be live then (InternalError).
  void reserve_kv(int64_t pages);
  int64_t kv_capacity() const { return kv_.capacity(); }
  int32_t kv_page_size() const { return kv_.page_size(); }

  // Whether runners should keep the forward calls' shapes steady (finished
  // questions padding the batch: methods/scheduler.h): where the backend
  // replays graphs of shapes it has seen, or as SELFENS_HOLD_FINISHED says.
  bool steady_shapes() const { return steady_shapes_; }

  // --- inspection ---
  KvStats kv_stats() const { return kv_.stats(); }
  // Where the time of the forward calls went (see EngineStats).
  const EngineStats& stats() const { return stats_; }
  // Zeroes the counters (an engine kept across jobs reports each job's own).
  void reset_stats() { stats_ = EngineStats{}; }
  // Host copy of a span's K and V for one layer: [length, n_kv_heads * head_dim].
  void read_kv(SpanId span, int layer, std::vector<float>& k, std::vector<float>& v);

 private:
  struct LayerTensors;  // device weights of one layer
  struct Workspace;     // activation buffers, grown to the largest batch
  struct Part;          // a backend, the layers it holds, its workspace
  void make_parts(const EngineOptions& options);
  void upload_weights();
  void init_kv_pool(int64_t pages);
  void ensure_workspace(Part& part, int64_t rows, int64_t logit_rows);
  Tensor compute_logits(const StepBatch& batch, std::vector<int32_t>& batch_rows);
  void run_layers(Part& part, int64_t n, std::span<const int32_t> positions,
                  std::span<const KvSlot> slots, const AttentionBatch& attn);
  Part& part_of_layer(int layer);
  // The part's backend, with the calling thread bound to its device: every
  // allocation and launch of a part goes there (--split layers over GPUs).
  Backend& use(Part& part);

  std::shared_ptr<const Model> model_;
  std::vector<Part> parts_;  // in layer order; the first embeds, the last gives logits
  SpanGraph plan_;
  KvPages kv_;
  std::vector<float> inv_freq_;  // [head_dim / 2]
  std::vector<LayerTensors> layers_;
  // [vocab, d] on the first part; [1, d] and [vocab, d] on the last.
  Tensor tok_embeddings_, final_norm_, output_;
  EngineStats stats_;
  bool trace_steps_ = false;
  bool steady_shapes_ = false;  // steady_shapes()  // SELFENS_TRACE_STEPS=1: one stderr line per forward call
  double last_enqueue_s_ = 0;
};

}  // namespace selfens
