// CudaBackend ops: host-side checks, metadata upload, one launch each.
#include <algorithm>
#include <cstring>

#include "backend/cuda/cuda_backend_impl.h"
#include "backend/cuda/cuda_check.h"
#include "util/check.h"

namespace selfens::cuda {

void CudaBackend::embed(const Tensor& table, std::span<const int32_t> tokens, Tensor& out) {
  auto prof_scope = prof("embed");
  SELFENS_CHECK(out.cols == table.cols && int64_t(tokens.size()) <= out.rows, "embed shapes");
  for (size_t i = 0; i < tokens.size(); ++i)
    SELFENS_REQUIRE(tokens[i] >= 0 && tokens[i] < table.rows,
                    "forward: token id " + std::to_string(tokens[i]) +
                        " outside the vocabulary [0, " + std::to_string(table.rows) + ")");
  const auto* dt = static_cast<const int32_t*>(upload(kTokens, tokens.data(), tokens.size_bytes()));
  wrote(out);
  if (!record_op(Op::kEmbed, {ptr(table), ptr(out), tokens.size()})) return;
  launch_embed(table.data, table.dtype != DType::kF32, dt, int64_t(tokens.size()), table.cols,
               out.f32(), half_, stream_);
}

void CudaBackend::rmsnorm(const Tensor& x, const Tensor& w, float eps, Tensor& out) {
  auto prof_scope = prof("rmsnorm");
  SELFENS_CHECK(
      w.cols == x.cols && out.cols == x.cols && out.rows >= x.rows && w.dtype == DType::kF32,
      "rmsnorm shapes");
  read_f32(x);
  const auto [out_bf16, skip] = shadow_for(out, x.rows);
  if (!record_op(Op::kRmsNorm,
                 {ptr(x), ptr(w), ptr(out), uint64_t(x.rows), uint64_t(x.cols), uint64_t(skip)}))
    return;
  launch_rmsnorm(x.f32(), w.f32(), eps, x.rows, x.cols, out.f32(), out_bf16, half_, stream_, !skip);
}

void* CudaBackend::bf16_copy_of(const Tensor& x, bool* convert) {
  const int64_t count = x.rows * x.cols;
  *convert = !(x.data == shadow_of_ && shadow_count_ == count);
  if (!*convert) return scratch_;
  void* xb = scratch(size_t(count) * 2);
  shadow_of_ = x.data;
  shadow_count_ = count;
  return xb;
}

// out [n, nout] (row-major) = x [n, in] W^T, W [nout, in]. In cuBLAS's
// column-major terms: out^T [nout, n] = W^T(op T of W's [in, nout]) x^T.
void CudaBackend::gemm_bf16(const void* xb, const Tensor& w, void* out, bool out_bf16, int64_t n,
                            bool accumulate) {
  const int64_t in = w.cols, nout = w.rows;
  SELFENS_CHECK(!(accumulate && out_bf16), "gemm_bf16: accumulation needs fp32 output");
  if (lt_.run(w.data, xb, out, out_bf16, n, in, nout, stream_, accumulate)) return;
  const float alpha = 1.0f, beta = accumulate ? 1.0f : 0.0f;
  CUBLAS_CHECK(cublasGemmEx(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, int(nout), int(n), int(in), &alpha,
                            w.data, cuda_data_type(half_), int(in), xb, cuda_data_type(half_),
                            int(in), &beta, out, out_bf16 ? cuda_data_type(half_) : CUDA_R_32F,
                            int(nout), CUBLAS_COMPUTE_32F,
                            CUBLAS_GEMM_DEFAULT));
}

CudaBackend::Fp8Rows CudaBackend::fp8_copy_of(const Tensor& x, bool bf16_fresh, bool* quantize) {
  // Keyed by rows and columns: the scales are per row.
  *quantize = bf16_fresh || !(x.data == fp8_of_ && fp8_rows_ == x.rows && fp8_cols_ == x.cols);
  char* buf = static_cast<char*>(grow(fp8_scratch_, fp8_scratch_bytes_,
                                      fp8_matrix_bytes(x.rows, x.cols)));
  fp8_of_ = x.data;
  fp8_rows_ = x.rows;
  fp8_cols_ = x.cols;
  return {buf, reinterpret_cast<float*>(buf + fp8_scales_offset(x.rows, x.cols))};
}

void CudaBackend::gemm_fp8(const Fp8Rows& x8, const Tensor& w, void* out, int64_t n,
                           bool accumulate) {
  SELFENS_REQUIRE(lt_.run_fp8(w.data, fp8_weight_scales(w), x8.values, x8.scales,
                              static_cast<float*>(out), n, w.cols, w.rows, stream_, accumulate),
                  "--device cuda-fp8: cuBLAS offers no fp8 product with per-row scales for " +
                      std::to_string(n) + " x " + std::to_string(w.cols) + " x " +
                      std::to_string(w.rows) + " on " + device_desc_ +
                      " (it needs cuBLAS 12.9 or newer): use --device cuda");
}

void CudaBackend::matmul(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& out) {
  product(x, w, bias, out, false);
}

void CudaBackend::matmul_add(const Tensor& x, const Tensor& w, Tensor& out, Tensor& scratch) {
  if (!adds_in_products_) return Backend::matmul_add(x, w, out, scratch);
  product(x, w, nullptr, out, true);
}

namespace {

// A product's name in the op profile: kind, output and input widths (the
// down product apart from q and o), prefill or not.
std::string product_label(bool accumulate, int64_t nout, int64_t in, int64_t rows) {
  return std::string(accumulate ? "matmul+add" : "matmul") + " out=" + std::to_string(nout) +
         " in=" + std::to_string(in) + (rows > kPrefillRows ? " prefill" : "");
}

}  // namespace

// out = x W^T (+ bias), or out += x W^T (accumulate: cuBLAS's beta = 1).
void CudaBackend::product(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& out,
                          bool accumulate) {
  auto prof_scope = prof(profile_ ? product_label(accumulate, w.rows, w.cols, x.rows) : std::string());
  const int64_t n = x.rows, in = x.cols, nout = w.rows;
  SELFENS_CHECK(w.cols == in && out.cols == nout && out.rows >= n, "matmul shapes");
  SELFENS_CHECK(x.dtype == DType::kF32, "matmul input must be fp32");
  if (n == 0) return;
  const Tensor* b = bias != nullptr && !bias->empty() ? bias : nullptr;
  SELFENS_CHECK(!(accumulate && b != nullptr), "matmul_add takes no bias");
  if (accumulate) read_f32(out);
  // bf16 weights: x as bf16, from the copy its producer wrote (or an earlier
  // product converted) when there is one, else converted here.
  // fp8 weights: x's bf16 copy, then its rows as fp8 (shared as the bf16
  // copy is: q, k and v quantize their input once).
  const bool bf16 = w.dtype != DType::kF32, fp8 = w.dtype == DType::kFp8;
  bool convert = false, quantize = false;
  void* xb = bf16 ? bf16_copy_of(x, &convert) : nullptr;
  const Fp8Rows x8 = fp8 ? fp8_copy_of(x, convert, &quantize) : Fp8Rows{};
  if (!bf16 || convert) read_f32(x);
  wrote(out);
  if (!record_op(Op::kMatmul,
                 {ptr(x), ptr(w), b ? ptr(*b) : 0, ptr(out), uint64_t(n), uint64_t(in),
                  uint64_t(nout), scratch_generation_,
                  uint64_t(convert) | uint64_t(quantize) << 1 | uint64_t(accumulate) << 2}))
    return;
  if (bf16) {
    // bf16 x bf16 (or fp8 x fp8) on the tensor cores, fp32 accumulate and output.
    if (convert) launch_f32_to_bf16(x.f32(), xb, n * in, half_, stream_);
    if (fp8) {
      if (quantize) launch_quantize_rows_fp8(xb, n, in, x8.values, x8.scales, half_, stream_);
      gemm_fp8(x8, w, out.data, n, accumulate);
    } else {
      gemm_bf16(xb, w, out.data, false, n, accumulate);
    }
  } else {
    // Plain fp32 (CUBLAS_COMPUTE_32F_PEDANTIC: never TF32, whatever the environment says).
    const float alpha = 1.0f, beta = accumulate ? 1.0f : 0.0f;
    CUBLAS_CHECK(cublasGemmEx(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, int(nout), int(n), int(in), &alpha,
                              w.data, CUDA_R_32F, int(in), x.data, CUDA_R_32F, int(in), &beta,
                              out.data, CUDA_R_32F, int(nout), CUBLAS_COMPUTE_32F_PEDANTIC,
                              CUBLAS_GEMM_DEFAULT));
  }
  if (b != nullptr) {
    SELFENS_CHECK(b->cols == nout && b->dtype == DType::kF32, "bias shape");
    launch_add_bias(out.f32(), b->f32(), n, nout, stream_);
  }
}

// bf16 weights (SELFENS_CUDA_BF16_FFN=1, or =2 for prefill calls): gate and
// up come out of their products as bf16 (in the first half of their fp32
// buffers), silu(gate) * up is taken and rounded to bf16 in place, and the
// down product reads that: no fp32 pass over the [n, ffn] activations.
// Rounding gate and up to bf16 first is what a bf16 transformers model
// does; the fp32 path (and the CPU) keep them fp32.
void CudaBackend::feed_forward(const Tensor& h, const Tensor& w_gate, const Tensor& w_up,
                               const Tensor& w_down, Tensor& gate, Tensor& up, Tensor& out,
                               bool accumulate) {
  const auto sixteen = [](const Tensor& t) { return t.dtype == DType::kBF16 || t.dtype == DType::kF16; };
  const bool all_bf16 = sixteen(w_gate) && sixteen(w_up) && sixteen(w_down);
  const bool here = bf16_ffn_ == 1 || (bf16_ffn_ == 2 && h.rows > kPrefillRows);
  if (!here || !all_bf16 || w_gate.rows % 2 != 0 || (accumulate && !adds_in_products_))
    return Backend::feed_forward(h, w_gate, w_up, w_down, gate, up, out, accumulate);
  const int64_t n = h.rows, d = h.cols, ffn = w_gate.rows;
  SELFENS_CHECK(w_gate.cols == d && w_up.rows == ffn && w_up.cols == d && w_down.rows == d &&
                    w_down.cols == ffn && gate.cols == ffn && up.cols == ffn && gate.rows >= n &&
                    up.rows >= n && out.cols == d && out.rows >= n && h.dtype == DType::kF32,
                "feed_forward shapes");
  if (n == 0) return;
  bool convert = false;
  void* hb = bf16_copy_of(h, &convert);
  if (convert) read_f32(h);
  if (accumulate) read_f32(out);
  wrote(gate);
  wrote(up);
  wrote(out);
  if (!record_op(Op::kFeedForward,
                 {ptr(h), ptr(w_gate), ptr(w_up), ptr(w_down), ptr(gate), ptr(up), ptr(out),
                  uint64_t(n), scratch_generation_, uint64_t(convert) | uint64_t(accumulate) << 1}))
    return;
  // Each step timed on its own (SELFENS_CUDA_PROFILE): named as matmul's.
  const std::string at = n > kPrefillRows ? " prefill" : "";
  if (convert) launch_f32_to_bf16(h.f32(), hb, n * d, half_, stream_);
  {
    auto p = prof(profile_ ? "matmul bf16 out=" + std::to_string(ffn) + at : std::string());
    gemm_bf16(hb, w_gate, gate.data, true, n);
    gemm_bf16(hb, w_up, up.data, true, n);
  }
  {
    auto p = prof(profile_ ? "silu_mul bf16" + at : std::string());
    launch_silu_mul_bf16(gate.data, up.data, n * ffn, gate.data, half_, stream_);
  }
  auto p = prof(profile_ ? product_label(accumulate, d, ffn, n) : std::string());
  gemm_bf16(gate.data, w_down, out.data, false, n, accumulate);
}

void CudaBackend::rope(Tensor& q, Tensor& k, int n_heads, int n_kv_heads,
                       std::span<const float> inv_freq, std::span<const int32_t> positions) {
  auto prof_scope = prof("rope");
  const int half = int(inv_freq.size());
  const int hd = 2 * half;
  SELFENS_CHECK(q.cols == int64_t(n_heads) * hd && k.cols == int64_t(n_kv_heads) * hd &&
                    int64_t(positions.size()) == q.rows && k.rows >= q.rows,
                "rope shapes");
  const auto* df =
      static_cast<const float*>(upload(kInvFreq, inv_freq.data(), inv_freq.size_bytes()));
  const auto* dp =
      static_cast<const int32_t*>(upload(kPositions, positions.data(), positions.size_bytes()));
  read_f32(q);
  read_f32(k);
  wrote(q);
  wrote(k);
  if (!record_op(Op::kRope,
                 {ptr(q), ptr(k), uint64_t(q.rows), uint64_t(n_heads), uint64_t(n_kv_heads)}))
    return;
  launch_rope(q.f32(), k.f32(), n_heads, n_kv_heads, half, df, dp, q.rows, stream_);
}

void CudaBackend::silu_mul(Tensor& gate, const Tensor& up) {
  auto prof_scope = prof("silu_mul");
  SELFENS_CHECK(up.cols == gate.cols && up.rows >= gate.rows, "silu_mul shapes");
  read_f32(gate);
  read_f32(up);
  const auto [gate_bf16, skip] = shadow_for(gate, gate.rows);
  if (!record_op(Op::kSiluMul,
                 {ptr(gate), ptr(up), uint64_t(gate.rows), uint64_t(gate.cols), uint64_t(skip)}))
    return;
  launch_silu_mul(gate.f32(), up.f32(), gate.rows * gate.cols, gate_bf16, half_, stream_, !skip);
}

void CudaBackend::add(Tensor& x, const Tensor& y) {
  auto prof_scope = prof("add");
  SELFENS_CHECK(x.cols == y.cols && y.rows >= x.rows, "add shapes");
  read_f32(x);
  read_f32(y);
  wrote(x);
  if (!record_op(Op::kAdd, {ptr(x), ptr(y), uint64_t(x.rows), uint64_t(x.cols)})) return;
  launch_add(x.f32(), y.f32(), x.rows * x.cols, stream_);
}

void CudaBackend::add_rmsnorm(Tensor& x, const Tensor& y, const Tensor& w, float eps, Tensor& out) {
  if (!fused_norm_) return Backend::add_rmsnorm(x, y, w, eps, out);
  auto prof_scope = prof("add_rmsnorm");
  SELFENS_CHECK(x.cols == y.cols && y.rows >= x.rows && w.cols == x.cols && out.cols == x.cols &&
                    out.rows >= x.rows && w.dtype == DType::kF32,
                "add_rmsnorm shapes");
  read_f32(x);
  read_f32(y);
  wrote(x);
  const auto [out_bf16, skip] = shadow_for(out, x.rows);
  if (!record_op(Op::kAddRmsNorm, {ptr(x), ptr(y), ptr(w), ptr(out), uint64_t(x.rows),
                                   uint64_t(x.cols), uint64_t(skip)}))
    return;
  launch_add_rmsnorm(x.f32(), y.f32(), w.f32(), eps, x.rows, x.cols, out.f32(), out_bf16, half_,
                     stream_, !skip);
}

void CudaBackend::gather_rows(const Tensor& x, std::span<const int32_t> rows, Tensor& out) {
  auto prof_scope = prof("gather_rows");
  SELFENS_CHECK(out.cols == x.cols && out.rows >= int64_t(rows.size()), "gather shapes");
  for (int32_t r : rows) SELFENS_CHECK(r >= 0 && r < x.rows, "gather row out of range");
  read_f32(x);
  const auto* dr = static_cast<const int32_t*>(upload(kRows, rows.data(), rows.size_bytes()));
  wrote(out);
  if (!record_op(Op::kGatherRows, {ptr(x), ptr(out), rows.size(), uint64_t(x.cols)})) return;
  launch_gather_rows(x.f32(), dr, int64_t(rows.size()), x.cols, out.f32(), stream_);
}

// Validates and packs the plan for a batch of q_rows rows
// (cuda_attention_plan.h). Done once per forward call (prepare_step): every
// layer's attention call then reuses it.
PackedAttention CudaBackend::pack_attention(const AttentionBatch& plan, int64_t q_rows,
                                            int n_heads) {
  PackedAttention pa = pack_attention_plan(plan, q_rows, n_heads, kv_shape_, kv_bf16_, tiling_,
                                           tiling_result_, plan_bytes_);
  reserve_attention_state(size_t(pa.n_entries) * size_t(n_heads),
                          size_t(pa.n_parts) * size_t(n_heads), size_t(kv_shape_.head_dim));
  return pa;
}

// Device buffers for cascade states and partial results (grow-only; a new
// buffer drops the recorded graphs, which hold the old addresses).
void CudaBackend::reserve_attention_state(size_t lse_count, size_t part_count, size_t head_dim) {
  if (lse_count <= state_lse_capacity_ && part_count <= state_part_capacity_) return;
  SELFENS_CHECK(!graphs_.recording(), "CUDA graph: attention state grown while recording");
  sync();
  invalidate_graphs();
  state_lse_capacity_ = std::max(lse_count, state_lse_capacity_);
  state_part_capacity_ = std::max(part_count, state_part_capacity_);
  for (void* p : {static_cast<void*>(state_.lse), static_cast<void*>(state_.part_o),
                  static_cast<void*>(state_.part_lse)})
    CUDA_CHECK(cudaFree(p));
  auto floats = [&](size_t n) {
    return static_cast<float*>(device_malloc(std::max<size_t>(1, n) * sizeof(float), device_desc_));
  };
  state_.lse = floats(state_lse_capacity_);
  state_.part_o = floats(state_part_capacity_ * head_dim);
  state_.part_lse = floats(state_part_capacity_);
}

// Writes the header (device addresses of the arrays in the plan buffer) and
// uploads the packed plan.
void CudaBackend::upload_attention(PackedAttention& pa) {
  reserve_upload(kPlan, plan_bytes_.size());
  write_plan_header(pa, uploads_[kPlan].dev, plan_bytes_);
  pa.dev = static_cast<const AttnPlanDev*>(upload(kPlan, plan_bytes_.data(), plan_bytes_.size()));
}

void CudaBackend::attention(int layer, const Tensor& q, int n_heads, const AttentionBatch& plan,
                            Tensor& out) {
  const int hd = kv_shape_.head_dim;
  SELFENS_CHECK(q.cols == int64_t(n_heads) * hd && out.cols == q.cols, "attention shapes");
  SELFENS_CHECK(n_heads % kv_shape_.n_kv_heads == 0, "GQA head ratio");
  // The plan prepare_step packed, when this is it (same object, same sizes).
  if (packed_.source != &plan || packed_.shape != attention_plan_shape(plan, q.rows, n_heads) ||
      packed_.dev == nullptr) {
    prepared_heads_ = n_heads;  // later prepare_steps pack for this head count
    packed_ = pack_attention(plan, q.rows, n_heads);
    upload_attention(packed_);
  }
  auto prof_scope = prof(q.rows > kPrefillRows ? "attention prefill" : "attention");
  read_f32(q);
  Shadow shadow{nullptr, false};
  if (kv_bf16_)
    shadow = shadow_for(out, out.rows);
  else
    wrote(out);
  void* out_bf16 = shadow.copy;
  const bool skip = shadow.skip_f32;
  if (!record_op(Op::kAttention,
                 {uint64_t(layer), ptr(q), ptr(out), uint64_t(n_heads), uint64_t(skip)}))
    return;
  if (kv_bf16_) {
    const PackedAttention& pa = packed_;
    launch_span_attention_mma(q.f32(), k_layer(layer), v_layer(layer), pa.dev, 0,
                              pa.n_cascade_tiles, pa.max_rows_cascade, n_heads,
                              kv_shape_.n_kv_heads, hd, kv_shape_.page_size, out.f32(), out_bf16,
                              state_, half_, stream_, attn_blocks_, !skip);
    const int n_own = pa.n_tiles - pa.n_cascade_tiles;
    if (decode_attention_ && pa.max_tile_rows == 1 &&
        attention_decode_supported(hd, n_heads, kv_shape_.n_kv_heads))
      launch_span_attention_decode(q.f32(), k_layer(layer), v_layer(layer), pa.dev,
                                   pa.n_cascade_tiles, n_own, n_heads, kv_shape_.n_kv_heads, hd,
                                   kv_shape_.page_size, out.f32(), out_bf16, state_, half_,
                                   stream_, !skip);
    else
      launch_span_attention_mma(q.f32(), k_layer(layer), v_layer(layer), pa.dev,
                                pa.n_cascade_tiles, n_own, pa.max_tile_rows, n_heads,
                                kv_shape_.n_kv_heads, hd, kv_shape_.page_size, out.f32(),
                                out_bf16, state_, half_, stream_, attn_blocks_, !skip);
    if (pa.n_parts > 0)
      launch_attention_merge(pa.dev, pa.n_entries, n_heads, hd, out.f32(), out_bf16, state_, half_,
                             stream_, !skip);
  } else {
    launch_span_attention(q.f32(), static_cast<const float*>(k_layer(layer)),
                          static_cast<const float*>(v_layer(layer)), packed_.dev, packed_.n_tiles,
                          packed_.max_tile_rows, n_heads, kv_shape_.n_kv_heads, hd,
                          kv_shape_.page_size, out.f32(), stream_);
  }
}

std::vector<int32_t> CudaBackend::choose_tokens(const Tensor& logits, const ChoicePlan& plan) {
  auto prof_scope = prof("choose_tokens");
  static_assert(sizeof(TokenChoice) == sizeof(ChoiceDev) && sizeof(SampleDraw) == sizeof(DrawDev),
                "choices and draws are uploaded as bytes");
  SELFENS_CHECK(logits.dtype == DType::kF32, "choose_tokens: fp32 logits");
  const size_t n = plan.choices.size();
  check_choices(plan, size_t(logits.rows));
  // Choices the kernel does not take (sampled ones unless enabled, fusions
  // wider than its shared arrays): the host chooses the whole call.
  for (const TokenChoice& c : plan.choices)
    if (c.kind == ChoiceKind::kSample ? !device_sampling_ : c.n_rows > kMaxChoiceRows)
      return Backend::choose_tokens(logits, plan);
  if (n == 0) return {};
  if (n > choice_capacity_) {
    sync();
    CUDA_CHECK(cudaFree(choice_ids_));
    choice_ids_ = nullptr;
    choice_capacity_ = std::max(n, 2 * choice_capacity_);
    choice_ids_ =
        static_cast<int32_t*>(device_malloc(choice_capacity_ * sizeof(int32_t), device_desc_));
  }
  std::vector<char>& buf = plan_bytes_;
  buf.clear();
  const size_t o_choices = append_vec(buf, plan.choices);
  const size_t o_weights = append_vec(buf, plan.weights);
  const size_t o_draws = append_vec(buf, plan.draws);
  const char* dev = static_cast<const char*>(upload(kChoices, buf.data(), buf.size()));
  launch_choose_tokens(logits.f32(), int(logits.cols),
                       reinterpret_cast<const ChoiceDev*>(dev + o_choices), int(n),
                       reinterpret_cast<const float*>(dev + o_weights),
                       reinterpret_cast<const DrawDev*>(dev + o_draws), choice_ids_, stream_);
  std::vector<int32_t> ids(n);
  CUDA_CHECK(cudaMemcpyAsync(ids.data(), choice_ids_, n * sizeof(int32_t), cudaMemcpyDeviceToHost,
                             stream_));
  sync();
  if (profile_) profile_->flush();
  // A sampled choice that keeps more tokens than a block holds: the host
  // draws every choice of this call from the downloaded logits.
  SELFENS_REQUIRE(std::find(ids.begin(), ids.end(), kNotFinite) == ids.end(),
                  "--device " + name() + ": the logits are not all finite" +
                      (weight_dtype_ == DType::kF16
                           ? std::string(" (a value beyond fp16's range, 65504, in this model's "
                                         "activations?): run --device cuda (bf16) instead")
                           : std::string()));
  if (std::find(ids.begin(), ids.end(), -1) != ids.end())
    return Backend::choose_tokens(logits, plan);
  return ids;
}

}  // namespace selfens::cuda
