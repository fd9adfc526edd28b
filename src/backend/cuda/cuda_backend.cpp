// CudaBackend: device memory, staging of op metadata, cuBLAS matrix
// products, and the host side of every op (checks, then one kernel launch).
#include "backend/cuda/cuda_backend.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "backend/cuda/cuda_backend_impl.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_device.h"
#include "util/check.h"

namespace selfens {

std::unique_ptr<Backend> make_cuda_backend(DType weight_dtype, const BackendOptions& options) {
  return std::make_unique<cuda::CudaBackend>(weight_dtype, options);
}

namespace cuda {

namespace {

static_assert(sizeof(KvSlot) == 2 * sizeof(int32_t), "KvSlot is uploaded as (page, offset)");
static_assert(sizeof(AttnSegment) == sizeof(SegDev) && sizeof(AttnGroup) == sizeof(GroupDev),
              "plan structs are uploaded as bytes");

size_t elem_bytes(DType t) { return t == DType::kF32 ? 4 : t == DType::kFp8 ? 1 : 2; }

// Cascade the shared prefix when at least 32 entries of one step share it
// (decode steps of many questions, every prefill); split keys of decode
// tiles while the step has fewer than two blocks per multiprocessor
// (BackendOptions: cuda_cascade_min_entries, cuda_split_target_blocks). The
// decode kernel runs kDecodeWarps (tile, kv head) items in a block, the
// tensor-core kernel one: the target counts items.
AttnTilingOptions tiling_for(int device, const BackendOptions& options) {
  int sms = 0;
  CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  AttnTilingOptions o;
  o.cascade_min_entries = options.cuda_cascade_min_entries;
  o.cascade_min_keys = 32;
  o.cascade_max_group_rows = options.cuda_cascade_group_rows;
  o.split_target_blocks =
      options.cuda_split_target_blocks >= 0
          ? options.cuda_split_target_blocks
          : 2 * sms * (options.cuda_decode_attention ? kDecodeWarps : 1);
  o.split_min_keys = 64;
  o.key_quantum = kMmaDecodeKeyTile;
  o.max_parts = 4096;
  return o;
}

}  // namespace

void* device_malloc(size_t bytes, const std::string& device_desc) {
  void* p = nullptr;
  if (bytes == 0) bytes = 1;
  const cudaError_t err = cudaMalloc(&p, bytes);
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // clear it: the process may go on with less work
    char mib[32];
    std::snprintf(mib, sizeof mib, "%.1f", double(bytes) / 1048576.0);
    throw InputError(std::string("CUDA out of memory allocating ") + mib + " MiB on " +
                     device_desc + ": lower --batch_size (or --max_new_tokens) or use a smaller model");
  }
  CUDA_CHECK(err);
  return p;
}

void CudaBackend::bind_thread() { CUDA_CHECK(cudaSetDevice(device_)); }

CudaBackend::CudaBackend(DType weight_dtype, const BackendOptions& options)
    : weight_dtype_(weight_dtype), trace_steps_(options.trace_steps) {
  if (device_count() == 0)
    throw InputError(describe_device(0) + "; this machine has no usable GPU: use --device cpu");
  device_ = options.cuda_device;
  if (device_ < 0 || device_ >= device_count())
    throw InputError("--devices: GPU " + std::to_string(device_) + " does not exist (this machine has " +
                     std::to_string(device_count()) + ": 0.." + std::to_string(device_count() - 1) + ")");
  CUDA_CHECK(cudaSetDevice(device_));
  device_desc_ = describe_device(device_);
  if (weight_dtype_ == DType::kFp8) {
    int major = 0;
    CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device_));
    SELFENS_REQUIRE(major >= 9, "--device cuda-fp8 needs a Hopper or newer GPU (compute capability "
                                "9.0); " + device_desc_ + " has not: use --device cuda");
  }
  CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  CUDA_CHECK(cudaEventCreateWithFlags(&mark_, cudaEventDisableTiming));
  CUBLAS_CHECK(cublasCreate(&cublas_));
  CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
  // No TF32: fp32 weights must give fp32 products (exactness against the CPU).
  CUBLAS_CHECK(cublasSetMathMode(cublas_, CUBLAS_DEFAULT_MATH));
  half_ = weight_dtype_ == DType::kF16 ? Half16::kFp16 : Half16::kBf16;
  if (weight_dtype_ != DType::kF32)
    lt_.init(size_t(32) << 20, device_desc_, cuda_data_type(half_), options.cuda_fp8_fast_accum);
  if (options.cuda_profile > 0)
    profile_ = std::make_unique<OpProfile>(options.cuda_profile == 2   ? OpProfile::Mode::kEvents
                                           : options.cuda_profile == 3 ? OpProfile::Mode::kIsolated
                                                                       : OpProfile::Mode::kSync);
  // Graphs replay launches without their per-op profile scopes: off while profiling.
  graphs_.set_enabled(!profile_ && options.cuda_graphs);
  tiling_ = tiling_for(device_, options);
  device_sampling_ = options.cuda_device_sampling;
  fused_norm_ = options.cuda_fused_norm;
  // Not with fp8 weights: whether cuBLAS's per-row-scaled fp8 products take
  // beta = 1 is unchecked, and a refusal would end the run.
  adds_in_products_ = options.cuda_add_in_products && weight_dtype_ != DType::kFp8;
  decode_attention_ = options.cuda_decode_attention;
  bf16_ffn_ = options.cuda_bf16_ffn;
  attn_blocks_ = options.cuda_attn_blocks;
  products_only_ = options.cuda_products_only;
  kv_f32_ = options.cuda_kv_f32;
}

