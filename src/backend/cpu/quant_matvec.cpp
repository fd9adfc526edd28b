#include "backend/cpu/quant_matvec.h"

#include <cstring>

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

// One block's 32 weights decoded to floats (the dequantizer's own formulas).
void decode_block(uint32_t type, const uint8_t* b, float* y) {
  if (type == 3) {  // Q4_1: {f16 d; f16 m; u8 qs[16]}
    const float d = fp16_to_fp32(load_u16(b)), m = fp16_to_fp32(load_u16(b + 2));
    for (int j = 0; j < 16; ++j) {
      y[j] = float(b[4 + j] & 0x0F) * d + m;
      y[j + 16] = float(b[4 + j] >> 4) * d + m;
    }
  } else {  // Q8_0: {f16 d; i8 qs[32]}
    const float d = fp16_to_fp32(load_u16(b));
    for (int j = 0; j < 32; ++j) y[j] = float(int8_t(b[2 + j])) * d;
  }
}

void matvec_scalar(const QuantWeight& w, const float* x, int64_t n, int64_t o0, int64_t o1,
                   float* out, int64_t stride) {
  const int64_t nb = w.cols / kBlock, bb = quant_block_bytes(w.type);
  float y[kBlock];
  for (int64_t o = o0; o < o1; ++o) {
    float acc[kMaxQuantRows] = {};
    const uint8_t* row = w.blocks + o * nb * bb;
    for (int64_t b = 0; b < nb; ++b) {
      decode_block(w.type, row + b * bb, y);
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

// The block's weights as four vectors of eight floats (w = q*d + m for Q4_1).
__attribute__((target("avx2,fma"))) void decode_avx2(uint32_t type, const uint8_t* b,
                                                     __m256 v[4]) {
  if (type == 3) {
    const __m256 d = _mm256_set1_ps(fp16_to_fp32(load_u16(b)));
    const __m256 m = _mm256_set1_ps(fp16_to_fp32(load_u16(b + 2)));
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 4));
    const __m128i lo = _mm_and_si128(q, _mm_set1_epi8(0x0F));
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(q, 4), _mm_set1_epi8(0x0F));
    const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
    for (int i = 0; i < 4; ++i)
      v[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(parts[i])), d, m);
  } else {
    const __m256 d = _mm256_set1_ps(fp16_to_fp32(load_u16(b)));
    for (int i = 0; i < 4; ++i) {
      const __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b + 2 + 8 * i));
      v[i] = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), d);
    }
  }
}

__attribute__((target("avx2,fma"))) void matvec_avx2(const QuantWeight& w, const float* x,
                                                     int64_t n, int64_t o0, int64_t o1,
                                                     float* out, int64_t stride) {
  const int64_t nb = w.cols / kBlock, bb = quant_block_bytes(w.type);
  for (int64_t o = o0; o < o1; ++o) {
    __m256 acc[kMaxQuantRows];
    for (int64_t r = 0; r < n; ++r) acc[r] = _mm256_setzero_ps();
    const uint8_t* row = w.blocks + o * nb * bb;
    for (int64_t b = 0; b < nb; ++b) {
      __m256 v[4];
      decode_avx2(w.type, row + b * bb, v);
      for (int64_t r = 0; r < n; ++r) {
        const float* xr = x + r * w.cols + b * kBlock;
        __m256 a = acc[r];
        for (int i = 0; i < 4; ++i) a = _mm256_fmadd_ps(v[i], _mm256_loadu_ps(xr + 8 * i), a);
        acc[r] = a;
      }
    }
    for (int64_t r = 0; r < n; ++r) out[r * stride + o] = hsum(acc[r]);
  }
}

bool have_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

}  // namespace

int64_t quant_block_bytes(uint32_t type) {
  switch (type) {
    case 3: return 20;  // Q4_1
    case 8: return 34;  // Q8_0
    default: return 0;
  }
}

void quant_matvec(const QuantWeight& w, const float* x, int64_t n, int64_t o_begin,
                  int64_t o_end, float* out, int64_t out_stride) {
  SELFENS_CHECK(quant_block_bytes(w.type) > 0 && w.cols % kBlock == 0 && n >= 0 &&
                    n <= kMaxQuantRows && o_begin >= 0 && o_end <= w.rows,
                "quant_matvec arguments");
#if defined(__x86_64__)
  static const bool avx2 = have_avx2();  // a CPU fact, read once
  if (avx2) return matvec_avx2(w, x, n, o_begin, o_end, out, out_stride);
#endif
  matvec_scalar(w, x, n, o_begin, o_end, out, out_stride);
}

}  // namespace selfens::cpu
