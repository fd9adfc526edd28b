// Next-token choices on the device (backend/token_choice.h): one block per
// choice fuses its logits rows and takes the argmax, so a decode step
// downloads one id per choice. fp64 accumulation, like the host reference,
// so that fp32 runs pick the same ids as the CPU path.
#include <cfloat>
#include <climits>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_kernels.h"

namespace selfens::cuda {

namespace {

constexpr int kThreads = 1024;

// Warp-wide reduction of (value, index): the larger value wins, ties go to
// the lower index (torch.argmax). All lanes get the result.
__device__ void warp_argmax(double& v, int& idx) {
  for (int o = 16; o > 0; o >>= 1) {
    const double ov = __shfl_xor_sync(0xffffffffu, v, o);
    const int oi = __shfl_xor_sync(0xffffffffu, idx, o);
    if (ov > v || (ov == v && oi < idx)) {
      v = ov;
      idx = oi;
    }
  }
}

// The same over the block (all threads get the result).
__device__ void block_argmax(double& v, int& idx) {
  __shared__ double sv[32];
  __shared__ int si[32];
  warp_argmax(v, idx);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();  // sv/si may still be read by an earlier call
  if (lane == 0) {
    sv[warp] = v;
    si[warp] = idx;
  }
  __syncthreads();
  const int n_warps = blockDim.x / 32;
  v = lane < n_warps ? sv[lane] : -DBL_MAX;
  idx = lane < n_warps ? si[lane] : INT_MAX;
  warp_argmax(v, idx);
}

__device__ double block_reduce(double v, bool is_max) {
  __shared__ double s[32];
  for (int o = 16; o > 0; o >>= 1) {
    const double ov = __shfl_xor_sync(0xffffffffu, v, o);
    v = is_max ? fmax(v, ov) : v + ov;
  }
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();
  if (lane == 0) s[warp] = v;
  __syncthreads();
  const int n_warps = blockDim.x / 32;
  v = lane < n_warps ? s[lane] : (is_max ? -DBL_MAX : 0.0);
  for (int o = 16; o > 0; o >>= 1) {
    const double ov = __shfl_xor_sync(0xffffffffu, v, o);
    v = is_max ? fmax(v, ov) : v + ov;
  }
  return v;
}

__global__ void choose_kernel(const float* __restrict__ logits, int vocab,
                              const ChoiceDev* __restrict__ choices,
                              const float* __restrict__ weights, int32_t* __restrict__ out) {
  __shared__ float row_max[kMaxChoiceRows];
  __shared__ double row_sum[kMaxChoiceRows];
  const ChoiceDev c = choices[blockIdx.x];
  const float* base = logits + int64_t(c.row_begin) * vocab;
  if (c.kind == 1) {  // max of softmax probabilities: each row's max and sum first
    for (int i = 0; i < c.n_rows; ++i) {
      const float* r = base + int64_t(i) * vocab;
      double m = -DBL_MAX;
      for (int j = threadIdx.x; j < vocab; j += blockDim.x) m = fmax(m, double(r[j]));
      m = block_reduce(m, true);
      double z = 0;
      for (int j = threadIdx.x; j < vocab; j += blockDim.x) z += exp(double(r[j] - float(m)));
      z = block_reduce(z, false);
      if (threadIdx.x == 0) {
        row_max[i] = float(m);
        row_sum[i] = z;
      }
    }
    __syncthreads();
  }
  double best = -DBL_MAX;
  int best_idx = INT_MAX;
  for (int j = threadIdx.x; j < vocab; j += blockDim.x) {
    double v;
    if (c.kind == 1) {
      float p = -FLT_MAX;
      for (int i = 0; i < c.n_rows; ++i)
        p = fmaxf(p, float(exp(double(base[int64_t(i) * vocab + j] - row_max[i])) / row_sum[i]));
      v = p;
    } else {
      double acc = 0;
      for (int i = 0; i < c.n_rows; ++i) {
        const double w = c.weight_begin < 0 ? 1.0 / c.n_rows : double(weights[c.weight_begin + i]);
        acc += w * base[int64_t(i) * vocab + j];
      }
      v = double(float(acc));  // the host rounds the fused score to float too
    }
    if (v > best) {  // j grows: the first maximum of this thread is kept
      best = v;
      best_idx = j;
    }
  }
  block_argmax(best, best_idx);
  if (threadIdx.x == 0) out[blockIdx.x] = best_idx;
}

}  // namespace

void launch_choose_tokens(const float* logits, int vocab, const ChoiceDev* choices,
                          int n_choices, const float* weights, int32_t* out,
                          cudaStream_t stream) {
  if (n_choices == 0) return;
  choose_kernel<<<n_choices, kThreads, 0, stream>>>(logits, vocab, choices, weights, out);
  CUDA_CHECK_LAUNCH();
}

}  // namespace selfens::cuda
