#pragma once
// The 16-bit type of the CUDA backend's 16-bit mode (weights, GEMM inputs,
// K/V, the activations' copies; math and the residual stream stay fp32):
// bf16 by default, IEEE fp16 in a build configured with
// -DSELFENS_CUDA_HALF=fp16 (which defines SELFENS_CUDA_FP16). fp16 keeps 11
// significant bits to bf16's 8 (GGUF Q4_1 values q*d+m come from fp16 scales
// and lose less), bf16 the fp32 range (fp16 overflows above 65504). The code
// names "bf16" (out_bf16, kv_bf16_, ...) mean this type.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <library_types.h>

#include <cstdint>

namespace selfens::cuda {

#if defined(SELFENS_CUDA_FP16)
using Half = __half;
using Half2 = __half2;
inline constexpr cudaDataType_t kHalfCuda = CUDA_R_16F;
#define SELFENS_HALF_PTX "f16"
#else
using Half = __nv_bfloat16;
using Half2 = __nv_bfloat162;
inline constexpr cudaDataType_t kHalfCuda = CUDA_R_16BF;
#define SELFENS_HALF_PTX "bf16"
#endif

#if defined(__CUDACC__)  // conversions, for the kernels
#if defined(SELFENS_CUDA_FP16)
__host__ __device__ __forceinline__ Half half_from_float(float x) { return __float2half_rn(x); }
__host__ __device__ __forceinline__ float half_to_float(Half x) { return __half2float(x); }
__device__ __forceinline__ Half2 floats_to_half2(float lo, float hi) {
  return __floats2half2_rn(lo, hi);
}
__device__ __forceinline__ float2 half2_to_float2(Half2 x) { return __half22float2(x); }
__device__ __forceinline__ uint16_t half_as_ushort(Half x) { return __half_as_ushort(x); }
#else
__host__ __device__ __forceinline__ Half half_from_float(float x) { return __float2bfloat16_rn(x); }
__host__ __device__ __forceinline__ float half_to_float(Half x) { return __bfloat162float(x); }
__device__ __forceinline__ Half2 floats_to_half2(float lo, float hi) {
  return __floats2bfloat162_rn(lo, hi);
}
__device__ __forceinline__ float2 half2_to_float2(Half2 x) { return __bfloat1622float2(x); }
__device__ __forceinline__ uint16_t half_as_ushort(Half x) { return __bfloat16_as_ushort(x); }
#endif
#endif  // __CUDACC__

}  // namespace selfens::cuda
