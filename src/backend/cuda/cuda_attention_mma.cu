// Span attention on the tensor cores, for the bf16 mode (bf16 K/V store).
//
// The same plan and tiles as the fp32 kernel (cuda_attention.cu): a block
// takes one tile (up to 16 x WARPS query vectors: rows of one span x the
// GQA heads of one kv head) and walks the keys of the span's visible
// segments laid end to end (the own segment last, up to the tile's largest
// causal limit) in 64-key tiles (32 for one-warp blocks); a tile may hold keys
// of several segments (short paraphrase segments do not each cost a round
// trip), each key with its segment's bias and, in the own segment, its index
// for the causal mask. Each warp owns 16 query vectors and runs
// FlashAttention-2 on them with mma.sync m16n8k16 (bf16 in, fp32 accumulate): S
// = Q K^T, the online softmax in registers (the S accumulators are laid out as
// the A operand of the next product), O += P V. K and V tiles come into shared
// memory with cp.async (rows padded: no bank conflicts on fragment loads).
// Decode tiles (one row: at most 16 vectors) run with one warp per block, more
// blocks. Tiles of every kind of attention_tiles.h: a cascade tile (the
// shared prefix for entries of many groups) leaves the normalised output and
// its log-sum-exp, an own tile after it starts from that state (m = lse,
// l = 1, o = the output), a key chunk leaves a partial result that
// attention_merge_kernel combines.
//
// Fragment layouts (PTX ISA, mma.m16n8k16 .bf16), g = lane / 4, t = lane % 4:
//   A 16x16 row-major: a[0] = (g, 2t..2t+1), a[1] = (g+8, 2t..), a[2] = (g,
//   2t+8..), a[3] = (g+8, 2t+8..) B 16x8 (k x n):    b[0] = (k 2t..2t+1, n g),
//   b[1] = (k 2t+8..2t+9, n g) C 16x8:            c[0..1] = (g, 2t..2t+1),
//   c[2..3] = (g+8, 2t..2t+1)
#include "backend/cuda/cuda_half.h"

#include <algorithm>
#include <cmath>

#include "backend/cuda/cuda_attention_tile.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_kernels.h"

namespace selfens::cuda {

namespace {

constexpr int kMmaWarps = 4;  // warps per block for tiles of several rows, 16 query vectors each
constexpr int kMmaVectors = 16 * kMmaWarps;

template <class H>
__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
  const Half2Of<H> v = floats_to_half2<H>(lo, hi);
  return *reinterpret_cast<const uint32_t*>(&v);
}

template <class H>
__device__ __forceinline__ uint32_t pack_bf16_raw(H lo, H hi) {
  return uint32_t(half_as_ushort(lo)) | (uint32_t(half_as_ushort(hi)) << 16);
}

// d += a * b (m16n8k16, 16-bit inputs of type H, fp32 accumulate).
template <class H>
__device__ __forceinline__ void mma_bf16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0,
                                         uint32_t b1) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  // The PTX type name must be part of the literal: one body, two names.
#define SELFENS_MMA(T)                                                       \
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32." T "." T ".f32 "      \
               "{%0,%1,%2,%3}, {%4,%5,%6,%7}, "                              \
               "{%8,%9}, {%0,%1,%2,%3};\n"                                   \
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])              \
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1))
  if constexpr (std::is_same_v<H, __half>)
    SELFENS_MMA("f16");
  else
    SELFENS_MMA("bf16");
#undef SELFENS_MMA
#else
  __trap();  // built for sm_80 and later only (launch_span_attention_mma checks)
#endif
}

__device__ __forceinline__ void cp_async16(void* smem, const void* gmem) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(s), "l"(gmem));
#else
  *reinterpret_cast<uint4*>(smem) = *reinterpret_cast<const uint4*>(gmem);
#endif
}

__device__ __forceinline__ void cp_async_wait_all() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.commit_group;\ncp.async.wait_group 0;\n" ::: "memory");
#endif
}

__device__ __forceinline__ float quad_max(float v) {
  v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 1));
  return fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 2));
}

