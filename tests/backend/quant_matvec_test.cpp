// Few-row products from GGUF blocks equal the products with the weights the
// dequantizer gives (the fp32 path), to float rounding, and the CPU backend
// takes that path only for weights that carry blocks.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
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

// A random weight of `type` [rows, cols]: its blocks, what the dequantizer
// makes of them, and their repacked form.
struct RandomWeight {
  std::vector<uint8_t> blocks;
  std::vector<float> w;
  QuantWeight qw;
};
RandomWeight random_weight(uint32_t type, int64_t rows, int64_t cols, std::mt19937& rng) {
  RandomWeight r;
  r.blocks = random_blocks(type, rows, cols, rng);
  r.w.resize(size_t(rows * cols));
  dequantize_row(type, r.blocks.data(), r.w.data(), rows * cols);
  r.qw = pack_quant_weight(type, r.blocks.data(), rows, cols);
  return r;
}

std::vector<float> random_rows(int64_t n, int64_t cols, float range, std::mt19937& rng) {
  std::vector<float> x(size_t(n * cols));
  std::uniform_real_distribution<float> u(-range, range);
  for (auto& v : x) v = u(rng);
  return x;
}

// out [n, rows] against the double-precision product of x [n, cols] with
// the dequantized weights, to float summation order.
void expect_product(const std::vector<float>& out, const std::vector<double>& x,
                    const RandomWeight& rw, int64_t n, const std::string& what) {
  const int64_t rows = rw.qw.rows, cols = rw.qw.cols;
  for (int64_t r = 0; r < n; ++r)
    for (int64_t o = 0; o < rows; ++o) {
      double want = 0, scale = 0;
      for (int64_t i = 0; i < cols; ++i) {
        want += x[size_t(r * cols + i)] * rw.w[size_t(o * cols + i)];
        scale += std::fabs(x[size_t(r * cols + i)] * rw.w[size_t(o * cols + i)]);
      }
      EXPECT_NEAR(out[size_t(r * rows + o)], want, 1e-5 * scale + 1e-6)
          << what << " type " << rw.qw.type << " n " << n << " row " << o;
    }
}

// Every instruction set this CPU runs (the scalar code everywhere); rows of
// 3 blocks and of 19 (the kernels widen scales 16 at a time: a whole group
// and a partial one).
TEST(QuantMatvec, EqualsTheDequantizedProduct) {
  std::mt19937 rng(7);
  for (uint32_t type : {3u, 8u})
  for (int64_t cols : {int64_t{96}, int64_t{608}}) {
    const int64_t rows = 70;
    const RandomWeight rw = random_weight(type, rows, cols, rng);
    for (int64_t n : {int64_t{1}, int64_t{3}, int64_t{11}, kMaxQuantRows}) {
      const std::vector<float> x = random_rows(n, cols, 1, rng);
      const std::vector<float> xsum = quant_block_sums(x.data(), n, cols);
      for (QuantIsa isa : {QuantIsa::kScalar, QuantIsa::kAvx2, QuantIsa::kAvx512}) {
        if (!cpu_runs(isa)) continue;
        std::vector<float> out(size_t(n * rows), NAN);  // in two output chunks
        quant_matvec(rw.qw, x.data(), xsum.data(), n, 0, 30, out.data(), rows, isa);
        quant_matvec(rw.qw, x.data(), xsum.data(), n, 30, rows, out.data(), rows, isa);
        expect_product(out, std::vector<double>(x.begin(), x.end()), rw, n, quant_isa_name(isa));
      }
    }
  }
}

// Int8 activations: each value within half a step of its block's scale.
TEST(QuantMatvecInt8, RoundsEachBlockToHalfAStep) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-3, 3);
  const int64_t n = 3, cols = 96;
  std::vector<float> x(size_t(n * cols));
  for (auto& v : x) v = u(rng);
  std::fill(x.begin() + 32, x.begin() + 64, 0.0f);  // an all-zero block
  const Int8Rows q = quantize_rows_int8(x.data(), n, cols);
  for (int64_t i = 0; i < n * cols; ++i) {
    const float d = q.scale[size_t(i / 32)];
    EXPECT_NEAR(float(q.codes[size_t(i)]) * d, x[size_t(i)], 0.5f * d * 1.0001f) << i;
    EXPECT_LE(std::abs(int(q.codes[size_t(i)])), 127);
  }
  EXPECT_EQ(q.scale[1], 0.0f);
  for (size_t b = 0; b < q.sum.size(); ++b) {
    float s = 0;
    for (int j = 0; j < 32; ++j) s += float(q.codes[b * 32 + size_t(j)]);
    EXPECT_FLOAT_EQ(q.sum[b], s * q.scale[b]);
  }
}

