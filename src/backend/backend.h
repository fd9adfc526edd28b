#pragma once
// The one small interface between the forward pass (engine/) and the
// hardware: device memory, the paged KV store, and the ops of a Llama/Qwen2
// decoder layer. The forward pass is written once against it; CPU and CUDA
// implement it. Ops take small host-side metadata (token ids, positions, KV
// slots, the attention batch) and move it to the device themselves.
//
// Granularity: one call per op on a whole ragged batch (all rows of all spans
// at once), so each matrix product is one GEMM and a GPU backend can capture
// the sequence of calls in a graph.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "backend/token_choice.h"
#include "backend/backend_options.h"
#include "kv/kv_pages.h"
#include "model/footprint.h"
#include "model/model.h"

namespace selfens {

// kBF16 / kF16: the CUDA backend's 16-bit modes (--device cuda / cuda-fp16).
// kFp8: --device cuda-fp8, bf16 activations and K/V with the decoder layers'
// matrices as fp8 E4M3 (one fp32 scale per output row, stored after the
// values; the products quantize their input rows to fp8 with a scale each).
enum class DType : uint8_t { kF32, kBF16, kF16, kFp8 };

// A 2-D row-major view of backend memory (device memory for CUDA). Views do
// not own: weights belong to the backend, activations to whoever alloc()ed.
struct Tensor {
  void* data = nullptr;
  int64_t rows = 0;  // e.g. batch rows, or out_features for weights
  int64_t cols = 0;  // contiguous dimension
  DType dtype = DType::kF32;
  // An activation written only for matrix products to read (the engine's
  // normed inputs, attention output, SiLU product): a backend whose products
  // read a 16-bit copy may write just that copy, and then refuses to read
  // the fp32 values (CudaBackend with SELFENS_CUDA_PRODUCTS_ONLY=1).
  bool products_only = false;

  float* f32() const { return static_cast<float*>(data); }
  bool empty() const { return data == nullptr; }
  // The first n rows (same storage).
  Tensor first_rows(int64_t n) const { return {data, n, cols, dtype, products_only}; }
  // The same storage, marked as read by products only.
  Tensor for_products() const { return {data, rows, cols, dtype, true}; }
};

// Shape of the paged KV store: for every layer and page, K and V of
// page_size tokens x n_kv_heads heads x head_dim.
struct KvShape {
  int32_t n_layers = 0;
  int32_t n_kv_heads = 0;
  int32_t head_dim = 0;
  int32_t page_size = 0;
  int64_t n_pages = 0;
  int32_t n_heads = 0;  // query heads, when known (lets prepare_step pack attention work)
};

// One run of keys visible to a group of queries: a span's first n_tokens
// tokens, stored in pages[page_begin .. page_begin + ceil(n_tokens/page_size)).
struct AttnSegment {
  int32_t page_begin = 0;  // index into AttentionBatch::pages
  int32_t n_tokens = 0;
  float bias = 0.0f;       // added to the scaled scores of these keys
  float scale = 1.0f;      // multiplies their scaled scores (before the bias)
};

// The query rows of one span in this batch and the key segments they see
// (ancestors first, the span itself last: causal within it).
struct AttnGroup {
  int32_t seg_begin = 0, seg_end = 0;  // into AttentionBatch::segments
  int32_t row_begin = 0, row_end = 0;  // into AttentionBatch::rows
};

// Host-side attention plan of one forward call (the same for every layer).
struct AttentionBatch {
  std::vector<AttnGroup> groups;
  std::vector<AttnSegment> segments;
  std::vector<int32_t> pages;       // page ids
  std::vector<int32_t> rows;        // batch row of each query, grouped by span
  std::vector<int32_t> self_limit;  // per entry of rows: tokens of its group's
                                    // last (own) segment it may see (index + 1)
  float scale = 1.0f;               // 1 / sqrt(head_dim)
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // Makes the calling thread able to run this backend's ops (CUDA: sets
  // its device current). An engine driven from another thread than the one
  // that made it (--devices: one thread per engine) calls it first.
  virtual void bind_thread() {}

