// Element-wise and row kernels of the CUDA backend: fp32 math throughout
// (the 16-bit type of cuda_half.h, bf16 or fp16, only as a storage format for weights and GEMM inputs).
#include "backend/cuda/cuda_half.h"

#include <cuda_fp8.h>

#include <algorithm>
#include <cfloat>
#include <cstdint>
#include <initializer_list>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_kernels.h"

namespace selfens::cuda {

namespace {

constexpr int kThreads = 256;

int blocks_for(int64_t count, int threads = kThreads) {
  // Grid-stride loops below: cap the grid, every element is still covered.
  return int(std::min<int64_t>((count + threads - 1) / threads, 65535 * 8));
}

template <typename T>
__device__ float load_f32(const T* p);
template <>
__device__ float load_f32<float>(const float* p) {
  return *p;
}
template <>
__device__ float load_f32<__nv_bfloat16>(const __nv_bfloat16* p) {
  return half_to_float(*p);
}
template <>
__device__ float load_f32<__half>(const __half* p) {
  return half_to_float(*p);
}

// One block per row. table [vocab, d], tokens [n], out [n, d].
template <typename T>
__global__ void embed_kernel(const T* __restrict__ table, const int32_t* __restrict__ tokens,
                             int64_t d, float* __restrict__ out) {
  const int64_t r = blockIdx.x;
  const T* src = table + int64_t(tokens[r]) * d;
  float* dst = out + r * d;
  for (int64_t i = threadIdx.x; i < d; i += blockDim.x) dst[i] = load_f32(src + i);
}

// Block-wide sum of one value per thread (blockDim.x a multiple of 32, <= 1024).
__device__ float block_sum(float v) {
  __shared__ float partial[32];
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  const int n_warps = blockDim.x / 32;
  v = lane < n_warps ? partial[lane] : 0.0f;
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;  // every thread holds the total
}

// Row kernels over float4 groups when a row's length is a multiple of 4
// (then every row starts 16-byte aligned: rows of whole float4s), else one
// float at a time. The arithmetic per element is the same either way.
template <int V>
struct Vec;
template <>
struct Vec<1> {
  using T = float;
  __device__ static float get(const T& v, int) { return v; }
  __device__ static void set(T& v, int, float f) { v = f; }
};
template <>
struct Vec<4> {
  using T = float4;
  __device__ static float get(const T& v, int i) {
    return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w;
  }
  __device__ static void set(T& v, int i, float f) {
    (i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w) = f;
  }
};

// The normalised row written as fp32 (and its bf16 copy): out = w * x * inv.
template <int V, class H>
__device__ void write_normed_row(const float* xr, const float* __restrict__ w, float inv, int64_t d,
                                 float* o, H* ob, bool write_f32) {
  using VT = typename Vec<V>::T;
  const VT* xv = reinterpret_cast<const VT*>(xr);
  const VT* wv = reinterpret_cast<const VT*>(w);
  VT* ov = reinterpret_cast<VT*>(o);
  for (int64_t i = threadIdx.x; i < d / V; i += blockDim.x) {
    const VT a = xv[i], b = wv[i];
    VT y;
#pragma unroll
    for (int j = 0; j < V; ++j) Vec<V>::set(y, j, Vec<V>::get(b, j) * (Vec<V>::get(a, j) * inv));
    if (write_f32) ov[i] = y;
    if (ob != nullptr)
#pragma unroll
      for (int j = 0; j < V; ++j) ob[i * V + j] = half_from_float<H>(Vec<V>::get(y, j));
  }
}

// One block per row. x, out [n, d] (may alias: each thread reads its own
// elements before writing them), w [d].
template <int V, class H>
__global__ void rmsnorm_kernel(const float* x, const float* __restrict__ w, float eps, int64_t d,
                               float* out, H* __restrict__ out_bf16, bool write_f32) {
  using VT = typename Vec<V>::T;
  const int64_t r = blockIdx.x;
  const float* xr = x + r * d;
  const VT* xv = reinterpret_cast<const VT*>(xr);
  float ss = 0.0f;
  for (int64_t i = threadIdx.x; i < d / V; i += blockDim.x) {
    const VT a = xv[i];
#pragma unroll
    for (int j = 0; j < V; ++j) ss += Vec<V>::get(a, j) * Vec<V>::get(a, j);
  }
  ss = block_sum(ss);
  const float inv = 1.0f / sqrtf(ss / float(d) + eps);
  write_normed_row<V>(xr, w, inv, d, out + r * d, out_bf16 == nullptr ? nullptr : out_bf16 + r * d,
                      write_f32);
}

// One block per row: x += y, then out = x / rms(x) * w. x, y, out [n, d]
// (y and out may alias: a thread reads y's elements before it writes
// out's, the same elements), w [d].
template <int V, class H>
__global__ void add_rmsnorm_kernel(float* x, const float* y, const float* __restrict__ w, float eps,
                                   int64_t d, float* out, H* __restrict__ out_bf16,
                                   bool write_f32) {
  using VT = typename Vec<V>::T;
  const int64_t r = blockIdx.x;
  float* xr = x + r * d;
  VT* xv = reinterpret_cast<VT*>(xr);
  const VT* yv = reinterpret_cast<const VT*>(y + r * d);
  float ss = 0.0f;
  for (int64_t i = threadIdx.x; i < d / V; i += blockDim.x) {
    VT a = xv[i];
    const VT b = yv[i];
#pragma unroll
    for (int j = 0; j < V; ++j) {
      const float s = Vec<V>::get(a, j) + Vec<V>::get(b, j);
      Vec<V>::set(a, j, s);
      ss += s * s;
    }
    xv[i] = a;
  }
  ss = block_sum(ss);  // each thread reads back only the x elements it wrote
  const float inv = 1.0f / sqrtf(ss / float(d) + eps);
  write_normed_row<V>(xr, w, inv, d, out + r * d, out_bf16 == nullptr ? nullptr : out_bf16 + r * d,
                      write_f32);
}

// src [count] fp32 -> dst [count] bf16 (round to nearest even).
template <class H>
__global__ void f32_to_bf16_kernel(const float* __restrict__ src, H* __restrict__ dst,
                                   int64_t count) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x)
    dst[i] = half_from_float<H>(src[i]);
}