CudaBackend::~CudaBackend() {
  // No throwing here: errors at teardown are ignored.
  cudaSetDevice(device_);  // frees go to this backend's device (--split layers: several)
  if (stream_ != nullptr) cudaStreamSynchronize(stream_);
  if (mark_ != nullptr) cudaEventDestroy(mark_);
  weight_uploader_.reset();
  if (graphs_.mode() == GraphMode::kCapture) graphs_.abort(stream_);
  for (UploadBuffer& u : uploads_) {
    cudaFreeHost(u.host);
    cudaFree(u.dev);
    if (u.copied != nullptr) cudaEventDestroy(u.copied);
  }
  if (profile_) profile_->print(stderr);
  if (trace_steps_)
    std::fprintf(stderr, "cuda graphs: forward calls %lld eager, %lld captured, %lld replayed\n",
                 (long long)graphs_.calls()[0], (long long)graphs_.calls()[1],
                 (long long)graphs_.calls()[2]);
  for (void* p : owned_) cudaFree(p);
  cudaFree(k_cache_);
  cudaFree(v_cache_);
  cudaFree(scratch_);
  cudaFree(fp8_scratch_);
  cudaFree(fp8_staging_);
  cudaFree(choice_ids_);
  cudaFree(state_.lse);
  cudaFree(state_.part_o);
  cudaFree(state_.part_lse);
  if (cublas_ != nullptr) cublasDestroy(cublas_);
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
}

std::string CudaBackend::name() const {
  return cuda_device_kind(weight_dtype_);
}

// --- memory ---

void* CudaBackend::owned_malloc(size_t bytes) {
  void* p = device_malloc(bytes, device_desc_);
  owned_.insert(p);
  return p;
}

Tensor CudaBackend::upload_weight(const HostTensor& host) {
  SELFENS_CHECK(!host.shape.empty() && host.shape.size() <= 2, "weights are 1-D or 2-D");
  Tensor t;
  t.rows = host.shape.size() == 2 ? host.shape[0] : 1;
  t.cols = host.shape.back();
  SELFENS_CHECK(t.rows * t.cols == host.numel(), "weight shape and data differ");
  // Norms, biases: fp32; cuda-fp8's embeddings and output head: bf16.
  t.dtype = host.shape.size() == 2 ? (weight_dtype_ == DType::kFp8 ? DType::kBF16 : weight_dtype_)
                                   : DType::kF32;
  const size_t n = size_t(host.numel());
  t.data = owned_malloc(n * elem_bytes(t.dtype));
  const bool bf16_host = host.data.empty();  // HostTensor::bf16 holds the values
  if (t.dtype == DType::kF32) {
    const std::vector<float> widened = bf16_host ? fp32_values(host) : std::vector<float>{};
    const float* src = bf16_host ? widened.data() : host.data.data();
    CUDA_CHECK(cudaMemcpy(t.data, src, n * sizeof(float), cudaMemcpyHostToDevice));
  } else {
    upload_16bit(host, static_cast<uint16_t*>(t.data));
  }
  return t;
}

