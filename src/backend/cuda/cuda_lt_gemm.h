#pragma once
// bf16 GEMMs through cublasLt with the algorithm chosen once per shape.
// cublasGemmEx asks cuBLAS's heuristics on every call (~25 us of host time
// per GEMM, 196 GEMMs per decode step of a 28-layer model); here the
// descriptors, layouts and algorithm of each (rows, in, out) are cached.
//
//   out [n, nout] (row-major) = x [n, in] bf16 * W [nout, in]^T bf16,
//   fp32 accumulation, out fp32 or (out_bf16) rounded to bf16, on `stream`.
//
// Tuning (init's `tune`): cublasLt's first heuristic choice is not always
// its fastest for the small products of decode steps. The first call of a
// shape of at most kTuneMaxRows rows (outside graph capture) times its
// candidates on the call's own operands and keeps the fastest one whose
// output is bit-for-bit the first choice's, so that tuning never changes a
// result (split-K candidates, which sum in another order, drop out there).
#include <cublasLt.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

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
            bool tune = false);
  // False when cublasLt offers no algorithm for the shape (then the caller
  // uses cublasGemmEx). may_tune: the stream may be synchronised (not
  // capturing a graph).
  bool run(const void* w, const void* x, void* out, bool out_bf16, int64_t n, int64_t in,
           int64_t nout, cudaStream_t stream, bool may_tune = false);

  static constexpr int64_t kTuneMaxRows = 4096;
  static constexpr int kCandidates = 8;
  static constexpr int kMaxTunedShapes = 64;  // per process: tuning costs a few ms per shape
  int tuned_shapes() const { return tuned_; }
  int retuned_faster() const { return faster_; }  // shapes where another algorithm won

 private:
  struct Plan {
    cublasLtMatmulDesc_t desc = nullptr;
    cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
    cublasLtMatmulAlgo_t algo{};
    std::vector<cublasLtMatmulAlgo_t> candidates;  // the heuristic's, best first
    bool ok = false, tuned = false;
  };
  Plan& plan(int64_t n, int64_t in, int64_t nout, bool out_bf16);
  // Times p's candidates on these operands (out holds the first one's
  // result afterwards) and keeps the fastest with identical output.
  void tune(Plan& p, const void* w, const void* x, void* out, size_t out_bytes,
            cudaStream_t stream);
  cublasStatus_t matmul(const Plan& p, const cublasLtMatmulAlgo_t& algo, const void* w,
                        const void* x, void* out, cudaStream_t stream);

  cublasLtHandle_t handle_ = nullptr;
  void* workspace_ = nullptr;
  size_t workspace_bytes_ = 0;
  cudaDataType_t type_ = CUDA_R_16BF;
  std::string device_desc_;
  bool tune_ = false;
  int tuned_ = 0, faster_ = 0;
  std::map<std::tuple<int64_t, int64_t, int64_t, bool>, Plan> plans_;
};

}  // namespace selfens::cuda
