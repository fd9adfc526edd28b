#pragma once
// CudaBackend: the class behind make_cuda_backend (private to backend/cuda).
//
// Memory: one stream, one cuBLAS handle. Small host metadata of each op
// (tokens, positions, KV slots, rows, the attention plan) goes, per kind,
// through one pinned buffer and one device buffer at fixed addresses; an op
// whose metadata equals the last upload of its kind (e.g. the KV slots,
// identical for all layers of a forward call) reuses it.
//
// CUDA graphs (cuda_step_graph.h): prepare_step keys each forward call by
// its shape (rows, logit rows, attention tiles). The second call of a key
// is captured into a graph (its uploads become copies from the fixed pinned
// buffers), and later calls of the key replay it: their ops only check
// their arguments and write their metadata into the pinned buffers, and
// finish_step launches the graph (one launch instead of ~600, which cost
// ~4 us of device time each here). SELFENS_CUDA_GRAPHS=0 turns them off.
//
// KV store: k_cache_, v_cache_ [n_layers][n_pages][page_size][n_kv_heads * head_dim],
// fp32 in the fp32 mode; bf16 in the bf16 mode (head_dim <= 128), read by
// the tensor-core attention kernel.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "backend/backend.h"
#include "backend/cuda/cuda_attention_plan.h"
#include "backend/cuda/cuda_kernels.h"
#include "backend/cuda/cuda_lt_gemm.h"
#include "backend/cuda/cuda_profile.h"
#include "backend/cuda/cuda_step_graph.h"
#include "backend/cuda/cuda_weight_upload.h"

namespace selfens::cuda {

// Calls of more rows than this are prefill calls: so named in the op
// profile, and SELFENS_CUDA_BF16_FFN=2 takes the 16-bit feed-forward there.
constexpr int64_t kPrefillRows = 1024;

// A tensor's device address as a number (for the graph op hash).
inline uint64_t ptr(const Tensor& t) { return uint64_t(reinterpret_cast<uintptr_t>(t.data)); }

// An fp8 matrix's storage (cuda-fp8 weights, an fp8 product's input rows):
// rows x cols E4M3 values, then, 256-byte aligned, one fp32 scale per row.
inline size_t fp8_scales_offset(int64_t rows, int64_t cols) {
  return (size_t(rows) * size_t(cols) + 255) / 256 * 256;
}
inline size_t fp8_matrix_bytes(int64_t rows, int64_t cols) {
  return fp8_scales_offset(rows, cols) + size_t(rows) * sizeof(float);
}
inline float* fp8_weight_scales(const Tensor& w) {
  return reinterpret_cast<float*>(static_cast<char*>(w.data) + fp8_scales_offset(w.rows, w.cols));
}

// cudaMalloc that turns out-of-memory into an InputError naming the size,
// the device and what to do about it.
void* device_malloc(size_t bytes, const std::string& device_desc);

class CudaBackend final : public Backend {
 public:
  CudaBackend(DType weight_dtype, const BackendOptions& options);
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  std::string name() const override;
  void bind_thread() override;
  void prepare_step(std::span<const int32_t> tokens, std::span<const int32_t> positions,
                    std::span<const KvSlot> slots, const AttentionBatch& plan,
                    std::span<const int32_t> logit_rows) override;
  void finish_step() override;
  Tensor upload_weight(const HostTensor& host) override;
  Tensor upload_linear_weight(const HostTensor& host) override;
  Tensor alloc(int64_t rows, int64_t cols) override;
  void release(Tensor& t) override;
  void download(const Tensor& src, std::span<float> dst) override;
  void upload(std::span<const float> src, Tensor& dst) override;
  void copy_from(Backend& from, const Tensor& src, Tensor& dst) override;

  void init_kv(const KvShape& shape) override;
  void write_kv(int layer, const Tensor& k, const Tensor& v,
                std::span<const KvSlot> slots) override;
  void read_kv(int layer, std::span<const KvSlot> slots, std::span<float> k,
               std::span<float> v) override;

  void embed(const Tensor& table, std::span<const int32_t> tokens, Tensor& out) override;
  void rmsnorm(const Tensor& x, const Tensor& w, float eps, Tensor& out) override;
  void matmul(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& out) override;
  void matmul_add(const Tensor& x, const Tensor& w, Tensor& out, Tensor& scratch) override;
  bool adds_in_products() const override { return adds_in_products_; }
  void rope(Tensor& q, Tensor& k, int n_heads, int n_kv_heads, std::span<const float> inv_freq,
            std::span<const int32_t> positions) override;
  void silu_mul(Tensor& gate, const Tensor& up) override;
  void add(Tensor& x, const Tensor& y) override;
  void add_rmsnorm(Tensor& x, const Tensor& y, const Tensor& w, float eps, Tensor& out) override;
  bool replays_fixed_shapes() const override { return graphs_.enabled(); }
  void feed_forward(const Tensor& h, const Tensor& w_gate, const Tensor& w_up, const Tensor& w_down,
                    Tensor& gate, Tensor& up, Tensor& out, bool accumulate) override;
  void gather_rows(const Tensor& x, std::span<const int32_t> rows, Tensor& out) override;
  void attention(int layer, const Tensor& q, int n_heads, const AttentionBatch& plan,
                 Tensor& out) override;
  std::vector<int32_t> choose_tokens(const Tensor& logits, const ChoicePlan& plan) override;

