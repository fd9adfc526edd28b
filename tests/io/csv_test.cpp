// CSV copies as pandas writes them (expected strings printed by CPython 3.11
// repr() and pandas 3.1 DataFrame.to_csv(index=False)).
#include "io/csv.h"

#include <gtest/gtest.h>

#include <cmath>

namespace selfens::io {
namespace {

TEST(Csv, FloatsAsPythonRepr) {
  const std::pair<double, const char*> cases[] = {
      {0.1, "0.1"}, {1e-05, "1e-05"}, {1e16, "1e+16"}, {123456789012345.0, "123456789012345.0"},
      {0.30000000000000004, "0.30000000000000004"}, {2.0, "2.0"}, {-0.00025, "-0.00025"},
      {1.5e300, "1.5e+300"}, {5e-324, "5e-324"}, {1234567890123456.7, "1234567890123456.8"},
      {0.0, "0.0"}, {-0.0, "-0.0"}};
  for (const auto& [v, want] : cases) EXPECT_EQ(python_float_repr(v), want) << want;
}

TEST(Csv, StringsAsPythonRepr) {
  EXPECT_EQ(python_repr("it's"), "\"it's\"");
  EXPECT_EQ(python_repr("a\"b"), "'a\"b'");
  EXPECT_EQ(python_repr("both '\" q"), "'both \\'\" q'");
  EXPECT_EQ(python_repr("\xc3\xa9\xc2\xa0\xe2\x80\xa8\xc2\x85 \\"), "'\xc3\xa9\\xa0\\u2028\\x85 \\\\'");
  EXPECT_EQ(python_repr("tab\t\x7f\x01"), "'tab\\t\\x7f\\x01'");
  EXPECT_EQ(python_repr("\xf0\x9f\x98\x80"), "'\xf0\x9f\x98\x80'");
}

TEST(Csv, TableAsPandasWritesIt) {
  Table t;
  t.set("a", Strings{"x,y", "q\"z", "l\nm", "r\rs"});
  t.set("b", std::vector<double>{0.1, 1e-05, std::nan(""), 1e16});
  t.set("c", std::vector<Strings>{{"it's"}, {"a\"b"}, {"\\"}, {}});
  t.set("d", std::vector<bool>{true, false, true, true});
  t.set("e", std::vector<int64_t>{1, 2, 3, -4});
  t.set("f", std::vector<std::vector<int64_t>>{{0, 2}, {}, {7}, {1}});
  t.set("g", std::vector<std::vector<Strings>>{{{"a", "b"}, {"c"}}, {}, {{}}, {{"x"}}});
  EXPECT_EQ(to_csv(t),
            "a,b,c,d,e,f,g\n"
            "\"x,y\",0.1,\"[\"\"it's\"\"]\",True,1,\"[0, 2]\",\"[['a', 'b'], ['c']]\"\n"
            "\"q\"\"z\",1e-05,\"['a\"\"b']\",False,2,[],[]\n"
            "\"l\nm\",,['\\\\'],True,3,[7],[[]]\n"
            "r\rs,1e+16,[],True,-4,[1],[['x']]\n");
}

}  // namespace
}  // namespace selfens::io
