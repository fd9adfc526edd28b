// Span attention of decode steps on the CUDA cores, for the 16-bit modes.
//
// A decode step's own tiles hold one query row each (its GQA heads: 3 to 8
// query vectors), too few for the tensor-core kernel's 16-row products,
// whose one-warp blocks also stage every key tile in 17 KB of shared memory
// (12 blocks a multiprocessor: too few loads in flight for a step that only
// streams K/V). Here one warp takes one (tile, kv head) and keeps nothing
// but its scaled query vectors in shared memory: lane j scores key j of a
// 32-key chunk against every query vector of the group (the key's row read
// whole by its lane, the queries broadcast from shared memory), the online
// softmax state is per vector (warp-uniform max, lane-partial sums), and
// each lane accumulates its head_dim / 32 output dims over the chunk's V
// rows (one coalesced row per key, several keys' loads in flight at once).
// The arithmetic is fp32 throughout (the tensor-core kernel rounds Q and
// P to 16 bits), so results agree with it to the 16-bit K/V's rounding.
// Tiles, cascade states, key chunks and their merge are those of
// attention_tiles.h, as in cuda_attention_mma.cu.
#include <cmath>

#include "backend/cuda/cuda_attention_tile.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_half.h"
#include "backend/cuda/cuda_kernels.h"
#include "backend/cuda/cuda_warp.h"

