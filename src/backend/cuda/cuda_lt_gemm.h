#pragma once
// bf16 GEMMs through cublasLt with the algorithm chosen once per shape.
// cublasGemmEx asks cuBLAS's heuristics on every call (~25 us of host time
// per GEMM, 196 GEMMs per decode step of a 28-layer model); here the
// descriptors, layouts and algorithm of each (rows, in, out) are cached.
//
//   out [n, nout] (row-major) = x [n, in] bf16 * W [nout, in]^T bf16,
//   fp32 accumulation, out fp32 or (out_bf16) rounded to bf16, on `stream`.
#include <cublasLt.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

namespace selfens::cuda {

class LtGemm {
 public:
  LtGemm() = default;
  ~LtGemm();
  LtGemm(const LtGemm&) = delete;
  LtGemm& operator=(const LtGemm&) = delete;

  // Creates the handle and a workspace of `workspace_bytes` (device memory
  // from `device_desc`'s device, through device_malloc).
  // type: the 16-bit type of the weights and inputs (CUDA_R_16BF or CUDA_R_16F).
  void init(size_t workspace_bytes, const std::string& device_desc, cudaDataType_t type);
  // False when cublasLt offers no algorithm for the shape (then the caller
  // uses cublasGemmEx).
  bool run(const void* w, const void* x, void* out, bool out_bf16, int64_t n, int64_t in,
           int64_t nout, cudaStream_t stream);

 private:
  struct Plan {
    cublasLtMatmulDesc_t desc = nullptr;
    cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
    cublasLtMatmulAlgo_t algo{};
    bool ok = false;
  };
  Plan& plan(int64_t n, int64_t in, int64_t nout, bool out_bf16);

  cublasLtHandle_t handle_ = nullptr;
  void* workspace_ = nullptr;
  size_t workspace_bytes_ = 0;
  cudaDataType_t type_ = CUDA_R_16BF;
  std::map<std::tuple<int64_t, int64_t, int64_t, bool>, Plan> plans_;
};

}  // namespace selfens::cuda