__device__ __forceinline__ float quad_sum(float v) {
  v += __shfl_xor_sync(0xffffffffu, v, 1);
  return v + __shfl_xor_sync(0xffffffffu, v, 2);
}

// q [n, n_heads * HD] fp32; k_cache, v_cache [pages, page_size,
// n_kv_heads * HD] bf16; out [n, n_heads * HD] fp32, out_bf16 (may be null)
// its bf16 copy. Grid (tiles, n_kv_heads), WARPS * 32 threads. Keys per
// shared-memory tile: 64, or 32 for one-warp (decode) blocks, whose smaller
// shared memory lets twice as many blocks share a multiprocessor (decode
// attention waits on memory; more blocks in flight hide it).
template <int HD, int WARPS, class H, int MIN_BLOCKS = 1>
__global__ void __launch_bounds__(WARPS * 32, MIN_BLOCKS)
    span_attention_mma_kernel(const float* __restrict__ q,
                              const H* __restrict__ k_cache,
                              const H* __restrict__ v_cache,
                              const AttnPlanDev* __restrict__ plan_ptr, int tile_begin,
                              int n_heads, int n_kv_heads, int page_size, float* __restrict__ out,
                              H* __restrict__ out_bf16, AttnStateDev state, bool out_f32) {
  static_assert(HD % 16 == 0 && HD <= 128, "head_dim: a multiple of 16, at most 128");
  constexpr int kKeyTile = WARPS == 1 ? kMmaDecodeKeyTile : 64;
  constexpr int S = HD + 8;    // padded row (bf16): fragment loads hit 32 distinct banks
  constexpr int KC = HD / 16;  // k-chunks of Q K^T
  constexpr int NT = HD / 8;   // n-tiles of O
  constexpr int CH = HD / 8;   // 16-byte chunks per K/V row
  __shared__ alignas(16) H ks[kKeyTile * S];
  __shared__ alignas(16) H vs[kKeyTile * S];
  __shared__ int64_t key_row[kKeyTile];  // page * page_size + offset of each key of the tile
  __shared__ float key_bias[kKeyTile];
  __shared__ float key_scale[kKeyTile];
  __shared__ int key_own[kKeyTile];  // index in the own segment, or -1

  const AttnPlanDev plan = *plan_ptr;
  const AttnTile tile = plan.tiles[tile_begin + blockIdx.x];
  const int kv_head = blockIdx.y;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int g = lane / 4, t = lane % 4;
  const int gsize = n_heads / n_kv_heads;
  const int n_vec = tile.n_rows * gsize;
  const int kvd = n_kv_heads * HD;
  const bool active = warp * 16 < n_vec;  // warp-uniform

  // This lane's two query vectors (rows g and g + 8 of the warp's 16).
  const int vec[2] = {warp * 16 + g, warp * 16 + g + 8};
  int64_t out_off[2] = {-1, -1};
  int limit[2] = {0, 0}, entry[2] = {0, 0}, head[2] = {0, 0};
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    if (vec[i] < n_vec) {
      entry[i] = tile.entry_begin + vec[i] / gsize;
      head[i] = kv_head * gsize + vec[i] % gsize;
      out_off[i] = (int64_t(plan.rows[entry[i]]) * n_heads + head[i]) * HD;
      limit[i] = plan.self_limit[entry[i]];
    }
  }

  // Q fragments, scaled, as bf16 (A operand of S = Q K^T).
  uint32_t qf[KC][4];
#pragma unroll
  for (int kc = 0; kc < KC; ++kc) {
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int i = j & 1;  // a[0], a[2]: row g; a[1], a[3]: row g + 8
      const int d = kc * 16 + 2 * t + (j >= 2 ? 8 : 0);
      float2 x = make_float2(0.0f, 0.0f);
      if (out_off[i] >= 0) x = *reinterpret_cast<const float2*>(q + out_off[i] + d);
      qf[kc][j] = pack_bf16<H>(x.x * plan.scale, x.y * plan.scale);
    }
  }

  float o[NT][4];
