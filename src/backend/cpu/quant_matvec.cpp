#include "backend/cpu/quant_matvec.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
// GCC 12 flags the intrinsics' own _mm512_undefined_*() inputs where they
// are inlined (GCC bug 105593, fixed in 13): not a fault of this file.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "model/dequant.h"
#include "util/check.h"

namespace selfens::cpu {

namespace {

constexpr int kBlock = 32;

int64_t code_bytes(uint32_t type) { return type == 3 ? 16 : 32; }

// Row o's codes and fp16 scales (and Q4_1 mins), as packed.
struct RowBlocks {
  const uint8_t* codes;
  const uint16_t* scale;
  const uint16_t* min;  // null for Q8_0
};

RowBlocks row_blocks(const QuantWeight& w, int64_t o) {
  const int64_t nb = w.cols / kBlock;
  return {w.codes.data() + o * nb * code_bytes(w.type), w.scale.data() + o * nb,
          w.type == 3 ? w.min.data() + o * nb : nullptr};
}

// Software prefetch, 2 KiB ahead in the stream of codes (every block) and
// of scales (every row). One core's stream of weight blocks outruns the
// hardware prefetchers of some servers: on an Intel Xeon (2026-12-07) a
// batch-1 product over 110 MB of weights ran at half the speed it reaches
// with this. Prefetching a whole row at once instead gained nothing there.
constexpr int64_t kPrefetchBytes = 2048;

inline void prefetch_codes(const uint8_t* codes) { __builtin_prefetch(codes + kPrefetchBytes); }

void prefetch_row(const QuantWeight& w, int64_t o) {
  const int64_t nb = w.cols / kBlock;
  const int64_t ahead = o + std::max<int64_t>(1, kPrefetchBytes / (nb * code_bytes(w.type)));
  if (ahead >= w.rows) return;
  __builtin_prefetch(w.scale.data() + ahead * nb);
  if (w.type == 3) __builtin_prefetch(w.min.data() + ahead * nb);
}

// One row's scales (and mins) widened to fp32 for the kernel's inner loop,
// once per row: the inner loop then broadcasts a float from L1. Each array
// holds nb rounded up to 16 floats (the AVX-512 widening writes the padding
// as zeros, which its min term reads); per-thread buffers, reused, so the
// decode path's products allocate nothing.
struct RowScales {
  float* d;
  float* m;
  explicit RowScales(int64_t nb) {
    thread_local std::vector<float> buf;
    const size_t padded = size_t((nb + 15) / 16 * 16);
    if (buf.size() < 2 * padded) buf.resize(2 * padded);
    d = buf.data();
    m = buf.data() + padded;
  }
};

void widen_scalar(const uint16_t* h, int64_t nb, float* out) {
  for (int64_t b = 0; b < nb; ++b) out[b] = fp16_to_fp32(h[b]);
}

// Q4_1's min term of one row: sum over blocks of min_b * (sum of x's block b).
float min_term(const float* min, const float* xsum, int64_t nb) {
  float s = 0.0f;
  for (int64_t b = 0; b < nb; ++b) s += min[b] * xsum[b];
  return s;
}

// Each block decoded once for all rows, as the vector kernels do.
void matvec_scalar(const QuantWeight& w, const float* x, const float* xsum, int64_t n, int64_t o0,
                   int64_t o1, float* out, int64_t stride) {
  const int64_t nb = w.cols / kBlock, cb = code_bytes(w.type);
  float q[kBlock], acc[kMaxQuantRows];
  RowScales rs(nb);
  for (int64_t o = o0; o < o1; ++o) {
    const RowBlocks rb = row_blocks(w, o);
    prefetch_row(w, o);
    widen_scalar(rb.scale, nb, rs.d);
    if (rb.min) widen_scalar(rb.min, nb, rs.m);
    std::fill(acc, acc + n, 0.0f);
    for (int64_t b = 0; b < nb; ++b) {
      const uint8_t* c = rb.codes + b * cb;
      for (int j = 0; j < kBlock; ++j)
        q[j] = float(w.type == 3 ? (j < 16 ? c[j] & 0x0F : c[j - 16] >> 4) : int8_t(c[j]));
      for (int64_t r = 0; r < n; ++r) {
        const float* xr = x + r * w.cols + b * kBlock;
        float s = 0.0f;
        for (int j = 0; j < kBlock; ++j) s += q[j] * xr[j];
        acc[r] += rs.d[b] * s;
      }
    }
    for (int64_t r = 0; r < n; ++r)
      out[r * stride + o] = acc[r] + (rb.min ? min_term(rs.m, xsum + r * nb, nb) : 0.0f);
  }
}


// The integer form of a block's 32 weight codes: Q4_1's nibbles (0..15) or
// Q8_0's int8, as the int8 kernels read them.
void codes_int(uint32_t type, const uint8_t* c, int32_t q[kBlock]) {
  for (int j = 0; j < kBlock; ++j)
    q[j] = type == 3 ? (j < 16 ? c[j] & 0x0F : c[j - 16] >> 4) : int8_t(c[j]);
}

void matvec_int8_scalar(const QuantWeight& w, const Int8Rows& x, int64_t o0, int64_t o1,
                        float* out, int64_t stride) {
  const int64_t nb = w.cols / kBlock, cb = code_bytes(w.type);
  int32_t q[kBlock];
  float acc[kMaxQuantRows];
  RowScales rs(nb);
  for (int64_t o = o0; o < o1; ++o) {
    const RowBlocks rb = row_blocks(w, o);
    prefetch_row(w, o);
    widen_scalar(rb.scale, nb, rs.d);
    if (rb.min) widen_scalar(rb.min, nb, rs.m);
    std::fill(acc, acc + x.n, 0.0f);
    for (int64_t b = 0; b < nb; ++b) {
      codes_int(w.type, rb.codes + b * cb, q);
      for (int64_t r = 0; r < x.n; ++r) {
        const int8_t* xr = x.codes.data() + r * w.cols + b * kBlock;
        int32_t dot = 0;
        for (int j = 0; j < kBlock; ++j) dot += q[j] * xr[j];
        acc[r] += rs.d[b] * x.scale[size_t(r * nb + b)] * float(dot);
      }
    }
    for (int64_t r = 0; r < x.n; ++r)
      out[r * stride + o] =
          acc[r] + (rb.min ? min_term(rs.m, x.sum.data() + r * nb, nb) : 0.0f);
  }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) float hsum(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
}

// fp16 scales to fp32, 8 at a time (F16C), the tail one by one.
__attribute__((target("avx2,fma,f16c"))) void widen_f16c(const uint16_t* h, int64_t nb,
                                                         float* out) {
  int64_t b = 0;
  for (; b + 8 <= nb; b += 8)
    _mm256_storeu_ps(out + b, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + b))));
  widen_scalar(h + b, nb - b, out + b);
}

