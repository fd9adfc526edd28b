#pragma once
// CUDA_CHECK / CUBLAS_CHECK: a failed CUDA or cuBLAS call throws
// InternalError naming the file, line, call and the library's error string.
// Device out-of-memory is the user's to fix and is reported by
// cuda::device_malloc (cuda_backend.cpp) as an InputError instead.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

#include "util/check.h"

namespace selfens::cuda {

[[noreturn]] inline void throw_cuda(const char* file, int line, const char* call,
                                    cudaError_t err) {
  throw_internal(file, line,
                 std::string("CUDA error in ") + call + ": " + cudaGetErrorName(err) + " (" +
                     cudaGetErrorString(err) + ")");
}

[[noreturn]] inline void throw_cublas(const char* file, int line, const char* call,
                                      cublasStatus_t st) {
  throw_internal(file, line,
                 std::string("cuBLAS error in ") + call + ": " + cublasGetStatusName(st) +
                     " (" + cublasGetStatusString(st) + ")");
}

}  // namespace selfens::cuda

#define CUDA_CHECK(call)                                                          \
  do {                                                                            \
    const cudaError_t selfens_err_ = (call);                                      \
    if (selfens_err_ != cudaSuccess)                                              \
      ::selfens::cuda::throw_cuda(__FILE__, __LINE__, #call, selfens_err_);       \
  } while (0)

#define CUBLAS_CHECK(call)                                                        \
  do {                                                                            \
    const cublasStatus_t selfens_st_ = (call);                                    \
    if (selfens_st_ != CUBLAS_STATUS_SUCCESS)                                     \
      ::selfens::cuda::throw_cublas(__FILE__, __LINE__, #call, selfens_st_);      \
  } while (0)

// After a kernel launch: configuration errors surface here, not later.
#define CUDA_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())