  // --- memory ---
  // A weight on the device. The CPU backend aliases `host` (no copy) when
  // it holds fp32 values: the HostTensor must outlive the backend. 1-D
  // tensors become [1, n]. Every backend takes fp32 or bf16 host values.
  virtual Tensor upload_weight(const HostTensor& host) = 0;
  // A decoder layer's projection matrix (q, k, v, o, gate, up, down), read
  // only by matmul: a backend may store it in a narrower type than the
  // embeddings and the output head (--device cuda-fp8).
  virtual Tensor upload_linear_weight(const HostTensor& host) { return upload_weight(host); }
  virtual Tensor alloc(int64_t rows, int64_t cols) = 0;  // fp32, uninitialised
  virtual void release(Tensor& t) = 0;
  virtual void download(const Tensor& src, std::span<float> dst) = 0;  // all rows
  // dst's rows = src (fp32, rows * cols values); src may be reused on return.
  // Not inside a forward call (between finish_step and the next prepare_step).
  virtual void upload(std::span<const float> src, Tensor& dst) = 0;
  // dst (this backend's) = src, which `from` holds (same shape, fp32): how
  // the residual stream goes from one part of a layer-split engine to the
  // next. The default goes through the host (download, upload); the CUDA
  // backend copies device to device, ordered after `from`'s queued work,
  // without waiting on the host. Same rule as upload: not inside a forward call.
  virtual void copy_from(Backend& from, const Tensor& src, Tensor& dst);

  // --- paged KV store ---
  virtual void init_kv(const KvShape& shape) = 0;
  // k, v: [n, n_kv_heads * head_dim]; row i goes to slots[i].
  virtual void write_kv(int layer, const Tensor& k, const Tensor& v,
                        std::span<const KvSlot> slots) = 0;
  // Host copy of the K/V at `slots`: k, v [slots.size(), n_kv_heads * head_dim].
  virtual void read_kv(int layer, std::span<const KvSlot> slots, std::span<float> k,
                       std::span<float> v) = 0;

  // --- per forward call ---
  // Called once per forward call, before any op, with the metadata that the
  // call's embed / rope / write_kv / attention / gather_rows calls will then
  // receive again (the same objects). A device backend uploads it here once
  // instead of once per layer, and may record the call's ops as a CUDA graph
  // and replay it for later calls of the same shape; finish_step() follows
  // the call's last op. The CPU backend needs neither.
  virtual void prepare_step(std::span<const int32_t> tokens, std::span<const int32_t> positions,
                            std::span<const KvSlot> slots, const AttentionBatch& plan,
                            std::span<const int32_t> logit_rows) {}
  virtual void finish_step() {}
  // Whether a forward call whose shape (rows, logit rows, attention work) was
  // seen before runs faster (CUDA graphs replayed): schedulers then keep
  // shapes steady where they can (Engine::steady_shapes).
  virtual bool replays_fixed_shapes() const { return false; }

