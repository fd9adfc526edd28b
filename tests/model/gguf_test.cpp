// GGUF reader: metadata of every type, tensors, alignment, and malformed
// inputs (each an InputError naming the file and the problem).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "model/dequant.h"
#include "model/gguf.h"
#include "model/safetensors.h"
#include "common/test_paths.h"
#include "model/test_files.h"
#include "util/check.h"

namespace selfens {
namespace {

using test::Bytes;
using test::GgufBuilder;

std::vector<uint8_t> small_valid_file() {
  return GgufBuilder()
      .kv_str("general.architecture", "llama")
      .kv_u32("llama.block_count", 2)
      .f32_tensor("a", {4, 2}, {1, 2, 3, 4, 5, 6, 7, 8})
      .f32_tensor("b", {3}, {-1, 0.5f, 2})
      .build();
}

// Expects InputError whose message contains every substring.
template <typename Fn>
void expect_input_error(Fn fn, std::initializer_list<std::string> parts) {
  try {
    fn();
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos)
        << "message '" << e.what() << "' lacks '" << p << "'";
  }
}

void parse_mem(const std::vector<uint8_t>& b) { parse_gguf_bytes(b.data(), b.size(), "mem.gguf"); }

TEST(Gguf, MetadataOfEveryValueType) {
  Bytes arr;  // array of 3 uint32
  arr.put<uint32_t>(4).put<uint64_t>(3).put<uint32_t>(7).put<uint32_t>(8).put<uint32_t>(9);
  Bytes nested;  // array of 2 arrays of strings
  nested.put<uint32_t>(9).put<uint64_t>(2);
  nested.put<uint32_t>(8).put<uint64_t>(1).str("x");
  nested.put<uint32_t>(8).put<uint64_t>(2).str("y").str("zz");
  Bytes farr;
  farr.put<uint32_t>(6).put<uint64_t>(2).put<float>(0.5f).put<float>(-2.0f);
  const auto bytes = GgufBuilder()
                         .kv("u8", 0, Bytes().put<uint8_t>(200))
                         .kv("i8", 1, Bytes().put<int8_t>(-5))
                         .kv("u16", 2, Bytes().put<uint16_t>(60000))
                         .kv("i16", 3, Bytes().put<int16_t>(-300))
                         .kv_u32("u32", 4000000000u)
                         .kv("i32", 5, Bytes().put<int32_t>(-70000))
                         .kv_f32("f32", 1.5f)
                         .kv("bool", 7, Bytes().put<uint8_t>(1))
                         .kv_str("str", "hello")
                         .kv("arr", 9, arr)
                         .kv("u64", 10, Bytes().put<uint64_t>(1ull << 40))
                         .kv("i64", 11, Bytes().put<int64_t>(-(1ll << 40)))
                         .kv("f64", 12, Bytes().put<double>(0.25))
                         .kv("nested", 9, nested)
                         .kv("farr", 9, farr)
                         .kv_u32("general.alignment", 64)
                         .f32_tensor("t", {2, 3}, {1, 2, 3, 4, 5, 6})
                         .build(64);
  const auto dir = test::temp_dir("meta");
  test::write_file(dir / "m.gguf", bytes);
  GgufFile f((dir / "m.gguf").string());
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.alignment(), 64u);
  EXPECT_EQ(f.get_int("u8"), 200);
  EXPECT_EQ(f.get_int("i8"), -5);
  EXPECT_EQ(f.get_int("u16"), 60000);
  EXPECT_EQ(f.get_int("i16"), -300);
  EXPECT_EQ(f.get_int("u32"), 4000000000ll);
  EXPECT_EQ(f.get_int("i32"), -70000);
  EXPECT_FLOAT_EQ(f.get_float("f32"), 1.5);
  EXPECT_TRUE(f.get_bool("bool"));
  EXPECT_EQ(f.get_string("str"), "hello");
  EXPECT_EQ(f.get_int_array("arr"), (std::vector<int64_t>{7, 8, 9}));
  EXPECT_EQ(f.get_int("u64"), 1ll << 40);
  EXPECT_EQ(f.get_int("i64"), -(1ll << 40));
  EXPECT_DOUBLE_EQ(f.get_float("f64"), 0.25);
  EXPECT_EQ(f.get_float_array("farr"), (std::vector<double>{0.5, -2.0}));
  const auto& outer = std::get<GgufArray>(f.find("nested")->value);
  ASSERT_EQ(outer.size(), 2u);
  EXPECT_EQ(std::get<std::string>(std::get<GgufArray>(outer[1].value)[1].value), "zz");
  expect_input_error([&] { f.get_string("u8"); }, {"m.gguf", "'u8'", "expected a string"});
  expect_input_error([&] { f.get_int("nope"); }, {"m.gguf", "missing metadata key 'nope'"});

