// Which fp8 products cublasLt offers on this card and how fast they are,
// next to the bf16 product the engine runs today: for every (rows, in, out)
// asked and every combination of scaling (per-tensor scalars, or cuBLAS's
// outer vectors: one scale per row of x and of W), output type (fp32,
// bf16) and fast accumulation, the heuristic's first algorithm is timed.
// One JSON line per combination ("ok": false when cublasLt offers none).
//   gpu_fp8_gemm_probe [rows,rows,...] [in:out,in:out,...]
#include <cuda_bf16.h>
#include <cuda_fp8.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "lt_tool.h"

namespace {

using namespace selfens::gputool;

struct Combo {
  cudaDataType_t in_type;  // CUDA_R_16BF or CUDA_R_8F_E4M3
  bool outer;              // outer-vector scales (fp8 only)
  cudaDataType_t out_type;
  int fast_accum;
};

// Microseconds of one product of `c` (the heuristic's first algorithm), or -1.
double time_combo(cublasLtHandle_t h, const Combo& c, int rows, int in, int out, void* w, void* x,
                  void* y, float* w_scales, float* x_scales, void* ws, size_t ws_bytes,
                  cudaStream_t s, cudaEvent_t e0, cudaEvent_t e1) {
  LtProblem p(rows, in, out, c.in_type, c.out_type, ws_bytes);
  if (c.in_type == CUDA_R_8F_E4M3) {
    const cublasLtMatmulMatrixScale_t mode = c.outer ? CUBLASLT_MATMUL_MATRIX_SCALE_OUTER_VEC_32F
                                                     : CUBLASLT_MATMUL_MATRIX_SCALE_SCALAR_32F;
    p.set(CUBLASLT_MATMUL_DESC_A_SCALE_MODE, mode);
    p.set(CUBLASLT_MATMUL_DESC_B_SCALE_MODE, mode);
    p.set(CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, w_scales);
    p.set(CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, x_scales);
    p.set(CUBLASLT_MATMUL_DESC_FAST_ACCUM, int8_t(c.fast_accum));
  }
  cublasLtMatmulHeuristicResult_t res{};
  if (p.heuristic(h, &res, 1) == 0) return -1;
  const float alpha = 1, beta = 0;
  auto gemm = [&] {
    return cublasLtMatmul(h, p.desc, &alpha, w, p.a, x, p.b, &beta, y, p.c, y, p.c, &res.algo, ws,
                          ws_bytes, s);
  };
  if (gemm() != CUBLAS_STATUS_SUCCESS) return -1;
  return time_us(s, e0, e1, 30, gemm);
}

const char* type_name(cudaDataType_t t) {
  return t == CUDA_R_32F ? "f32" : t == CUDA_R_16BF ? "bf16" : t == CUDA_R_8F_E4M3 ? "e4m3" : "?";
}

int run(int argc, char** argv) {
  const std::vector<int> rows_list = parse_ints(argc > 1 ? argv[1] : "512,40960", ',');
  const auto shapes =
      parse_shapes(argc > 2 ? argv[2] : "3072:3072,3072:1024,3072:8192,8192:3072");
  std::printf("{\"cublasLt_version\": %zu}\n", cublasLtGetVersion());
  cudaStream_t s;
  CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  cudaEvent_t e0, e1;
  CUDA_CHECK(cudaEventCreate(&e0));
  CUDA_CHECK(cudaEventCreate(&e1));
  cublasLtHandle_t h;
  CUBLAS_CHECK(cublasLtCreate(&h));
  const size_t ws_bytes = size_t(32) << 20;
  void* ws;
  CUDA_CHECK(cudaMalloc(&ws, ws_bytes));
  std::vector<Combo> combos{{CUDA_R_16BF, false, CUDA_R_32F, 0}};
  for (bool outer : {true, false})
    for (cudaDataType_t o : {CUDA_R_32F, CUDA_R_16BF})
      for (int fast : {0, 1}) combos.push_back({CUDA_R_8F_E4M3, outer, o, fast});
  for (const int rows : rows_list)
    for (const auto& [in, out] : shapes) {
      void *w, *x, *y;
      float *ws_scales, *xs_scales;
      CUDA_CHECK(cudaMalloc(&w, size_t(in) * out * 2));
      CUDA_CHECK(cudaMalloc(&x, size_t(rows) * in * 2));
      CUDA_CHECK(cudaMalloc(&y, size_t(rows) * out * 4));
      CUDA_CHECK(cudaMalloc(&ws_scales, size_t(out) * 4));
      CUDA_CHECK(cudaMalloc(&xs_scales, size_t(rows) * 4));
      CUDA_CHECK(cudaMemset(w, 0x30, size_t(in) * out * 2));  // small values in either type
      CUDA_CHECK(cudaMemset(x, 0x30, size_t(rows) * in * 2));
      std::vector<float> ones(size_t(std::max(rows, out)), 1.0f);
      CUDA_CHECK(cudaMemcpy(ws_scales, ones.data(), size_t(out) * 4, cudaMemcpyHostToDevice));
      CUDA_CHECK(cudaMemcpy(xs_scales, ones.data(), size_t(rows) * 4, cudaMemcpyHostToDevice));
      for (const Combo& c : combos) {
        const double us = time_combo(h, c, rows, in, out, w, x, y, ws_scales, xs_scales, ws,
                                     ws_bytes, s, e0, e1);
        std::printf(
            "{\"rows\": %d, \"in\": %d, \"out\": %d, \"in_type\": \"%s\", \"scales\": \"%s\", "
            "\"out_type\": \"%s\", \"fast_accum\": %d, \"ok\": %s, \"us\": %.1f, \"tflops\": %.0f}\n",
            rows, in, out, type_name(c.in_type),
            c.in_type != CUDA_R_8F_E4M3 ? "none" : c.outer ? "outer_vec" : "scalar",
            type_name(c.out_type), c.fast_accum, us > 0 ? "true" : "false", us,
            us > 0 ? 2.0 * rows * in * out / us / 1e6 : 0.0);
        std::fflush(stdout);
      }
      for (void* p : {w, x, y, static_cast<void*>(ws_scales), static_cast<void*>(xs_scales)})
        CUDA_CHECK(cudaFree(p));
    }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return run_tool("gpu_fp8_gemm_probe", run, argc, argv); }
