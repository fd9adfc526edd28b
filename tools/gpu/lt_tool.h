#pragma once
// What the cublasLt probing tools (gemm_algos.cu, fp8_gemm_probe.cu) share:
// their argument lists, the engine's product layout (cuda_lt_gemm.cpp:
// out^T [out, rows] = op_T(W [out, in])^T' x^T) as one object that frees
// its descriptors, timing on CUDA events, and main's error wrapper.
#include <cublasLt.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "backend/cuda/cuda_check.h"

namespace selfens::gputool {

inline std::vector<int> parse_ints(const std::string& s, char sep) {
  std::vector<int> v;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) v.push_back(std::atoi(item.c_str()));
  return v;
}

// "in:out,in:out,..." -> (in, out) pairs.
inline std::vector<std::pair<int, int>> parse_shapes(const std::string& s) {
  std::vector<std::pair<int, int>> shapes;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto io = parse_ints(item, ':');
    if (io.size() != 2) throw std::runtime_error("shape '" + item + "': in:out");
    shapes.emplace_back(io[0], io[1]);
  }
  return shapes;
}

// One product's descriptor, layouts and preference (workspace ws_bytes), in
// the engine's layout; the caller may set more descriptor attributes before
// asking the heuristic.
struct LtProblem {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulPreference_t pref = nullptr;

  LtProblem(int rows, int in, int out, cudaDataType_t in_type, cudaDataType_t out_type,
            size_t ws_bytes) {
    CUBLAS_CHECK(cublasLtMatmulDescCreate(&desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
    const cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
    set(CUBLASLT_MATMUL_DESC_TRANSA, ta);
    set(CUBLASLT_MATMUL_DESC_TRANSB, tb);
    CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&a, in_type, in, out, in));
    CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&b, in_type, in, rows, in));
    CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&c, out_type, out, rows, out));
    CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
    CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(
        pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws_bytes, sizeof ws_bytes));
  }
  ~LtProblem() {
    cublasLtMatmulPreferenceDestroy(pref);
    cublasLtMatrixLayoutDestroy(a);
    cublasLtMatrixLayoutDestroy(b);
    cublasLtMatrixLayoutDestroy(c);
    cublasLtMatmulDescDestroy(desc);
  }
  LtProblem(const LtProblem&) = delete;
  LtProblem& operator=(const LtProblem&) = delete;

  template <class T>
  void set(cublasLtMatmulDescAttributes_t what, const T& value) {
    CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(desc, what, &value, sizeof value));
  }
  // The heuristic's first `max` candidates (0 when it offers none or refuses).
  int heuristic(cublasLtHandle_t h, cublasLtMatmulHeuristicResult_t* res, int max) const {
    int count = 0;
    if (cublasLtMatmulAlgoGetHeuristic(h, desc, a, b, c, c, pref, max, res, &count) !=
        CUBLAS_STATUS_SUCCESS)
      return 0;
    return count;
  }
};

// Microseconds per call of f (a cuBLAS call returning its status), averaged
// over reps calls on stream s between two events, after the stream drained.
template <class F>
double time_us(cudaStream_t s, cudaEvent_t e0, cudaEvent_t e1, int reps, F&& f) {
  CUDA_CHECK(cudaStreamSynchronize(s));
  CUDA_CHECK(cudaEventRecord(e0, s));
  for (int i = 0; i < reps; ++i) CUBLAS_CHECK(f());
  CUDA_CHECK(cudaEventRecord(e1, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
  float ms = 0;
  CUDA_CHECK(cudaEventElapsedTime(&ms, e0, e1));
  return ms * 1e3 / reps;
}

// main: run(argc, argv), an exception printed as "name: what" with exit 1.
inline int run_tool(const char* name, int (*run)(int, char**), int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", name, e.what());
    return 1;
  }
}

}  // namespace selfens::gputool