// The 32 codes of one block as floats, 8 per register.
__attribute__((target("avx2,fma"))) void codes_avx2(bool q4, const uint8_t* c, __m256 q[4]) {
  if (q4) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(c));
    const __m128i lo = _mm_and_si128(v, _mm_set1_epi8(0x0F));
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), _mm_set1_epi8(0x0F));
    q[0] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(lo));
    q[1] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(lo, 8)));
    q[2] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(hi));
    q[3] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(hi, 8)));
  } else {
    for (int i = 0; i < 4; ++i) {
      const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(c + 8 * i));
      q[i] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v));
    }
  }
}

// N rows at compile time: the accumulators stay in registers.
template <int N>
__attribute__((target("avx2,fma,f16c"))) void matvec_avx2_n(const QuantWeight& w, const float* x,
                                                       const float* xsum, int64_t o0, int64_t o1,
                                                       float* out, int64_t stride) {
  const int64_t nb = w.cols / kBlock, cb = code_bytes(w.type);
  const bool q4 = w.type == 3;
  RowScales rs(nb);
  for (int64_t o = o0; o < o1; ++o) {
    const RowBlocks rb = row_blocks(w, o);
    prefetch_row(w, o);
    widen_f16c(rb.scale, nb, rs.d);
    if (q4) widen_f16c(rb.min, nb, rs.m);
    __m256 acc[N];
    for (int r = 0; r < N; ++r) acc[r] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      __m256 q[4];
      prefetch_codes(rb.codes + b * cb);
      codes_avx2(q4, rb.codes + b * cb, q);
      const __m256 d = _mm256_broadcast_ss(rs.d + b);
      for (int r = 0; r < N; ++r) {
        const float* xr = x + r * w.cols + b * kBlock;
        __m256 t = _mm256_mul_ps(q[0], _mm256_loadu_ps(xr));
        for (int i = 1; i < 4; ++i) t = _mm256_fmadd_ps(q[i], _mm256_loadu_ps(xr + 8 * i), t);
        acc[r] = _mm256_fmadd_ps(d, t, acc[r]);
      }
    }
    for (int r = 0; r < N; ++r)
      out[r * stride + o] = hsum(acc[r]) + (q4 ? min_term(rs.m, xsum + r * nb, nb) : 0.0f);
  }
}

