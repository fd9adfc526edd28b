// Which cublasLt algorithms the engine's bf16 GEMM shapes could use, and how
// fast each is: for every (rows, in, out) asked, cublasLt's heuristic
// candidates (up to 16) are timed on random data, and each one's output is
// compared bit for bit with the first candidate's (the one the engine takes
// today). Prints one JSON line per shape: the first candidate's time, the
// fastest candidate's, and the fastest whose output is identical (an
// algorithm the engine could switch to without changing a single result).
//   gpu_gemm_algos [rows,rows,...] [in:out,in:out,...]
// (default: rows 512,2560; the Llama-3.2-3B shapes q/o, k/v, gate/up, down,
// and the fused q+k+v and gate+up products).
#include <cuda_bf16.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "lt_tool.h"

namespace {

using namespace selfens::gputool;

__global__ void fill_kernel(__nv_bfloat16* p, size_t n, uint32_t seed) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n;
       i += size_t(gridDim.x) * blockDim.x) {
    uint32_t h = uint32_t(i) * 2654435761u ^ seed;
    h ^= h >> 15;
    h *= 2246822519u;
    h ^= h >> 13;
    p[i] = __float2bfloat16((float(h & 0xffff) / 65536.0f - 0.5f) * 0.1f);
  }
}

int attr(const cublasLtMatmulAlgo_t& a, cublasLtMatmulAlgoConfigAttributes_t what) {
  int v = 0;
  size_t written = 0;
  cublasLtMatmulAlgoConfigGetAttribute(&a, what, &v, sizeof v, &written);
  return v;
}

int run(int argc, char** argv) {
  const std::vector<int> rows_list = parse_ints(argc > 1 ? argv[1] : "512,2560", ',');
  const auto shapes = parse_shapes(
      argc > 2 ? argv[2] : "3072:3072,3072:1024,3072:8192,8192:3072,3072:5120,3072:16384");
  cudaStream_t s;
  CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  cudaEvent_t e0, e1;
  CUDA_CHECK(cudaEventCreate(&e0));
  CUDA_CHECK(cudaEventCreate(&e1));
  cublasLtHandle_t h;
  CUBLAS_CHECK(cublasLtCreate(&h));
  const size_t ws_bytes = size_t(32) << 20;  // what the backend gives cublasLt
  void* ws;
  CUDA_CHECK(cudaMalloc(&ws, ws_bytes));
  for (const int rows : rows_list)
    for (const auto& [in, out] : shapes) {
      __nv_bfloat16 *w, *x;
      float *y0, *y;
      CUDA_CHECK(cudaMalloc(&w, size_t(in) * out * 2));
      CUDA_CHECK(cudaMalloc(&x, size_t(rows) * in * 2));
      CUDA_CHECK(cudaMalloc(&y0, size_t(rows) * out * 4));
      CUDA_CHECK(cudaMalloc(&y, size_t(rows) * out * 4));
      fill_kernel<<<1024, 256, 0, s>>>(w, size_t(in) * out, 1u);
      fill_kernel<<<1024, 256, 0, s>>>(x, size_t(rows) * in, 2u);
      LtProblem p(rows, in, out, CUDA_R_16BF, CUDA_R_32F, ws_bytes);
      cublasLtMatmulHeuristicResult_t res[16];
      const int count = p.heuristic(h, res, 16);
      std::vector<float> host0(size_t(rows) * out), host(size_t(rows) * out);
      const float alpha = 1, beta = 0;
      std::string json = "{\"rows\": " + std::to_string(rows) + ", \"in\": " + std::to_string(in) +
                         ", \"out\": " + std::to_string(out) + ", \"candidates\": [";
      double first_us = 0, best_us = 1e30, best_same_us = 1e30;
      int best = -1, best_same = -1;
      for (int c = 0; c < count; ++c) {
        float* dst = c == 0 ? y0 : y;
        auto gemm = [&] {
          return cublasLtMatmul(h, p.desc, &alpha, w, p.a, x, p.b, &beta, dst, p.c, dst, p.c,
                                &res[c].algo, ws, ws_bytes, s);
        };
        if (gemm() != CUBLAS_STATUS_SUCCESS) {
          if (c == 0) break;  // no reference output: the shape reports no candidates
          continue;
        }
        const double us = time_us(s, e0, e1, 50, gemm);
        CUDA_CHECK(cudaMemcpy(c == 0 ? host0.data() : host.data(), dst, host.size() * 4,
                              cudaMemcpyDeviceToHost));
        const bool same = c == 0 || std::memcmp(host0.data(), host.data(), host.size() * 4) == 0;
        if (c == 0) first_us = us;
        if (us < best_us) best_us = us, best = c;
        if (same && us < best_same_us) best_same_us = us, best_same = c;
        char buf[256];
        std::snprintf(buf, sizeof buf,
                      "%s{\"us\": %.1f, \"same\": %s, \"tile\": %d, \"splitk\": %d, \"stages\": %d, "
                      "\"cluster\": %d, \"ws\": %zu}",
                      c == 0 ? "" : ", ", us, same ? "true" : "false",
                      attr(res[c].algo, CUBLASLT_ALGO_CONFIG_TILE_ID),
                      attr(res[c].algo, CUBLASLT_ALGO_CONFIG_SPLITK_NUM),
                      attr(res[c].algo, CUBLASLT_ALGO_CONFIG_STAGES_ID),
                      attr(res[c].algo, CUBLASLT_ALGO_CONFIG_CLUSTER_SHAPE_ID),
                      res[c].workspaceSize);
        json += buf;
      }
      const double flop = 2.0 * rows * in * out;
      char buf[256];
      if (best_same < 0)  // no candidate, or the first one did not run: nothing to compare
        std::snprintf(buf, sizeof buf, "], \"error\": \"cublasLt ran no candidate\"}");
      else
        std::snprintf(buf, sizeof buf,
                      "], \"first_us\": %.1f, \"best_us\": %.1f, \"best\": %d, "
                      "\"best_same_us\": %.1f, \"best_same\": %d, \"first_tflops\": %.0f, "
                      "\"best_same_tflops\": %.0f}",
                      first_us, best_us, best, best_same_us, best_same, flop / first_us / 1e6,
                      flop / best_same_us / 1e6);
      std::printf("%s%s\n", json.c_str(), buf);
      std::fflush(stdout);
      for (void* p : {static_cast<void*>(w), static_cast<void*>(x), static_cast<void*>(y0),
                      static_cast<void*>(y)})
        CUDA_CHECK(cudaFree(p));
    }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return run_tool("gpu_gemm_algos", run, argc, argv); }
