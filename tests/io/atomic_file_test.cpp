#include "io/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "util/check.h"

namespace selfens::io {
namespace {
namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("selfens_io_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t entries(const fs::path& dir) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

TEST(AtomicFile, WritesAndReplaces) {
  fs::path d = fresh_dir("replace");
  atomic_write_file(d / "a.txt", "first");
  EXPECT_EQ(slurp(d / "a.txt"), "first");
  atomic_write_file(d / "a.txt", "second, longer");
  EXPECT_EQ(slurp(d / "a.txt"), "second, longer");
  EXPECT_EQ(entries(d), 1u);
  struct stat st;
  ASSERT_EQ(::stat((d / "a.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  fs::remove_all(d);
}

TEST(AtomicFile, UncommittedLeavesOriginalAndNoTemp) {
  fs::path d = fresh_dir("abort");
  atomic_write_file(d / "a.txt", "original");
  {
    AtomicFile f(d / "a.txt");
    f.write("half written");
    EXPECT_TRUE(fs::exists(f.temp_path()));
    EXPECT_EQ(f.temp_path().parent_path(), d);
  }  // destroyed without commit, as when an exception unwinds
  EXPECT_EQ(slurp(d / "a.txt"), "original");
  EXPECT_EQ(entries(d), 1u);
  fs::remove_all(d);
}

TEST(AtomicFile, MissingDirectoryIsInputError) {
  fs::path d = fresh_dir("missing");
  try {
    atomic_write_file(d / "no" / "such" / "x.feather", "x");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("x.feather"), std::string::npos) << e.what();
  }
  fs::remove_all(d);
}

TEST(AtomicFile, FailedRenameRemovesTempAndKeepsTarget) {
  fs::path d = fresh_dir("rename");
  fs::create_directories(d / "target" / "inside");  // a non-empty directory
  EXPECT_THROW(atomic_write_file(d / "target", "bytes"), InputError);
  EXPECT_TRUE(fs::is_directory(d / "target" / "inside"));
  EXPECT_EQ(entries(d), 1u);  // no temporary left behind
  fs::remove_all(d);
}

TEST(AtomicFile, UnwritableDirectory) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  fs::path d = fresh_dir("readonly");
  atomic_write_file(d / "a.txt", "original");
  fs::permissions(d, fs::perms::owner_read | fs::perms::owner_exec);
  EXPECT_THROW(atomic_write_file(d / "a.txt", "new"), InputError);
  fs::permissions(d, fs::perms::owner_all);
  EXPECT_EQ(slurp(d / "a.txt"), "original");
  EXPECT_EQ(entries(d), 1u);
  fs::remove_all(d);
}

}  // namespace
}  // namespace selfens::io

// --- io/output_lock.h (issue 23: two runs on one output) ---
#include <unistd.h>

#include "io/output_lock.h"

namespace selfens::io {
namespace {

TEST(OutputLock, ASecondHolderIsRefusedUntilTheFirstLetsGo) {
  const auto dir = std::filesystem::temp_directory_path() / "selfens_lock_test" / "sub";
  std::filesystem::remove_all(dir.parent_path());
  const auto out = dir / "origin.feather";
  {
    OutputLock first(out);  // creates the folder
    EXPECT_TRUE(std::filesystem::exists(OutputLock::lock_path(out)));
    try {
      OutputLock second(out);
      ADD_FAILURE() << "a second lock on the same output was granted";
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()), out.string() + " is being written by another selfens run (pid " +
                                           std::to_string(::getpid()) +
                                           "); wait for it to end, or write elsewhere with --output-dir");
    }
    OutputLock other(dir / "per_prompt.feather");  // another file: no conflict
  }
  EXPECT_FALSE(std::filesystem::exists(OutputLock::lock_path(out))) << "removed on release";
  EXPECT_NO_THROW(OutputLock again(out));
  std::filesystem::remove_all(dir.parent_path());
}

}  // namespace
}  // namespace selfens::io
