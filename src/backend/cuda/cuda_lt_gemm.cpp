#include "backend/cuda/cuda_lt_gemm.h"

#include "backend/cuda/cuda_backend_impl.h"
#include "backend/cuda/cuda_check.h"

namespace selfens::cuda {

LtGemm::~LtGemm() {
  for (auto& [key, p] : plans_) {
    if (p.a != nullptr) cublasLtMatrixLayoutDestroy(p.a);
    if (p.b != nullptr) cublasLtMatrixLayoutDestroy(p.b);
    if (p.c != nullptr) cublasLtMatrixLayoutDestroy(p.c);
    if (p.desc != nullptr) cublasLtMatmulDescDestroy(p.desc);
  }
  cudaFree(workspace_);
  if (handle_ != nullptr) cublasLtDestroy(handle_);
}

void LtGemm::init(size_t workspace_bytes, const std::string& device_desc, cudaDataType_t type,
                  bool fp8_fast_accum) {
  CUBLAS_CHECK(cublasLtCreate(&handle_));
  type_ = type;
  fp8_fast_accum_ = fp8_fast_accum;
  workspace_bytes_ = workspace_bytes;
  workspace_ = device_malloc(workspace_bytes, device_desc);
}

// Column-major view (cuBLAS's): out^T [nout, n] = op_T(W^T as [in, nout]) * x^T [in, n].
LtGemm::Plan& LtGemm::plan(int64_t n, int64_t in, int64_t nout, Kind kind,
                           std::pair<const float*, const float*> scales) {
  auto [it, fresh] = plans_.try_emplace({n, in, nout, kind});
  Plan& p = it->second;
  if (!fresh) return p;
  CUBLAS_CHECK(cublasLtMatmulDescCreate(&p.desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  const cublasOperation_t transa = CUBLAS_OP_T, transb = CUBLAS_OP_N;
  CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_TRANSA, &transa,
                                              sizeof transa));
  CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_TRANSB, &transb,
                                              sizeof transb));
  const bool fp8 = kind == Kind::kFp8ToF32;
  const cudaDataType_t in_type = fp8 ? CUDA_R_8F_E4M3 : type_;
  if (fp8) {  // A = W: one scale per row of op(A); B = x: one per column
    const cublasLtMatmulMatrixScale_t mode = CUBLASLT_MATMUL_MATRIX_SCALE_OUTER_VEC_32F;
    CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_A_SCALE_MODE, &mode,
                                                sizeof mode));
    CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_B_SCALE_MODE, &mode,
                                                sizeof mode));
    CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER,
                                                &scales.first, sizeof scales.first));
    CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER,
                                                &scales.second, sizeof scales.second));
    const int8_t fast = fp8_fast_accum_ ? 1 : 0;
    CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_FAST_ACCUM, &fast,
                                                sizeof fast));
  }
  CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&p.a, in_type, uint64_t(in), uint64_t(nout), in));
  CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&p.b, in_type, uint64_t(in), uint64_t(n), in));
  CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&p.c, kind == Kind::kHalfToHalf ? type_ : CUDA_R_32F,
                                          uint64_t(nout), uint64_t(n), nout));
  cublasLtMatmulPreference_t pref = nullptr;
  CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
  CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(
      pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace_bytes_, sizeof workspace_bytes_));
  cublasLtMatmulHeuristicResult_t result{};
  int count = 0;
  const cublasStatus_t st = cublasLtMatmulAlgoGetHeuristic(handle_, p.desc, p.a, p.b, p.c, p.c,
                                                           pref, 1, &result, &count);
  cublasLtMatmulPreferenceDestroy(pref);
  p.ok = st == CUBLAS_STATUS_SUCCESS && count > 0;
  if (p.ok) p.algo = result.algo;
  return p;
}

bool LtGemm::run(const void* w, const void* x, void* out, bool out_bf16, int64_t n, int64_t in,
                 int64_t nout, cudaStream_t stream, bool accumulate) {
  if (handle_ == nullptr || (accumulate && out_bf16)) return false;
  Plan& p = plan(n, in, nout, out_bf16 ? Kind::kHalfToHalf : Kind::kHalfToF32);
  if (!p.ok) return false;
  const float alpha = 1.0f, beta = accumulate ? 1.0f : 0.0f;
  CUBLAS_CHECK(cublasLtMatmul(handle_, p.desc, &alpha, w, p.a, x, p.b, &beta, out, p.c, out, p.c,
                              &p.algo, workspace_, workspace_bytes_, stream));
  return true;
}

bool LtGemm::run_fp8(const void* w, const float* w_scales, const void* x, const float* x_scales,
                     float* out, int64_t n, int64_t in, int64_t nout, cudaStream_t stream,
                     bool accumulate) {
  if (handle_ == nullptr) return false;
  Plan& p = plan(n, in, nout, Kind::kFp8ToF32, {w_scales, x_scales});
  if (!p.ok) return false;
  CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER,
                                              &w_scales, sizeof w_scales));
  CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER,
                                              &x_scales, sizeof x_scales));
  const float alpha = 1.0f, beta = accumulate ? 1.0f : 0.0f;
  CUBLAS_CHECK(cublasLtMatmul(handle_, p.desc, &alpha, w, p.a, x, p.b, &beta, out, p.c, out, p.c,
                              &p.algo, workspace_, workspace_bytes_, stream));
  return true;
}

}  // namespace selfens::cuda
