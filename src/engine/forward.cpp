// The batched forward pass over a ragged StepBatch: placement of the new
// tokens (span index, position, KV slot), the attention plan of the batch, and
// the decoder layers as backend ops on the whole batch at once.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "engine/engine_internal.h"
#include "util/check.h"

namespace selfens {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Where each row of a batch goes, and the final length of every span in it.
struct Placement {
  std::vector<int32_t> index;      // [n] token index within its span
  std::vector<int32_t> positions;  // [n]
  std::vector<SpanId> order;       // spans in order of first appearance
  std::unordered_map<SpanId, int32_t> new_length;
};

Placement place_rows(const SpanGraph& plan, const StepBatch& b, int32_t vocab) {
  const size_t n = b.size();
  SELFENS_REQUIRE(n > 0, "forward: empty batch");
  SELFENS_REQUIRE(b.span.size() == n && b.pos.size() == n && b.need_logits.size() == n,
                  "forward: batch arrays token/span/pos/need_logits differ in length");
  Placement p;
  p.index.resize(n);
  p.positions.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const SpanId id = b.span[i];
    SELFENS_REQUIRE(plan.exists(id), "forward: batch row " + std::to_string(i) +
                                         " names unknown span " + std::to_string(id));
    SELFENS_REQUIRE(b.token[i] >= 0 && b.token[i] < vocab,
                    "forward: batch row " + std::to_string(i) + ": token id " +
                        std::to_string(b.token[i]) + " outside the vocabulary");
    const Span& s = plan.get(id);
    auto [it, fresh] = p.new_length.try_emplace(id, s.length);
    if (fresh) p.order.push_back(id);
    p.index[i] = it->second++;
    p.positions[i] = s.start_pos + p.index[i];
    SELFENS_REQUIRE(b.pos[i] < 0 || b.pos[i] == p.positions[i],
                    "forward: batch row " + std::to_string(i) + " gives position " +
                        std::to_string(b.pos[i]) + " but span " + std::to_string(id) +
                        " places it at " + std::to_string(p.positions[i]));
  }
  return p;
}

// The attention work of the batch: one group per span, its visible spans as
// segments (with their lengths after this batch), its rows.
AttentionBatch plan_attention(const SpanGraph& plan, const KvPages& kv, const Placement& p,
                              const StepBatch& b, int head_dim) {
  AttentionBatch a;
  a.scale = 1.0f / std::sqrt(float(head_dim));
  std::unordered_map<SpanId, std::vector<int32_t>> rows_of;
  for (size_t i = 0; i < b.size(); ++i) rows_of[b.span[i]].push_back(int32_t(i));
  for (SpanId id : p.order) {
    AttnGroup g;
    g.seg_begin = int32_t(a.segments.size());
    for (const VisibleSpan& vis : plan.visible(id)) {
      auto it = p.new_length.find(vis.id);
      const int32_t len = it != p.new_length.end() ? it->second : plan.get(vis.id).length;
      if (len == 0 && !vis.self) continue;
      AttnSegment seg;
      seg.page_begin = int32_t(a.pages.size());
      seg.n_tokens = len;
      seg.bias = vis.bias;
      seg.scale = vis.scale;
      const std::vector<int32_t>& pages = kv.pages(vis.id);
      const size_t n_pages = (size_t(len) + kv.page_size() - 1) / kv.page_size();
      SELFENS_CHECK(pages.size() >= n_pages, "span KV pages missing");
      a.pages.insert(a.pages.end(), pages.begin(), pages.begin() + long(n_pages));
      a.segments.push_back(seg);
    }
    g.seg_end = int32_t(a.segments.size());
    g.row_begin = int32_t(a.rows.size());
    for (int32_t r : rows_of[id]) {
      a.rows.push_back(r);
      a.self_limit.push_back(p.index[size_t(r)] + 1);
    }
    g.row_end = int32_t(a.rows.size());
    a.groups.push_back(g);
  }
  return a;
}

}  // namespace