  // --- ops (n = rows of the first tensor argument) ---
  // out[i] = table[tokens[i]]; table [vocab, d], out [n, d].
  virtual void embed(const Tensor& table, std::span<const int32_t> tokens, Tensor& out) = 0;
  // out = x / rms(x) * w; x, out [n, d]; w [1, d].
  virtual void rmsnorm(const Tensor& x, const Tensor& w, float eps, Tensor& out) = 0;
  // out = x W^T (+ bias); x [n, in], w [out, in], bias [1, out] or null, out [n, out].
  virtual void matmul(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& out) = 0;
  // Rotary embedding, rotate_half pairs (i, i + head_dim/2), in place on
  // q [n, n_heads * head_dim] and k [n, n_kv_heads * head_dim];
  // inv_freq [head_dim / 2] (scaling already applied); positions [n].
  virtual void rope(Tensor& q, Tensor& k, int n_heads, int n_kv_heads,
                    std::span<const float> inv_freq, std::span<const int32_t> positions) = 0;
  // gate = silu(gate) * up; both [n, ffn].
  virtual void silu_mul(Tensor& gate, const Tensor& up) = 0;
  // x += y; both [n, d].
  virtual void add(Tensor& x, const Tensor& y) = 0;
  // Fused sequences of the ops above, for backends that can do them in
  // fewer passes over memory; the defaults run the ops one by one.
  // The residual add and the next norm: x += y, then out = x / rms(x) * w;
  // x, y, out [n, d] (y and out may alias).
  virtual void add_rmsnorm(Tensor& x, const Tensor& y, const Tensor& w, float eps, Tensor& out);
  // The residual add inside a product: out += x W^T; x [n, in], w [out, in],
  // out [n, out]. The default runs matmul into scratch ([n, out]) and adds it.
  virtual void matmul_add(const Tensor& x, const Tensor& w, Tensor& out, Tensor& scratch);
  // Whether matmul_add adds inside the product (no pass over memory of its
  // own): the engine then adds each block's output to the residual stream in
  // its last product, instead of in the next norm (add_rmsnorm).
  virtual bool adds_in_products() const { return false; }
  // The SwiGLU feed-forward block: out = (silu(h Wg^T) * (h Wu^T)) Wd^T, or
  // out += it (accumulate: the down product is a matmul_add); h [n, d], out
  // [n, d]; gate, up [n, ffn] (ffn >= d) are its scratch (their contents
  // afterwards are unspecified).
  virtual void feed_forward(const Tensor& h, const Tensor& w_gate, const Tensor& w_up,
                            const Tensor& w_down, Tensor& gate, Tensor& up, Tensor& out,
                            bool accumulate);
  // out[i] = x[rows[i]]; out [rows.size(), d].
  virtual void gather_rows(const Tensor& x, std::span<const int32_t> rows, Tensor& out) = 0;
  // Span attention of layer `layer` over the paged KV store: for each query
  // row, softmax(q k^T * scale + bias) v over its visible keys, per head
  // (GQA: head h reads kv head h / (n_heads / n_kv_heads)).
  // q, out [n, n_heads * head_dim].
  virtual void attention(int layer, const Tensor& q, int n_heads,
                         const AttentionBatch& plan, Tensor& out) = 0;

  // One token id per choice from logits [rows, vocab] (token_choice.h). The
  // default downloads the rows and chooses on the host; the CUDA backend
  // chooses on the device and downloads only the ids.
  virtual std::vector<int32_t> choose_tokens(const Tensor& logits, const ChoicePlan& plan);
};

// "cpu" (always); "cuda" (bf16 weights), "cuda-fp16" (fp16), "cuda-fp8"
// (fp8 layer matrices, bf16 otherwise) or "cuda-f32" when built with CUDA;
// "auto": "cuda" when a GPU is usable, else "cpu". threads <= 0: all cores.
std::unique_ptr<Backend> make_backend(const std::string& kind, const BackendOptions& options);
// The same with backend_options_from_environment() and `threads`.
std::unique_ptr<Backend> make_backend(const std::string& kind, int threads);
// GPUs the CUDA backend can use (0 without a GPU or a CUDA build).
int gpu_count();
// Whether make_backend(kind) stores 2-D weights as bf16: then the loader
// may hand it a bf16 file's bytes instead of fp32 (LoadOptions::bf16_views).
bool backend_keeps_bf16_weights(const std::string& kind);
// The memory the weights of make_backend(kind) live in (this machine's RAM
// for cpu, GPU `gpu`'s for cuda) and the bytes a parameter takes there.
DeviceMemory device_memory(const std::string& kind, int gpu = 0);
// The backend make_backend(kind) makes, without making it: "cpu", "cuda",
// "cuda-fp16", "cuda-fp8" or "cuda-f32" ("auto" resolved). InputError for an unknown kind or "cuda"
// without a CUDA build, so a typo fails before any other work.
std::string resolve_backend_kind(const std::string& kind);
// The arithmetic a resolved backend computes in: "bf16" (cuda), "fp16"
// (cuda-fp16), "fp8" (cuda-fp8) or "fp32" (cpu, cuda-f32; their predictions
// agree), followed by the switches of `options` that change which values
// are rounded to a narrower type, when set ("fp32, int8 few-row
// activations", "fp32, bf16 at weights,kv", "bf16, fp32 K/V", "bf16,
// 16-bit gate/up in prefill"); switches that only reorder sums (cascade,
// splits, residual adds in the products) are not named. Results of two differ, so a result file
// records it and does not mix them.
std::string backend_precision(const std::string& resolved_kind,
                              const BackendOptions& options = backend_options_from_environment());
// The CUDA --device kind whose weights are of type `dtype` ("cuda" for
// kBF16, "cuda-fp16", "cuda-fp8", "cuda-f32").
std::string cuda_device_kind(DType dtype);

}  // namespace selfens