void CudaBackend::upload_16bit(const HostTensor& host, uint16_t* dst) {
  if (!weight_uploader_) weight_uploader_ = std::make_unique<Bf16WeightUploader>(stream_, half_);
  const size_t n = size_t(host.numel());
  if (host.data.empty())  // HostTensor::bf16 holds the values
    weight_uploader_->upload_bf16(host.bf16.data(), n, dst);
  else
    weight_uploader_->upload(host.data.data(), n, dst);
}

// cuda-fp8: the 16-bit values go to a staging buffer as upload_weight's
// do, then each row is quantized on the device (launch_quantize_rows_fp8).
// A shape cuBLAS's fp8 products do not take (a dimension not a multiple of
// 16) stays bf16.
Tensor CudaBackend::upload_linear_weight(const HostTensor& host) {
  if (weight_dtype_ != DType::kFp8 || host.shape.size() != 2 || host.shape[0] % 16 != 0 ||
      host.shape[1] % 16 != 0)
    return upload_weight(host);
  Tensor t;
  t.rows = host.shape[0];
  t.cols = host.shape[1];
  t.dtype = DType::kFp8;
  SELFENS_CHECK(t.rows * t.cols == host.numel(), "weight shape and data differ");
  t.data = owned_malloc(fp8_matrix_bytes(t.rows, t.cols));
  // grow() syncs before it moves the buffer: earlier weights' quantization is done.
  auto* staged = static_cast<uint16_t*>(
      grow(fp8_staging_, fp8_staging_bytes_, size_t(host.numel()) * sizeof(uint16_t)));
  upload_16bit(host, staged);
  launch_quantize_rows_fp8(staged, t.rows, t.cols, t.data, fp8_weight_scales(t), half_, stream_);
  return t;
}

Tensor CudaBackend::alloc(int64_t rows, int64_t cols) {
  SELFENS_CHECK(rows >= 0 && cols >= 0, "alloc shape");
  Tensor t;
  t.data = owned_malloc(size_t(rows) * size_t(cols) * sizeof(float));
  t.rows = rows;
  t.cols = cols;
  return t;
}

void CudaBackend::release(Tensor& t) {
  if (t.data == nullptr) return;
  SELFENS_CHECK(owned_.erase(t.data) == 1, "release of memory this backend did not allocate");
  wrote(t);
  sync();                                     // queued work may still read it
  if (!graphs_.empty()) invalidate_graphs();  // a recorded graph may use it
  bind_thread();  // an engine of several parts frees each part's memory on its device
  CUDA_CHECK(cudaFree(t.data));
  t = Tensor{};
}

void CudaBackend::download(const Tensor& src, std::span<float> dst) {
  SELFENS_CHECK(src.dtype == DType::kF32, "download of a non-fp32 tensor");
  read_f32(src);
  SELFENS_CHECK(dst.size() == size_t(src.rows * src.cols), "download size mismatch");
  auto p = prof("download");
  CUDA_CHECK(cudaMemcpyAsync(dst.data(), src.data, dst.size() * sizeof(float),
                             cudaMemcpyDeviceToHost, stream_));
  sync();
  if (profile_) profile_->flush();
}

void CudaBackend::upload(std::span<const float> src, Tensor& dst) {
  SELFENS_CHECK(dst.dtype == DType::kF32, "upload into a non-fp32 tensor");
  SELFENS_CHECK(src.size() == size_t(dst.rows * dst.cols), "upload size mismatch");
  SELFENS_CHECK(!graphs_.recording(), "upload inside a forward call");
  auto p = prof("upload");
  wrote(dst);
  // From pageable memory: returns once src has been staged (src reusable).
  CUDA_CHECK(cudaMemcpyAsync(dst.data, src.data(), src.size() * sizeof(float),
                             cudaMemcpyHostToDevice, stream_));
}

