// Span attention over the paged KV store (online softmax, fp32 math).
//
// Grid (query tile, kv head). A tile is up to `rows_per_tile` query rows of
// one group (span): they see the same segments, so the block loads each
// 32-key tile of K and V once into shared memory and every query vector of
// the tile (its rows x the kv head's GQA query heads, at most 32) reads it
// from there: prefill rows of a span and the heads of a GQA group share the
// loads. Only the group's visible segments are read (block skipping by
// construction); the own (last) segment stops at each row's causal limit.
//
// Per query vector one warp keeps the running max / sum and the output:
// lane j scores key j of the tile (q broadcast from shared memory, K rows
// padded to dodge bank conflicts), the tile's softmax statistics are warp
// reductions, then each lane accumulates its head_dim / 32 output dims over
// the tile's V rows. head_dim 16..256 are compiled (64 and 128 matter).
#include <algorithm>
#include <cfloat>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_kernels.h"
#include "backend/cuda/cuda_warp.h"

namespace selfens::cuda {

namespace {

constexpr int kKeys = 32;        // keys per shared-memory tile
constexpr int kWarps = 4;        // warps per block
constexpr int kMaxVectors = 32;  // query vectors per block (rows x GQA heads)

// Shared memory: K and V tiles, then the tile's query vectors (sized by the
// launch: decode tiles hold one row, so fewer bytes and more blocks per SM).
template <int HD>
struct Layout {
  static constexpr int kStride = HD + 4;  // padded K/V row (floats), 16-byte aligned
  static constexpr size_t bytes(int vectors) {
    return (size_t(2) * kKeys * kStride + size_t(vectors) * HD) * sizeof(float);
  }
};

// q [n, n_heads * HD]; k_cache, v_cache [pages, page_size, n_kv_heads * HD];
// out [n, n_heads * HD]. Dynamic shared memory: Layout<HD>::bytes(vectors of the largest tile).
template <int HD, int kSlots>
__global__ void __launch_bounds__(kWarps * 32, kSlots == 1 ? 6 : 3)
    span_attention_kernel(const float* __restrict__ q, const float* __restrict__ k_cache,
                          const float* __restrict__ v_cache,
                          const AttnPlanDev* __restrict__ plan_ptr, int n_heads, int n_kv_heads,
                          int page_size, float* __restrict__ out) {
  constexpr int kPerLane = HD >= 32 ? HD / 32 : 1;
  constexpr int kLanesUsed = HD >= 32 ? 32 : HD;
  constexpr int S = Layout<HD>::kStride;
  constexpr int kIters = kKeys * (HD / 4) / (kWarps * 32);  // float4 of K (and V) per thread
  static_assert(kKeys * (HD / 4) % (kWarps * 32) == 0, "a tile splits over the threads");
  constexpr int kBatch = kIters % 4 == 0 ? 4 : (kIters % 2 == 0 ? 2 : 1);
  static_assert(kIters % kBatch == 0, "load batches");
  static_assert(HD % 4 == 0 && (HD < 32 || HD % 32 == 0), "head_dim layout");
  extern __shared__ float4 smem4[];
  float* ks = reinterpret_cast<float*>(smem4);  // [kKeys][S]
  float* vs = ks + kKeys * S;                   // [kKeys][S]
  float* qs = vs + kKeys * S;                   // [kWarps * kSlots][HD], scaled

  const AttnPlanDev plan = *plan_ptr;
  const AttnTile tile = plan.tiles[blockIdx.x];
  const int kv_head = blockIdx.y;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int gsize = n_heads / n_kv_heads;
  const int n_vec =
      tile.n_rows * gsize;  // vector v: row v / gsize, head kv_head * gsize + v % gsize
  const int kvd = n_kv_heads * HD;

  for (int i = threadIdx.x; i < n_vec * HD; i += blockDim.x) {
    const int v = i / HD, d = i % HD;
    const int64_t row = plan.rows[tile.entry_begin + v / gsize];
    const int head = kv_head * gsize + v % gsize;
    qs[i] = q[(row * n_heads + head) * HD + d] * plan.scale;
  }
  int limit[kSlots];  // causal limit in the own segment of each vector this warp owns
#pragma unroll
  for (int s = 0; s < kSlots; ++s) {
    const int v = warp + s * kWarps;
    limit[s] = v < n_vec ? plan.self_limit[tile.entry_begin + v / gsize] : 0;
  }
  int max_limit = 0;
  for (int r = 0; r < tile.n_rows; ++r)
    max_limit = max(max_limit, plan.self_limit[tile.entry_begin + r]);

  float acc[kSlots][kPerLane];
  float m[kSlots], l[kSlots];
#pragma unroll
  for (int s = 0; s < kSlots; ++s) {
    m[s] = -FLT_MAX;  // finite: no inf - inf
    l[s] = 0.0f;
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) acc[s][i] = 0.0f;
  }

