#include "model/dequant.h"

#include <bit>
#include <cstring>

#include "util/check.h"

namespace selfens {
namespace {

constexpr int64_t kQK = 256;  // super-block size of the K-quants

uint16_t load_u16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Q4_0: {f16 d; u8 qs[16]}; low nibbles are elements 0..15, high 16..31;
// x = (q - 8) * d.
void dequant_q4_0(const uint8_t* b, float* y) {
  const float d = fp16_to_fp32(load_u16(b));
  const uint8_t* qs = b + 2;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>((qs[j] & 0x0F) - 8) * d;
    y[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
  }
}

// Q4_1: {f16 d; f16 m; u8 qs[16]}; x = q * d + m.
void dequant_q4_1(const uint8_t* b, float* y) {
  const float d = fp16_to_fp32(load_u16(b));
  const float m = fp16_to_fp32(load_u16(b + 2));
  const uint8_t* qs = b + 4;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>(qs[j] & 0x0F) * d + m;
    y[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
  }
}

// The fifth bits of Q5_0 / Q5_1: qh is a little-endian u32 whose bit j is
// element j's (j < 32); returns 16 or 0 for element j.
int q5_high(uint32_t qh, int j) { return ((qh >> j) & 1u) << 4; }

// Q5_0: {f16 d; u8 qh[4]; u8 qs[16]}; low nibbles (plus high bit) are
// elements 0..15, high nibbles 16..31; x = (q - 16) * d.
void dequant_q5_0(const uint8_t* b, float* y) {
  const float d = fp16_to_fp32(load_u16(b));
  uint32_t qh;
  std::memcpy(&qh, b + 2, 4);
  const uint8_t* qs = b + 6;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>(((qs[j] & 0x0F) | q5_high(qh, j)) - 16) * d;
    y[j + 16] = static_cast<float>(((qs[j] >> 4) | q5_high(qh, j + 16)) - 16) * d;
  }
}

// Q5_1: {f16 d; f16 m; u8 qh[4]; u8 qs[16]}; x = q * d + m.
void dequant_q5_1(const uint8_t* b, float* y) {
  const float d = fp16_to_fp32(load_u16(b));
  const float m = fp16_to_fp32(load_u16(b + 2));
  uint32_t qh;
  std::memcpy(&qh, b + 4, 4);
  const uint8_t* qs = b + 8;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>((qs[j] & 0x0F) | q5_high(qh, j)) * d + m;
    y[j + 16] = static_cast<float>((qs[j] >> 4) | q5_high(qh, j + 16)) * d + m;
  }
}

// Q8_0: {f16 d; i8 qs[32]}; x = q * d.
void dequant_q8_0(const uint8_t* b, float* y) {
  const float d = fp16_to_fp32(load_u16(b));
  const auto* qs = reinterpret_cast<const int8_t*>(b + 2);
  for (int j = 0; j < 32; ++j) y[j] = static_cast<float>(qs[j]) * d;
}

