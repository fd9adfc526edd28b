// Interoperability with pyarrow and pandas (python3 with both, as in CI):
// files we write must open there, and files they write must read here.
#include <gtest/gtest.h>

#include <cmath>

#include "io/feather.h"
#include "io/test_util.h"
#include "util/check.h"

namespace selfens::io {
namespace {
namespace fs = std::filesystem;

class Pyarrow : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::scratch_dir("pyarrow"); }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs a script with `import pyarrow, pandas` and PATH set to the file.
  void python(const std::string& body) {
    std::string script = "import sys, math\nimport numpy as np, pandas as pd\n"
                         "import pyarrow as pa, pyarrow.feather as feather, pyarrow.ipc as ipc\n"
                         "DIR = r'''" + dir_.string() + "'''\n" + body;
    test::PyResult r = test::run_python(dir_, script);
    ASSERT_EQ(r.status, 0) << r.output;
  }
  fs::path dir_;
};

TEST_F(Pyarrow, OpensOurFile) {
  Table t;
  t.set("uuid", Strings{"q1", "ü✓", ""});
  t.set("n", std::vector<int64_t>{7, -8, INT64_MAX});
  t.set("x", std::vector<double>{0.25, std::nan(""), -1e-300});
  t.set("ok", std::vector<bool>{true, false, true});
  t.set("answers", std::vector<Strings>{{"a", "b"}, {}, {""}});
  t.set("answer_lemmas", std::vector<std::vector<Strings>>{{{"new", "york"}, {}}, {}, {{"x"}}});
  t.set("ids", std::vector<std::vector<int64_t>>{{1}, {}, {2, 3}});
  t.set("conf", std::vector<std::vector<double>>{{0.5}, {0.25, 1.0}, {}});
  t.metadata = {{"selfens", "{\"n\": 5}"}, {"ключ", "значение"}};
  write_feather(dir_ / "ours.feather", t, {2});
  python(R"(
path = DIR + '/ours.feather'
f = ipc.open_file(path)
assert f.num_record_batches == 2, f.num_record_batches
t = feather.read_table(path)
t.validate(full=True)
assert str(t.schema.field('uuid').type) == 'string'
assert str(t.schema.field('n').type) == 'int64'
assert str(t.schema.field('x').type) == 'double'
assert str(t.schema.field('ok').type) == 'bool'
assert str(t.schema.field('answers').type) == 'list<item: string>'
assert str(t.schema.field('answer_lemmas').type) == 'list<item: list<item: string>>'
d = t.to_pydict()
assert d['uuid'] == ['q1', 'ü✓', ''], d['uuid']
assert d['n'] == [7, -8, 2**63 - 1]
assert d['x'][0] == 0.25 and math.isnan(d['x'][1]) and d['x'][2] == -1e-300
assert d['ok'] == [True, False, True]
assert d['answers'] == [['a', 'b'], [], ['']]
assert d['answer_lemmas'] == [[['new', 'york'], []], [], [['x']]]
assert d['ids'] == [[1], [], [2, 3]]
assert d['conf'] == [[0.5], [0.25, 1.0], []]
meta = t.schema.metadata
assert meta[b'selfens'] == b'{"n": 5}', meta
assert meta['ключ'.encode()] == 'значение'.encode()
df = pd.read_feather(path)
assert list(df.columns) == ['uuid', 'n', 'x', 'ok', 'answers', 'answer_lemmas', 'ids', 'conf']
assert list(df['answers'][0]) == ['a', 'b']
assert len(df) == 3
)");
}

TEST_F(Pyarrow, OpensOurEmptyFile) {
  Table t;
  t.set("uuid", Strings{});
  t.set("answers", std::vector<Strings>{});
  write_feather(dir_ / "empty.feather", t);
  python(R"(
t = feather.read_table(DIR + '/empty.feather')
t.validate(full=True)
assert t.num_rows == 0 and t.column_names == ['uuid', 'answers']
assert len(pd.read_feather(DIR + '/empty.feather')) == 0
)");
}

// What the original project wrote: pandas object columns of str, python
// lists, numpy arrays and lists of lists, with each compression.
constexpr const char* kPandasFrame = R"(
df = pd.DataFrame({
    'uuid': ['u1', 'u2', None],
    'answers': [['Paris', 'paris'], [], None],
    'paraphrases': [np.array(['p1', 'p2'], dtype=object), np.array([], dtype=object),
                    np.array(['p3'], dtype=object)],
    'answer_lemmas': [[['paris'], ['new', 'york']], [[]], []],
    'count': [1, -2, 3],
    'score': [0.5, np.nan, 2.0],
    'correct': [True, False, True],
    'small': pd.Series([1, 2, 3], dtype='int32'),
    'single': pd.Series([0.5, 1.5, 2.5], dtype='float32'),
})
)";