  const GroupDev g = plan.groups[tile.group];
  for (int si = g.seg_begin; si < g.seg_end; ++si) {
    const SegDev seg = plan.segments[si];
    const bool own = si + 1 == g.seg_end;
    const int n = own ? max_limit : seg.n_tokens;
    for (int base = 0; base < n; base += kKeys) {
      const int cnt = min(kKeys, n - base);
      __syncthreads();  // the previous tile has been read (and qs written)
                        // The tile's K and V as float4s, consecutive lanes on consecutive
                        // float4s of a row (coalesced); loads go kBatch at a time, all issued
                        // before their stores (latency overlapped, registers bounded).
#pragma unroll
      for (int it0 = 0; it0 < kIters; it0 += kBatch) {
        float4 kr[kBatch], vr[kBatch];
#pragma unroll
        for (int b = 0; b < kBatch; ++b) {
          const int i = threadIdx.x + (it0 + b) * kWarps * 32;
          const int j = i / (HD / 4), d4 = i % (HD / 4);
          if (j < cnt) {
            const int key = base + j;
            const int page = plan.pages[seg.page_begin + key / page_size];
            const int64_t off = (int64_t(page) * page_size + key % page_size) * kvd +
                                int64_t(kv_head) * HD + d4 * 4;
            kr[b] = __ldg(reinterpret_cast<const float4*>(k_cache + off));
            vr[b] = __ldg(reinterpret_cast<const float4*>(v_cache + off));
          }
        }
#pragma unroll
        for (int b = 0; b < kBatch; ++b) {
          const int i = threadIdx.x + (it0 + b) * kWarps * 32;
          const int j = i / (HD / 4), d4 = i % (HD / 4);
          if (j < cnt) {
            *reinterpret_cast<float4*>(ks + j * S + d4 * 4) = kr[b];
            *reinterpret_cast<float4*>(vs + j * S + d4 * 4) = vr[b];
          }
        }
      }
      __syncthreads();
#pragma unroll
      for (int s = 0; s < kSlots; ++s) {
        const int v = warp + s * kWarps;
        if (v >= n_vec) break;
        const int key = base + lane;
        const bool valid = lane < cnt && (!own || key < limit[s]);
        float sc = -FLT_MAX;
        if (valid) {
          const float4* kr = reinterpret_cast<const float4*>(ks + lane * S);
          const float4* q4 = reinterpret_cast<const float4*>(qs + v * HD);
          float dot = 0.0f;
#pragma unroll
          for (int d = 0; d < HD / 4; ++d) {
            const float4 kv = kr[d], qv = q4[d];
            dot += qv.x * kv.x + qv.y * kv.y + qv.z * kv.z + qv.w * kv.w;
          }
          sc = dot * seg.scale + seg.bias;
        }
        const float m_new = fmaxf(m[s], warp_max(sc));
        const float corr = expf(m[s] - m_new);
        const float p = valid ? expf(sc - m_new) : 0.0f;
        l[s] = l[s] * corr + warp_sum(p);
        m[s] = m_new;
#pragma unroll
        for (int i = 0; i < kPerLane; ++i) acc[s][i] *= corr;
        for (int jj = 0; jj < cnt; ++jj) {
          const float pj = __shfl_sync(0xffffffffu, p, jj);
          if (kLanesUsed == 32 || lane < kLanesUsed) {
            const float* vr = vs + jj * S + lane * kPerLane;
#pragma unroll
            for (int i = 0; i < kPerLane; ++i) acc[s][i] += pj * vr[i];
          }
        }
      }
    }
  }
#pragma unroll
  for (int s = 0; s < kSlots; ++s) {
    const int v = warp + s * kWarps;
    if (v >= n_vec) break;
    const int64_t row = plan.rows[tile.entry_begin + v / gsize];
    const int head = kv_head * gsize + v % gsize;
    const float inv = l[s] > 0.0f ? 1.0f / l[s] : 0.0f;
    float* o = out + (row * n_heads + head) * HD + lane * kPerLane;
    if (kLanesUsed == 32 || lane < kLanesUsed) {
#pragma unroll
      for (int i = 0; i < kPerLane; ++i) o[i] = acc[s][i] * inv;
    }
  }
}

// kSlots query vectors per warp: decode tiles (one row: the GQA heads) take
// a lean instantiation, prefill tiles the full one (fewer registers for decode).
template <int HD, int kSlots>
void launch_slots(const float* q, const float* k_cache, const float* v_cache,
                  const AttnPlanDev* plan, int n_tiles, int vectors, int n_heads, int n_kv_heads,
                  int page_size, float* out, cudaStream_t stream) {
  static bool configured = false;  // once per instantiation: allow > 48 KiB shared memory
  if (!configured) {
    CUDA_CHECK(cudaFuncSetAttribute(span_attention_kernel<HD, kSlots>,
                                    cudaFuncAttributeMaxDynamicSharedMemorySize,
                                    int(Layout<HD>::bytes(kWarps * kSlots))));
    configured = true;
  }
  const dim3 grid{unsigned(n_tiles), unsigned(n_kv_heads), 1u};
  span_attention_kernel<HD, kSlots><<<grid, kWarps * 32, Layout<HD>::bytes(vectors), stream>>>(
      q, k_cache, v_cache, plan, n_heads, n_kv_heads, page_size, out);
  CUDA_CHECK_LAUNCH();
}

template <int HD>
void launch_hd(const float* q, const float* k_cache, const float* v_cache, const AttnPlanDev* plan,
               int n_tiles, int max_tile_rows, int n_heads, int n_kv_heads, int page_size,
               float* out, cudaStream_t stream) {
  const int vectors = std::min(kMaxVectors, max_tile_rows * (n_heads / n_kv_heads));
  if (vectors <= kWarps)
    return launch_slots<HD, 1>(q, k_cache, v_cache, plan, n_tiles, vectors, n_heads, n_kv_heads,
                               page_size, out, stream);
  if (vectors <= 2 * kWarps)
    return launch_slots<HD, 2>(q, k_cache, v_cache, plan, n_tiles, vectors, n_heads, n_kv_heads,
                               page_size, out, stream);
  launch_slots<HD, kMaxVectors / kWarps>(q, k_cache, v_cache, plan, n_tiles, vectors, n_heads,
                                         n_kv_heads, page_size, out, stream);
}

}  // namespace

