#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "util/check.h"
#include "util/mapped_file.h"

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

}  // namespace selfens
