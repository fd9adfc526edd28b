#pragma once
// Few-row matrix products straight from a GGUF file's Q4_1 / Q8_0 blocks.
//
// A decode step with few rows is bound by reading and decoding the weights:
// the fp32 copy (dequantized at load, used by BLAS for batches) is 4 bytes
// per weight, the blocks 0.63 (Q4_1) or 1.06 (Q8_0). For up to kMaxRows
// rows the CPU backend multiplies from the blocks instead, decoding each
// block once for all rows: the same weights (Q4_1: q*d + m; Q8_0: q*d),
// summed in another order (results equal the fp32 path to float rounding).
//
// At load the blocks are repacked (pack_quant_weight): each row's codes
// back to back, and its fp16 scales (and Q4_1 mins) in arrays of their own,
// as many bytes as the GGUF blocks. A kernel widens one row's scales to fp32
// 16 at a time before its inner loop, which then broadcasts a scale from L1
// (fp32 arrays in memory cost 20% more bytes per weight, and batch-1 decode
// is bound by the bytes it streams). Kernels for AVX2 and AVX-512 are chosen
// at run time by the CPU's features (one binary for every x86-64 machine).
#include <cstdint>
#include <string>
#include <vector>

namespace selfens::cpu {

struct QuantWeight {
  uint32_t type = 0;            // GGUF type: 3 (Q4_1) or 8 (Q8_0)
  int64_t rows = 0, cols = 0;
  std::vector<uint8_t> codes;   // [rows][cols / 32][16 (Q4_1: nibbles) or 32 (Q8_0: int8)]
  std::vector<uint16_t> scale;  // [rows][cols / 32], fp16
  std::vector<uint16_t> min;    // [rows][cols / 32], fp16, Q4_1 only
};

constexpr int64_t kMaxQuantRows = 32;  // the most rows the kernels take

// The most rows the CPU backend multiplies from blocks (above: BLAS on the
// fp32 copy), by measurement (bench_engine --batch B): 32 on Intel (Xeon,
// 2026-12-07: blocks 389 tok/s vs BLAS 344 at 32 rows), 16 elsewhere (AMD
// EPYC, 2026-11-29: BLAS 483 vs blocks 385 at 32 rows).
int64_t cpu_block_rows_limit();

// Bytes of one 32-weight GGUF block of `type` (0 when the type is not handled).
int64_t quant_block_bytes(uint32_t type);

// The repacked form of GGUF blocks [rows][cols / 32] of `type` (3 or 8).
QuantWeight pack_quant_weight(uint32_t type, const uint8_t* blocks, int64_t rows, int64_t cols);

// The instruction set a product runs with.
enum class QuantIsa { kScalar, kAvx2, kAvx512 };
const char* quant_isa_name(QuantIsa isa);
// What this CPU runs best, or less when SELFENS_CPU_ISA names less
// (avx512, avx2, scalar); InputError for a name this CPU cannot run.
QuantIsa parse_quant_isa(const std::string& name);  // "" : the best this CPU has
bool cpu_runs(QuantIsa isa);

// Sum of each 32-value block of x [n, cols]: [n][cols / 32]. Q4_1's min
// multiplies it; computed once per product, shared by every output chunk.
std::vector<float> quant_block_sums(const float* x, int64_t n, int64_t cols);

// out[r, o] = sum_i x[r, i] * W[o, i] for r < n and o in [o_begin, o_end);
// x [n, cols] (n <= kMaxQuantRows; rows go in groups of 8), xsum its block
// sums (needed for Q4_1, may be null for Q8_0), out row stride out_stride.
void quant_matvec(const QuantWeight& w, const float* x, const float* xsum, int64_t n,
                  int64_t o_begin, int64_t o_end, float* out, int64_t out_stride, QuantIsa isa);

// --- 8-bit activations (opt-in: SELFENS_CPU_INT8=1) ---
// As llama.cpp multiplies on x86: each 32-value block of x rounded to int8
// with one fp32 scale (max |x| / 127, round to nearest), so that a block's
// product is an integer dot product (AVX-512 VNNI's vpdpbusd, or AVX2's
// maddubs + madd) times the two scales. Faster where decoding and the
// fp32 multiply-adds bound the product (batch-1 decode); the rounding of
// the activations moves logits far beyond the goldens' 1e-3 (SmolLM2: up
// to 1.9, tests/engine/int8_activations_test.cpp), hence off by default.
struct Int8Rows {
  int64_t n = 0, cols = 0;
  std::vector<int8_t> codes;  // [n][cols]
  std::vector<float> scale;   // [n][cols / 32]
  std::vector<float> sum;     // [n][cols / 32]: scale * (sum of the block's codes), Q4_1's min term
};
Int8Rows quantize_rows_int8(const float* x, int64_t n, int64_t cols);

// Whether this CPU has AVX-512 VNNI (the int8 products' fastest kernel).
bool cpu_has_avx512_vnni();

// quant_matvec's product with x quantized (quantize_rows_int8): VNNI where
// isa is avx512 and the CPU has it, else AVX2 where isa allows, else scalar
// (all equal up to float summation order).
void quant_matvec_int8(const QuantWeight& w, const Int8Rows& x, int64_t o_begin, int64_t o_end,
                       float* out, int64_t out_stride, QuantIsa isa);

}  // namespace selfens::cpu