// out [n, d] += bias [d] per row.
__global__ void add_bias_kernel(float* __restrict__ out, const float* __restrict__ bias,
                                int64_t count, int64_t d) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x)
    out[i] += bias[i % d];
}

// One block per row; thread t handles rotary pair (head, i) for t over
// (n_heads + n_kv_heads) * half. q [n, n_heads*2*half], k [n, n_kv_heads*2*half],
// inv_freq [half], positions [n].
__global__ void rope_kernel(float* __restrict__ q, float* __restrict__ k, int n_heads,
                            int n_kv_heads, int half, const float* __restrict__ inv_freq,
                            const int32_t* __restrict__ positions) {
  const int64_t r = blockIdx.x;
  const int hd = 2 * half;
  const float pos = float(positions[r]);
  const int pairs = (n_heads + n_kv_heads) * half;
  for (int t = threadIdx.x; t < pairs; t += blockDim.x) {
    const int head = t / half, i = t % half;
    float* v = head < n_heads ? q + (r * n_heads + head) * hd
                              : k + (r * n_kv_heads + (head - n_heads)) * hd;
    // fp32 angle and accurate sin/cos, as the CPU backend (and HF) compute it.
    const float ang = pos * inv_freq[i];
    float s, c;
    sincosf(ang, &s, &c);
    const float a = v[i], b = v[i + half];
    v[i] = a * c - b * s;
    v[i + half] = b * c + a * s;
  }
}

__device__ __forceinline__ float silu_times(float g, float u) { return g / (1.0f + expf(-g)) * u; }

// The two-operand element-wise ops: a = op(a, b).
struct SiluTimes {
  __device__ float operator()(float g, float u) const { return silu_times(g, u); }
};
struct Plus {
  __device__ float operator()(float x, float y) const { return x + y; }
};