int attention_rows_per_tile(int n_heads, int n_kv_heads) {
  return std::max(1, kMaxVectors / (n_heads / n_kv_heads));
}

void launch_span_attention(const float* q, const float* k_cache, const float* v_cache,
                           const AttnPlanDev* plan, int n_tiles, int max_tile_rows, int n_heads,
                           int n_kv_heads, int head_dim, int page_size, float* out,
                           cudaStream_t stream) {
  if (n_tiles == 0) return;
  SELFENS_CHECK(n_kv_heads > 0 && n_heads % n_kv_heads == 0 && n_heads / n_kv_heads <= kMaxVectors,
                "CUDA attention: GQA group of at most 32 heads");
#define SELFENS_ATTN_CASE(D)                                                                    \
  case D:                                                                                       \
    return launch_hd<D>(q, k_cache, v_cache, plan, n_tiles, max_tile_rows, n_heads, n_kv_heads, \
                        page_size, out, stream);
  switch (head_dim) {
    SELFENS_ATTN_CASE(16)
    SELFENS_ATTN_CASE(32)
    SELFENS_ATTN_CASE(64)
    SELFENS_ATTN_CASE(96)
    SELFENS_ATTN_CASE(128)
    SELFENS_ATTN_CASE(256)
    default:
      SELFENS_CHECK(false, "CUDA attention: head_dim " + std::to_string(head_dim) +
                               " not supported (16, 32, 64, 96, 128, 256)");
  }
#undef SELFENS_ATTN_CASE
}

}  // namespace selfens::cuda
