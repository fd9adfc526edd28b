#pragma once
// Warp-wide reductions of the CUDA kernels (all 32 lanes take part).
#if defined(__CUDACC__)

namespace selfens::cuda {

__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

}  // namespace selfens::cuda

#endif  // __CUDACC__
