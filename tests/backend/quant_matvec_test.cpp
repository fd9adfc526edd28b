// Few-row products from GGUF blocks equal the products with the weights the
// dequantizer gives (the fp32 path), to float rounding, and the CPU backend
// takes that path only for weights that carry blocks.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "backend/backend.h"
#include "backend/cpu/quant_matvec.h"
#include "model/dequant.h"
#include "util/check.h"

namespace selfens::cpu {
namespace {

// Random blocks of `type`: scales of both signs, all quant values.
std::vector<uint8_t> random_blocks(uint32_t type, int64_t rows, int64_t cols, std::mt19937& rng) {
  const int64_t bb = quant_block_bytes(type), nb = rows * cols / 32;
  std::vector<uint8_t> b(size_t(nb * bb));
  for (auto& x : b) x = uint8_t(rng());
  for (int64_t i = 0; i < nb; ++i) {
    // fp16 scale (and Q4_1 min) in a sane range: exponent 10..17, any sign.
    for (int k = 0; k < (type == 3 ? 2 : 1); ++k) {
      const uint16_t h = uint16_t((rng() & 0x8000) | ((10 + rng() % 8) << 10) | (rng() & 0x3FF));
      std::memcpy(&b[size_t(i * bb + 2 * k)], &h, 2);
    }
  }
  return b;
}

// quant_matvec with `isa` (two output chunks) against the double-precision
// product with the dequantized weights w.
void expect_dequantized_product(const QuantWeight& qw, const std::vector<float>& w,
                                const std::vector<float>& x, int64_t n, QuantIsa isa) {
  const int64_t rows = qw.rows, cols = qw.cols;
  const std::vector<float> xsum = quant_block_sums(x.data(), n, cols);
  std::vector<float> out(size_t(n * rows), NAN);
  quant_matvec(qw, x.data(), xsum.data(), n, 0, 30, out.data(), rows, isa);
  quant_matvec(qw, x.data(), xsum.data(), n, 30, rows, out.data(), rows, isa);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t o = 0; o < rows; ++o) {
      double want = 0, scale = 0;
      for (int64_t i = 0; i < cols; ++i) {
        want += double(x[size_t(r * cols + i)]) * w[size_t(o * cols + i)];
        scale += std::fabs(double(x[size_t(r * cols + i)]) * w[size_t(o * cols + i)]);
      }
      EXPECT_NEAR(out[size_t(r * rows + o)], want, 1e-5 * scale + 1e-6)
          << quant_isa_name(isa) << " type " << qw.type << " n " << n << " row " << o;
    }
}

// Every instruction set this CPU runs (the scalar code everywhere).
TEST(QuantMatvec, EqualsTheDequantizedProduct) {
  std::mt19937 rng(7);
  for (uint32_t type : {3u, 8u}) {
    const int64_t rows = 70, cols = 96;
    const auto blocks = random_blocks(type, rows, cols, rng);
    std::vector<float> w(size_t(rows * cols));
    dequantize_row(type, blocks.data(), w.data(), rows * cols);
    const QuantWeight qw = pack_quant_weight(type, blocks.data(), rows, cols);
    for (int64_t n : {int64_t{1}, int64_t{3}, int64_t{11}, kMaxQuantRows}) {
      std::vector<float> x(size_t(n * cols));
      std::uniform_real_distribution<float> u(-1, 1);
      for (auto& v : x) v = u(rng);
      for (QuantIsa isa : {QuantIsa::kScalar, QuantIsa::kAvx2, QuantIsa::kAvx512})
        if (cpu_runs(isa)) expect_dequantized_product(qw, w, x, n, isa);
    }
  }
}

// SELFENS_CPU_ISA's values: the best by default, a lower one on request, a
// clear error for a name that is unknown or beyond this CPU.
TEST(QuantMatvec, InstructionSetFromItsName) {
  const QuantIsa best = parse_quant_isa("");
  EXPECT_TRUE(cpu_runs(best));
  EXPECT_EQ(parse_quant_isa("scalar"), QuantIsa::kScalar);
  EXPECT_THROW(parse_quant_isa("avx3"), InputError);
  for (QuantIsa isa : {QuantIsa::kAvx2, QuantIsa::kAvx512}) {
    if (cpu_runs(isa)) {
      EXPECT_EQ(parse_quant_isa(quant_isa_name(isa)), isa);
      EXPECT_GE(int(best), int(isa));
    } else {
      EXPECT_THROW(parse_quant_isa(quant_isa_name(isa)), InputError);
    }
  }
}

// The fp32 copy is zeroed on purpose here: few rows must come out of the
// blocks (the true product), many rows out of the fp32 copy (zeros).
TEST(QuantMatvec, CpuBackendUsesBlocksOnlyForFewRows) {
  std::mt19937 rng(3);
  const int64_t rows = 40, cols = 64;
  HostTensor h;
  h.shape = {rows, cols};
  h.block_type = 8;
  h.blocks = random_blocks(8, rows, cols, rng);
  std::vector<float> wd(size_t(rows * cols));
  dequantize_row(8, h.blocks.data(), wd.data(), rows * cols);
  h.data.assign(size_t(rows * cols), 0.0f);
  auto b = make_backend("cpu", 2);
  Tensor w = b->upload_weight(h);
  for (int64_t n : {int64_t{1}, kMaxQuantRows, kMaxQuantRows + 1}) {
    Tensor x = b->alloc(n, cols), out = b->alloc(n, rows);
    for (int64_t i = 0; i < n * cols; ++i) x.f32()[i] = std::sin(float(i));
    b->matmul(x, w, nullptr, out);
    const bool from_blocks = n <= kMaxQuantRows;
    for (int64_t r = 0; r < n; ++r)
      for (int64_t o = 0; o < rows; ++o) {
        double want = 0;
        for (int64_t i = 0; i < cols; ++i)
          want += double(x.f32()[r * cols + i]) * wd[size_t(o * cols + i)];
        EXPECT_NEAR(out.f32()[r * rows + o], from_blocks ? want : 0.0, 1e-3) << "n " << n;
      }
    b->release(x);
    b->release(out);
  }
}

}  // namespace
}  // namespace selfens::cpu
