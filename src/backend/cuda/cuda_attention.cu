// Span attention over the paged KV store (online softmax, fp32 math).
//
// Grid (query entry, kv head); one warp per query head of that kv head's GQA
// group, so the group's warps read the same K/V rows (L1 hits). A warp walks
// only its entry's visible segments (the pages of its span's ancestors, then
// its own span up to the causal limit): block skipping by construction.
// head_dim 16..256 are compiled (64 and 128 are the ones that matter).
// Keys go 32 at a time, one per lane: lane j computes the score of key
// base + j against q (q in shared memory, broadcast reads); the tile's
// softmax statistics are warp reductions; then the warp accumulates the 32
// V rows with each lane owning head_dim / 32 consecutive output dims
// (coalesced V reads).
#include <cfloat>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_kernels.h"

namespace selfens::cuda {

namespace {

__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// q [n, n_heads * HD]; k_cache, v_cache [pages, page_size, n_kv_heads * HD];
// out [n, n_heads * HD]. Dynamic shared memory: [warps][HD] floats (scaled q).
template <int HD>
__global__ void span_attention_kernel(const float* __restrict__ q,
                                      const float* __restrict__ k_cache,
                                      const float* __restrict__ v_cache, AttnPlanDev plan,
                                      int n_heads, int n_kv_heads, int page_size,
                                      float* __restrict__ out) {
  // Output dims per lane (HD < 32: one dim on each of the first HD lanes).
  constexpr int kPerLane = HD >= 32 ? HD / 32 : 1;
  constexpr int kLanesUsed = HD >= 32 ? 32 : HD;
  static_assert(HD % 4 == 0 && (HD < 32 || HD % 32 == 0), "head_dim layout");
  extern __shared__ float4 q_smem4[];  // [warps][HD / 4] (float4 for alignment)
  float* q_smem = reinterpret_cast<float*>(q_smem4);
  const int entry = blockIdx.x, kv_head = blockIdx.y;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int group_size = n_heads / n_kv_heads;
  const int head = kv_head * group_size + warp;
  const int64_t row = plan.rows[entry];
  const int kvd = n_kv_heads * HD;

  float* qs = q_smem + warp * HD;
  const float* qrow = q + (row * n_heads + head) * HD;
  for (int d = lane; d < HD; d += 32) qs[d] = qrow[d] * plan.scale;
  __syncwarp();

  const GroupDev g = plan.groups[plan.entry_group[entry]];
  float acc[kPerLane];
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) acc[i] = 0.0f;
  float m = -FLT_MAX, l = 0.0f;  // running max and sum (m finite: no inf - inf)

  for (int si = g.seg_begin; si < g.seg_end; ++si) {
    const SegDev seg = plan.segments[si];
    const int n = si + 1 == g.seg_end ? plan.self_limit[entry] : seg.n_tokens;
    for (int base = 0; base < n; base += 32) {
      const int j = base + lane;
      const bool valid = j < n;
      int64_t off = 0;  // element offset of key j's head row in the cache
      float s = -FLT_MAX;
      if (valid) {
        const int page = plan.pages[seg.page_begin + j / page_size];
        off = (int64_t(page) * page_size + j % page_size) * kvd + int64_t(kv_head) * HD;
        const float4* kr = reinterpret_cast<const float4*>(k_cache + off);
        const float4* q4 = reinterpret_cast<const float4*>(qs);
        float dot = 0.0f;
#pragma unroll
        for (int d = 0; d < HD / 4; ++d) {
          const float4 kv = __ldg(kr + d);
          const float4 qv = q4[d];
          dot += qv.x * kv.x + qv.y * kv.y + qv.z * kv.z + qv.w * kv.w;
        }
        s = dot + seg.bias;
      }
      const float m_new = fmaxf(m, warp_max(s));
      const float corr = expf(m - m_new);
      const float p = valid ? expf(s - m_new) : 0.0f;
      l = l * corr + warp_sum(p);
#pragma unroll
      for (int i = 0; i < kPerLane; ++i) acc[i] *= corr;
      m = m_new;
      const int cnt = min(32, n - base);
      for (int jj = 0; jj < cnt; ++jj) {
        const float pj = __shfl_sync(0xffffffffu, p, jj);
        const int64_t vo = __shfl_sync(0xffffffffu, off, jj);
        const float* vr = v_cache + vo + lane * kPerLane;
        if constexpr (kPerLane == 4) {
          const float4 vv = __ldg(reinterpret_cast<const float4*>(vr));
          acc[0] += pj * vv.x;
          acc[1] += pj * vv.y;
          acc[2] += pj * vv.z;
          acc[3] += pj * vv.w;
        } else if constexpr (kPerLane == 2) {
          const float2 vv = __ldg(reinterpret_cast<const float2*>(vr));
          acc[0] += pj * vv.x;
          acc[1] += pj * vv.y;
        } else {
          if (kLanesUsed == 32 || lane < kLanesUsed) {
#pragma unroll
            for (int i = 0; i < kPerLane; ++i) acc[i] += pj * __ldg(vr + i);
          }
        }
      }
    }
  }
  const float inv = l > 0.0f ? 1.0f / l : 0.0f;
  float* o = out + (row * n_heads + head) * HD + lane * kPerLane;
  if (kLanesUsed == 32 || lane < kLanesUsed) {
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) o[i] = acc[i] * inv;
  }
}

template <int HD>
void launch_hd(const float* q, const float* k_cache, const float* v_cache, const AttnPlanDev& plan,
               int n_heads, int n_kv_heads, int page_size, float* out, cudaStream_t stream) {
  const int group_size = n_heads / n_kv_heads;
  const dim3 grid(unsigned(plan.n_entries), unsigned(n_kv_heads));
  const int threads = 32 * group_size;
  const size_t smem = size_t(group_size) * HD * sizeof(float);
  span_attention_kernel<HD><<<grid, threads, smem, stream>>>(q, k_cache, v_cache, plan, n_heads,
                                                            n_kv_heads, page_size, out);
  CUDA_CHECK_LAUNCH();
}

}  // namespace

void launch_span_attention(const float* q, const float* k_cache, const float* v_cache,
                           const AttnPlanDev& plan, int n_heads, int n_kv_heads, int head_dim,
                           int page_size, float* out, cudaStream_t stream) {
  if (plan.n_entries == 0) return;
  SELFENS_CHECK(n_kv_heads > 0 && n_heads % n_kv_heads == 0 && n_heads / n_kv_heads <= 32,
                "CUDA attention: GQA group of at most 32 heads");
  switch (head_dim) {
    case 16: return launch_hd<16>(q, k_cache, v_cache, plan, n_heads, n_kv_heads, page_size, out, stream);
    case 32: return launch_hd<32>(q, k_cache, v_cache, plan, n_heads, n_kv_heads, page_size, out, stream);
    case 64: return launch_hd<64>(q, k_cache, v_cache, plan, n_heads, n_kv_heads, page_size, out, stream);
    case 96: return launch_hd<96>(q, k_cache, v_cache, plan, n_heads, n_kv_heads, page_size, out, stream);
    case 128: return launch_hd<128>(q, k_cache, v_cache, plan, n_heads, n_kv_heads, page_size, out, stream);
    case 256: return launch_hd<256>(q, k_cache, v_cache, plan, n_heads, n_kv_heads, page_size, out, stream);
    default:
      SELFENS_CHECK(false, "CUDA attention: head_dim " + std::to_string(head_dim) +
                               " not supported (16, 32, 64, 96, 128, 256)");
  }
}

}  // namespace selfens::cuda
