#include "backend/cuda/cuda_lt_gemm.h"

#include "backend/cuda/cuda_backend_impl.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_kernels.h"

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
                  bool tune) {
  CUBLAS_CHECK(cublasLtCreate(&handle_));
  type_ = type;
  tune_ = tune;
  device_desc_ = device_desc;
  workspace_bytes_ = workspace_bytes;
  workspace_ = device_malloc(workspace_bytes, device_desc);
}

// Column-major view (cuBLAS's): out^T [nout, n] = op_T(W^T as [in, nout]) * x^T [in, n].
LtGemm::Plan& LtGemm::plan(int64_t n, int64_t in, int64_t nout, bool out_bf16) {
  auto [it, fresh] = plans_.try_emplace({n, in, nout, out_bf16});
  Plan& p = it->second;
  if (!fresh) return p;
  CUBLAS_CHECK(cublasLtMatmulDescCreate(&p.desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  const cublasOperation_t transa = CUBLAS_OP_T, transb = CUBLAS_OP_N;
  CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_TRANSA, &transa,
                                              sizeof transa));
  CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_TRANSB, &transb,
                                              sizeof transb));
  CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&p.a, type_, uint64_t(in), uint64_t(nout), in));
  CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&p.b, type_, uint64_t(in), uint64_t(n), in));
  CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&p.c, out_bf16 ? type_ : CUDA_R_32F,
                                          uint64_t(nout), uint64_t(n), nout));
  cublasLtMatmulPreference_t pref = nullptr;
  CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
  CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(
      pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace_bytes_, sizeof workspace_bytes_));
  cublasLtMatmulHeuristicResult_t results[kCandidates]{};
  int count = 0;
  const int want = tune_ && n <= kTuneMaxRows ? kCandidates : 1;
  const cublasStatus_t st = cublasLtMatmulAlgoGetHeuristic(handle_, p.desc, p.a, p.b, p.c, p.c,
                                                           pref, want, results, &count);
  cublasLtMatmulPreferenceDestroy(pref);
  p.ok = st == CUBLAS_STATUS_SUCCESS && count > 0;
  for (int i = 0; p.ok && i < count; ++i)
    if (results[i].state == CUBLAS_STATUS_SUCCESS) p.candidates.push_back(results[i].algo);
  p.ok = !p.candidates.empty();
  if (p.ok) p.algo = p.candidates[0];
  p.tuned = p.candidates.size() < 2;
  return p;
}

cublasStatus_t LtGemm::matmul(const Plan& p, const cublasLtMatmulAlgo_t& algo, const void* w,
                              const void* x, void* out, cudaStream_t stream) {
  const float alpha = 1.0f, beta = 0.0f;
  return cublasLtMatmul(handle_, p.desc, &alpha, w, p.a, x, p.b, &beta, out, p.c, out, p.c, &algo,
                        workspace_, workspace_bytes_, stream);
}

void LtGemm::tune(Plan& p, const void* w, const void* x, void* out, size_t out_bytes,
                  cudaStream_t stream) {
  p.tuned = true;
  ++tuned_;
  cudaEvent_t e0, e1;
  CUDA_CHECK(cudaEventCreate(&e0));
  CUDA_CHECK(cudaEventCreate(&e1));
  void* other = device_malloc(out_bytes, device_desc_);
  auto* flag = static_cast<unsigned*>(device_malloc(sizeof(unsigned), device_desc_));
  // Median-free but warm: one untimed call, then kReps timed back to back.
  constexpr int kReps = 5;
  auto time = [&](const cublasLtMatmulAlgo_t& algo, void* dst) -> float {
    if (matmul(p, algo, w, x, dst, stream) != CUBLAS_STATUS_SUCCESS) return -1.0f;
    CUDA_CHECK(cudaEventRecord(e0, stream));
    for (int i = 0; i < kReps; ++i) CUBLAS_CHECK(matmul(p, algo, w, x, dst, stream));
    CUDA_CHECK(cudaEventRecord(e1, stream));
    CUDA_CHECK(cudaEventSynchronize(e1));
    float ms = 0.0f;
    CUDA_CHECK(cudaEventElapsedTime(&ms, e0, e1));
    return ms;
  };
  const float first = time(p.candidates[0], out);
  float best = first;
  size_t best_i = 0;
  for (size_t i = 1; i < p.candidates.size(); ++i) {
    const float ms = time(p.candidates[i], other);
    if (ms < 0.0f || ms >= best) continue;
    CUDA_CHECK(cudaMemsetAsync(flag, 0, sizeof(unsigned), stream));
    launch_words_differ(out, other, int64_t(out_bytes / 4), flag, stream);
    unsigned differ = 1;
    CUDA_CHECK(cudaMemcpyAsync(&differ, flag, sizeof differ, cudaMemcpyDeviceToHost, stream));
    CUDA_CHECK(cudaStreamSynchronize(stream));
    if (differ == 0) best = ms, best_i = i;
  }
  if (best_i != 0 && best < 0.97f * first) {  // a clear win only: timings jitter
    p.algo = p.candidates[best_i];
    ++faster_;
  }
  CUDA_CHECK(cudaFree(other));
  CUDA_CHECK(cudaFree(flag));
  CUDA_CHECK(cudaEventDestroy(e0));
  CUDA_CHECK(cudaEventDestroy(e1));
}

bool LtGemm::run(const void* w, const void* x, void* out, bool out_bf16, int64_t n, int64_t in,
                 int64_t nout, cudaStream_t stream, bool may_tune) {
  if (handle_ == nullptr) return false;
  Plan& p = plan(n, in, nout, out_bf16);
  if (!p.ok) return false;
  const size_t out_bytes = size_t(n) * size_t(nout) * (out_bf16 ? 2 : 4);
  if (!p.tuned && may_tune && tuned_ < kMaxTunedShapes && out_bytes % 4 == 0) {
    // The first candidate's output stays in `out`: identical to the kept one's.
    tune(p, w, x, out, out_bytes, stream);
    return true;
  }
  CUBLAS_CHECK(matmul(p, p.algo, w, x, out, stream));
  return true;
}

}  // namespace selfens::cuda