// a, b [count]: a = op(a, b), and a_bf16 (may be null) its bf16 copy; V
// elements per step (count a multiple of V).
template <int V, class Op, class H>
__global__ void elementwise_kernel(float* __restrict__ a, const float* __restrict__ b,
                                   int64_t count, H* __restrict__ a_bf16, bool write_a = true) {
  using VT = typename Vec<V>::T;
  VT* av = reinterpret_cast<VT*>(a);
  const VT* bv = reinterpret_cast<const VT*>(b);
  const Op op;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count / V;
       i += int64_t(gridDim.x) * blockDim.x) {
    VT x = av[i];
    const VT y = bv[i];
#pragma unroll
    for (int j = 0; j < V; ++j) Vec<V>::set(x, j, op(Vec<V>::get(x, j), Vec<V>::get(y, j)));
    if (write_a) av[i] = x;
    if (a_bf16 != nullptr)
#pragma unroll
      for (int j = 0; j < V; ++j) a_bf16[i * V + j] = half_from_float<H>(Vec<V>::get(x, j));
  }
}

// gate, up [count] bf16 (the GEMMs' bf16 outputs): out = bf16(silu(gate) * up),
// two elements per step (count even); out may be gate (element i is read
// before it is written, by the same thread).
// P pairs per step (P = 4: 16-byte loads and stores, when count % 8 == 0).
template <class H, int P>
__global__ void silu_mul_bf16_kernel(const Half2Of<H>* gate, const Half2Of<H>* __restrict__ up,
                                     int64_t pairs, Half2Of<H>* out) {
  struct alignas(4 * P) Pack {
    Half2Of<H> v[P];
  };
  const auto* gp = reinterpret_cast<const Pack*>(gate);
  const auto* up4 = reinterpret_cast<const Pack*>(up);
  auto* op = reinterpret_cast<Pack*>(out);
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < pairs / P;
       i += int64_t(gridDim.x) * blockDim.x) {
    const Pack g4 = gp[i], u4 = up4[i];
    Pack o4;
#pragma unroll
    for (int j = 0; j < P; ++j) {
      const float2 g = half2_to_float2(g4.v[j]), u = half2_to_float2(u4.v[j]);
      o4.v[j] = floats_to_half2<H>(silu_times(g.x, u.x), silu_times(g.y, u.y));
    }
    op[i] = o4;
  }
}

// One block per row; cols % 8 == 0, 16-byte aligned rows: 8 values a load.
// The row's largest magnitude maps to E4M3's largest finite value, 448.
template <class H>
__global__ void quantize_rows_fp8_kernel(const H* __restrict__ src, int64_t cols,
                                         __nv_fp8x2_storage_t* __restrict__ dst,
                                         float* __restrict__ scales) {
  struct alignas(16) Pack {
    Half2Of<H> v[4];
  };
  const int64_t r = blockIdx.x, packs = cols / 8;
  const auto* row = reinterpret_cast<const Pack*>(src + r * cols);
  float amax = 0.0f;
  for (int64_t i = threadIdx.x; i < packs; i += blockDim.x) {
    const Pack p = row[i];
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const float2 f = half2_to_float2(p.v[j]);
      amax = fmaxf(amax, fmaxf(fabsf(f.x), fabsf(f.y)));
    }
  }
  __shared__ float warp_max[32];
  for (int o = 16; o > 0; o >>= 1) amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, o));
  if (threadIdx.x % 32 == 0) warp_max[threadIdx.x / 32] = amax;
  __syncthreads();
  amax = 0.0f;
  for (int w = 0; w < int(blockDim.x / 32); ++w) amax = fmaxf(amax, warp_max[w]);
  // A row whose largest magnitude is below 448 * FLT_MIN counts as zeros:
  // its scale would be subnormal and 1 / scale infinite (0 * inf = NaN).
  const float scale = amax > 448.0f * FLT_MIN ? amax / 448.0f : 1.0f;
  const float inv = 1.0f / scale;
  if (threadIdx.x == 0) scales[r] = scale;
  auto* out = reinterpret_cast<uint2*>(dst + r * (cols / 2));
  for (int64_t i = threadIdx.x; i < packs; i += blockDim.x) {
    const Pack p = row[i];
    __nv_fp8x2_storage_t q[4];
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const float2 f = half2_to_float2(p.v[j]);
      q[j] = __nv_cvt_float2_to_fp8x2(make_float2(f.x * inv, f.y * inv), __NV_SATFINITE, __NV_E4M3);
    }
    out[i] = make_uint2(uint32_t(q[0]) | (uint32_t(q[1]) << 16),
                        uint32_t(q[2]) | (uint32_t(q[3]) << 16));
  }
}