void CudaBackend::copy_from(Backend& from, const Tensor& src, Tensor& dst) {
  auto* other = dynamic_cast<CudaBackend*>(&from);
  if (other == nullptr) return Backend::copy_from(from, src, dst);
  SELFENS_CHECK(src.dtype == DType::kF32 && dst.dtype == DType::kF32, "copy_from: fp32 tensors only");
  SELFENS_CHECK(src.rows == dst.rows && src.cols == dst.cols, "copy_from: shapes differ");
  other->read_f32(src);
  SELFENS_CHECK(!graphs_.recording() && !other->graphs_.recording(), "copy_from inside a forward call");
  auto p = prof("copy_from");
  wrote(dst);
  const size_t bytes = size_t(src.rows * src.cols) * sizeof(float);
  // After everything `from` has queued (its graph included), on this stream;
  // and `from`'s next work (it may rewrite src) after the copy. No host wait.
  CUDA_CHECK(cudaEventRecord(other->mark_, other->stream_));
  CUDA_CHECK(cudaStreamWaitEvent(stream_, other->mark_, 0));
  if (other->device_ == device_)
    CUDA_CHECK(cudaMemcpyAsync(dst.data, src.data, bytes, cudaMemcpyDeviceToDevice, stream_));
  else
    copy_from_peer(other->device_, src.data, dst.data, bytes);
  CUDA_CHECK(cudaEventRecord(mark_, stream_));
  CUDA_CHECK(cudaStreamWaitEvent(other->stream_, mark_, 0));
}

void CudaBackend::copy_from_peer(int device, const void* src, void* dst, size_t bytes) {
  if (peers_.insert(device).second) {  // direct reads where the GPUs allow them
    int can = 0;
    CUDA_CHECK(cudaDeviceCanAccessPeer(&can, device_, device));
    if (can != 0) {  // enabled for the current device: this one (the engine binds it)
      const cudaError_t e = cudaDeviceEnablePeerAccess(device, 0);
      if (e == cudaErrorPeerAccessAlreadyEnabled) cudaGetLastError();
      else CUDA_CHECK(e);
    }
  }
  // Staged by the driver where peer access is not possible.
  CUDA_CHECK(cudaMemcpyPeerAsync(dst, device_, src, device, bytes, stream_));
}

CudaBackend::Shadow CudaBackend::shadow_for(const Tensor& out, int64_t rows) {
  if (weight_dtype_ == DType::kF32) {
    wrote(out);
    return {nullptr, false};
  }
  void* p = scratch(size_t(rows * out.cols) * 2);
  if (out.data == fp8_of_) fp8_of_ = nullptr;  // its fp8 rows are the old values'
  shadow_of_ = out.data;
  shadow_count_ = rows * out.cols;
  const bool skip = products_only_ && out.products_only;
  forget_stale(out.data);
  if (skip) stale_f32_.push_back(out.data);
  return {p, skip};
}

void* CudaBackend::scratch(size_t bytes) { return grow(scratch_, scratch_bytes_, bytes); }

void* CudaBackend::grow(void*& buf, size_t& capacity, size_t bytes) {
  if (bytes > capacity) {
    SELFENS_CHECK(!graphs_.recording(), "CUDA graph: scratch grown while recording");
    sync();
    if (!graphs_.empty()) invalidate_graphs();
    ++scratch_generation_;
    const size_t want = std::max(bytes, capacity * 2);
    CUDA_CHECK(cudaFree(buf));
    buf = nullptr;
    capacity = 0;  // stays 0 if the allocation below throws
    buf = device_malloc(want, device_desc_);
    capacity = want;
  }
  return buf;
}

// --- paged KV store ---