#pragma unroll
  for (int n = 0; n < NT; ++n) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.0f;
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.0f, 0.0f};
  if (tile.part == kTileToOutput) {
    // After a cascade tile: its normalised output with weight exp(lse)
    // (kept by lane t == 0 of the quad, which sums l at the end).
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      if (out_off[i] < 0 || plan.entry_cascaded[entry[i]] == 0) continue;
      m[i] = state.lse[int64_t(entry[i]) * n_heads + head[i]];
      l[i] = t == 0 ? 1.0f : 0.0f;
#pragma unroll
      for (int n = 0; n < NT; ++n) {
        const float2 x = *reinterpret_cast<const float2*>(out + out_off[i] + n * 8 + 2 * t);
        o[n][2 * i] = x.x;
        o[n][2 * i + 1] = x.y;
      }
    }
  }

  // The tile's keys: [key_begin, key_end) of its segments laid end to end;
  // the group's last segment is the own one (causal limit per entry).
  const int own_seg = plan.groups[tile.group].seg_end - 1;

  for (int base = tile.key_begin; base < tile.key_end; base += kKeyTile) {
    const int cnt = min(kKeyTile, tile.key_end - base);
    __syncthreads();  // the previous tile has been read
    for (int j = threadIdx.x; j < cnt; j += WARPS * 32) {
      int rem = base + j, si = tile.seg_begin;
      while (si + 1 < tile.seg_end && rem >= plan.segments[si].n_tokens)
        rem -= plan.segments[si++].n_tokens;
      const SegDev seg = plan.segments[si];
      key_row[j] =
          int64_t(plan.pages[seg.page_begin + rem / page_size]) * page_size + rem % page_size;
      key_bias[j] = seg.bias;
      key_scale[j] = seg.scale;
      key_own[j] = si == own_seg ? rem : -1;
    }
    __syncthreads();
    for (int i = threadIdx.x; i < kKeyTile * CH; i += WARPS * 32) {
      const int j = i / CH, c = i % CH;
      H* dk = ks + j * S + c * 8;
      H* dv = vs + j * S + c * 8;
      if (j < cnt) {
        const int64_t off = key_row[j] * kvd + int64_t(kv_head) * HD + c * 8;
        cp_async16(dk, k_cache + off);
        cp_async16(dv, v_cache + off);
      } else {  // zeros: masked keys get p = 0, and 0 * V must stay 0
        *reinterpret_cast<uint4*>(dk) = make_uint4(0, 0, 0, 0);
        *reinterpret_cast<uint4*>(dv) = make_uint4(0, 0, 0, 0);
      }
    }
    cp_async_wait_all();
    __syncthreads();
    if (!active) continue;

    // S = Q K^T over the tile's key n-tiles that hold keys.
    const int n_tiles8 = (cnt + 7) / 8;
    float s[kKeyTile / 8][4];
#pragma unroll
    for (int n = 0; n < kKeyTile / 8; ++n) {
      s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.0f;
      if (n < n_tiles8) {
        const H* krow = ks + (n * 8 + g) * S + 2 * t;
#pragma unroll
        for (int kc = 0; kc < KC; ++kc) {
          const uint32_t b0 = *reinterpret_cast<const uint32_t*>(krow + kc * 16);
          const uint32_t b1 = *reinterpret_cast<const uint32_t*>(krow + kc * 16 + 8);
          mma_bf16<H>(s[n], qf[kc], b0, b1);
        }
      }
    }
    // Bias, masks (tile end; causal limit in the own segment), row maxima.
    float mx[2] = {-INFINITY, -INFINITY};
#pragma unroll
    for (int n = 0; n < kKeyTile / 8; ++n)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int key = n * 8 + 2 * t + (e & 1);
        const int i = e / 2;
        const bool valid = key < cnt && (key_own[key] < 0 || key_own[key] < limit[i]);
        s[n][e] = valid ? s[n][e] * key_scale[key] + key_bias[key] : -INFINITY;
        mx[i] = fmaxf(mx[i], s[n][e]);
      }
    float corr[2], ref[2];
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      const float m_new = fmaxf(m[i], quad_max(mx[i]));
      ref[i] = m_new == -INFINITY ? 0.0f : m_new;  // all masked so far: p = 0, no NaN
      corr[i] = __expf(m[i] - ref[i]);
      m[i] = m_new;
      l[i] *= corr[i];
    }