// Runs the batch through the model and leaves the logits of the rows that
// asked for them in the workspace; returns those rows (empty tensor: none).
Tensor Engine::compute_logits(const StepBatch& batch, std::vector<int32_t>& batch_rows) {
  const auto t0 = std::chrono::steady_clock::now();
  const ModelConfig& c = config();
  const Placement p = place_rows(plan_, batch, c.vocab_size);
  const int64_t n = int64_t(batch.size());

  // KV pages for every span's new length: all or nothing.
  std::vector<std::pair<SpanId, int32_t>> requests(p.new_length.begin(), p.new_length.end());
  kv_.reserve(requests);
  std::vector<KvSlot> slots(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    slots[size_t(i)] = kv_.slot(batch.span[size_t(i)], p.index[size_t(i)]);
  const AttentionBatch attn = plan_attention(plan_, kv_, p, batch, c.head_dim);

  batch_rows.clear();
  for (int64_t i = 0; i < n; ++i)
    if (batch.need_logits[size_t(i)]) batch_rows.push_back(int32_t(i));
  const int64_t rows = int64_t(batch_rows.size());

  // Part by part (one without --split layers): the first embeds, each runs
  // its layers, the residual stream goes on to the next (Backend::copy_from:
  // device to device on GPUs, queued behind the previous part's work).
  for (size_t pi = 0; pi < parts_.size(); ++pi) {
    Part& part = parts_[pi];
    Backend& b = use(part);
    const bool last = pi + 1 == parts_.size();
    ensure_workspace(part, n, last ? std::max<int64_t>(rows, 1) : 0);
    Tensor x = part.ws->x.first_rows(n);
    if (pi > 0) b.copy_from(*parts_[pi - 1].backend, parts_[pi - 1].ws->x.first_rows(n), x);
    b.prepare_step(batch.token, p.positions, slots, attn,
                   last ? std::span<const int32_t>(batch_rows) : std::span<const int32_t>());
    if (pi == 0) b.embed(tok_embeddings_, batch.token, x);
    run_layers(part, n, p.positions, slots, attn);
    if (!last) b.finish_step();
  }

  // The tokens are in the KV store now: append them to their spans.
  for (const auto& [id, len] : p.new_length) plan_.append(id, len - plan_.get(id).length);

  Backend& b = backend();
  Workspace& w = *parts_.back().ws;
  Tensor logits;
  if (rows > 0) {
    Tensor x = w.x.first_rows(n);
    Tensor sel = w.sel.first_rows(rows);
    logits = w.logits.first_rows(rows);
    b.gather_rows(x, batch_rows, sel);
    b.rmsnorm(sel, final_norm_, c.rms_norm_eps, sel);
    b.matmul(sel, output_, nullptr, logits);
  }
  b.finish_step();
  stats_.forward_calls += 1;
  stats_.rows += n;
  stats_.logit_rows += rows;
  last_enqueue_s_ = seconds_since(t0);
  stats_.enqueue_seconds += last_enqueue_s_;
  return logits;
}

Logits Engine::forward(const StepBatch& batch) {
  Logits out;
  out.vocab = config().vocab_size;
  const Tensor logits = compute_logits(batch, out.batch_row);
  out.rows = int32_t(out.batch_row.size());
  if (out.rows > 0) {
    const auto t0 = std::chrono::steady_clock::now();
    out.data.resize(size_t(out.rows) * size_t(out.vocab));
    backend().download(logits, out.data);
    stats_.finish_seconds += seconds_since(t0);
  }
  return out;
}

std::vector<int32_t> Engine::forward_choose(const StepBatch& batch, const ChoicePlan& choices) {
  std::vector<int32_t> batch_rows;
  const Tensor logits = compute_logits(batch, batch_rows);
  if (choices.choices.empty()) return {};
  SELFENS_CHECK(!logits.empty(), "forward_choose: choices but no row asked for logits");
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<int32_t> ids = backend().choose_tokens(logits, choices);
  stats_.finish_seconds += seconds_since(t0);
  if (trace_steps_)
    std::fprintf(stderr, "selfens step: rows %zu, choices %zu, enqueue %.3f ms, finish %.3f ms\n",
                 batch.size(), choices.choices.size(), last_enqueue_s_ * 1e3,
                 seconds_since(t0) * 1e3);
  return ids;
}

void Engine::run_layers(Part& part, int64_t n, std::span<const int32_t> positions,
                        std::span<const KvSlot> slots, const AttentionBatch& attn) {
  const ModelConfig& c = config();
  Workspace& w = *part.ws;
  Backend& b = *part.backend;
  Tensor x = w.x.first_rows(n), h = w.h.first_rows(n), q = w.q.first_rows(n);
  Tensor k = w.k.first_rows(n), v = w.v.first_rows(n), att = w.att.first_rows(n);
  Tensor gate = w.gate.first_rows(n), up = w.up.first_rows(n);
  auto bias = [](const Tensor& t) { return t.empty() ? nullptr : &t; };
  // Each residual add is folded into the block's last product where the
  // backend's products can add (Backend::adds_in_products: x += att Wo^T,
  // x += ffn Wd^T), else fused with the norm that reads its sum: the
  // attention block's with the feed-forward norm, the feed-forward block's
  // with the next layer's attention norm (the part's last add stands alone).
  // hn: h as the normed input of products (and att, once attention wrote
  // it; gate inside feed_forward): only products read them (Tensor::products_only).
  Tensor hn = h.for_products();
  Tensor att_p = att.for_products();
  const int begin = part.layers.begin, end = part.layers.end;
  const bool fold = b.adds_in_products();
  if (begin < end) b.rmsnorm(x, layers_[size_t(begin)].attn_norm, c.rms_norm_eps, hn);
  for (int l = begin; l < end; ++l) {
    const LayerTensors& L = layers_[size_t(l)];
    // Attention block (h holds its normed input).
    b.matmul(hn, L.wq, bias(L.bq), q);
    b.matmul(hn, L.wk, bias(L.bk), k);
    b.matmul(hn, L.wv, bias(L.bv), v);
    if (!L.q_norm.empty()) {  // per-head RMSNorm: q and k viewed as [rows * heads, head_dim]
      Tensor qh{q.data, n * c.num_heads, c.head_dim, q.dtype};
      Tensor kh{k.data, n * c.num_kv_heads, c.head_dim, k.dtype};
      b.rmsnorm(qh, L.q_norm, c.rms_norm_eps, qh);
      b.rmsnorm(kh, L.k_norm, c.rms_norm_eps, kh);
    }
    b.rope(q, k, c.num_heads, c.num_kv_heads, inv_freq_, positions);
    b.write_kv(l - begin, k, v, slots);  // the part's KV store holds its own layers
    b.attention(l - begin, q, c.num_heads, attn, att_p);
    if (fold) {
      b.matmul_add(att_p, L.wo, x, h);
      b.rmsnorm(x, L.ffn_norm, c.rms_norm_eps, hn);
    } else {
      b.matmul(att_p, L.wo, nullptr, h);
      b.add_rmsnorm(x, h, L.ffn_norm, c.rms_norm_eps, hn);
    }
    // Feed-forward block (SwiGLU).
    b.feed_forward(hn, L.w_gate, L.w_up, L.w_down, gate, up, fold ? x : h, fold);
    if (l + 1 < end) {
      const Tensor& next_norm = layers_[size_t(l) + 1].attn_norm;
      if (fold)
        b.rmsnorm(x, next_norm, c.rms_norm_eps, hn);
      else
        b.add_rmsnorm(x, h, next_norm, c.rms_norm_eps, hn);
    } else if (!fold) {
      b.add(x, h);
    }
  }
}

}  // namespace selfens
