#pragma once
// ggml tensor types: block geometry of every known type, and dequantization
// to fp32 of the supported ones (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K,
// Q5_K, Q6_K). Block layouts follow the GGUF specification / ggml docs.
#include <cstddef>
#include <cstdint>
#include <string>

namespace selfens {

struct GgmlTypeTraits {
  const char* name;      // "Q4_K"; nullptr when the id is unknown
  int64_t block_size;    // elements per block
  int64_t block_bytes;   // bytes per block
  bool dequantizable;    // dequantize_row supports it
};

// Traits of a raw ggml type id; name == nullptr for unknown ids.
GgmlTypeTraits ggml_type_traits(uint32_t type);
// "F32, F16, ...": the names of the types dequantize_row supports (for errors).
std::string dequantizable_type_names();

// fp16 / bf16 bit patterns to fp32.
float fp16_to_fp32(uint16_t h);
float bf16_to_fp32(uint16_t h);
// fp32 to fp16 / bf16 bit patterns, rounded to nearest even (fp16: beyond
// its range to infinity, below it to subnormals and zero; NaN stays NaN).
uint16_t fp32_to_fp16(float f);
uint16_t fp32_to_bf16(float f);

// Dequantizes n elements (a multiple of the type's block size) of `type`
// from src (n / block_size * block_bytes bytes) into dst (n floats).
// The caller has validated type (dequantizable) and sizes.
void dequantize_row(uint32_t type, const uint8_t* src, float* dst, int64_t n);

}  // namespace selfens
