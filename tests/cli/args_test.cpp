// cli/args.h: option values, ranges and the messages a typo gets.
#include "cli/args.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "common/error_of.h"
#include "util/check.h"

namespace selfens::cli {
namespace {

Args parse(std::vector<std::string> words) {
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  return Args("generate", static_cast<int>(argv.size()), argv.data(), 0,
              {"threads", "temperature", "max_samples"}, {"quiet"});
}

using test::error_of;

TEST(Args, IntegerRanges) {
  EXPECT_EQ(parse({"--threads", "4"}).integer("threads", 0, 1, 4096), 4);
  EXPECT_EQ(parse({}).integer("threads", 0, 1, 4096), 0) << "absent: the fallback, unchecked";
  EXPECT_EQ(error_of([] { parse({"--threads=0"}).integer("threads", 0, 1, 4096); }),
            "generate: --threads must be between 1 and 4096, got 0");
  EXPECT_EQ(error_of([] { parse({"--max-samples", "-3"}).integer("max_samples", -1, 1); }),
            "generate: --max_samples must be at least 1, got -3");
  EXPECT_EQ(error_of([] { parse({"--threads", "99999999999"}).integer("threads", 0, 1, 4096); }),
            "generate: --threads must be between 1 and 4096, got 99999999999");
  EXPECT_EQ(error_of([] { parse({"--threads", "4x"}).integer("threads", 0, 1, 4096); }),
            "generate: --threads expects an integer, got '4x'");
}

TEST(Args, RealRanges) {
  EXPECT_DOUBLE_EQ(parse({"--temperature", "0.5"}).real("temperature", 1, 0), 0.5);
  EXPECT_EQ(error_of([] { parse({"--temperature", "-1"}).real("temperature", 1, 0); }),
            "generate: --temperature must be at least 0, got -1");
  EXPECT_EQ(error_of([] { parse({"--temperature", "nan"}).real("temperature", 1, 0, 2); }),
            "generate: --temperature must be between 0 and 2, got nan");
  EXPECT_EQ(error_of([] { parse({"--temperature", "inf"}).real("temperature", 1); }),
            "generate: --temperature must be a finite number, got inf");
}

}  // namespace
}  // namespace selfens::cli