// The 8 six-bit (scale, min) pairs of Q4_K / Q5_K packed in 12 bytes:
// pairs 0..3 in the low 6 bits of bytes 0..3 / 4..7; pairs 4..7 take 4 bits
// from bytes 8..11 and their top 2 bits from the high bits of bytes 0..7.
void k_scale_min(int j, const uint8_t* s, uint8_t* sc, uint8_t* mn) {
  if (j < 4) {
    *sc = s[j] & 63;
    *mn = s[j + 4] & 63;
  } else {
    *sc = static_cast<uint8_t>((s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4));
    *mn = static_cast<uint8_t>((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
  }
}

// Q4_K: {f16 d; f16 dmin; u8 scales[12]; u8 qs[128]}; 256 elements in 4
// chunks of 64: low nibbles of 32 bytes, then their high nibbles; each
// 32-element sub-block has x = d*sc*q - dmin*m.
void dequant_q4_k(const uint8_t* b, float* y) {
  const float d = fp16_to_fp32(load_u16(b));
  const float dmin = fp16_to_fp32(load_u16(b + 2));
  const uint8_t* scales = b + 4;
  const uint8_t* q = b + 16;
  for (int c = 0; c < 4; ++c) {
    uint8_t sc1, m1, sc2, m2;
    k_scale_min(2 * c, scales, &sc1, &m1);
    k_scale_min(2 * c + 1, scales, &sc2, &m2);
    const float d1 = d * sc1, o1 = dmin * m1, d2 = d * sc2, o2 = dmin * m2;
    for (int l = 0; l < 32; ++l) y[l] = d1 * static_cast<float>(q[l] & 0x0F) - o1;
    for (int l = 0; l < 32; ++l) y[l + 32] = d2 * static_cast<float>(q[l] >> 4) - o2;
    y += 64;
    q += 32;
  }
}

// Q5_K: {f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}; as Q4_K
// with a fifth bit per element from qh (bit 2c for the low half of chunk c,
// bit 2c+1 for the high half).
void dequant_q5_k(const uint8_t* b, float* y) {
  const float d = fp16_to_fp32(load_u16(b));
  const float dmin = fp16_to_fp32(load_u16(b + 2));
  const uint8_t* scales = b + 4;
  const uint8_t* qh = b + 16;
  const uint8_t* ql = b + 48;
  for (int c = 0; c < 4; ++c) {
    uint8_t sc1, m1, sc2, m2;
    k_scale_min(2 * c, scales, &sc1, &m1);
    k_scale_min(2 * c + 1, scales, &sc2, &m2);
    const float d1 = d * sc1, o1 = dmin * m1, d2 = d * sc2, o2 = dmin * m2;
    const uint8_t u1 = static_cast<uint8_t>(1u << (2 * c));
    const uint8_t u2 = static_cast<uint8_t>(2u << (2 * c));
    for (int l = 0; l < 32; ++l) {
      const int q = (ql[l] & 0x0F) + ((qh[l] & u1) ? 16 : 0);
      y[l] = d1 * static_cast<float>(q) - o1;
    }
    for (int l = 0; l < 32; ++l) {
      const int q = (ql[l] >> 4) + ((qh[l] & u2) ? 16 : 0);
      y[l + 32] = d2 * static_cast<float>(q) - o2;
    }
    y += 64;
    ql += 32;
  }
}

// Q6_K: {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}; 6-bit values
// (4 low bits in ql, 2 high bits in qh) minus 32, 16 sub-blocks of 16 with
// int8 scales; two halves of 128 elements.
void dequant_q6_k(const uint8_t* b, float* y) {
  const uint8_t* ql = b;
  const uint8_t* qh = b + 128;
  const auto* sc = reinterpret_cast<const int8_t*>(b + 192);
  const float d = fp16_to_fp32(load_u16(b + 208));
  for (int half = 0; half < 2; ++half) {
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16;
      const int q1 = ((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int q2 = ((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      y[l] = d * static_cast<float>(sc[is + 0]) * static_cast<float>(q1);
      y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
      y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
      y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
    }
    y += 128;
    ql += 64;
    qh += 32;
    sc += 8;
  }
}

template <typename BlockFn>
void dequant_blocks(BlockFn fn, const uint8_t* src, float* dst, int64_t n,
                    int64_t block_size, int64_t block_bytes) {
  for (int64_t i = 0; i < n / block_size; ++i)
    fn(src + i * block_bytes, dst + i * block_size);
}

}  // namespace

GgmlTypeTraits ggml_type_traits(uint32_t type) {
  switch (type) {
    case 0: return {"F32", 1, 4, true};
    case 1: return {"F16", 1, 2, true};
    case 2: return {"Q4_0", 32, 18, true};
    case 3: return {"Q4_1", 32, 20, true};
    case 6: return {"Q5_0", 32, 22, true};
    case 7: return {"Q5_1", 32, 24, true};
    case 8: return {"Q8_0", 32, 34, true};
    case 9: return {"Q8_1", 32, 40, false};
    case 10: return {"Q2_K", kQK, 84, false};
    case 11: return {"Q3_K", kQK, 110, false};
    case 12: return {"Q4_K", kQK, 144, true};
    case 13: return {"Q5_K", kQK, 176, true};
    case 14: return {"Q6_K", kQK, 210, true};
    case 15: return {"Q8_K", kQK, 292, false};
    case 16: return {"IQ2_XXS", kQK, 66, false};
    case 17: return {"IQ2_XS", kQK, 74, false};
    case 18: return {"IQ3_XXS", kQK, 98, false};
    case 19: return {"IQ1_S", kQK, 50, false};
    case 20: return {"IQ4_NL", 32, 18, false};
    case 21: return {"IQ3_S", kQK, 110, false};
    case 22: return {"IQ2_S", kQK, 82, false};
    case 23: return {"IQ4_XS", kQK, 136, false};
    case 24: return {"I8", 1, 1, false};
    case 25: return {"I16", 1, 2, false};
    case 26: return {"I32", 1, 4, false};
    case 27: return {"I64", 1, 8, false};
    case 28: return {"F64", 1, 8, false};
    case 29: return {"IQ1_M", kQK, 56, false};
    case 30: return {"BF16", 1, 2, true};
    case 34: return {"TQ1_0", kQK, 54, false};
    case 35: return {"TQ2_0", kQK, 66, false};
    case 39: return {"MXFP4", 32, 17, false};
    default: return {nullptr, 0, 0, false};
  }
}

std::string dequantizable_type_names() {
  std::string out;
  for (uint32_t id = 0; id < 64; ++id)
    if (const GgmlTypeTraits t = ggml_type_traits(id); t.dequantizable)
      out += (out.empty() ? "" : ", ") + std::string(t.name);
  return out;
}

float fp16_to_fp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  uint32_t bits;
  if (exp == 0x1F) {  // inf / nan
    bits = sign | 0x7F800000u | (mant << 13);
  } else if (exp != 0) {  // normal
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {  // signed zero
    bits = sign;
  } else {  // subnormal: normalise
    uint32_t e = 113;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --e;
    }
    bits = sign | (e << 23) | ((mant & 0x3FFu) << 13);
  }
  return std::bit_cast<float>(bits);
}

float bf16_to_fp32(uint16_t h) {
  return std::bit_cast<float>(static_cast<uint32_t>(h) << 16);
}

uint16_t fp32_to_fp16(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  const auto sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  const uint32_t a = u & 0x7FFFFFFFu;
  if (a > 0x7F800000u) return sign | 0x7E00u;      // NaN
  if (a >= 0x477FF000u) return sign | 0x7C00u;     // rounds to >= 65520: infinity
  if (a >= 0x38800000u) {                          // normal: 2^-14 and above
    const uint32_t r = a + 0xFFFu + ((a >> 13) & 1u) - 0x38000000u;  // rebias 127 -> 15
    return sign | static_cast<uint16_t>(r >> 13);
  }
  if (a < 0x33000000u) return sign;                // below 2^-25: zero (2^-25 ties to 0)
  // Subnormal: k * 2^-24 with k = mant * 2^(e - 126), rounded to even.
  const uint32_t mant = (a & 0x7FFFFFu) | 0x800000u;
  const int shift = 126 - static_cast<int>(a >> 23);  // 14..24
  uint32_t k = mant >> shift;
  const uint32_t rem = mant & ((1u << shift) - 1u), half = 1u << (shift - 1);
  if (rem > half || (rem == half && (k & 1u))) ++k;
  return sign | static_cast<uint16_t>(k);
}

uint16_t fp32_to_bf16(float f) {
  uint32_t u = std::bit_cast<uint32_t>(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);
  u += 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

void dequantize_row(uint32_t type, const uint8_t* src, float* dst, int64_t n) {
  const GgmlTypeTraits t = ggml_type_traits(type);
  SELFENS_CHECK(t.dequantizable && n % t.block_size == 0,
                "dequantize_row: bad type or size");
  switch (type) {
    case 0: std::memcpy(dst, src, static_cast<size_t>(n) * 4); return;
    case 1:
      for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(load_u16(src + 2 * i));
      return;
    case 30:
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(load_u16(src + 2 * i));
      return;
    case 2: dequant_blocks(dequant_q4_0, src, dst, n, 32, 18); return;
    case 3: dequant_blocks(dequant_q4_1, src, dst, n, 32, 20); return;
    case 6: dequant_blocks(dequant_q5_0, src, dst, n, 32, 22); return;
    case 7: dequant_blocks(dequant_q5_1, src, dst, n, 32, 24); return;
    case 8: dequant_blocks(dequant_q8_0, src, dst, n, 32, 34); return;
    case 12: dequant_blocks(dequant_q4_k, src, dst, n, kQK, 144); return;
    case 13: dequant_blocks(dequant_q5_k, src, dst, n, kQK, 176); return;
    case 14: dequant_blocks(dequant_q6_k, src, dst, n, kQK, 210); return;
    default: SELFENS_CHECK(false, "dequantize_row: unreachable");
  }
}

}  // namespace selfens