  const std::string& device_description() const { return device_desc_; }

 private:
  // The forward call's attention plan, packed (cuda_attention_plan.h) and
  // uploaded through the kPlan buffer.
  PackedAttention pack_attention(const AttentionBatch& plan, int64_t q_rows, int n_heads);
  void upload_attention(PackedAttention& pa);
  void reserve_attention_state(size_t lse_count, size_t part_count, size_t head_dim);

  // Kinds of uploaded metadata, each with its buffers and a one-entry cache.
  enum Upload { kTokens, kPositions, kInvFreq, kSlots, kRows, kPlan, kChoices, kUploadKinds };
  struct UploadBuffer {
    char* host = nullptr;  // pinned
    char* dev = nullptr;
    size_t capacity = 0;
    std::vector<char> bytes;       // the last upload's contents
    bool cached = false;           // bytes are on the device (or will be, stream-ordered)
    bool in_graph = false;         // a launched graph may still copy from `host`
    cudaEvent_t copied = nullptr;  // after the last eager copy from `host`
    bool copy_pending = false;
  };
  // Device copy of `bytes` host bytes (stream-ordered; valid for ops queued next).
  const void* upload(Upload kind, const void* data, size_t bytes);
  void reserve_upload(Upload kind, size_t bytes);  // capacity for an upload (eager only)

  // --- CUDA graphs of forward calls (cuda_step_graph.h) ---
  // Folds one op into the call's hash; false when the op must not launch
  // anything (replay).
  bool record_op(Op op, std::initializer_list<uint64_t> args);
  void begin_graph_mode(uint64_t key);
  void abort_capture();
  void invalidate_graphs();  // syncs first when a graph may be running
  void sync();  // stream synchronize; no graph is in flight afterwards
  void* scratch(size_t bytes);
  // Enqueues host's values (fp32 or a file's bf16) as the 16-bit type to dst.
  void upload_16bit(const HostTensor& host, uint16_t* dst);
  // A grow-only device buffer (scratch_, fp8_scratch_): moving it drops the
  // recorded graphs and bumps scratch_generation_.
  void* grow(void*& buf, size_t& capacity, size_t bytes);
  // A bf16 copy of one activation tensor lives in scratch_, written by the
  // op that produced the tensor (rmsnorm, silu_mul, attention) or by the
  // first product that converted it: the next products reading the tensor
  // (q, k and v of one norm; gate and up) skip their conversion. Any other
  // write to the tensor drops the copy. bf16 weights only. A products-only
  // tensor (Tensor::products_only) gets only the copy: its fp32 values are
  // skipped, and reading them is refused (read_f32) until the next fp32 write.
  struct Shadow {
    void* copy;     // scratch for out's first rows; null with fp32 weights
    bool skip_f32;  // the op writes the copy only
  };
  Shadow shadow_for(const Tensor& out, int64_t rows);
  // The bf16 copy of x a product reads: its current copy, or scratch that
  // must first be filled from x (*convert; the copy is x's from then on).
  void* bf16_copy_of(const Tensor& x, bool* convert);
  // matmul and matmul_add: out = x W^T (+ bias), or out += x W^T (accumulate).
  void product(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& out, bool accumulate);
  // out [n, nout] = xb [n, in] (bf16) W^T (bf16), fp32 or bf16 (out_bf16)
  // out; accumulate (fp32 out): out += it.
  void gemm_bf16(const void* xb, const Tensor& w, void* out, bool out_bf16, int64_t n,
                 bool accumulate = false);
  // --device cuda-fp8: x's rows as fp8 with a scale each, in fp8_scratch_
  // (values, then the scales at fp8_scales_offset()). *quantize: they must
  // first be made from x's bf16 copy (forced when that copy is new).
  struct Fp8Rows {
    void* values;
    float* scales;
  };
  Fp8Rows fp8_copy_of(const Tensor& x, bool bf16_fresh, bool* quantize);
  // out [n, nout] fp32 = x8 W8^T with both scales (w: DType::kFp8), or += it.
  void gemm_fp8(const Fp8Rows& x8, const Tensor& w, void* out, int64_t n, bool accumulate);
  void wrote(const Tensor& t) {
    if (t.data == shadow_of_) shadow_of_ = nullptr;
    if (t.data == fp8_of_) fp8_of_ = nullptr;
    if (!stale_f32_.empty()) forget_stale(t.data);
  }
  void forget_stale(const void* p) {
    stale_f32_.erase(std::remove(stale_f32_.begin(), stale_f32_.end(), p), stale_f32_.end());
  }
  void read_f32(const Tensor& t) const {
    SELFENS_CHECK(std::find(stale_f32_.begin(), stale_f32_.end(), t.data) == stale_f32_.end(),
                  "CUDA backend: the fp32 values of a products-only tensor were read");
  }
  void* owned_malloc(size_t bytes);  // freed by release() or the destructor
  void copy_from_peer(int device, const void* src, void* dst, size_t bytes);  // on stream_
  void check_slots(
      std::span<const KvSlot> slots) const;  // grow-only device scratch (bf16 GEMM input, read_kv)
  void* k_layer(int layer) const;            // [n_pages, page_size, kvd]
  void* v_layer(int layer) const;

