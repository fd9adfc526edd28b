#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "engine/engine_internal.h"
#include "engine/rope.h"
#include "model/footprint.h"
#include "util/check.h"
#include "util/log.h"

namespace selfens {

namespace {

Tensor upload_opt(Backend& b, const HostTensor& t) {
  return t.empty() ? Tensor{} : b.upload_weight(t);
}

int32_t argmax_row(std::span<const float> v) {
  // Ties go to the lowest index, as torch.argmax.
  return int32_t(std::max_element(v.begin(), v.end()) - v.begin());
}

}  // namespace

Engine::Engine(std::shared_ptr<const Model> model, const EngineOptions& options)
    : model_(std::move(model)), kv_(options.kv_pages, options.page_size) {
  SELFENS_REQUIRE(model_ != nullptr, "engine: no model");
  const ModelConfig& c = model_->config;
  validate_model(c, model_->weights, model_->path.empty() ? model_->name : model_->path);
  inv_freq_ = rope_inv_freq(c);
  make_parts(options);
  const auto start = std::chrono::steady_clock::now();
  upload_weights();
  char took[64];
  std::snprintf(took, sizeof took, " in %.2f s",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  std::string where = backend().name();
  if (parts_.size() > 1) where += ", layers split " + describe_split(layer_ranges());
  log::info("weights ready on " + where + took);
  if (options.kv_pages > 0) init_kv_pool(options.kv_pages);
  trace_steps_ = options.tuning.trace_steps;
  steady_shapes_ = options.tuning.hold_finished >= 0 ? options.tuning.hold_finished != 0
                                                     : backend().replays_fixed_shapes();
}

Engine::~Engine() = default;

// One part on the options' backend, or (--split layers) one per listed
// device with the layers placed by each device's memory.
void Engine::make_parts(const EngineOptions& options) {
  BackendOptions tuning = options.tuning;
  tuning.threads = options.threads;
  const int n_layers = model_->config.num_layers;
  std::vector<LayerRange> ranges{{0, n_layers}};
  std::vector<int> devices{tuning.cuda_device};
  if (!options.split_devices.empty()) {
    devices = options.split_devices;
    std::vector<int64_t> capacity;
    int bytes_per_parameter = 4;
    for (int d : devices) {
      const DeviceMemory m = device_memory(options.backend, d);
      bytes_per_parameter = m.bytes_per_parameter;
      // What weights may take of each device; the CPU's parts share one memory.
      const int64_t share = m.device == "cpu" ? int64_t(devices.size()) : 1;
      capacity.push_back(int64_t(kWeightShareOfDevice * double(m.bytes)) / share);
    }
    ranges = split_layers(model_->config, bytes_per_parameter, capacity);
  }
  for (size_t i = 0; i < devices.size(); ++i) {
    tuning.cuda_device = devices[i];
    Part part;
    part.backend = make_backend(options.backend, tuning);
    part.layers = ranges[i];
    part.ws = std::make_unique<Workspace>();
    part.ws->backend = part.backend.get();
    parts_.push_back(std::move(part));
  }
}

Backend& Engine::backend() { return use(parts_.back()); }

std::vector<LayerRange> Engine::layer_ranges() const {
  std::vector<LayerRange> r;
  for (const Part& p : parts_) r.push_back(p.layers);
  return r;
}

// Each part binds its own device when used (use(); backend() is the last
// part, which runs the logits).
void Engine::bind_thread() { backend(); }

Backend& Engine::use(Part& part) {
  part.backend->bind_thread();
  return *part.backend;
}

Engine::Part& Engine::part_of_layer(int layer) {
  for (Part& p : parts_)
    if (layer >= p.layers.begin && layer < p.layers.end) return p;
  SELFENS_CHECK(false, "engine: layer " + std::to_string(layer) + " in no part");
  return parts_.front();
}

void Engine::init_kv_pool(int64_t pages) {
  const ModelConfig& c = model_->config;
  KvShape shape;
  shape.n_kv_heads = c.num_kv_heads;
  shape.head_dim = c.head_dim;
  shape.page_size = kv_.page_size();
  shape.n_pages = pages;
  shape.n_heads = c.num_heads;
  // Each part stores the K/V of its own layers, under the same page ids.
  for (Part& p : parts_) {
    shape.n_layers = p.layers.size();
    use(p).init_kv(shape);  // first, so a failed allocation leaves kv_ as it was
  }
  kv_ = KvPages(pages, shape.page_size);
}

void Engine::reserve_kv(int64_t pages) {
  if (pages <= kv_.capacity()) return;
  SELFENS_CHECK(plan_.size() == 0, "engine: the KV pool can only grow while no span is live");
  init_kv_pool(pages);
}

void Engine::upload_weights() {
  const ModelWeights& w = model_->weights;
  Backend& first = use(parts_.front());
  tok_embeddings_ = first.upload_weight(w.tok_embeddings);
  Backend& last = use(parts_.back());
  final_norm_ = last.upload_weight(w.final_norm);
  if (!w.lm_head.empty())
    output_ = last.upload_weight(w.lm_head);
  else  // tied: the embeddings, on the last part too when it is another
    output_ = parts_.size() == 1 ? tok_embeddings_ : last.upload_weight(w.tok_embeddings);
  layers_.clear();
  for (size_t l = 0; l < w.layers.size(); ++l) {
    const LayerWeights& lw = w.layers[l];
    Backend& b = use(part_of_layer(int(l)));
    LayerTensors t;
    t.attn_norm = b.upload_weight(lw.attn_norm);
    t.wq = b.upload_linear_weight(lw.wq);
    t.wk = b.upload_linear_weight(lw.wk);
    t.wv = b.upload_linear_weight(lw.wv);
    t.bq = upload_opt(b, lw.bq);
    t.bk = upload_opt(b, lw.bk);
    t.bv = upload_opt(b, lw.bv);
    t.q_norm = upload_opt(b, lw.q_norm);
    t.k_norm = upload_opt(b, lw.k_norm);
    t.wo = b.upload_linear_weight(lw.wo);
    t.ffn_norm = b.upload_weight(lw.ffn_norm);
    t.w_gate = b.upload_linear_weight(lw.w_gate);
    t.w_up = b.upload_linear_weight(lw.w_up);
    t.w_down = b.upload_linear_weight(lw.w_down);
    layers_.push_back(t);
  }
}

// Activation buffers of one part; logit_rows 0: no logit buffers (every
// part but the last).
void Engine::ensure_workspace(Part& part, int64_t rows, int64_t logit_rows) {
  Workspace& w = *part.ws;
  if (rows <= w.rows && logit_rows <= w.logit_rows) return;
  const ModelConfig& c = config();
  w.free_all();
  w.rows = std::max(rows, w.rows);
  w.logit_rows = std::max(logit_rows, w.logit_rows);
  Backend& b = *part.backend;
  const int64_t d = c.hidden_size, qd = int64_t(c.num_heads) * c.head_dim;
  const int64_t kvd = int64_t(c.num_kv_heads) * c.head_dim;
  w.x = b.alloc(w.rows, d);
  w.h = b.alloc(w.rows, d);
  w.q = b.alloc(w.rows, qd);
  w.k = b.alloc(w.rows, kvd);
  w.v = b.alloc(w.rows, kvd);
  w.att = b.alloc(w.rows, qd);
  w.gate = b.alloc(w.rows, c.intermediate_size);
  w.up = b.alloc(w.rows, c.intermediate_size);
  if (w.logit_rows > 0) {
    w.sel = b.alloc(w.logit_rows, d);
    w.logits = b.alloc(w.logit_rows, c.vocab_size);
  }
}

SpanId Engine::create_span(std::span<const SpanId> parents, int32_t start_pos,
                           std::span<const KeyBias> bias) {
  return plan_.create(parents, start_pos, bias);
}

void Engine::free_span(SpanId span) {
  plan_.destroy(span);  // throws (and frees nothing) while children live
  kv_.free_span(span);
}

int32_t Engine::span_end_pos(SpanId span) const {
  const Span& s = plan_.get(span);
  return s.start_pos + s.length;
}

void Engine::read_kv(SpanId span, int layer, std::vector<float>& k, std::vector<float>& v) {
  const int32_t len = span_length(span);
  SELFENS_REQUIRE(layer >= 0 && layer < config().num_layers,
                  "engine: layer " + std::to_string(layer) + " out of range");
  std::vector<KvSlot> slots(static_cast<size_t>(len));
  for (int32_t i = 0; i < len; ++i) slots[size_t(i)] = kv_.slot(span, i);
  const size_t row = size_t(config().num_kv_heads) * config().head_dim;
  k.assign(size_t(len) * row, 0.0f);
  v.assign(size_t(len) * row, 0.0f);
  Part& part = part_of_layer(layer);
  use(part).read_kv(layer - part.layers.begin, slots, k, v);
}

std::vector<int32_t> Engine::generate_greedy(
    std::span<const int32_t> prompt, int max_new_tokens,
    const std::function<bool(int32_t, const std::vector<int32_t>&)>& stop) {
  SELFENS_REQUIRE(!prompt.empty(), "generate: empty prompt");
  if (plan_.size() == 0)
    reserve_kv((int64_t(prompt.size()) + max_new_tokens) / kv_page_size() + 2);
  const std::vector<int>& eos = config().eos_token_ids;
  const SpanId span = create_span({}, 0);
  std::vector<int32_t> out;
  try {
    StepBatch batch;
    batch.add_tokens(prompt, span, true);
    while (int(out.size()) < max_new_tokens) {
      const Logits logits = forward(batch);
      const int32_t tok = argmax_row(logits.row(0));
      if (std::find(eos.begin(), eos.end(), tok) != eos.end()) break;
      out.push_back(tok);
      if (stop && stop(tok, out)) break;
      batch.clear();
      batch.add(tok, span, true);
    }
  } catch (...) {
    free_span(span);
    throw;
  }
  free_span(span);
  return out;
}

}  // namespace selfens