// The int8 product is exact for the rounded activations: it equals the
// product of the dequantized weights with codes * scale (to float summation
// order), on every instruction set this CPU runs, both block types.
TEST(QuantMatvecInt8, EqualsTheProductOfTheRoundedActivations) {
  std::mt19937 rng(5);
  for (uint32_t type : {3u, 8u})
  for (int64_t cols : {int64_t{128}, int64_t{608}}) {
    const int64_t rows = 70;
    const RandomWeight rw = random_weight(type, rows, cols, rng);
    for (int64_t n : {int64_t{1}, int64_t{5}, int64_t{9}, kMaxQuantRows}) {
      const std::vector<float> x = random_rows(n, cols, 2, rng);
      const Int8Rows q = quantize_rows_int8(x.data(), n, cols);
      std::vector<double> rounded(size_t(n * cols));  // codes * scale
      for (size_t i = 0; i < rounded.size(); ++i)
        rounded[i] = double(q.codes[i]) * q.scale[i / 32];
      for (QuantIsa isa : {QuantIsa::kScalar, QuantIsa::kAvx2, QuantIsa::kAvx512}) {
        if (!cpu_runs(isa)) continue;
        std::vector<float> out(size_t(n * rows), NAN);
        quant_matvec_int8(rw.qw, q, 0, 33, out.data(), rows, isa);
        quant_matvec_int8(rw.qw, q, 33, rows, out.data(), rows, isa);
        expect_product(out, rounded, rw, n,
                       std::string(quant_isa_name(isa)) + (cpu_has_avx512_vnni() ? " (vnni)" : ""));
      }
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
  const int64_t limit = cpu_block_rows_limit();
  ASSERT_LE(limit, kMaxQuantRows);
  for (int64_t n : {int64_t{1}, limit, limit + 1}) {
    Tensor x = b->alloc(n, cols), out = b->alloc(n, rows);
    for (int64_t i = 0; i < n * cols; ++i) x.f32()[i] = std::sin(float(i));
    b->matmul(x, w, nullptr, out);
    const bool from_blocks = n <= limit;
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

// BackendOptions::cpu_int8 (SELFENS_CPU_INT8=1): few-row products through
// the int8 path, within the activations' rounding of the fp32 product
// (each |x_i| off by at most half its block's step: sum |w_i| * step / 2).
TEST(QuantMatvecInt8, CpuBackendUsesItWhenAsked) {
  std::mt19937 rng(9);
  const int64_t rows = 40, cols = 64, n = 3;
  const RandomWeight rw = random_weight(3, rows, cols, rng);
  const std::vector<float>& wd = rw.w;
  HostTensor h;
  h.shape = {rows, cols};
  h.block_type = 3;
  h.blocks = rw.blocks;
  h.data = wd;
  BackendOptions options;
  options.threads = 2;
  options.cpu_int8 = true;
  auto b = make_backend("cpu", options);
  Tensor w = b->upload_weight(h);
  Tensor x = b->alloc(n, cols), out = b->alloc(n, rows);
  for (int64_t i = 0; i < n * cols; ++i) x.f32()[i] = std::sin(float(i) * 0.37f);
  b->matmul(x, w, nullptr, out);
  const Int8Rows q = quantize_rows_int8(x.f32(), n, cols);
  double moved = 0;
  for (int64_t r = 0; r < n; ++r)
    for (int64_t o = 0; o < rows; ++o) {
      double want = 0, bound = 0;
      for (int64_t i = 0; i < cols; ++i) {
        want += double(x.f32()[r * cols + i]) * wd[size_t(o * cols + i)];
        bound += std::fabs(wd[size_t(o * cols + i)]) * q.scale[size_t((r * cols + i) / 32)] / 2;
      }
      EXPECT_NEAR(out.f32()[r * rows + o], want, bound * 1.001 + 1e-5) << "row " << o;
      moved = std::max(moved, std::fabs(out.f32()[r * rows + o] - want));
    }
  EXPECT_GT(moved, 1e-6) << "the product did not go through int8 activations";
  b->release(x);
  b->release(out);
}

}  // namespace
}  // namespace selfens::cpu
