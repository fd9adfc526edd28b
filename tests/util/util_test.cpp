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

// --- util/fingerprint.h and util/checkpoint.h (issue 23) ---
#include <fstream>
#include <thread>

#include "util/checkpoint.h"
#include "util/fingerprint.h"

namespace selfens {
namespace {

TEST(Fingerprint, TellsContentAndFramingApart) {
  EXPECT_EQ(Fingerprint().add("abc").hex(), Fingerprint().add("abc").hex());
  EXPECT_NE(Fingerprint().add("abc").hex(), Fingerprint().add("abd").hex());
  EXPECT_NE(Fingerprint().add("ab").add("c").hex(), Fingerprint().add("a").add("bc").hex());
  EXPECT_EQ(Fingerprint().add("x").hex().size(), 16u);
}

TEST(Fingerprint, FilesByContentOrByTheirEdges) {
  const auto dir = std::filesystem::temp_directory_path() / "selfens_fingerprint_test";
  std::filesystem::create_directories(dir);
  std::string big(1 << 16, 'a');
  std::ofstream(dir / "a.bin") << big;
  big[big.size() / 2] = 'b';  // a change in the middle
  std::ofstream(dir / "b.bin") << big;
  EXPECT_NE(Fingerprint().add_file(dir / "a.bin").hex(), Fingerprint().add_file(dir / "b.bin").hex());
  // With 1 KiB edges the middle is not read (how weight files of many GB are
  // fingerprinted); a change of size or edge still shows.
  EXPECT_EQ(Fingerprint().add_file(dir / "a.bin", 1024).hex(),
            Fingerprint().add_file(dir / "b.bin", 1024).hex());
  big[10] = 'c';
  std::ofstream(dir / "b.bin") << big;
  EXPECT_NE(Fingerprint().add_file(dir / "a.bin", 1024).hex(),
            Fingerprint().add_file(dir / "b.bin", 1024).hex());
  EXPECT_THROW(Fingerprint().add_file(dir / "missing.bin"), InputError);
  std::filesystem::remove_all(dir);
}

TEST(Checkpointer, EveryKQuestionsButAtMostOnceASecond) {
  Checkpointer c({.seconds = 0, .questions = 3});
  EXPECT_FALSE(c.finished_one());
  EXPECT_FALSE(c.finished_one());
  EXPECT_FALSE(c.finished_one()) << "3 questions, but under a second since the start";
  std::this_thread::sleep_for(std::chrono::milliseconds(1050));
  EXPECT_TRUE(c.finished_one());
  c.saved();
  EXPECT_FALSE(c.finished_one());
  Checkpointer off({.seconds = 0, .questions = 0});
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(off.finished_one());
  Checkpointer timed({.seconds = 0.01, .questions = 0});
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(timed.finished_one());
}

}  // namespace
}  // namespace selfens
