// Round trips through our own writer and reader, and corrupt files.
#include "io/feather.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "io/test_util.h"
#include "util/check.h"

namespace selfens::io {
namespace {

Table sample_table() {
  Table t("sample");
  t.set("uuid", Strings{"a", "", "ünïcödé ✓", "d", "e"});
  t.set("n", std::vector<int64_t>{0, -1, INT64_MAX, INT64_MIN, 42});
  t.set("x", std::vector<double>{0.5, -2.25, 1e300, std::nan(""), -0.0});
  t.set("ok", std::vector<bool>{true, false, true, true, false});
  t.set("answers", std::vector<Strings>{{"x", "y"}, {}, {""}, {"long answer text"}, {"a", "b", "c"}});
  t.set("answer_lemmas", std::vector<std::vector<Strings>>{
                             {{"new", "york"}, {"nyc"}}, {}, {{}}, {{"a"}, {}, {"b", "c"}}, {{"z"}}});
  t.set("ids", std::vector<std::vector<int64_t>>{{1, 2}, {}, {3}, {-4}, {5, 6, 7}});
  t.set("conf", std::vector<std::vector<double>>{{0.1}, {0.2, 0.3}, {}, {1.0}, {0.0}});
  t.metadata = {{"selfens", "{\"method\": \"avg\"}"}, {"empty", ""}, {"ключ", "значение"}};
  return t;
}

void expect_same(const Table& a, const Table& b) {
  ASSERT_EQ(a.num_columns(), b.num_columns());
  ASSERT_EQ(a.num_rows(), b.num_rows());
  for (size_t i = 0; i < a.num_columns(); ++i) {
    const Column& ca = a.columns()[i];
    const Column& cb = b.columns()[i];
    EXPECT_EQ(ca.name, cb.name);
    ASSERT_EQ(ca.type(), cb.type()) << ca.name;
    if (ca.type() == ColumnType::kFloat64) {
      const auto& x = std::get<std::vector<double>>(ca.data);
      const auto& y = std::get<std::vector<double>>(cb.data);
      for (size_t r = 0; r < x.size(); ++r)  // bitwise: NaN and -0.0 survive
        EXPECT_EQ(std::memcmp(&x[r], &y[r], 8), 0) << ca.name << " row " << r;
    } else {
      EXPECT_TRUE(ca.data == cb.data) << ca.name;
    }
  }
  EXPECT_EQ(a.metadata, b.metadata);
}

TEST(Feather, RoundTripAllTypesAndMetadata) {
  Table t = sample_table();
  std::string bytes = feather_bytes(t);
  EXPECT_EQ(bytes.substr(0, 6), "ARROW1");
  EXPECT_EQ(bytes.substr(bytes.size() - 6), "ARROW1");
  expect_same(t, read_feather_bytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "mem"));
}

TEST(Feather, RoundTripSeveralBatchesThroughAFile) {
  auto dir = test::scratch_dir("batches");
  Table t = sample_table();
  for (size_t per_batch : {1, 2, 4, 5, 100}) {
    write_feather(dir / "t.feather", t, {per_batch});
    Table back = read_feather(dir / "t.feather");
    EXPECT_EQ(back.origin(), (dir / "t.feather").string());
    expect_same(t, back);
  }
  std::filesystem::remove_all(dir);
}

TEST(Feather, EmptyTables) {
  Table t;
  t.set("uuid", Strings{});
  t.set("answers", std::vector<Strings>{});
  t.set("ok", std::vector<bool>{});
  std::string bytes = feather_bytes(t);
  Table back = read_feather_bytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "m");
  expect_same(t, back);
  EXPECT_EQ(back.num_rows(), 0u);

  Table none;  // no columns at all
  bytes = feather_bytes(none);
  back = read_feather_bytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "m");
  EXPECT_EQ(back.num_columns(), 0u);
}

TEST(Feather, ColumnAccessErrors) {
  Table t = sample_table();
  EXPECT_EQ(t.utf8("uuid")[2], "ünïcödé ✓");
  EXPECT_EQ(t.list_list_utf8("answer_lemmas")[0][0][1], "york");
  try {
    t.utf8("nope");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "sample: column 'nope' missing");
  }
  try {
    t.utf8("answers");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "sample: column 'answers' has type list<utf8>, expected utf8");
  }
  EXPECT_THROW(t.set("short", Strings{"a"}), InputError);
  t.set("uuid", Strings{"1", "2", "3", "4", "5"});  // replaces in place
  EXPECT_EQ(t.columns()[0].name, "uuid");
  EXPECT_EQ(t.utf8("uuid")[4], "5");
  EXPECT_TRUE(t.remove("uuid"));
  EXPECT_FALSE(t.has("uuid"));
  t.set_metadata("empty", "now set");
  EXPECT_EQ(t.metadata_value("empty").value(), "now set");
  EXPECT_FALSE(t.metadata_value("absent").has_value());
}

// --- corrupt input: always InputError, never a crash ------------------------

