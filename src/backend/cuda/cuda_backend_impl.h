#pragma once
// CudaBackend: the class behind make_cuda_backend (private to backend/cuda).
//
// Memory: one stream, one cuBLAS handle. Small host metadata of each op
// (tokens, positions, KV slots, rows, the attention plan) goes through a
// pinned staging ring with one cudaMemcpyAsync per op; an op whose metadata
// equals the previous upload of the same kind (e.g. the attention plan or
// the KV slots, identical for all layers of a forward call) reuses it.
//
// KV store: k_cache_, v_cache_ [n_layers][n_pages][page_size][n_kv_heads * head_dim] fp32.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <array>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "backend/backend.h"
#include "backend/cuda/cuda_kernels.h"
#include "backend/cuda/cuda_lt_gemm.h"
#include "backend/cuda/cuda_profile.h"

namespace selfens::cuda {

// cudaMalloc that turns out-of-memory into an InputError naming the size,
// the device and what to do about it.
void* device_malloc(size_t bytes, const std::string& device_desc);

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(DType weight_dtype);
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  std::string name() const override;
  Tensor upload_weight(const HostTensor& host) override;
  Tensor alloc(int64_t rows, int64_t cols) override;
  void release(Tensor& t) override;
  void download(const Tensor& src, std::span<float> dst) override;

  void init_kv(const KvShape& shape) override;
  void write_kv(int layer, const Tensor& k, const Tensor& v,
                std::span<const KvSlot> slots) override;
  void read_kv(int layer, std::span<const KvSlot> slots, std::span<float> k,
               std::span<float> v) override;

  void embed(const Tensor& table, std::span<const int32_t> tokens, Tensor& out) override;
  void rmsnorm(const Tensor& x, const Tensor& w, float eps, Tensor& out) override;
  void matmul(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& out) override;
  void rope(Tensor& q, Tensor& k, int n_heads, int n_kv_heads, std::span<const float> inv_freq,
            std::span<const int32_t> positions) override;
  void silu_mul(Tensor& gate, const Tensor& up) override;
  void add(Tensor& x, const Tensor& y) override;
  void gather_rows(const Tensor& x, std::span<const int32_t> rows, Tensor& out) override;
  void attention(int layer, const Tensor& q, int n_heads, const AttentionBatch& plan,
                 Tensor& out) override;
  std::vector<int32_t> choose_tokens(const Tensor& logits, const ChoicePlan& plan) override;

  const std::string& device_description() const { return device_desc_; }

 private:
  // Kinds of uploaded metadata, each with a one-entry cache.
  enum Upload { kTokens, kPositions, kInvFreq, kSlots, kRows, kPlan, kChoices, kUploadKinds };
  // Device copy of `bytes` host bytes (stream-ordered; valid for ops queued next).
  const void* upload(Upload kind, const void* data, size_t bytes);
  void* scratch(size_t bytes);
  void* owned_malloc(size_t bytes);  // freed by release() or the destructor
  void check_slots(std::span<const KvSlot> slots) const;  // grow-only device scratch (bf16 GEMM input, read_kv)
  float* k_layer(int layer) const;  // [n_pages, page_size, kvd]
  float* v_layer(int layer) const;

  DType weight_dtype_;
  int device_ = 0;
  std::string device_desc_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  LtGemm lt_;  // bf16 GEMMs (fp32 ones stay on cublasGemmEx, pedantic)

  KvShape kv_shape_;
  float* k_cache_ = nullptr;  // see the header comment
  float* v_cache_ = nullptr;
  size_t layer_floats_ = 0;   // n_pages * page_size * kvd

  // Pinned staging ring and its device mirror.
  char* stage_host_ = nullptr;
  char* stage_dev_ = nullptr;
  size_t stage_bytes_ = 0, stage_used_ = 0;
  struct Cached {
    std::vector<char> bytes;
    const void* dev = nullptr;
  };
  std::array<Cached, kUploadKinds> cache_;

  std::unordered_set<void*> owned_;  // weights and alloc()ed tensors
  std::vector<char> plan_bytes_;     // packed attention plan (reused buffer)
  std::vector<TileDev> tiles_;       // attention tiles of the plan (reused buffer)
  void* scratch_ = nullptr;
  size_t scratch_bytes_ = 0;
  std::unique_ptr<OpProfile> profile_;  // SELFENS_CUDA_PROFILE=1
  OpProfile::Scope prof(std::string name) { return {profile_.get(), std::move(name), stream_}; }
  int32_t* choice_ids_ = nullptr;  // device ids of choose_tokens, grown as needed
  size_t choice_capacity_ = 0;
};

}  // namespace selfens::cuda