namespace selfens::cuda {

namespace {

constexpr int kKeyChunk = 32;    // keys scored at once: one per lane
// Blocks a multiprocessor holds at least: registers capped at 128 a thread
// (16 warps, each with a key row or kVBatch V rows of loads in flight).
constexpr int kDecodeMinBlocks = 4;

// Eight 16-bit values (one 16-byte load) as floats.
template <class H>
__device__ __forceinline__ void unpack8(const uint4& raw, float (&f)[8]) {
  const auto* h2 = reinterpret_cast<const Half2Of<H>*>(&raw);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 x = half2_to_float2(h2[i]);
    f[2 * i] = x.x;
    f[2 * i + 1] = x.y;
  }
}

// PER (2 or 4) consecutive 16-bit values as floats.
template <class H, int PER>
__device__ __forceinline__ void load_per(const H* p, float (&f)[PER]) {
  if constexpr (PER == 4) {
    const uint2 raw = __ldg(reinterpret_cast<const uint2*>(p));
    const auto* h2 = reinterpret_cast<const Half2Of<H>*>(&raw);
    const float2 a = half2_to_float2(h2[0]), b = half2_to_float2(h2[1]);
    f[0] = a.x, f[1] = a.y, f[2] = b.x, f[3] = b.y;
  } else {
    const unsigned raw = __ldg(reinterpret_cast<const unsigned*>(p));
    const float2 a = half2_to_float2(*reinterpret_cast<const Half2Of<H>*>(&raw));
    f[0] = a.x, f[1] = a.y;
  }
}

// q [n, n_heads * HD] fp32; k_cache, v_cache [pages, page_size,
// n_kv_heads * HD] 16-bit; out [n, n_heads * HD] fp32 (and out_bf16, may be
// null, its 16-bit copy). Item i of the launch: tile tile_begin + i /
// n_kv_heads (one entry), kv head i % n_kv_heads. G: the most query
// vectors per kv head this instantiation holds (n_heads / n_kv_heads <= G).
template <int HD, int G, class H>
__global__ void __launch_bounds__(kDecodeWarps * 32, kDecodeMinBlocks)
    span_attention_decode_kernel(const float* __restrict__ q, const H* __restrict__ k_cache,
                                 const H* __restrict__ v_cache,
                                 const AttnPlanDev* __restrict__ plan_ptr, int tile_begin,
                                 int n_items, int n_heads, int n_kv_heads, int page_size,
                                 float* __restrict__ out, H* __restrict__ out_bf16,
                                 AttnStateDev state, bool out_f32) {
  static_assert(HD == 64 || HD == 128, "head_dim 64 or 128");
  constexpr int PER = HD / 32;  // output dims per lane
  constexpr int kVBatch = G > 4 ? 4 : 8;  // V rows loaded before their products (registers)
  __shared__ alignas(16) float qs[kDecodeWarps][G * HD];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int item = blockIdx.x * kDecodeWarps + warp;
  if (item >= n_items) return;  // warp-uniform; no block-wide barrier below
  const AttnPlanDev& plan = *plan_ptr;
  const AttnTile tile = plan.tiles[tile_begin + item / n_kv_heads];
  const int kv_head = item % n_kv_heads;
  const int gsize = n_heads / n_kv_heads;
  const int entry = tile.entry_begin;  // one row per tile
  const int64_t row = plan.rows[entry];
  const int limit = plan.self_limit[entry];
  const int64_t kvd = int64_t(n_kv_heads) * HD;
  const int64_t head_off = int64_t(kv_head) * HD;

  float* qw = qs[warp];
  for (int i = lane; i < gsize * HD; i += 32)
    qw[i] = q[(row * n_heads + kv_head * gsize) * HD + i] * plan.scale;
  __syncwarp();

  float m[G], l[G], acc[G][PER];
#pragma unroll
  for (int h = 0; h < G; ++h) {
    m[h] = -INFINITY;
    l[h] = 0.0f;  // this lane's share of the sum (reduced at the end)
#pragma unroll
    for (int i = 0; i < PER; ++i) acc[h][i] = 0.0f;
  }
  if (tile.part == kTileToOutput && plan.entry_cascaded[entry] != 0) {
    // After a cascade tile: its normalised output with weight exp(lse).
#pragma unroll
    for (int h = 0; h < G; ++h) {
      if (h >= gsize) break;
      const int head = kv_head * gsize + h;
      m[h] = state.lse[int64_t(entry) * n_heads + head];
      l[h] = lane == 0 ? 1.0f : 0.0f;
      const float* o = out + (row * n_heads + head) * HD + lane * PER;
#pragma unroll
      for (int i = 0; i < PER; ++i) acc[h][i] = o[i];
    }
  }

  // The tile's keys [key_begin, key_end) of its segments laid end to end;
  // the group's last segment is the own one (visible below the row's limit).
  const int own_seg = plan.groups[tile.group].seg_end - 1;
  int seg_first = 0;  // end-to-end index of segment si's first key
  for (int si = tile.seg_begin; si < tile.seg_end; ++si) {
    const SegDev seg = plan.segments[si];
    const int a = max(tile.key_begin - seg_first, 0);
    int b = min(tile.key_end - seg_first, seg.n_tokens);
    if (si == own_seg) b = min(b, limit);
    seg_first += seg.n_tokens;
    for (int base = a; base < b; base += kKeyChunk) {
      const int key = base + lane;
      const bool valid = key < b;
      // The key's row in the store (page * page_size + offset): a layer's
      // store holds far fewer than 2^31 rows, and an int shuffles in one
      // instruction (the V loop below); addresses are taken in int64.
      const int kr =
          valid ? plan.pages[seg.page_begin + key / page_size] * page_size + key % page_size : 0;
      float s[G];
#pragma unroll
      for (int h = 0; h < G; ++h) s[h] = 0.0f;
      if (valid) {
        const uint4* kp = reinterpret_cast<const uint4*>(k_cache + int64_t(kr) * kvd + head_off);
#pragma unroll 4
        for (int c = 0; c < HD / 8; ++c) {
          float kf[8];
          unpack8<H>(__ldg(kp + c), kf);
#pragma unroll
          for (int h = 0; h < G; ++h) {
            if (h >= gsize) break;
            const float4 q0 = *reinterpret_cast<const float4*>(qw + h * HD + c * 8);
            const float4 q1 = *reinterpret_cast<const float4*>(qw + h * HD + c * 8 + 4);
            s[h] += q0.x * kf[0] + q0.y * kf[1] + q0.z * kf[2] + q0.w * kf[3] + q1.x * kf[4] +
                    q1.y * kf[5] + q1.z * kf[6] + q1.w * kf[7];
          }
        }
      }
      float p[G];
#pragma unroll
      for (int h = 0; h < G; ++h) {
        p[h] = 0.0f;
        if (h >= gsize) continue;
        const float sc = valid ? s[h] * seg.scale + seg.bias : -INFINITY;
        const float m_new = fmaxf(m[h], warp_max(sc));
        const float ref = m_new == -INFINITY ? 0.0f : m_new;  // all masked so far: p = 0
        const float corr = __expf(m[h] - ref);
        p[h] = valid ? __expf(sc - ref) : 0.0f;
        l[h] = l[h] * corr + p[h];
        m[h] = m_new;
#pragma unroll
        for (int i = 0; i < PER; ++i) acc[h][i] *= corr;
      }
      // O += P V: key j's weight from lane j, its V row read by the whole
      // warp (lane: PER dims), kVBatch rows' loads issued before their use.
      const int cnt = min(kKeyChunk, b - base);
      for (int j0 = 0; j0 < cnt; j0 += kVBatch) {
        float v[kVBatch][PER];
#pragma unroll
        for (int u = 0; u < kVBatch; ++u) {
          const int vr = __shfl_sync(0xffffffffu, kr, (j0 + u) & 31);
          if (j0 + u < cnt)
            load_per<H, PER>(v_cache + int64_t(vr) * kvd + head_off + lane * PER, v[u]);
        }
#pragma unroll
        for (int u = 0; u < kVBatch; ++u) {
#pragma unroll
          for (int h = 0; h < G; ++h) {
            if (h >= gsize) break;
            const float pj = __shfl_sync(0xffffffffu, p[h], (j0 + u) & 31);
            if (j0 + u < cnt) {
#pragma unroll
              for (int i = 0; i < PER; ++i) acc[h][i] += pj * v[u][i];
            }
          }
        }
      }
    }
  }

#pragma unroll
  for (int h = 0; h < G; ++h) {
    if (h >= gsize) break;
    const float sum = warp_sum(l[h]);
    const int head = kv_head * gsize + h;
    const int64_t out_off = (row * n_heads + head) * HD + lane * PER;  // this lane's dims
    const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
    const TileDest d = tile_destination(plan, state, tile, entry, head, n_heads, HD,
                                        out + (row * n_heads + head) * HD);
    float* dst = d.o + lane * PER;
    if (d.lse != nullptr && lane == 0) *d.lse = sum > 0.0f ? m[h] + __logf(sum) : -INFINITY;
    float y[PER];
#pragma unroll
    for (int i = 0; i < PER; ++i) y[i] = acc[h][i] * inv;
    if (out_f32 || tile.part != kTileToOutput) {
#pragma unroll
      for (int i = 0; i < PER; ++i) dst[i] = y[i];
    }
    if (tile.part == kTileToOutput && out_bf16 != nullptr) {
#pragma unroll
      for (int i = 0; i < PER; i += 2)
        *reinterpret_cast<Half2Of<H>*>(out_bf16 + out_off + i) = floats_to_half2<H>(y[i], y[i + 1]);
    }
  }
}

template <int HD, int G>
void launch_g(const float* q, const void* k_cache, const void* v_cache, const AttnPlanDev* plan,
              int tile_begin, int n_tiles, int n_heads, int n_kv_heads, int page_size, float* out,
              void* out_bf16, AttnStateDev state, Half16 half, cudaStream_t stream, bool out_f32) {
  const int n_items = n_tiles * n_kv_heads;
  const unsigned blocks = unsigned((n_items + kDecodeWarps - 1) / kDecodeWarps);
  with_half(half, [&](auto h) {
    using H = decltype(h);
    span_attention_decode_kernel<HD, G, H><<<blocks, kDecodeWarps * 32, 0, stream>>>(
        q, static_cast<const H*>(k_cache), static_cast<const H*>(v_cache), plan, tile_begin,
        n_items, n_heads, n_kv_heads, page_size, out, static_cast<H*>(out_bf16), state, out_f32);
  });
}

}  // namespace