void expect_pandas_frame(const Table& t) {
  ASSERT_EQ(t.num_rows(), 3u);
  EXPECT_EQ(t.utf8("uuid"), (Strings{"u1", "u2", ""}));  // null -> ""
  EXPECT_EQ(t.list_utf8("answers"), (std::vector<Strings>{{"Paris", "paris"}, {}, {}}));
  EXPECT_EQ(t.list_utf8("paraphrases"), (std::vector<Strings>{{"p1", "p2"}, {}, {"p3"}}));
  EXPECT_EQ(t.list_list_utf8("answer_lemmas"),
            (std::vector<std::vector<Strings>>{{{"paris"}, {"new", "york"}}, {{}}, {}}));
  EXPECT_EQ(t.int64("count"), (std::vector<int64_t>{1, -2, 3}));
  const auto& score = t.float64("score");
  EXPECT_EQ(score[0], 0.5);
  EXPECT_TRUE(std::isnan(score[1]));
  EXPECT_EQ(score[2], 2.0);
  EXPECT_EQ(t.boolean("correct"), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(t.int64("small"), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(t.float64("single"), (std::vector<double>{0.5, 1.5, 2.5}));
  EXPECT_TRUE(t.metadata_value("pandas").has_value());
}

TEST_F(Pyarrow, ReadsPandasToFeatherDefaultLz4) {
  python(std::string(kPandasFrame) + R"(
df.to_feather(DIR + '/p.feather')
f = ipc.open_file(DIR + '/p.feather')
)");
  expect_pandas_frame(read_feather(dir_ / "p.feather"));
}

TEST_F(Pyarrow, ReadsPandasUncompressedAndZstd) {
  python(std::string(kPandasFrame) + R"(
df.to_feather(DIR + '/u.feather', compression='uncompressed')
df.to_feather(DIR + '/z.feather', compression='zstd')
)");
  expect_pandas_frame(read_feather(dir_ / "u.feather"));
  expect_pandas_frame(read_feather(dir_ / "z.feather"));
}

TEST_F(Pyarrow, ReadsLargeTypesNullsAndManyBatches) {
  python(R"(
n = 30000
t = pa.table({
    's': pa.array([None if i % 7 == 0 else 'row%d' % i for i in range(n)], pa.large_string()),
    'l': pa.array([None if i % 5 == 0 else ['a'] * (i % 3) for i in range(n)],
                  pa.large_list(pa.string())),
    'i': pa.array([None if i % 11 == 0 else i for i in range(n)], pa.int64()),
    'u8': pa.array([i % 256 for i in range(n)], pa.uint8()),
    'i16': pa.array([-(i % 300) for i in range(n)], pa.int16()),
    'b': pa.array([None if i % 13 == 0 else i % 2 == 0 for i in range(n)], pa.bool_()),
})
for codec in ['lz4', 'zstd', 'uncompressed']:
    feather.write_feather(t, DIR + '/l_%s.feather' % codec, compression=codec, chunksize=4096)
    assert ipc.open_file(DIR + '/l_%s.feather' % codec).num_record_batches > 1
)");
  for (const char* codec : {"lz4", "zstd", "uncompressed"}) {
    Table t = read_feather(dir_ / (std::string("l_") + codec + ".feather"));
    ASSERT_EQ(t.num_rows(), 30000u) << codec;
    for (size_t i = 0; i < 30000; ++i) {
      ASSERT_EQ(t.utf8("s")[i], i % 7 == 0 ? "" : "row" + std::to_string(i)) << i;
      ASSERT_EQ(t.list_utf8("l")[i].size(), i % 5 == 0 ? 0u : i % 3) << i;
      ASSERT_EQ(t.int64("i")[i], i % 11 == 0 ? 0 : static_cast<int64_t>(i)) << i;
      ASSERT_EQ(t.int64("u8")[i], static_cast<int64_t>(i % 256));
      ASSERT_EQ(t.int64("i16")[i], -static_cast<int64_t>(i % 300));
      ASSERT_EQ(t.boolean("b")[i], i % 13 != 0 && i % 2 == 0) << i;
    }
  }
}

TEST_F(Pyarrow, UnsupportedColumnsAreSkippedWithTheirType) {
  python(R"(
t = pa.table({
    'uuid': ['a', 'b'],
    'st': pa.array([{'x': 1}, {'x': 2}]),
    'ts': pa.array([1, 2], pa.timestamp('s')),
    'cat': pa.array(['x', 'y']).dictionary_encode(),
    'after': [1.5, 2.5],
})
feather.write_feather(t, DIR + '/s.feather')
)");
  Table t = read_feather(dir_ / "s.feather");
  EXPECT_EQ(t.utf8("uuid"), (Strings{"a", "b"}));
  EXPECT_EQ(t.float64("after"), (std::vector<double>{1.5, 2.5}));
  ASSERT_EQ(t.skipped().size(), 3u);
  try {
    t.column("ts");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("column 'ts' has unsupported Arrow type timestamp"),
              std::string::npos) << e.what();
  }
  EXPECT_THROW(t.column("cat"), InputError);
}

TEST_F(Pyarrow, PandasFileThroughUsBackToPandas) {
  python(std::string(kPandasFrame) + "df.to_feather(DIR + '/in.feather')\n");
  Table t = read_feather(dir_ / "in.feather");
  t.set("predict_lemma", std::vector<Strings>{{"paris"}, {}, {"x", "y"}});
  write_feather(dir_ / "out.feather", t);
  python(std::string(kPandasFrame) + R"(
out = pd.read_feather(DIR + '/out.feather')
assert [list(x) for x in out['predict_lemma']] == [['paris'], [], ['x', 'y']]
assert list(out['answers'][0]) == ['Paris', 'paris'] and list(out['answers'][2]) == []
assert out['uuid'].tolist()[:2] == ['u1', 'u2']
assert out['count'].tolist() == [1, -2, 3]
assert out['correct'].tolist() == [True, False, True]
)");
}

}  // namespace
}  // namespace selfens::io