void CudaBackend::init_kv(const KvShape& shape) {
  const int hd = shape.head_dim;
  SELFENS_REQUIRE(hd == 16 || hd == 32 || hd == 64 || hd == 96 || hd == 128 || hd == 256,
                  "CUDA backend: head_dim " + std::to_string(hd) +
                      " not supported (16, 32, 64, 96, 128 or 256): use --device cpu");
  SELFENS_CHECK(
      shape.page_size > 0 && shape.n_pages > 0 && shape.n_layers > 0 && shape.n_kv_heads > 0,
      "KV shape");
  sync();
  if (!graphs_.empty()) invalidate_graphs();
  CUDA_CHECK(cudaFree(k_cache_));
  CUDA_CHECK(cudaFree(v_cache_));
  k_cache_ = v_cache_ = nullptr;
  kv_shape_ = shape;
  prepared_heads_ = shape.n_heads;
  packed_ = PackedAttention{};
  // bf16 weights: bf16 K/V for the tensor-core kernel (half the bytes to
  // read), unless asked for fp32 K/V (then the fp32 kernel of cuda-f32).
  kv_bf16_ = !kv_f32_ && weight_dtype_ != DType::kF32 && attention_mma_supported(hd);
  layer_bytes_ = size_t(shape.n_pages) * size_t(shape.page_size) * size_t(shape.n_kv_heads) *
                 size_t(shape.head_dim) * (kv_bf16_ ? 2 : 4);
  const size_t bytes = size_t(shape.n_layers) * layer_bytes_;
  k_cache_ = static_cast<char*>(device_malloc(bytes, device_desc_));
  v_cache_ = static_cast<char*>(device_malloc(bytes, device_desc_));
}

void* CudaBackend::k_layer(int layer) const {
  SELFENS_CHECK(layer >= 0 && layer < kv_shape_.n_layers, "KV layer out of range");
  return k_cache_ + size_t(layer) * layer_bytes_;
}

void* CudaBackend::v_layer(int layer) const {
  SELFENS_CHECK(layer >= 0 && layer < kv_shape_.n_layers, "KV layer out of range");
  return v_cache_ + size_t(layer) * layer_bytes_;
}

void CudaBackend::check_slots(std::span<const KvSlot> slots) const {
  for (const KvSlot& s : slots)
    SELFENS_CHECK(s.page >= 0 && s.page < kv_shape_.n_pages && s.offset >= 0 &&
                      s.offset < kv_shape_.page_size,
                  "bad kv slot");
}

void CudaBackend::write_kv(int layer, const Tensor& k, const Tensor& v,
                           std::span<const KvSlot> slots) {
  const int kvd = kv_shape_.n_kv_heads * kv_shape_.head_dim;
  SELFENS_CHECK(k.cols == kvd && v.cols == kvd && k.rows >= int64_t(slots.size()) &&
                    v.rows >= int64_t(slots.size()),
                "write_kv shapes");
  read_f32(k);
  read_f32(v);
  auto p = prof("write_kv");
  check_slots(slots);
  const auto* dslots =
      static_cast<const int32_t*>(upload(kSlots, slots.data(), slots.size_bytes()));
  if (!record_op(Op::kWriteKv, {uint64_t(layer), ptr(k), ptr(v), slots.size()})) return;
  launch_kv_write(k.f32(), v.f32(), dslots, int64_t(slots.size()), kvd, kv_shape_.page_size,
                  k_layer(layer), v_layer(layer), kv_bf16_, half_, stream_);
}

void CudaBackend::read_kv(int layer, std::span<const KvSlot> slots, std::span<float> k,
                          std::span<float> v) {
  const size_t kvd = size_t(kv_shape_.n_kv_heads) * size_t(kv_shape_.head_dim);
  SELFENS_CHECK(k.size() == slots.size() * kvd && v.size() == k.size(), "read_kv sizes");
  if (slots.empty()) return;
  check_slots(slots);
  const auto* dslots =
      static_cast<const int32_t*>(upload(kSlots, slots.data(), slots.size_bytes()));
  float* tmp = static_cast<float*>(scratch(2 * k.size() * sizeof(float)));  // k then v
  shadow_of_ = nullptr;
  launch_kv_read(k_layer(layer), v_layer(layer), kv_bf16_, dslots, int64_t(slots.size()), int(kvd),
                 kv_shape_.page_size, tmp, tmp + k.size(), half_, stream_);
  CUDA_CHECK(cudaMemcpyAsync(k.data(), tmp, k.size_bytes(), cudaMemcpyDeviceToHost, stream_));
  CUDA_CHECK(
      cudaMemcpyAsync(v.data(), tmp + k.size(), v.size_bytes(), cudaMemcpyDeviceToHost, stream_));
  sync();
}

}  // namespace cuda
}  // namespace selfens
