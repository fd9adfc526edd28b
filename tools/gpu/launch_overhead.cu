// Where a decode step's time goes on this GPU machine, op-free: host cost
// of one kernel launch, of one cublasLt bf16 GEMM call, and of one CUDA
// graph launch; device time of the decode GEMM shapes of a Llama-3.2-3B
// step (host kept ahead by a spinning kernel, so no launch gaps count).
// Prints one JSON line.  gpu_launch_overhead [rows=256]
#include <cublasLt.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "backend/cuda/cuda_check.h"
#include "lt_tool.h"

__global__ void empty_kernel(int* p) {
  if (p != nullptr && threadIdx.x == 1234567) *p = 1;
}

__global__ void spin_kernel(long long cycles) {
  const long long t0 = clock64();
  while (clock64() - t0 < cycles) {
  }
}

static double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Gemm {
  cublasLtMatmulDesc_t desc;
  cublasLtMatrixLayout_t a, b, c;
  cublasLtMatmulAlgo_t algo;
};

static Gemm make_gemm(cublasLtHandle_t h, int n, int in, int out, size_t ws) {
  Gemm g{};
  CUBLAS_CHECK(cublasLtMatmulDescCreate(&g.desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
  CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(g.desc, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta));
  CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(g.desc, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb));
  CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&g.a, CUDA_R_16BF, in, out, in));
  CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&g.b, CUDA_R_16BF, in, n, in));
  CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&g.c, CUDA_R_32F, out, n, out));
  cublasLtMatmulPreference_t pref;
  CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
  CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws,
                                          sizeof ws));
  cublasLtMatmulHeuristicResult_t r{};
  int count = 0;
  CUBLAS_CHECK(cublasLtMatmulAlgoGetHeuristic(h, g.desc, g.a, g.b, g.c, g.c, pref, 1, &r, &count));
  if (count == 0) std::exit(2);
  g.algo = r.algo;
  cublasLtMatmulPreferenceDestroy(pref);
  return g;
}

