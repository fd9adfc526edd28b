#pragma once
// bf16 GEMMs through cublasLt with the algorithm chosen once per shape.
// cublasGemmEx asks cuBLAS's heuristics on every call (~25 us of host time
// per GEMM, 196 GEMMs per decode step of a 28-layer model); here the
// descriptors, layouts and algorithm of each (rows, in, out) are cached.
//
//   out [n, nout] (row-major) = x [n, in] bf16 * W [nout, in]^T bf16,
//   fp32 accumulation, out fp32 or (out_bf16) rounded to bf16, on `stream`.
// run_fp8: the same from fp8 E4M3 x and W, each row of x and of W with its
// fp32 scale (cuBLAS's outer-vector scaling: out[i, o] = x_scale[i] *
// w_scale[o] * sum x8[i, :] w8[o, :]), out fp32; Hopper and later (cuBLAS
// 12.9+). fast_accum: the tensor cores' own accumulation, without cuBLAS's
// periodic promotion to fp32 (BackendOptions::cuda_fp8_fast_accum).
// accumulate (fp32 out only): out += the product (beta = 1, in place), the
// residual add done by the product's epilogue; the same algorithm as out =.
#include <cublasLt.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>

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
  void init(size_t workspace_bytes, const std::string& device_desc, cudaDataType_t type,
            bool fp8_fast_accum = false);
  // False when cublasLt offers no algorithm for the shape (then the caller
  // uses cublasGemmEx).
  bool run(const void* w, const void* x, void* out, bool out_bf16, int64_t n, int64_t in,
           int64_t nout, cudaStream_t stream, bool accumulate = false);
  // False when cublasLt offers no fp8 algorithm for the shape (cuBLAS
  // without outer-vector fp8 products).
  bool run_fp8(const void* w, const float* w_scales, const void* x, const float* x_scales,
               float* out, int64_t n, int64_t in, int64_t nout, cudaStream_t stream,
               bool accumulate = false);

 private:
  // What a plan multiplies: 16-bit inputs to fp32 or 16-bit out, or fp8 to fp32.
  enum class Kind : uint8_t { kHalfToF32, kHalfToHalf, kFp8ToF32 };
  struct Plan {
    cublasLtMatmulDesc_t desc = nullptr;
    cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
    cublasLtMatmulAlgo_t algo{};
    bool ok = false;
  };
  // scales: an fp8 plan's two scale vectors (cublasLt's heuristic wants
  // them set; run_fp8 sets each call's own).
  Plan& plan(int64_t n, int64_t in, int64_t nout, Kind kind,
             std::pair<const float*, const float*> scales = {});

  cublasLtHandle_t handle_ = nullptr;
  void* workspace_ = nullptr;
  size_t workspace_bytes_ = 0;
  cudaDataType_t type_ = CUDA_R_16BF;
  bool fp8_fast_accum_ = false;
  std::map<std::tuple<int64_t, int64_t, int64_t, Kind>, Plan> plans_;
};

}  // namespace selfens::cuda