// One block per output row. x [*, d], rows [n], out [n, d].
__global__ void gather_rows_kernel(const float* __restrict__ x, const int32_t* __restrict__ rows,
                                   int64_t d, float* __restrict__ out) {
  const int64_t r = blockIdx.x;
  const float* src = x + int64_t(rows[r]) * d;
  for (int64_t i = threadIdx.x; i < d; i += blockDim.x) out[r * d + i] = src[i];
}

__device__ __forceinline__ float to_f32(float x) { return x; }
__device__ __forceinline__ float to_f32(__nv_bfloat16 x) { return half_to_float(x); }
__device__ __forceinline__ float to_f32(__half x) { return half_to_float(x); }
template <typename T>
__device__ __forceinline__ T from_f32(float x) {
  if constexpr (std::is_same_v<T, float>) return x;
  else return half_from_float<T>(x);
}

// One block per row i. k, v [n, kvd]; slots [n, 2] (page, offset);
// k_cache, v_cache [pages, page_size, kvd] of T (fp32, or bf16 in the bf16 mode).
template <typename T>
__global__ void kv_write_kernel(const float* __restrict__ k, const float* __restrict__ v,
                                const int32_t* __restrict__ slots, int kvd, int page_size,
                                T* __restrict__ k_cache, T* __restrict__ v_cache) {
  const int64_t i = blockIdx.x;
  const int64_t dst = (int64_t(slots[2 * i]) * page_size + slots[2 * i + 1]) * kvd;
  for (int c = threadIdx.x; c < kvd; c += blockDim.x) {
    k_cache[dst + c] = from_f32<T>(k[i * kvd + c]);
    v_cache[dst + c] = from_f32<T>(v[i * kvd + c]);
  }
}

// The inverse of kv_write_kernel: k, v [n, kvd] from the cache slots.
template <typename T>
__global__ void kv_read_kernel(const T* __restrict__ k_cache, const T* __restrict__ v_cache,
                               const int32_t* __restrict__ slots, int kvd, int page_size,
                               float* __restrict__ k, float* __restrict__ v) {
  const int64_t i = blockIdx.x;
  const int64_t src = (int64_t(slots[2 * i]) * page_size + slots[2 * i + 1]) * kvd;
  for (int c = threadIdx.x; c < kvd; c += blockDim.x) {
    k[i * kvd + c] = to_f32(k_cache[src + c]);
    v[i * kvd + c] = to_f32(v_cache[src + c]);
  }
}

int row_threads(int64_t d) {
  // Enough threads to cover a typical row in one or two passes.
  return d >= 1024 ? 256 : 128;
}

}  // namespace

void launch_embed(const void* table, bool table_bf16, const int32_t* tokens, int64_t n, int64_t d,
                  float* out, Half16 half, cudaStream_t stream) {
  if (n == 0) return;
  if (table_bf16)
    with_half(half, [&](auto h) {
      using H = decltype(h);
      embed_kernel<<<unsigned(n), row_threads(d), 0, stream>>>(static_cast<const H*>(table), tokens,
                                                               d, out);
    });
  else
    embed_kernel<<<unsigned(n), row_threads(d), 0, stream>>>(static_cast<const float*>(table),
                                                             tokens, d, out);
  CUDA_CHECK_LAUNCH();
}

// Whether rows of length d (and flat arrays of d elements) go as float4s.
bool by_float4(int64_t d, std::initializer_list<const void*> ptrs) {
  if (d % 4 != 0) return false;
  for (const void* p : ptrs)
    if (reinterpret_cast<uintptr_t>(p) % 16 != 0) return false;
  return true;
}