// The 32 codes of one block as floats, 16 per register.
__attribute__((target("avx512f,avx512bw,avx512vl,fma,f16c"), always_inline)) inline void
codes_avx512(bool q4, const uint8_t* c, __m512 q[2]) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(c));
  if (q4) {
    const __m128i lo = _mm_and_si128(v, _mm_set1_epi8(0x0F));
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), _mm_set1_epi8(0x0F));
    q[0] = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(lo));
    q[1] = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(hi));
  } else {
    const __m128i v2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(c + 16));
    q[0] = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(v));
    q[1] = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(v2));
  }
}

#define SELFENS_AVX512 "avx512f,avx512bw,avx512vl,fma,f16c"

// fp16 scales to fp32, 16 at a time; out is padded to a multiple of 16.
__attribute__((target(SELFENS_AVX512))) void widen_avx512(const uint16_t* h, int64_t nb,
                                                           float* out) {
  for (int64_t b = 0; b < nb; b += 16) {
    const __mmask16 keep = nb - b >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (nb - b)) - 1);
    _mm512_storeu_ps(out + b, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(keep, h + b)));
  }
}

// Q4_1's min term of one row as 16 partial sums: min (widened, padded)
// times x's block sums, 16 blocks per instruction.
__attribute__((target(SELFENS_AVX512))) __m512 min_term_avx512(const float* min,
                                                                const float* xsum, int64_t nb) {
  __m512 acc = _mm512_setzero_ps();
  for (int64_t b = 0; b < nb; b += 16) {
    const __mmask16 keep = nb - b >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (nb - b)) - 1);
    acc = _mm512_fmadd_ps(_mm512_loadu_ps(min + b), _mm512_maskz_loadu_ps(keep, xsum + b), acc);
  }
  return acc;
}

// Block b of one row times N rows of x, into acc.
template <int N>
__attribute__((target(SELFENS_AVX512), always_inline)) inline void block_avx512(
    bool q4, const uint8_t* codes, float d, const float* x, int64_t cols, __m512 acc[N]) {
  __m512 q[2];
  prefetch_codes(codes);
  codes_avx512(q4, codes, q);
  const __m512 dv = _mm512_set1_ps(d);
  for (int r = 0; r < N; ++r) {
    const float* xr = x + r * cols;
    const __m512 t =
        _mm512_fmadd_ps(q[1], _mm512_loadu_ps(xr + 16), _mm512_mul_ps(q[0], _mm512_loadu_ps(xr)));
    acc[r] = _mm512_fmadd_ps(dv, t, acc[r]);
  }
}

// Blocks alternate between two accumulator sets, so that one row's chain
// of multiply-adds does not wait on the previous block's (batch-1 decode);
// the second set starts with Q4_1's min term.
template <int N>
__attribute__((target(SELFENS_AVX512))) void matvec_avx512_n(const QuantWeight& w, const float* x,
                                                             const float* xsum, int64_t o0,
                                                             int64_t o1, float* out,
                                                             int64_t stride) {
  const int64_t nb = w.cols / kBlock, cb = code_bytes(w.type);
  const bool q4 = w.type == 3;
  RowScales rs(nb);
  for (int64_t o = o0; o < o1; ++o) {
    const RowBlocks rb = row_blocks(w, o);
    prefetch_row(w, o);
    widen_avx512(rb.scale, nb, rs.d);
    __m512 even[N], odd[N];
    for (int r = 0; r < N; ++r) even[r] = odd[r] = _mm512_setzero_ps();
    if (q4) {
      widen_avx512(rb.min, nb, rs.m);
      for (int r = 0; r < N; ++r) odd[r] = min_term_avx512(rs.m, xsum + r * nb, nb);
    }
    int64_t b = 0;
    for (; b + 2 <= nb; b += 2) {
      block_avx512<N>(q4, rb.codes + b * cb, rs.d[b], x + b * kBlock, w.cols, even);
      block_avx512<N>(q4, rb.codes + (b + 1) * cb, rs.d[b + 1], x + (b + 1) * kBlock,
                      w.cols, odd);
    }
    if (b < nb) block_avx512<N>(q4, rb.codes + b * cb, rs.d[b], x + b * kBlock, w.cols, even);
    for (int r = 0; r < N; ++r)
      out[r * stride + o] = _mm512_reduce_add_ps(_mm512_add_ps(even[r], odd[r]));
  }
}