  const GgufTensorInfo* t = f.find_tensor("t");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->nbytes, 24u);
  const HostTensor h = f.dequantize(*t);
  EXPECT_EQ(h.shape, (std::vector<int64_t>{3, 2}));  // reversed from ne
  EXPECT_EQ(h.data, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  std::filesystem::remove_all(dir);
}

TEST(Gguf, EveryTruncationIsAnInputError) {
  const auto full = small_valid_file();
  parse_mem(full);
  for (size_t n = 0; n < full.size() - 20; ++n) {  // tensor b (12 bytes) is followed by 20 of padding
    std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<long>(n));
    EXPECT_THROW(parse_mem(cut), InputError) << "prefix of " << n << " bytes";
  }
}

TEST(Gguf, TruncatedFileNamesFile) {
  auto b = small_valid_file();
  b.resize(30);
  const auto dir = test::temp_dir("trunc");
  test::write_file(dir / "cut.gguf", b);
  expect_input_error([&] { GgufFile f((dir / "cut.gguf").string()); }, {"cut.gguf", "truncated"});
  std::filesystem::remove_all(dir);
}

TEST(Gguf, BadMagicAndVersion) {
  auto b = small_valid_file();
  b[0] = 'X';
  expect_input_error([&] { parse_mem(b); }, {"mem.gguf", "bad magic"});
  b = small_valid_file();
  b[4] = 9;
  expect_input_error([&] { parse_mem(b); }, {"mem.gguf", "unsupported GGUF version 9"});
}

TEST(Gguf, StringAndArrayLengthsBeyondFile) {
  Bytes s;
  s.put<uint64_t>(1ull << 60);  // string length
  expect_input_error([&] { parse_mem(GgufBuilder().kv("k", 8, s).build()); },
                     {"mem.gguf", "truncated", "value of 'k'"});
  Bytes a;
  a.put<uint32_t>(4).put<uint64_t>(1ull << 50);
  expect_input_error([&] { parse_mem(GgufBuilder().kv("arr", 9, a).build()); },
                     {"mem.gguf", "'arr'", "beyond the end of the file"});
  Bytes bad_elem;
  bad_elem.put<uint32_t>(99).put<uint64_t>(1);
  expect_input_error([&] { parse_mem(GgufBuilder().kv("arr", 9, bad_elem).build()); },
                     {"unknown array element type 99"});
  expect_input_error([&] { parse_mem(GgufBuilder().kv("k", 42, Bytes()).build()); },
                     {"'k'", "unknown value type 42"});
}

TEST(Gguf, DeeplyNestedArraysRejected) {
  Bytes v;
  for (int i = 0; i < 100; ++i) v.put<uint32_t>(9).put<uint64_t>(1);
  v.put<uint32_t>(4).put<uint64_t>(0);
  expect_input_error([&] { parse_mem(GgufBuilder().kv("deep", 9, v).build()); }, {"nested too deeply"});
}

TEST(Gguf, TensorOffsetBeyondFile) {
  auto b = GgufBuilder().f32_tensor("w", {8}, std::vector<float>(8, 1.0f)).build();
  b.resize(b.size() - 4);  // drop the end of the data
  expect_input_error([&] { parse_mem(b); }, {"mem.gguf", "tensor 'w'", "beyond the end of the file"});
  // An offset pointing far beyond the file (patch the offset field: the
  // last 8 bytes of the tensor info, just before the padding).
  test::GgufTensorSpec t{"w", {8}, 0, std::vector<uint8_t>(32)};
  auto c = GgufBuilder().tensor(t).build();
  const size_t info_end = 4 + 4 + 8 + 8 + 8 + 1 + 4 + 8 + 4 + 8;
  uint64_t off = 1ull << 62;
  std::memcpy(c.data() + info_end - 8, &off, 8);
  expect_input_error([&] { parse_mem(c); }, {"tensor 'w'", "beyond the end of the file"});
  off = 3;  // not aligned
  std::memcpy(c.data() + info_end - 8, &off, 8);
  expect_input_error([&] { parse_mem(c); }, {"tensor 'w'", "not a multiple of the alignment"});
}

