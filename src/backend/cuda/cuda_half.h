#pragma once
// The 16-bit type of the CUDA backend's 16-bit modes (weights, GEMM inputs,
// K/V and the activations' copies; math, the residual stream and logits stay
// fp32): bf16 (`--device cuda`) or IEEE fp16 (`--device cuda-fp16`). fp16
// keeps 11 significant bits to bf16's 8 (GGUF Q4_1 values q*d+m come from
// fp16 scales and lose less), bf16 the fp32 range (fp16 ends at 65504).
// Kernels are templates over the type (H); launchers take a Half16 and
// instantiate both. Code names "bf16" (out_bf16, kv_bf16_, ...) mean
// "the 16-bit type".
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <library_types.h>

#include <cstdint>
#include <type_traits>

namespace selfens::cuda {

enum class Half16 : uint8_t { kBf16, kFp16 };

inline cudaDataType_t cuda_data_type(Half16 h) {
  return h == Half16::kFp16 ? CUDA_R_16F : CUDA_R_16BF;
}

#if defined(__CUDACC__)  // the kernels' conversions
__device__ __forceinline__ float half_to_float(__nv_bfloat16 x) { return __bfloat162float(x); }
__device__ __forceinline__ float half_to_float(__half x) { return __half2float(x); }
__device__ __forceinline__ float2 half2_to_float2(__nv_bfloat162 x) { return __bfloat1622float2(x); }
__device__ __forceinline__ float2 half2_to_float2(__half2 x) { return __half22float2(x); }
__device__ __forceinline__ uint16_t half_as_ushort(__nv_bfloat16 x) { return __bfloat16_as_ushort(x); }
__device__ __forceinline__ uint16_t half_as_ushort(__half x) { return __half_as_ushort(x); }

template <class H>
__device__ __forceinline__ H half_from_float(float x) {
  if constexpr (std::is_same_v<H, __half>) return __float2half_rn(x);
  else return __float2bfloat16_rn(x);
}

// The pair type of H (two values in 32 bits) and its packing.
template <class H>
using Half2Of = std::conditional_t<std::is_same_v<H, __half>, __half2, __nv_bfloat162>;
template <class H>
__device__ __forceinline__ Half2Of<H> floats_to_half2(float lo, float hi) {
  if constexpr (std::is_same_v<H, __half>) return __floats2half2_rn(lo, hi);
  else return __floats2bfloat162_rn(lo, hi);
}

// Calls f(H{}) with H the type h names: a launcher's two instantiations.
template <class F>
void with_half(Half16 h, F&& f) {
  if (h == Half16::kFp16) f(__half{});
  else f(__nv_bfloat16{});
}
#endif  // __CUDACC__

}  // namespace selfens::cuda