Table parse(const std::string& b) {
  return read_feather_bytes(reinterpret_cast<const uint8_t*>(b.data()), b.size(), "bad.feather");
}

std::string error_of(const std::string& b) {
  try {
    parse(b);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

template <class T>
size_t find_value(const std::string& bytes, T v, size_t from = 0) {
  std::string pat(sizeof(T), '\0');
  std::memcpy(pat.data(), &v, sizeof(T));
  return bytes.find(pat, from);
}

TEST(FeatherCorrupt, MagicAndFooter) {
  std::string good = feather_bytes(sample_table());
  EXPECT_NE(error_of("").find("bad.feather: not a Feather v2"), std::string::npos);
  std::string b = good;
  b[0] = 'X';
  EXPECT_NE(error_of(b).find("no ARROW1 magic at the start"), std::string::npos);
  b = good;
  b[b.size() - 1] = 'X';
  EXPECT_NE(error_of(b).find("no ARROW1 magic at the end"), std::string::npos);
  b = good;
  int32_t huge = 1 << 30;
  std::memcpy(&b[b.size() - 10], &huge, 4);
  EXPECT_NE(error_of(b).find("bad footer length"), std::string::npos);
  int32_t negative = -5;
  std::memcpy(&b[b.size() - 10], &negative, 4);
  EXPECT_NE(error_of(b).find("bad footer length"), std::string::npos);
  EXPECT_NE(error_of("FEA1xxxxxxxxxxxxxxxxxxxx").find("Feather v1"), std::string::npos);
}

TEST(FeatherCorrupt, EveryTruncationFails) {
  std::string good = feather_bytes(sample_table());
  for (size_t n = 0; n < good.size(); ++n)
    EXPECT_THROW(parse(good.substr(0, n)), InputError) << "length " << n;
}

TEST(FeatherCorrupt, BufferBeyondBody) {
  Table t;
  t.set("n", std::vector<int64_t>{1, 2, 3});
  std::string b = feather_bytes(t);
  // The data buffer's spec {offset 0, length 24} in the batch metadata.
  size_t at = find_value<int64_t>(b, 24, 8);
  ASSERT_NE(at, std::string::npos);
  int64_t far = int64_t{1} << 40;
  std::memcpy(&b[at], &far, 8);
  EXPECT_NE(error_of(b).find("outside the record batch body"), std::string::npos) << error_of(b);
}

TEST(FeatherCorrupt, ListOffsetsOutOfRange) {
  Table t;
  t.set("answers", std::vector<Strings>{{"a", "b"}, {"c"}});
  std::string good = feather_bytes(t);
  // The list offsets buffer [0, 2, 3] in the body; make the last point past the child.
  std::string pat(12, '\0');
  int32_t offs[3] = {0, 2, 3};
  std::memcpy(pat.data(), offs, 12);
  size_t at = good.find(pat);
  ASSERT_NE(at, std::string::npos);
  std::string b = good;
  int32_t past = 9;
  std::memcpy(&b[at + 8], &past, 4);
  EXPECT_NE(error_of(b).find("column 'answers': offset 9"), std::string::npos) << error_of(b);
  b = good;  // decreasing offsets
  int32_t back = 1, mid = 3;
  std::memcpy(&b[at + 4], &mid, 4);
  std::memcpy(&b[at + 8], &back, 4);
  EXPECT_NE(error_of(b).find("decreasing"), std::string::npos) << error_of(b);
}

TEST(FeatherCorrupt, Utf8OffsetsBeyondData) {
  Table t;
  t.set("s", Strings{"abc", "de"});
  std::string b = feather_bytes(t);
  std::string pat(12, '\0');
  int32_t offs[3] = {0, 3, 5};
  std::memcpy(pat.data(), offs, 12);
  size_t at = b.find(pat);
  ASSERT_NE(at, std::string::npos);
  int32_t past = 70;  // beyond the 5 data bytes (even though padding follows)
  std::memcpy(&b[at + 8], &past, 4);
  EXPECT_NE(error_of(b).find("column 's': offset 70"), std::string::npos) << error_of(b);
}

// A deterministic mini-fuzz: flip bytes one at a time; each result parses or
// throws InputError (sanitizer builds catch any out-of-bounds access).
TEST(FeatherCorrupt, ByteFlipsNeverCrash) {
  Table t;  // every column type, two rows, two batches: a small file
  Table s = sample_table();
  auto first_two = [](const auto& v) -> ColumnData {
    return std::decay_t<decltype(v)>(v.begin(), v.begin() + 2);
  };
  for (const Column& c : s.columns()) t.set(c.name, std::visit(first_two, c.data));
  t.metadata = {{"k", "v"}};
  std::string good = feather_bytes(t, {1});
  size_t errors = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    std::string b = good;
    b[i] = static_cast<char>(b[i] ^ (i % 2 == 0 ? 0xFF : 0x01));
    try {
      parse(b);
    } catch (const InputError&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, good.size() / 4);
}

}  // namespace
}  // namespace selfens::io