TEST(Gguf, UnknownTypeTooManyDimsOverflow) {
  expect_input_error([&] { parse_mem(GgufBuilder().tensor({"w", {32}, 77, std::vector<uint8_t>(32)}).build()); },
                     {"mem.gguf", "tensor 'w'", "unknown ggml type 77"});
  expect_input_error([&] { parse_mem(GgufBuilder().tensor({"w", {1, 1, 1, 1, 1}, 0, {0, 0, 0, 0}}).build()); },
                     {"tensor 'w'", "5 dimensions"});
  expect_input_error(
      [&] { parse_mem(GgufBuilder().tensor({"w", {1ll << 40, 1ll << 40}, 0, {}}).build()); },
      {"tensor 'w'", "overflow"});
  expect_input_error([&] { parse_mem(GgufBuilder().tensor({"w", {33}, 2, std::vector<uint8_t>(64)}).build()); },
                     {"tensor 'w'", "not a multiple of the Q4_0 block size 32"});
  expect_input_error([&] { parse_mem(GgufBuilder().f32_tensor("w", {1}, {1}).f32_tensor("w", {1}, {1}).build()); },
                     {"duplicate tensor name 'w'"});
}

TEST(Gguf, UnsupportedTypeFailsAtDequantize) {
  const auto b = GgufBuilder().tensor({"w", {256}, 10, std::vector<uint8_t>(84)}).build();  // Q2_K
  const auto dir = test::temp_dir("q50");
  test::write_file(dir / "q.gguf", b);
  GgufFile f((dir / "q.gguf").string());
  expect_input_error([&] { f.dequantize(*f.find_tensor("w")); }, {"q.gguf", "tensor 'w'", "Q2_K", "cannot dequantize", "Q5_1"});
  std::filesystem::remove_all(dir);
}

TEST(Gguf, Fp16Conversion) {
  EXPECT_EQ(fp16_to_fp32(0x3C00), 1.0f);
  EXPECT_EQ(fp16_to_fp32(0xC000), -2.0f);
  EXPECT_EQ(fp16_to_fp32(0x0001), 5.9604644775390625e-8f);  // smallest subnormal
  EXPECT_EQ(fp16_to_fp32(0x7BFF), 65504.0f);
  EXPECT_TRUE(std::isinf(fp16_to_fp32(0x7C00)));
  EXPECT_TRUE(std::isnan(fp16_to_fp32(0x7E00)));
  EXPECT_EQ(bf16_to_fp32(0x3F80), 1.0f);
}

// fp32 -> fp16 against every fp16 value: each converts back to itself, and
// the midpoint between two neighbours (exact in fp32) rounds to the even one;
// just beyond the midpoint to the nearer one.
TEST(Gguf, Fp32ToFp16RoundsToNearestEven) {
  for (uint32_t h = 0; h < 0x7C00u; ++h) {  // positive finite values
    const float v = fp16_to_fp32(uint16_t(h));
    ASSERT_EQ(fp32_to_fp16(v), h) << h;
    ASSERT_EQ(fp32_to_fp16(-v), h | 0x8000u) << h;
    if (h + 1 == 0x7C00u) break;
    const float next = fp16_to_fp32(uint16_t(h + 1)), mid = (v + next) / 2;
    ASSERT_EQ(fp32_to_fp16(mid), (h & 1u) ? h + 1 : h) << h;
    ASSERT_EQ(fp32_to_fp16(std::nextafter(mid, next)), h + 1) << h;
    ASSERT_EQ(fp32_to_fp16(std::nextafter(mid, v)), h) << h;
  }
  EXPECT_EQ(fp32_to_fp16(65519.0f), 0x7BFFu);  // below the midpoint to infinity
  EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7C00u);
  EXPECT_EQ(fp32_to_fp16(1e30f), 0x7C00u);
  EXPECT_EQ(fp32_to_fp16(-std::numeric_limits<float>::infinity()), 0xFC00u);
  EXPECT_TRUE(std::isnan(fp16_to_fp32(fp32_to_fp16(std::nanf("")))));
  EXPECT_EQ(fp32_to_fp16(1e-9f), 0x0000u);
  EXPECT_EQ(fp32_to_bf16(1.0f), 0x3F80u);
  EXPECT_EQ(fp32_to_bf16(bf16_to_fp32(0x3F81) / 2 + bf16_to_fp32(0x3F82) / 2), 0x3F82u);  // tie: even
}

}  // namespace
}  // namespace selfens

namespace selfens {
namespace {

// The fuzz seed corpus (fuzz/make_model_corpus.py, written by gguf-py and
// safetensors) must be valid input.
TEST(FuzzCorpus, SeedsAreValid) {
  const auto dir = test::source_dir() / "fuzz" / "corpus";
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "gguf")) {
    GgufFile f(e.path().string());
    for (const auto& t : f.tensors()) EXPECT_FALSE(f.dequantize(t).empty()) << e.path() << " " << t.name;
    ++n;
  }
  for (const auto& e : std::filesystem::directory_iterator(dir / "safetensors")) {
    SafetensorsFile f(e.path().string());
    EXPECT_FALSE(f.tensors().empty()) << e.path();
    ++n;
  }
  EXPECT_GE(n, 4);
}

}  // namespace
}  // namespace selfens