bool attention_decode_supported(int head_dim, int n_heads, int n_kv_heads) {
  return (head_dim == 64 || head_dim == 128) && n_kv_heads > 0 && n_heads % n_kv_heads == 0 &&
         n_heads / n_kv_heads <= 8;
}

void launch_span_attention_decode(const float* q, const void* k_cache, const void* v_cache,
                                  const AttnPlanDev* plan, int tile_begin, int n_tiles,
                                  int n_heads, int n_kv_heads, int head_dim, int page_size,
                                  float* out, void* out_bf16, AttnStateDev state, Half16 half,
                                  cudaStream_t stream, bool out_f32) {
  if (n_tiles == 0) return;
  SELFENS_CHECK(attention_decode_supported(head_dim, n_heads, n_kv_heads),
                "CUDA decode attention: head_dim 64 or 128, at most 8 heads per kv head");
  const bool wide = n_heads / n_kv_heads > 4;
  const auto run = [&](auto hd, auto g) {
    launch_g<decltype(hd)::value, decltype(g)::value>(q, k_cache, v_cache, plan, tile_begin,
                                                      n_tiles, n_heads, n_kv_heads, page_size,
                                                      out, out_bf16, state, half, stream, out_f32);
  };
  using I64 = std::integral_constant<int, 64>;
  using I128 = std::integral_constant<int, 128>;
  using G4 = std::integral_constant<int, 4>;
  using G8 = std::integral_constant<int, 8>;
  if (head_dim == 64)
    wide ? run(I64{}, G8{}) : run(I64{}, G4{});
  else
    wide ? run(I128{}, G8{}) : run(I128{}, G4{});
  CUDA_CHECK_LAUNCH();
}

}  // namespace selfens::cuda
