// `selfens match` and `selfens lemmatize` as scripts use them.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "common/test_paths.h"
#include "io/feather.h"

namespace selfens {
namespace {

namespace fs = std::filesystem;

std::string run(const std::string& cmd, int* code) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = ::pclose(p);
  *code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

TEST(MatchCli, AgreesWithSpacyLemmasOnTheOracle) {
  fs::path oracle = test::shared_data_dir() / "lemma-oracle" / "dev.jsonl";
  ASSERT_TRUE(fs::exists(oracle)) << oracle;
  fs::path in = fs::path(::testing::TempDir()) / "match_in.jsonl";
  std::vector<std::vector<std::string>> expected;
  {
    std::ifstream src(oracle);
    std::ofstream dst(in);
    std::string line;
    while (std::getline(src, line)) {
      auto j = nlohmann::json::parse(line);
      dst << nlohmann::json{{"prediction", j["text"]}, {"answers", {j["text"]}}}.dump() << "\n";
      expected.push_back(j["lemmas"].get<std::vector<std::string>>());
    }
  }
  int code = 0;
  std::string out = run(test::selfens_binary().string() + " match < " + in.string(), &code);
  ASSERT_EQ(code, 0) << out;
  std::istringstream lines(out);
  std::string line;
  size_t i = 0, same = 0;
  for (; std::getline(lines, line); ++i) {
    auto j = nlohmann::json::parse(line);
    EXPECT_TRUE(j["match"].get<bool>()) << "a text always matches itself: " << line;
    same += i < expected.size() && j["predict_lemma"] == nlohmann::json(expected[i]);
  }
  ASSERT_EQ(i, expected.size());
  double rate = double(same) / double(i);
  std::printf("selfens match: exact lemma sequence for %.2f%% of %zu oracle texts\n", 100 * rate, i);
  EXPECT_GE(rate, 0.97);
}

TEST(MatchCli, ContiguityAndBadLines) {
  int code = 0;
  std::string cmd = "printf '%s\\n' '{\"prediction\": \"New York City\", \"answers\": [\"york city\"]}' "
                    "'{\"prediction\": \"city of York\", \"answers\": [\"york city\"]}' "
                    "'{\"prediction\": \"\", \"answers\": []}' | " +
                    test::selfens_binary().string() + " match";
  std::istringstream out(run(cmd, &code));
  ASSERT_EQ(code, 0);
  std::string line;
  std::vector<bool> match;
  while (std::getline(out, line)) match.push_back(nlohmann::json::parse(line)["match"].get<bool>());
  EXPECT_EQ(match, (std::vector<bool>{true, false, false}));
  std::string err = run("echo '{\"answers\": []}' | " + test::selfens_binary().string() + " match 2>&1", &code);
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("stdin:1: field 'prediction'"), std::string::npos) << err;
}

TEST(LemmatizeCli, AddsLemmaColumnsInTheOriginalTypes) {
  fs::path file = fs::path(::testing::TempDir()) / "lemmatize.feather";
  io::Table t;
  t.set("uuid", io::Strings{"a", "b"});
  t.set("answers", std::vector<io::Strings>{{"Paris"}, {"cats", "Cat"}});
  t.set("prediction", io::Strings{"It is Paris", ""});
  io::write_feather(file, t);
  int code = 0;
  std::string out = run(test::selfens_binary().string() + " lemmatize --quiet " + file.string() + " 2>&1", &code);
  ASSERT_EQ(code, 0) << out;
  io::Table back = io::read_feather(file);
  EXPECT_EQ(back.list_utf8("predict_lemma")[0], (io::Strings{"it", "be", "paris"}));
  EXPECT_TRUE(back.list_utf8("predict_lemma")[1].empty());
  EXPECT_EQ(back.list_list_utf8("answer_lemmas")[1][0], io::Strings{"cat"});
  run(test::selfens_binary().string() + " lemmatize /nonexistent.feather 2>&1", &code);
  EXPECT_EQ(code, 2);
}

}  // namespace
}  // namespace selfens
