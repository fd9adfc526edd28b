// Next-token choices on the device (backend/token_choice.h): one block per
// choice fuses its logits rows and takes the argmax, or samples its row, so
// a decode step downloads one id per choice. fp64 accumulation, like the
// host reference, so that fp32 runs pick the same ids as the CPU path.
//
// Sampling follows backend/token_sampler.cpp step by step: the row's max;
// the k-th largest logit by bisection over order-preserving keys of the
// floats (32 block-wide counts); the kept tokens (logit >= that, weight
// exp((logit - max) / T) > 0 in fp64) compacted in id order into shared
// memory; then one thread sums and walks them in the host's order (id order,
// or after a bitonic sort by weight, ties by id, for top-p), so the draw is
// the host's up to the last bit of exp(): tools/gpu/gpu_backend_check and
// run_confidence_checks.sh compare the ids with the host's (H200: equal).
// SELFENS_CUDA_SAMPLE=0 leaves the draws to the host.
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

// Exclusive prefix sum of one int per thread; *total gets the block's sum.
__device__ int block_exclusive_scan(int v, int* total) {
  __shared__ int warp_sums[32];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  int inc = v;
  for (int o = 1; o < 32; o <<= 1) {
    const int n = __shfl_up_sync(0xffffffffu, inc, o);
    if (lane >= o) inc += n;
  }
  __syncthreads();  // warp_sums may still be read by an earlier call
  if (lane == 31) warp_sums[warp] = inc;
  __syncthreads();
  if (warp == 0) {
    const int n_warps = blockDim.x / 32;
    int w = lane < n_warps ? warp_sums[lane] : 0;
    for (int o = 1; o < 32; o <<= 1) {
      const int n = __shfl_up_sync(0xffffffffu, w, o);
      if (lane >= o) w += n;
    }
    if (lane < n_warps) warp_sums[lane] = w;  // inclusive over warps
  }
  __syncthreads();
  *total = warp_sums[blockDim.x / 32 - 1];
  return inc - v + (warp > 0 ? warp_sums[warp - 1] : 0);
}

