#include "backend/cpu/quant_matvec.h"

#include <algorithm>
#include <cstring>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "model/dequant.h"
#include "util/check.h"

namespace selfens::cpu {

namespace {

constexpr int kBlock = 32;

uint16_t load_u16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void matvec_scalar(const QuantWeight& w, const float* x, int64_t n, int64_t o0, int64_t o1,
                   float* out, int64_t stride) {
  const int64_t nb = w.cols / kBlock, bb = quant_block_bytes(w.type);
  float y[kBlock];
  std::vector<float> acc(static_cast<size_t>(n));
  for (int64_t o = o0; o < o1; ++o) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    const uint8_t* row = w.blocks + o * nb * bb;
    for (int64_t b = 0; b < nb; ++b) {
      dequantize_row(w.type, row + b * bb, y, kBlock);
      for (int64_t r = 0; r < n; ++r) {
        const float* xr = x + r * w.cols + b * kBlock;
        float s = 0;
        for (int j = 0; j < kBlock; ++j) s += y[j] * xr[j];
        acc[r] += s;
      }
    }
    for (int64_t r = 0; r < n; ++r) out[r * stride + o] = acc[r];
  }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) float hsum(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
}

// Scale (and Q4_1 min) of a block: fp16 through F16C.
__attribute__((target("avx2,fma,f16c"))) float half(const uint8_t* p) {
  return _cvtsh_ss(load_u16(p));
}

// sum_j q_j * x_j of one block for one row, q decoded from the block's 4-bit
// (Q4_1) or 8-bit (Q8_0) codes: the scale and min are applied per block
// (Q4_1 w = q*d + m, so w.x = d (q.x) + m sum(x)).
__attribute__((target("avx2,fma,f16c"))) void codes_avx2(uint32_t type, const uint8_t* b,
                                                          __m256 q[4]) {
  if (type == 3) {
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 4));
    const __m128i lo = _mm_and_si128(c, _mm_set1_epi8(0x0F));
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(c, 4), _mm_set1_epi8(0x0F));
    q[0] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(lo));
    q[1] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(lo, 8)));
    q[2] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(hi));
    q[3] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(hi, 8)));
  } else {
    for (int i = 0; i < 4; ++i) {
      const __m128i c = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b + 2 + 8 * i));
      q[i] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(c));
    }
  }
}

// N rows at compile time: the accumulators stay in registers.
// xsum: the rows' block sums (quant_block_sums), read for Q4_1's min.
template <int N>
__attribute__((target("avx2,fma,f16c"))) void matvec_avx2_n(const QuantWeight& w, const float* x,
                                                            const float* xsum, int64_t o0,
                                                            int64_t o1, float* out,
                                                            int64_t stride) {
  constexpr int64_t n = N;
  const int64_t nb = w.cols / kBlock, bb = quant_block_bytes(w.type);
  const bool q4 = w.type == 3;
  for (int64_t o = o0; o < o1; ++o) {
    __m256 acc[N];
    float macc[N] = {};
    for (int64_t r = 0; r < n; ++r) acc[r] = _mm256_setzero_ps();
    const uint8_t* row = w.blocks + o * nb * bb;
    for (int64_t b = 0; b < nb; ++b) {
      const uint8_t* blk = row + b * bb;
      __m256 q[4];
      codes_avx2(w.type, blk, q);
      const __m256 d = _mm256_set1_ps(half(blk));
      const float m = q4 ? half(blk + 2) : 0.0f;
      for (int64_t r = 0; r < n; ++r) {
        const float* xr = x + r * w.cols + b * kBlock;
        __m256 t = _mm256_mul_ps(q[0], _mm256_loadu_ps(xr));
        for (int i = 1; i < 4; ++i) t = _mm256_fmadd_ps(q[i], _mm256_loadu_ps(xr + 8 * i), t);
        acc[r] = _mm256_fmadd_ps(d, t, acc[r]);
        if (q4) macc[r] += m * xsum[r * nb + b];
      }
    }
    for (int64_t r = 0; r < n; ++r) out[r * stride + o] = hsum(acc[r]) + macc[r];
  }
}

// Rows in groups of up to 8 (a group's accumulators fit the registers); the
// chunk's weight rows are re-read from cache for the next group.
void matvec_avx2(const QuantWeight& w, const float* x, const float* xsum, int64_t n, int64_t o0,
                 int64_t o1, float* out, int64_t stride) {
  for (int64_t r0 = 0; r0 < n; r0 += 8) {
    const float* xg = x + r0 * w.cols;
    const float* sg = xsum + r0 * (w.cols / kBlock);
    float* og = out + r0 * stride;
    switch (std::min<int64_t>(8, n - r0)) {
      case 1: matvec_avx2_n<1>(w, xg, sg, o0, o1, og, stride); break;
      case 2: matvec_avx2_n<2>(w, xg, sg, o0, o1, og, stride); break;
      case 3: matvec_avx2_n<3>(w, xg, sg, o0, o1, og, stride); break;
      case 4: matvec_avx2_n<4>(w, xg, sg, o0, o1, og, stride); break;
      case 5: matvec_avx2_n<5>(w, xg, sg, o0, o1, og, stride); break;
      case 6: matvec_avx2_n<6>(w, xg, sg, o0, o1, og, stride); break;
      case 7: matvec_avx2_n<7>(w, xg, sg, o0, o1, og, stride); break;
      default: matvec_avx2_n<8>(w, xg, sg, o0, o1, og, stride); break;
    }
  }
}

bool have_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
         __builtin_cpu_supports("f16c");
}
#endif

}  // namespace

int64_t quant_block_bytes(uint32_t type) {
  const bool handled = type == 3 || type == 8;  // Q4_1, Q8_0
  return handled ? ggml_type_traits(type).block_bytes : 0;
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
                  int64_t o_begin, int64_t o_end, float* out, int64_t out_stride) {
  SELFENS_CHECK(quant_block_bytes(w.type) > 0 && w.cols % kBlock == 0 && n >= 0 &&
                    n <= kMaxQuantRows && o_begin >= 0 && o_end <= w.rows &&
                    (xsum != nullptr || w.type != 3),
                "quant_matvec arguments");
#if defined(__x86_64__)
  static const bool avx2 = have_avx2();  // a CPU fact, read once
  if (avx2) return matvec_avx2(w, x, xsum, n, o_begin, o_end, out, out_stride);
#endif
  matvec_scalar(w, x, n, o_begin, o_end, out, out_stride);
}

}  // namespace selfens::cpu