void launch_rmsnorm(const float* x, const float* w, float eps, int64_t n, int64_t d, float* out,
                    void* out_bf16, Half16 half, cudaStream_t stream, bool write_f32) {
  if (n == 0) return;
  with_half(half, [&](auto h) {
    using H = decltype(h);
    auto* ob = static_cast<H*>(out_bf16);
    if (by_float4(d, {x, w, out}))
      rmsnorm_kernel<4>
          <<<unsigned(n), row_threads(d / 4), 0, stream>>>(x, w, eps, d, out, ob, write_f32);
    else
      rmsnorm_kernel<1>
          <<<unsigned(n), row_threads(d), 0, stream>>>(x, w, eps, d, out, ob, write_f32);
  });
  CUDA_CHECK_LAUNCH();
}

void launch_add_rmsnorm(float* x, const float* y, const float* w, float eps, int64_t n, int64_t d,
                        float* out, void* out_bf16, Half16 half, cudaStream_t stream,
                        bool write_f32) {
  if (n == 0) return;
  with_half(half, [&](auto h) {
    using H = decltype(h);
    auto* ob = static_cast<H*>(out_bf16);
    if (by_float4(d, {x, y, w, out}))
      add_rmsnorm_kernel<4><<<unsigned(n), row_threads(d / 4), 0, stream>>>(x, y, w, eps, d, out,
                                                                             ob, write_f32);
    else
      add_rmsnorm_kernel<1>
          <<<unsigned(n), row_threads(d), 0, stream>>>(x, y, w, eps, d, out, ob, write_f32);
  });
  CUDA_CHECK_LAUNCH();
}

void launch_f32_to_bf16(const float* src, void* dst, int64_t count, Half16 half,
                        cudaStream_t stream) {
  if (count == 0) return;
  with_half(half, [&](auto h) {
    using H = decltype(h);
    f32_to_bf16_kernel<<<blocks_for(count), kThreads, 0, stream>>>(src, static_cast<H*>(dst),
                                                                   count);
  });
  CUDA_CHECK_LAUNCH();
}

void launch_quantize_rows_fp8(const void* src, int64_t rows, int64_t cols, void* dst,
                              float* scales, Half16 half, cudaStream_t stream) {
  if (rows == 0) return;
  SELFENS_CHECK(cols % 16 == 0 && reinterpret_cast<uintptr_t>(src) % 16 == 0 &&
                    reinterpret_cast<uintptr_t>(dst) % 16 == 0,
                "quantize_rows_fp8: cols a multiple of 16, 16-byte aligned rows");
  const int threads = int(std::min<int64_t>(256, (cols / 8 + 31) / 32 * 32));
  with_half(half, [&](auto h) {
    using H = decltype(h);
    quantize_rows_fp8_kernel<H><<<unsigned(rows), threads, 0, stream>>>(
        static_cast<const H*>(src), cols, static_cast<__nv_fp8x2_storage_t*>(dst), scales);
  });
  CUDA_CHECK_LAUNCH();
}

void launch_add_bias(float* out, const float* bias, int64_t n, int64_t d, cudaStream_t stream) {
  if (n * d == 0) return;
  add_bias_kernel<<<blocks_for(n * d), kThreads, 0, stream>>>(out, bias, n * d, d);
  CUDA_CHECK_LAUNCH();
}

void launch_rope(float* q, float* k, int n_heads, int n_kv_heads, int half, const float* inv_freq,
                 const int32_t* positions, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  const int pairs = (n_heads + n_kv_heads) * half;
  const int threads = std::min(1024, (pairs + 31) / 32 * 32);
  rope_kernel<<<unsigned(n), threads, 0, stream>>>(q, k, n_heads, n_kv_heads, half, inv_freq,
                                                   positions);
  CUDA_CHECK_LAUNCH();
}

// a = op(a, b) over count elements, as float4s when the arrays allow.
template <class Op, class H>
void launch_elementwise(float* a, const float* b, int64_t count, H* a_bf16, cudaStream_t stream,
                        bool write_a = true) {
  if (count == 0) return;
  if (by_float4(count, {a, b}))
    elementwise_kernel<4, Op>
        <<<blocks_for(count / 4), kThreads, 0, stream>>>(a, b, count, a_bf16, write_a);
  else
    elementwise_kernel<1, Op>
        <<<blocks_for(count), kThreads, 0, stream>>>(a, b, count, a_bf16, write_a);
  CUDA_CHECK_LAUNCH();
}