// Larger float -> larger key (NaN -> 0, below everything).
__device__ uint32_t order_key(float f) {
  if (isnan(f)) return 0u;
  const uint32_t b = __float_as_uint(f);
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

__device__ float key_float(uint32_t k) {
  return __uint_as_float((k & 0x80000000u) ? (k & 0x7fffffffu) : ~k);
}

// w_a before w_b in the top-p order: larger weight first, ties by lower id.
__device__ bool more_probable(double wa, int32_t ia, double wb, int32_t ib) {
  return wa > wb || (wa == wb && ia < ib);
}

// The sampled token of one row (see the top of the file); -1: more than
// kMaxSampleKept tokens kept, the host draws. Called by the whole block.
__device__ int32_t sample_row(const float* __restrict__ row, int vocab, const DrawDev d) {
  __shared__ int32_t ids[kMaxSampleKept];
  __shared__ double w[kMaxSampleKept];
  double m = -DBL_MAX;
  for (int j = threadIdx.x; j < vocab; j += blockDim.x) m = fmax(m, double(row[j]));
  const float mx = float(block_reduce(m, true));
  if (!isfinite(mx)) return -1;  // the host reports it
  float thr = -INFINITY;
  if (d.top_k > 0 && d.top_k < vocab) {  // the k-th largest logit, bit by bit
    uint32_t key = 0;
    for (int bit = 31; bit >= 0; --bit) {
      const uint32_t cand = key | (1u << bit);
      double n = 0;
      for (int j = threadIdx.x; j < vocab; j += blockDim.x) n += order_key(row[j]) >= cand;
      if (block_reduce(n, false) >= double(d.top_k)) key = cand;
    }
    thr = key_float(key);
  }
  // Kept tokens in id order: each thread takes a contiguous chunk of ids.
  const double inv_t = 1.0 / double(d.temperature);
  const int chunk = (vocab + blockDim.x - 1) / blockDim.x;
  const int begin = min(vocab, int(threadIdx.x) * chunk), end = min(vocab, begin + chunk);
  auto weight = [&](int j) {
    const float l = row[j];
    return l >= thr ? exp((double(l) - double(mx)) * inv_t) : 0.0;  // NaN: not kept
  };
  int mine = 0;
  for (int j = begin; j < end; ++j) mine += weight(j) > 0;
  int kept = 0;
  int pos = block_exclusive_scan(mine, &kept);
  if (kept == 0 || kept > kMaxSampleKept) return -1;
  for (int j = begin; j < end; ++j) {
    const double wj = weight(j);
    if (wj > 0) {
      ids[pos] = j;
      w[pos++] = wj;
    }
  }
  __syncthreads();
  __shared__ double total;
  if (threadIdx.x == 0) {
    double t = 0;
    for (int i = 0; i < kept; ++i) t += w[i];
    total = t;
  }
  __syncthreads();
  int n = kept;
  double mass = total;
  if (d.top_p < 1.0f) {
    int size = 1;
    while (size < kept) size <<= 1;
    for (int i = kept + int(threadIdx.x); i < size; i += blockDim.x) {
      ids[i] = INT_MAX;  // padding sorts last
      w[i] = -1.0;
    }
    __syncthreads();
    for (int k = 2; k <= size; k <<= 1)
      for (int j = k >> 1; j > 0; j >>= 1) {
        for (int i = threadIdx.x; i < size; i += blockDim.x) {
          const int p = i ^ j;
          if (p <= i) continue;
          const bool first_before = more_probable(w[i], ids[i], w[p], ids[p]);
          if (((i & k) == 0) != first_before) {  // ascending blocks want i before p
            const double tw = w[i];
            w[i] = w[p];
            w[p] = tw;
            const int32_t ti = ids[i];
            ids[i] = ids[p];
            ids[p] = ti;
          }
        }
        __syncthreads();
      }
    // Keep while the mass before is below top_p of the total.
    __shared__ int cut;
    __shared__ double cut_mass;
    if (threadIdx.x == 0) {
      const double target = double(d.top_p) * total;
      double cum = 0;
      int j = 0;
      for (; j < kept && cum < target; ++j) cum += w[j];
      cut = j;
      cut_mass = cum;
    }
    __syncthreads();
    n = cut;
    mass = cut_mass;
  }
  const double target = d.u * mass;
  double acc = 0;
  for (int i = 0; i < n; ++i) {  // every thread walks the same shared list
    acc += w[i];
    if (acc > target) return ids[i];
  }
  return ids[n - 1];  // u * mass rounded up to the whole mass
}

__global__ void choose_kernel(const float* __restrict__ logits, int vocab,
                              const ChoiceDev* __restrict__ choices,
                              const float* __restrict__ weights,
                              const DrawDev* __restrict__ draws, int32_t* __restrict__ out) {
  __shared__ float row_max[kMaxChoiceRows];
  __shared__ double row_sum[kMaxChoiceRows];
  const ChoiceDev c = choices[blockIdx.x];
  const float* base = logits + int64_t(c.row_begin) * vocab;
  if (c.kind == 2) {
    const int32_t id = sample_row(base, vocab, draws[c.weight_begin]);
    if (threadIdx.x == 0) out[blockIdx.x] = id;
    return;
  }
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
  int finite = 1;
  for (int j = threadIdx.x; j < vocab; j += blockDim.x) {
    double v;
    if (c.kind == 1) {
      float p = -FLT_MAX;
      for (int i = 0; i < c.n_rows; ++i) {
        const float pi = float(exp(double(base[int64_t(i) * vocab + j] - row_max[i])) / row_sum[i]);
        finite &= isfinite(pi) ? 1 : 0;  // fmaxf would drop a NaN (an infinite logit's row)
        p = fmaxf(p, pi);
      }
      v = p;
    } else {
      double acc = 0;
      for (int i = 0; i < c.n_rows; ++i) {
        const double w = c.weight_begin < 0 ? 1.0 / c.n_rows : double(weights[c.weight_begin + i]);
        acc += w * base[int64_t(i) * vocab + j];
      }
      v = double(float(acc));  // the host rounds the fused score to float too
    }
    finite &= isfinite(v) ? 1 : 0;
    if (v > best) {  // j grows: the first maximum of this thread is kept
      best = v;
      best_idx = j;
    }
  }
  block_argmax(best, best_idx);
  const bool all_finite = __syncthreads_and(finite) != 0;
  if (threadIdx.x == 0) out[blockIdx.x] = all_finite ? best_idx : kNotFinite;
}

}  // namespace

void launch_choose_tokens(const float* logits, int vocab, const ChoiceDev* choices,
                          int n_choices, const float* weights, const DrawDev* draws, int32_t* out,
                          cudaStream_t stream) {
  if (n_choices == 0) return;
  choose_kernel<<<n_choices, kThreads, 0, stream>>>(logits, vocab, choices, weights, draws, out);
  CUDA_CHECK_LAUNCH();
}

}  // namespace selfens::cuda