#pragma unroll
    for (int n = 0; n < NT; ++n) {
      o[n][0] *= corr[0];
      o[n][1] *= corr[0];
      o[n][2] *= corr[1];
      o[n][3] *= corr[1];
    }
#pragma unroll
    for (int n = 0; n < kKeyTile / 8; ++n)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        s[n][e] = __expf(s[n][e] - ref[e / 2]);
        l[e / 2] += s[n][e];
      }
    // O += P V, P from the S accumulators (16 keys per k-chunk).
    const int n_chunks16 = (cnt + 15) / 16;
#pragma unroll
    for (int kc = 0; kc < kKeyTile / 16; ++kc) {
      if (kc >= n_chunks16) break;
      const uint32_t a[4] = {pack_bf16<H>(s[2 * kc][0], s[2 * kc][1]),
                             pack_bf16<H>(s[2 * kc][2], s[2 * kc][3]),
                             pack_bf16<H>(s[2 * kc + 1][0], s[2 * kc + 1][1]),
                             pack_bf16<H>(s[2 * kc + 1][2], s[2 * kc + 1][3])};
      const H* v0 = vs + (kc * 16 + 2 * t) * S + g;
#pragma unroll
      for (int n = 0; n < NT; ++n) {
        const H* vp = v0 + n * 8;
        const uint32_t b0 = pack_bf16_raw<H>(vp[0], vp[S]);
        const uint32_t b1 = pack_bf16_raw<H>(vp[8 * S], vp[9 * S]);
        mma_bf16<H>(o[n], a, b0, b1);
      }
    }
  }
  if (!active) return;
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const float sum = quad_sum(l[i]);
    if (out_off[i] < 0) continue;
    const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
    const TileDest d =
        tile_destination(plan, state, tile, entry[i], head[i], n_heads, HD, out + out_off[i]);
    float* dst = d.o;
    if (d.lse != nullptr && t == 0) *d.lse = sum > 0.0f ? m[i] + __logf(sum) : -INFINITY;
#pragma unroll
    for (int n = 0; n < NT; ++n) {
      const float2 y = make_float2(o[n][2 * i] * inv, o[n][2 * i + 1] * inv);
      if (out_f32 || tile.part != kTileToOutput)
        *reinterpret_cast<float2*>(dst + n * 8 + 2 * t) = y;
      if (tile.part == kTileToOutput && out_bf16 != nullptr)
        *reinterpret_cast<uint32_t*>(out_bf16 + out_off[i] + n * 8 + 2 * t) = pack_bf16<H>(y.x, y.y);
    }
  }
}

// One block per (entry, head): the entry's chunks and cascade state merged
// by log-sum-exp into its output (entries without chunks return at once).
template <class H>
__global__ void attention_merge_kernel(const AttnPlanDev* __restrict__ plan_ptr, int n_heads,
                                       int head_dim, float* __restrict__ out,
                                       H* __restrict__ out_bf16, AttnStateDev state,
                                       bool out_f32) {
  const AttnPlanDev& plan = *plan_ptr;
  const int e = blockIdx.x, h = blockIdx.y;
  const int n_parts = plan.entry_parts[e];
  if (n_parts == 0) return;
  const int64_t pb = plan.entry_part_begin[e];
  const bool cascaded = plan.entry_cascaded[e] != 0;
  const float lse0 = cascaded ? state.lse[int64_t(e) * n_heads + h] : -INFINITY;
  float mx = lse0;
  for (int c = 0; c < n_parts; ++c) mx = fmaxf(mx, state.part_lse[(pb + c) * n_heads + h]);
  const int64_t off = (int64_t(plan.rows[e]) * n_heads + h) * head_dim;
  for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
    float acc = 0.0f, sum = 0.0f;
    if (mx != -INFINITY) {
      if (cascaded && lse0 != -INFINITY) {
        const float w = __expf(lse0 - mx);
        acc += w * out[off + d];  // the cascade state: read before it is overwritten
        sum += w;
      }
      for (int c = 0; c < n_parts; ++c) {
        const float lse = state.part_lse[(pb + c) * n_heads + h];
        if (lse == -INFINITY) continue;
        const float w = __expf(lse - mx);
        acc += w * state.part_o[((pb + c) * n_heads + h) * head_dim + d];
        sum += w;
      }
    }
    const float y = sum > 0.0f ? acc / sum : 0.0f;
    if (out_f32) out[off + d] = y;
    if (out_bf16 != nullptr) out_bf16[off + d] = half_from_float<H>(y);
  }
}

}  // namespace