// One block's 32 weight codes as 32 bytes for an unsigned-by-signed dot
// product: Q4_1's nibbles as they are; Q8_0's |code|, its sign moved onto
// the activations (sign_x: x's codes negated where the weight's is).
__attribute__((target("avx2,fma"))) __m256i block_u8_avx2(bool q4, const uint8_t* c,
                                                          __m256i* sign) {
  if (q4) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(c));
    const __m128i lo = _mm_and_si128(v, _mm_set1_epi8(0x0F));
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), _mm_set1_epi8(0x0F));
    return _mm256_set_m128i(hi, lo);
  }
  *sign = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c));
  return _mm256_sign_epi8(*sign, *sign);
}

// Sum of 4-byte groups of u8 * s8 as 8 int32: AVX2 (maddubs pairs to int16,
// no overflow at these ranges: 2 * 128 * 127 < 32768; then pairs to int32).
__attribute__((target("avx2,fma"))) __m256i dot_u8s8_avx2(__m256i u, __m256i s) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma"))) __m256i dot_u8s8_vnni(
    __m256i u, __m256i s) {
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s);
}

// The int8 product of N rows (r0..r0+N-1 of x), once per instruction set:
// GCC compiles intrinsics only inside a function of their target, so the
// body is a macro rather than a template over the dot product.
#define SELFENS_INT8_KERNEL(NAME, TARGET, DOT)                                                   \
  template <int N>                                                                               \
  __attribute__((target(TARGET))) void NAME(const QuantWeight& w, const Int8Rows& x, int64_t r0, \
                                            int64_t o0, int64_t o1, float* out, int64_t stride) { \
    const int64_t nb = w.cols / kBlock, cb = code_bytes(w.type);                                 \
    const bool q4 = w.type == 3;                                                                 \
    const int8_t* xc = x.codes.data() + r0 * w.cols;                                             \
    const float* xs = x.scale.data() + r0 * nb;                                                  \
    RowScales rs(nb);                                                                            \
    for (int64_t o = o0; o < o1; ++o) {                                                          \
      const RowBlocks rb = row_blocks(w, o);                                                     \
      prefetch_row(w, o);                                                                        \
      widen_f16c(rb.scale, nb, rs.d);                                                            \
      if (q4) widen_f16c(rb.min, nb, rs.m);                                                      \
      __m256 acc[N];                                                                             \
      for (int r = 0; r < N; ++r) acc[r] = _mm256_setzero_ps();                                  \
      for (int64_t b = 0; b < nb; ++b) {                                                         \
        __m256i sign = _mm256_setzero_si256();                                                   \
        prefetch_codes(rb.codes + b * cb);                                                       \
        const __m256i u = block_u8_avx2(q4, rb.codes + b * cb, &sign);                           \
        for (int r = 0; r < N; ++r) {                                                            \
          __m256i s = _mm256_loadu_si256(                                                        \
              reinterpret_cast<const __m256i*>(xc + r * w.cols + b * kBlock));                   \
          if (!q4) s = _mm256_sign_epi8(s, sign);                                                \
          const __m256 d = _mm256_set1_ps(rs.d[b] * xs[r * nb + b]);                             \
          acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(DOT(u, s)), d, acc[r]);                    \
        }                                                                                        \
      }                                                                                          \
      for (int r = 0; r < N; ++r)                                                                \
        out[r * stride + o] =                                                                    \
            hsum(acc[r]) +                                                                       \
            (q4 ? min_term(rs.m, x.sum.data() + (r0 + r) * nb, nb) : 0.0f);                      \
    }                                                                                            \
  }
SELFENS_INT8_KERNEL(matvec_int8_avx2_n, "avx2,fma,f16c", dot_u8s8_avx2)
SELFENS_INT8_KERNEL(matvec_int8_vnni_n, "avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c",
                    dot_u8s8_vnni)
#undef SELFENS_INT8_KERNEL

using Int8Kernel = void (*)(const QuantWeight&, const Int8Rows&, int64_t, int64_t, int64_t,
                            float*, int64_t);
constexpr Int8Kernel kInt8Avx2[8] = {
    matvec_int8_avx2_n<1>, matvec_int8_avx2_n<2>, matvec_int8_avx2_n<3>, matvec_int8_avx2_n<4>,
    matvec_int8_avx2_n<5>, matvec_int8_avx2_n<6>, matvec_int8_avx2_n<7>, matvec_int8_avx2_n<8>};
