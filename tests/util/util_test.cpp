#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "util/check.h"
#include "util/mapped_file.h"
#include "util/parallel.h"

namespace selfens {

TEST(MappedFile, ReadsWholeFile) {
  std::string path = testing::TempDir() + "/mapped.bin";
  { std::ofstream(path) << "hello"; }
  MappedFile f(path);
  ASSERT_EQ(f.size(), 5u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(f.data()), 5), "hello");
}

TEST(MappedFile, MissingFileIsInputErrorNamingPath) {
  try {
    MappedFile f("/nonexistent/x.gguf");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.gguf"), std::string::npos);
  }
}

TEST(Check, InternalErrorHasFileAndLine) {
  try {
    SELFENS_CHECK(1 == 2, "boom");
    FAIL();
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find("util_test.cpp:"), std::string::npos);
  }
}

// Every index exactly once, in parts no smaller than asked, and a worker's
// error reaches the caller.
TEST(Parallel, RangesCoverEveryIndexOnce) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{100}, size_t{1000}}) {
    std::vector<std::atomic<int>> hits(n);
    std::atomic<size_t> smallest{n};
    parallel_ranges(n, 16, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) hits[i]++;
      size_t s = smallest.load();
      while (e - b < s && !smallest.compare_exchange_weak(s, e - b)) {
      }
    });
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << "n " << n << " index " << i;
    if (n >= 16) EXPECT_GE(smallest.load(), 16u) << "n " << n;
  }
  std::vector<std::atomic<int>> each(37);
  parallel_each(each.size(), [&](size_t i) { each[i]++; });
  for (auto& h : each) EXPECT_EQ(h.load(), 1);
  EXPECT_THROW(parallel_each(100, [](size_t i) {
                 if (i == 99) throw std::runtime_error("last");
               }),
               std::runtime_error);
}

}  // namespace selfens