bool attention_mma_supported(int head_dim) {
  return head_dim == 16 || head_dim == 32 || head_dim == 64 || head_dim == 96 || head_dim == 128;
}

int attention_mma_rows_per_tile(int n_heads, int n_kv_heads) {
  return std::max(1, kMmaVectors / (n_heads / n_kv_heads));
}

void launch_span_attention_mma(const float* q, const void* k_cache, const void* v_cache,
                               const AttnPlanDev* plan, int tile_begin, int n_tiles,
                               int max_tile_rows, int n_heads, int n_kv_heads, int head_dim,
                               int page_size, float* out, void* out_bf16, AttnStateDev state,
                               Half16 half, cudaStream_t stream, int min_blocks, bool out_f32) {
  if (n_tiles == 0) return;
  SELFENS_CHECK(n_kv_heads > 0 && n_heads % n_kv_heads == 0 && n_heads / n_kv_heads <= kMmaVectors,
                "CUDA attention: GQA group of at most 64 heads");
  const dim3 grid{unsigned(n_tiles), unsigned(n_kv_heads), 1u};
  const bool one_warp = max_tile_rows * (n_heads / n_kv_heads) <= 16;
  with_half(half, [&](auto h) {
    using H = decltype(h);
    const auto* k = static_cast<const H*>(k_cache);
    const auto* v = static_cast<const H*>(v_cache);
    auto* ob = static_cast<H*>(out_bf16);
#define SELFENS_MMA_CASE(D)                                                                   \
  case D:                                                                                     \
    if (one_warp)                                                                             \
      span_attention_mma_kernel<D, 1, H><<<grid, 32, 0, stream>>>(                            \
          q, k, v, plan, tile_begin, n_heads, n_kv_heads, page_size, out, ob, state, out_f32); \
    else if (min_blocks == 3)                                                                 \
      span_attention_mma_kernel<D, kMmaWarps, H, 3><<<grid, kMmaWarps * 32, 0, stream>>>(     \
          q, k, v, plan, tile_begin, n_heads, n_kv_heads, page_size, out, ob, state, out_f32); \
    else                                                                                      \
      span_attention_mma_kernel<D, kMmaWarps, H><<<grid, kMmaWarps * 32, 0, stream>>>(        \
          q, k, v, plan, tile_begin, n_heads, n_kv_heads, page_size, out, ob, state, out_f32); \
    break;
    switch (head_dim) {
      SELFENS_MMA_CASE(16)
      SELFENS_MMA_CASE(32)
      SELFENS_MMA_CASE(64)
      SELFENS_MMA_CASE(96)
      SELFENS_MMA_CASE(128)
      default:
        SELFENS_CHECK(false, "CUDA 16-bit attention: head_dim " + std::to_string(head_dim) +
                                 " not supported (16, 32, 64, 96, 128)");
    }
#undef SELFENS_MMA_CASE
  });
  CUDA_CHECK_LAUNCH();
}

void launch_attention_merge(const AttnPlanDev* plan, int n_entries, int n_heads, int head_dim,
                            float* out, void* out_bf16, AttnStateDev state, Half16 half,
                            cudaStream_t stream, bool out_f32) {
  if (n_entries == 0) return;
  const dim3 grid{unsigned(n_entries), unsigned(n_heads), 1u};
  with_half(half, [&](auto h) {
    using H = decltype(h);
    attention_merge_kernel<<<grid, std::min(head_dim, 128), 0, stream>>>(
        plan, n_heads, head_dim, out, static_cast<H*>(out_bf16), state, out_f32);
  });
  CUDA_CHECK_LAUNCH();
}

}  // namespace selfens::cuda