  DType weight_dtype_;
  Half16 half_ = Half16::kBf16;  // the 16-bit type of weight_dtype_ kBF16 / kF16
  bool trace_steps_ = false;  // the graph counters at exit
  int device_ = 0;
  std::string device_desc_;
  cudaStream_t stream_ = nullptr;
  // A point on stream_ another backend's stream waits for (copy_from: the
  // copy waits for the source's work, the source's next work for the copy).
  cudaEvent_t mark_ = nullptr;
  std::unordered_set<int> peers_;  // devices whose memory this one's copies may read directly
  cublasHandle_t cublas_ = nullptr;
  LtGemm lt_;  // bf16 GEMMs (fp32 ones stay on cublasGemmEx, pedantic)

  KvShape kv_shape_;
  char* k_cache_ = nullptr;  // see the header comment
  char* v_cache_ = nullptr;
  bool kv_bf16_ = false;
  size_t layer_bytes_ = 0;  // n_pages * page_size * kvd elements

  std::array<UploadBuffer, kUploadKinds> uploads_;

  // Pinned staging of bf16 weight uploads; released at the first step
  // (the engine uploads its weights before it).
  std::unique_ptr<Bf16WeightUploader> weight_uploader_;
  // Sampled choices drawn on the device (default); SELFENS_CUDA_SAMPLE=0:
  // the host draws them from downloaded logits (same samples, slower).
  bool device_sampling_ = true;
  bool fused_norm_ = true;  // add_rmsnorm as one kernel (BackendOptions::cuda_fused_norm)
  // Residual adds in the products' epilogues (BackendOptions::cuda_add_in_products).
  bool adds_in_products_ = false;
  // Decode steps' attention on the CUDA cores (BackendOptions::cuda_decode_attention).
  bool decode_attention_ = false;
  bool kv_f32_ = false;     // fp32 K/V and attention with bf16 weights (BackendOptions::cuda_kv_f32)
  int bf16_ffn_ = 0;        // feed_forward with bf16 gate/up: 1 always, 2 in prefill (BackendOptions)
  int attn_blocks_ = 0;     // BackendOptions::cuda_attn_blocks
  bool products_only_ = false;         // BackendOptions::cuda_products_only
  std::vector<const void*> stale_f32_;  // products-only tensors whose fp32 values were skipped
  StepGraphRecorder graphs_{true};  // enabled unless profiling or options say no

  std::unordered_set<void*> owned_;  // weights and alloc()ed tensors
  std::vector<char> plan_bytes_;     // packed attention plan (reused buffer)
  AttnTilingOptions tiling_;         // cascade / split settings (bf16 mode)
  AttnTiling tiling_result_;         // the current plan's tiles (reused buffers)
  AttnStateDev state_{};             // cascade states and partial results
  size_t state_lse_capacity_ = 0, state_part_capacity_ = 0;  // [entries x heads], [parts x heads]
  PackedAttention packed_;           // the current forward call's plan
  int prepared_heads_ = 0;  // query heads (KvShape::n_heads, else the last attention call's)
  void* scratch_ = nullptr;
  size_t scratch_bytes_ = 0;
  uint64_t scratch_generation_ = 0;     // bumped when scratch_ moves
  const void* shadow_of_ = nullptr;     // the tensor scratch_ holds a bf16 copy of
  int64_t shadow_count_ = 0;            // its elements
  void* fp8_scratch_ = nullptr;         // fp8 rows and scales of one tensor (Fp8Rows)
  size_t fp8_scratch_bytes_ = 0;
  const void* fp8_of_ = nullptr;        // the tensor fp8_scratch_ holds the rows of
  int64_t fp8_rows_ = 0, fp8_cols_ = 0;  // its shape
  // cuda-fp8: the 16-bit staging of a weight being quantized (freed with the uploader).
  void* fp8_staging_ = nullptr;
  size_t fp8_staging_bytes_ = 0;
  std::unique_ptr<OpProfile> profile_;  // SELFENS_CUDA_PROFILE=1 or 2
  OpProfile::Scope prof(std::string name) { return {profile_.get(), std::move(name), stream_}; }
  int32_t* choice_ids_ = nullptr;  // device ids of choose_tokens, grown as needed
  size_t choice_capacity_ = 0;
};

}  // namespace selfens::cuda