constexpr Int8Kernel kInt8Vnni[8] = {
    matvec_int8_vnni_n<1>, matvec_int8_vnni_n<2>, matvec_int8_vnni_n<3>, matvec_int8_vnni_n<4>,
    matvec_int8_vnni_n<5>, matvec_int8_vnni_n<6>, matvec_int8_vnni_n<7>, matvec_int8_vnni_n<8>};

using GroupKernel = void (*)(const QuantWeight&, const float*, const float*, int64_t, int64_t,
                             float*, int64_t);

// Rows in groups of up to 8 (a group's accumulators fit the registers); the
// chunk's weight rows are re-read from cache for the next group.
// run(r0, g): rows r0 .. r0 + g - 1, g <= 8, for every group of n rows.
template <class Run>
void for_row_groups(int64_t n, Run run) {
  for (int64_t r0 = 0; r0 < n; r0 += 8) run(r0, std::min<int64_t>(8, n - r0));
}

void matvec_groups(const GroupKernel (&kernel)[8], const QuantWeight& w, const float* x,
                   const float* xsum, int64_t n, int64_t o0, int64_t o1, float* out,
                   int64_t stride) {
  const int64_t nb = w.cols / kBlock;
  for_row_groups(n, [&](int64_t r0, int64_t g) {
    kernel[g - 1](w, x + r0 * w.cols, xsum ? xsum + r0 * nb : nullptr, o0, o1, out + r0 * stride,
                  stride);
  });
}

constexpr GroupKernel kAvx2[8] = {matvec_avx2_n<1>, matvec_avx2_n<2>, matvec_avx2_n<3>,
                                  matvec_avx2_n<4>, matvec_avx2_n<5>, matvec_avx2_n<6>,
                                  matvec_avx2_n<7>, matvec_avx2_n<8>};
constexpr GroupKernel kAvx512[8] = {matvec_avx512_n<1>, matvec_avx512_n<2>, matvec_avx512_n<3>,
                                    matvec_avx512_n<4>, matvec_avx512_n<5>, matvec_avx512_n<6>,
                                    matvec_avx512_n<7>, matvec_avx512_n<8>};
#endif

}  // namespace

int64_t quant_block_bytes(uint32_t type) {
  const bool handled = type == 3 || type == 8;  // Q4_1, Q8_0
  return handled ? ggml_type_traits(type).block_bytes : 0;
}

QuantWeight pack_quant_weight(uint32_t type, const uint8_t* blocks, int64_t rows, int64_t cols) {
  SELFENS_CHECK(quant_block_bytes(type) > 0 && cols % kBlock == 0, "pack_quant_weight arguments");
  QuantWeight w;
  w.type = type;
  w.rows = rows;
  w.cols = cols;
  const int64_t n = rows * (cols / kBlock), bb = quant_block_bytes(type), cb = code_bytes(type);
  const int64_t head = bb - cb;  // fp16 scale (and Q4_1 min) before the codes
  w.codes.resize(size_t(n * cb));
  w.scale.resize(size_t(n));
  if (type == 3) w.min.resize(size_t(n));
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* blk = blocks + i * bb;
    std::memcpy(&w.scale[size_t(i)], blk, 2);
    if (type == 3) std::memcpy(&w.min[size_t(i)], blk + 2, 2);
    std::memcpy(w.codes.data() + i * cb, blk + head, size_t(cb));
  }
  return w;
}

const char* quant_isa_name(QuantIsa isa) {
  switch (isa) {
    case QuantIsa::kAvx512: return "avx512";
    case QuantIsa::kAvx2: return "avx2";
    default: return "scalar";
  }
}

bool cpu_runs(QuantIsa isa) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                    __builtin_cpu_supports("f16c");
  if (isa == QuantIsa::kAvx2) return avx2;
  if (isa == QuantIsa::kAvx512)
    return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl");
#endif
  return isa == QuantIsa::kScalar;
}

QuantIsa parse_quant_isa(const std::string& name) {
  for (QuantIsa isa : {QuantIsa::kAvx512, QuantIsa::kAvx2, QuantIsa::kScalar}) {
    if (name.empty() && cpu_runs(isa)) return isa;
    if (name == quant_isa_name(isa)) {
      if (!cpu_runs(isa))
        throw InputError("SELFENS_CPU_ISA=" + name + ": this CPU cannot run it (avx512, avx2, scalar)");
      return isa;
    }
  }
  throw InputError("SELFENS_CPU_ISA: unknown instruction set '" + name +
                   "' (avx512, avx2 or scalar; unset: the best this CPU runs)");
}