void launch_silu_mul(float* gate, const float* up, int64_t count, void* gate_bf16, Half16 half,
                     cudaStream_t stream, bool write_f32) {
  with_half(half, [&](auto h) {
    using H = decltype(h);
    launch_elementwise<SiluTimes>(gate, up, count, static_cast<H*>(gate_bf16), stream, write_f32);
  });
}

void launch_silu_mul_bf16(const void* gate, const void* up, int64_t count, void* out, Half16 half,
                          cudaStream_t stream) {
  if (count == 0) return;
  SELFENS_CHECK(count % 2 == 0, "silu_mul_bf16: an even element count");
  with_half(half, [&](auto h) {
    using H2 = Half2Of<decltype(h)>;
    const auto* g = static_cast<const H2*>(gate);
    const auto* u = static_cast<const H2*>(up);
    auto* o = static_cast<H2*>(out);
    const bool wide = count % 8 == 0 && (reinterpret_cast<uintptr_t>(gate) |
                                         reinterpret_cast<uintptr_t>(up) |
                                         reinterpret_cast<uintptr_t>(out)) % 16 == 0;
    if (wide)
      silu_mul_bf16_kernel<decltype(h), 4>
          <<<blocks_for(count / 8), kThreads, 0, stream>>>(g, u, count / 2, o);
    else
      silu_mul_bf16_kernel<decltype(h), 1>
          <<<blocks_for(count / 2), kThreads, 0, stream>>>(g, u, count / 2, o);
  });
  CUDA_CHECK_LAUNCH();
}

void launch_add(float* x, const float* y, int64_t count, cudaStream_t stream) {
  launch_elementwise<Plus>(x, y, count, static_cast<__nv_bfloat16*>(nullptr), stream);
}

void launch_gather_rows(const float* x, const int32_t* rows, int64_t n, int64_t d, float* out,
                        cudaStream_t stream) {
  if (n == 0) return;
  gather_rows_kernel<<<unsigned(n), row_threads(d), 0, stream>>>(x, rows, d, out);
  CUDA_CHECK_LAUNCH();
}

void launch_kv_write(const float* k, const float* v, const int32_t* slots, int64_t n, int kvd,
                     int page_size, void* k_cache, void* v_cache, bool cache_bf16,
                     Half16 half, cudaStream_t stream) {
  if (n == 0) return;
  if (cache_bf16)
    with_half(half, [&](auto h) {
      using H = decltype(h);
      kv_write_kernel<<<unsigned(n), 128, 0, stream>>>(
          k, v, slots, kvd, page_size, static_cast<H*>(k_cache), static_cast<H*>(v_cache));
    });
  else
    kv_write_kernel<<<unsigned(n), 128, 0, stream>>>(
        k, v, slots, kvd, page_size, static_cast<float*>(k_cache), static_cast<float*>(v_cache));
  CUDA_CHECK_LAUNCH();
}

void launch_kv_read(const void* k_cache, const void* v_cache, bool cache_bf16, const int32_t* slots,
                    int64_t n, int kvd, int page_size, float* k, float* v, Half16 half,
                    cudaStream_t stream) {
  if (n == 0) return;
  if (cache_bf16)
    with_half(half, [&](auto h) {
      using H = decltype(h);
      kv_read_kernel<<<unsigned(n), 128, 0, stream>>>(static_cast<const H*>(k_cache),
                                                      static_cast<const H*>(v_cache), slots, kvd,
                                                      page_size, k, v);
    });
  else
    kv_read_kernel<<<unsigned(n), 128, 0, stream>>>(static_cast<const float*>(k_cache),
                                                    static_cast<const float*>(v_cache), slots, kvd,
                                                    page_size, k, v);
  CUDA_CHECK_LAUNCH();
}

}  // namespace selfens::cuda