static int run(int argc, char** argv) {
  const int rows = argc > 1 ? std::atoi(argv[1]) : 256;
  cudaStream_t s;
  CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  cudaEvent_t e0, e1;
  CUDA_CHECK(cudaEventCreate(&e0));
  CUDA_CHECK(cudaEventCreate(&e1));
  const long long spin = 2000LL * 1000 * 100;  // ~100 ms at ~2 GHz: the host stays ahead

  // 1. Kernel launches, host ahead of the device.
  empty_kernel<<<1, 32, 0, s>>>(nullptr);
  CUDA_CHECK(cudaStreamSynchronize(s));
  const int launches = 800;  // below the launch queue's depth
  spin_kernel<<<1, 1, 0, s>>>(spin);
  double t = now_s();
  for (int i = 0; i < launches; ++i) empty_kernel<<<1, 32, 0, s>>>(nullptr);
  const double launch_us = (now_s() - t) / launches * 1e6;
  CUDA_CHECK(cudaStreamSynchronize(s));
  CUDA_CHECK(cudaEventRecord(e0, s));
  for (int i = 0; i < launches; ++i) empty_kernel<<<1, 32, 0, s>>>(nullptr);
  CUDA_CHECK(cudaEventRecord(e1, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
  float ms = 0;
  CUDA_CHECK(cudaEventElapsedTime(&ms, e0, e1));
  const double kernel_device_us = ms * 1e3 / launches;

  // 2. The same kernels as one CUDA graph.
  cudaGraph_t graph;
  cudaGraphExec_t exec;
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  for (int i = 0; i < 600; ++i) empty_kernel<<<1, 32, 0, s>>>(nullptr);
  CUDA_CHECK(cudaStreamEndCapture(s, &graph));
  t = now_s();
  CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
  const double instantiate_ms = (now_s() - t) * 1e3;
  CUDA_CHECK(cudaGraphLaunch(exec, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
  t = now_s();
  CUDA_CHECK(cudaEventRecord(e0, s));
  for (int i = 0; i < 10; ++i) CUDA_CHECK(cudaGraphLaunch(exec, s));
  CUDA_CHECK(cudaEventRecord(e1, s));
  const double graph_launch_us = (now_s() - t) / 10 * 1e6;
  CUDA_CHECK(cudaStreamSynchronize(s));
  CUDA_CHECK(cudaEventElapsedTime(&ms, e0, e1));
  const double graph_kernel_device_us = ms * 1e3 / (10 * 600);

  // 3. Decode GEMMs: [rows, in] x [out, in]^T, bf16 in, fp32 out.
  cublasLtHandle_t h;
  CUBLAS_CHECK(cublasLtCreate(&h));
  const size_t ws_bytes = size_t(32) << 20;
  void* ws;
  CUDA_CHECK(cudaMalloc(&ws, ws_bytes));
  struct Shape { int in, out; const char* name; };
  const Shape shapes[] = {{3072, 3072, "q/o"}, {3072, 1024, "k/v"}, {3072, 8192, "gate/up"},
                          {8192, 3072, "down"}, {3072, 9216 + 0 * 1024, "qkv fused-ish"},
                          {3072, 16384, "gate+up fused"}};
  std::string json = "{\"rows\": " + std::to_string(rows);
  char buf[256];
  std::snprintf(buf, sizeof buf,
                ", \"kernel_launch_host_us\": %.2f, \"empty_kernel_device_us\": %.2f, "
                "\"graph600_instantiate_ms\": %.2f, \"graph600_launch_host_us\": %.1f, "
                "\"graph_kernel_device_us\": %.2f",
                launch_us, kernel_device_us, instantiate_ms, graph_launch_us, graph_kernel_device_us);
  json += buf;
  double step_us = 0;
  for (const Shape& sh : shapes) {
    void *w, *x;
    float* y;
    CUDA_CHECK(cudaMalloc(&w, size_t(sh.in) * sh.out * 2));
    CUDA_CHECK(cudaMalloc(&x, size_t(rows) * sh.in * 2));
    CUDA_CHECK(cudaMalloc(&y, size_t(rows) * sh.out * 4));
    CUDA_CHECK(cudaMemset(w, 0, size_t(sh.in) * sh.out * 2));
    CUDA_CHECK(cudaMemset(x, 0, size_t(rows) * sh.in * 2));
    Gemm g = make_gemm(h, rows, sh.in, sh.out, ws_bytes);
    const float alpha = 1, beta = 0;
    auto run = [&] {
      CUBLAS_CHECK(cublasLtMatmul(h, g.desc, &alpha, w, g.a, x, g.b, &beta, y, g.c, y, g.c, &g.algo, ws,
                        ws_bytes, s));
    };
    run();
    CUDA_CHECK(cudaStreamSynchronize(s));
    const int reps = 200;
    spin_kernel<<<1, 1, 0, s>>>(spin);
    CUDA_CHECK(cudaEventRecord(e0, s));
    t = now_s();
    for (int i = 0; i < reps; ++i) run();
    const double host_us = (now_s() - t) / reps * 1e6;
    CUDA_CHECK(cudaEventRecord(e1, s));
    CUDA_CHECK(cudaStreamSynchronize(s));
    // Device time only: measure again with the spin already over.
    CUDA_CHECK(cudaEventRecord(e0, s));
    for (int i = 0; i < reps; ++i) run();
    CUDA_CHECK(cudaEventRecord(e1, s));
    CUDA_CHECK(cudaStreamSynchronize(s));
    CUDA_CHECK(cudaEventElapsedTime(&ms, e0, e1));
    const double dev_us = ms * 1e3 / reps;
    const double gbs = (double(sh.in) * sh.out * 2) / (dev_us * 1e-6) / 1e9;
    std::snprintf(buf, sizeof buf,
                  ", \"gemm %dx%d (%s)\": {\"host_us\": %.1f, \"device_us\": %.1f, \"weight_GB_s\": %.0f}",
                  sh.in, sh.out, sh.name, host_us, dev_us, gbs);
    json += buf;
    if (sh.out != 9216 && sh.out != 16384)
      step_us += dev_us * (sh.out == 3072 && sh.in == 3072 ? 2 : sh.out == 1024 ? 2 : sh.out == 8192 ? 2 : 1);
    CUDA_CHECK(cudaFree(w));
    CUDA_CHECK(cudaFree(x));
    CUDA_CHECK(cudaFree(y));
  }
  std::snprintf(buf, sizeof buf, ", \"decode_step_gemm_ms_28_layers\": %.2f}", step_us * 28 / 1e3);
  json += buf;
  std::printf("%s\n", json.c_str());
  return 0;
}

int main(int argc, char** argv) {
  return selfens::gputool::run_tool("gpu_launch_overhead", run, argc, argv);
}