std::vector<float> quant_block_sums(const float* x, int64_t n, int64_t cols) {
  std::vector<float> sums(size_t(n * (cols / kBlock)));
  for (size_t b = 0; b < sums.size(); ++b) {
    const float* xb = x + b * kBlock;  // rows are whole blocks: cols % 32 == 0
    float s = 0;
    for (int j = 0; j < kBlock; ++j) s += xb[j];
    sums[b] = s;
  }
  return sums;
}

void quant_matvec(const QuantWeight& w, const float* x, const float* xsum, int64_t n,
                  int64_t o_begin, int64_t o_end, float* out, int64_t out_stride, QuantIsa isa) {
  SELFENS_CHECK(quant_block_bytes(w.type) > 0 && w.cols % kBlock == 0 && n >= 0 &&
                    n <= kMaxQuantRows && o_begin >= 0 && o_end <= w.rows &&
                    (xsum != nullptr || w.type != 3),
                "quant_matvec arguments");
#if defined(__x86_64__)
  if (isa == QuantIsa::kAvx512)
    return matvec_groups(kAvx512, w, x, xsum, n, o_begin, o_end, out, out_stride);
  if (isa == QuantIsa::kAvx2)
    return matvec_groups(kAvx2, w, x, xsum, n, o_begin, o_end, out, out_stride);
#endif
  matvec_scalar(w, x, xsum, n, o_begin, o_end, out, out_stride);
}

Int8Rows quantize_rows_int8(const float* x, int64_t n, int64_t cols) {
  SELFENS_CHECK(cols % kBlock == 0, "quantize_rows_int8: cols not whole blocks");
  Int8Rows q;
  q.n = n;
  q.cols = cols;
  const int64_t blocks = n * (cols / kBlock);
  q.codes.resize(size_t(n * cols));
  q.scale.resize(size_t(blocks));
  q.sum.resize(size_t(blocks));
  for (int64_t b = 0; b < blocks; ++b) {
    const float* xb = x + b * kBlock;
    float amax = 0.0f;
    for (int j = 0; j < kBlock; ++j) amax = std::max(amax, std::fabs(xb[j]));
    const float d = amax / 127.0f, inv = amax > 0.0f ? 127.0f / amax : 0.0f;
    int32_t sum = 0;
    for (int j = 0; j < kBlock; ++j) {
      const int32_t c = int32_t(std::nearbyint(xb[j] * inv));  // |c| <= 127
      q.codes[size_t(b * kBlock + j)] = int8_t(c);
      sum += c;
    }
    q.scale[size_t(b)] = d;
    q.sum[size_t(b)] = d * float(sum);
  }
  return q;
}

int64_t cpu_block_rows_limit() {
#if defined(__x86_64__)
  static const int64_t limit = [] {
    __builtin_cpu_init();
    return __builtin_cpu_is("intel") ? kMaxQuantRows : int64_t{16};
  }();
  return limit;
#else
  return 16;
#endif
}

bool cpu_has_avx512_vnni() {
#if defined(__x86_64__)
  static const bool has = [] {
    __builtin_cpu_init();
    return cpu_runs(QuantIsa::kAvx512) && __builtin_cpu_supports("avx512vnni");
  }();
  return has;
#else
  return false;
#endif
}

void quant_matvec_int8(const QuantWeight& w, const Int8Rows& x, int64_t o_begin, int64_t o_end,
                       float* out, int64_t out_stride, QuantIsa isa) {
  SELFENS_CHECK(quant_block_bytes(w.type) > 0 && x.cols == w.cols && x.n <= kMaxQuantRows &&
                    o_begin >= 0 && o_end <= w.rows,
                "quant_matvec_int8 arguments");
#if defined(__x86_64__)
  const Int8Kernel* kernels = nullptr;
  if (isa == QuantIsa::kAvx512 && cpu_has_avx512_vnni()) kernels = kInt8Vnni;
  else if (isa != QuantIsa::kScalar) kernels = kInt8Avx2;
  if (kernels != nullptr) {
    for_row_groups(x.n, [&](int64_t r0, int64_t g) {
      kernels[g - 1](w, x, r0, o_begin, o_end, out + r0 * out_stride, out_stride);
    });
    return;
  }
#endif
  matvec_int8_scalar(w, x, o_begin, o_end, out, out_stride);
}

}  // namespace selfens::cpu
