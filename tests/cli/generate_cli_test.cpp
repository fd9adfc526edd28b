// `selfens generate` as a user runs it: the built binary, real model files,
// Feather outputs checked with pyarrow, resume after Ctrl+C, bad input.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "common/test_paths.h"
#include "io/feather.h"

namespace selfens {
namespace {

namespace fs = std::filesystem;

using Result = test::ShellResult;
Result sh(const std::string& cmd) { return test::shell(cmd); }

class GenerateCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("gen_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  std::string selfens(const std::string& args) const {
    return test::selfens_binary().string() + " generate --quiet --output-dir " + dir_.string() +
           " " + args;
  }
  std::string tiny() const { return (test::fixtures_dir() / "models" / "tiny-llama3").string(); }
  fs::path dir_;
};

TEST_F(GenerateCli, FlexOnDemoWritesAFilePyarrowOpens) {
  Result r = sh(selfens("--model " + tiny() +
                        " --dataset demo --method flex_attention --num_paraphrases 3 "
                        "--max_samples 5 --batch_size 4"));
  ASSERT_EQ(r.code, 0) << r.out;
  fs::path file = dir_ / "demo" / "tiny-llama3" / "flex_attention-3.feather";
  ASSERT_TRUE(fs::exists(file)) << r.out;
  EXPECT_NE(r.out.find(file.string()), std::string::npos) << "prints where the file is";
  std::string check =
      "python3 -c \"import pyarrow.feather as f; t=f.read_table('" + file.string() +
      "'); m=t.schema.metadata; "
      "assert t.num_rows==5, t.num_rows; "
      "assert t.column_names==['uuid','answers','paraphrases','prompts','prediction','generation'];"
      "assert m[b'selfens.method']==b'flex_attention' and m[b'selfens.n']==b'3';"
      "assert m[b'selfens.complete']==b'true';"
      "assert m[b'selfens.device'] in (b'cpu', b'cuda'), m[b'selfens.device'];"
      "assert all(len(p)==3 for p in t.column('prompts').to_pylist()); print('ok')\"";
  Result py = sh(check);
  EXPECT_EQ(py.code, 0) << py.out;
  // The same command again reports the complete file and leaves it alone.
  auto before = fs::last_write_time(file);
  Result again = sh(selfens("--model " + tiny() +
                            " --dataset demo --method flex_attention --num_paraphrases 3 "
                            "--max_samples 5"));
  EXPECT_EQ(again.code, 0) << again.out;
  EXPECT_EQ(fs::last_write_time(file), before);
}

TEST_F(GenerateCli, AllSevenMethodsRun) {
  // Weighted methods need confidence.feather: write one (confidence 1 for
  // every paraphrase of the first 3 questions) from the generic data set.
  fs::path data = dir_ / "qa.jsonl";
  std::ofstream(data) << R"({"uuid":"a","question":"What is 2+2?","paraphrases":["What is 2+2?","Two plus two is?","Sum of 2 and 2?"],"answers":["4","four"]})"
                      << "\n"
                      << R"({"uuid":"b","question":"Capital of Spain?","paraphrases":["Capital of Spain?","Spain's capital?","Which city is Spain's capital?"],"answers":["Madrid"]})"
                      << "\n";
  io::Table conf;
  conf.set("uuid", io::Strings{"a", "a", "a", "b", "b", "b"});
  conf.set("paraphrase", io::Strings{"What is 2+2?", "Two plus two is?", "Sum of 2 and 2?",
                                     "Capital of Spain?", "Spain's capital?",
                                     "Which city is Spain's capital?"});
  conf.set("confidence", std::vector<double>{0.2, 0.5, 0.3, 1, 0, 0.5});
  fs::create_directories(dir_ / "qa" / "tiny-llama3");
  io::write_feather(dir_ / "qa" / "tiny-llama3" / "confidence.feather", conf);
  for (std::string m : {"origin", "per_prompt", "avg", "max", "weighted_avg", "weighted_max",
                        "flex_attention"}) {
    Result r = sh(selfens("--model " + tiny() + " --dataset " + data.string() + " --method " + m +
                          " --num_ensemble 3"));
    EXPECT_EQ(r.code, 0) << m << ": " << r.out;
  }
  io::Table per = io::read_feather(dir_ / "qa" / "tiny-llama3" / "per_prompt.feather");
  EXPECT_EQ(per.num_rows(), 6u);
  EXPECT_TRUE(fs::exists(dir_ / "qa" / "tiny-llama3" / "ensemble_weighted_max-3.feather"));
}

// --margins records each row's smallest top-1/top-2 gap (host-side choice)
// and changes no prediction.
TEST_F(GenerateCli, MarginsColumnLeavesPredictionsAlone) {
  const std::string args = "--model " + tiny() + " --dataset demo --max_samples 6 --num_paraphrases 3 ";
  for (std::string m : {"per_prompt", "max", "flex_attention"}) {
    Result plain = sh(selfens(args + "--method " + m + " --output-dir " + (dir_ / "plain").string()));
    ASSERT_EQ(plain.code, 0) << plain.out;
    Result with = sh(selfens(args + "--method " + m + " --margins --output-dir " +
                             (dir_ / "margins").string()));
    ASSERT_EQ(with.code, 0) << with.out;
    const std::string name = m == "per_prompt" ? "per_prompt.feather"
                             : m == "max"      ? "ensemble_max-3.feather"
                                               : "flex_attention-3.feather";
    io::Table a = io::read_feather(dir_ / "plain" / "demo" / "tiny-llama3" / name);
    io::Table b = io::read_feather(dir_ / "margins" / "demo" / "tiny-llama3" / name);
    EXPECT_FALSE(a.has("margin"));
    ASSERT_TRUE(b.has("margin")) << m;
    EXPECT_EQ(a.utf8("prediction"), b.utf8("prediction")) << m;
    for (double g : b.float64("margin")) EXPECT_TRUE(g >= 0 && std::isfinite(g)) << m << " " << g;
  }
}

TEST_F(GenerateCli, InterruptedRunKeepsFinishedRowsAndResumes) {
  // Interrupt right after the first checkpoint (every 3 questions) is on
  // disk, not after a fixed delay: a fast machine finished 40 questions in
  // under 4 s and the interrupt then came too late.
  std::string cmd = selfens("--model " + test::default_model_gguf().string() +
                            " --dataset demo --method origin --max_samples 60 --batch_size 1"
                            " --checkpoint_questions 3 --checkpoint_seconds 0");
  fs::path file = dir_ / "demo" / "SmolLM2-135M-Instruct.Q4_1" / "origin.feather";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", ("exec " + cmd + " >/dev/null 2>&1").c_str(), nullptr);
    ::_exit(127);
  }
  int status = 0;
  bool exited = false;
  for (int waited_ms = 0; waited_ms < 300000 && !fs::exists(file); waited_ms += 10) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!exited) {
    ::kill(pid, SIGINT);
    ::waitpid(pid, &status, 0);
  }
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 130) << "the run should still have been going after its first checkpoint";
  ASSERT_TRUE(fs::exists(file));
  io::Table partial = io::read_feather(file);
  EXPECT_EQ(partial.metadata_value("selfens.complete"), "false");
  size_t done = partial.num_rows();
  EXPECT_GE(done, 3u);
  EXPECT_LT(done, 60u);
  Result r = sh(cmd);
  ASSERT_EQ(r.code, 0) << r.out;
  io::Table full = io::read_feather(file);
  EXPECT_EQ(full.num_rows(), 60u);
  EXPECT_EQ(full.metadata_value("selfens.complete"), "true");
  for (size_t i = 0; i < done; ++i)
    EXPECT_EQ(full.utf8("prediction")[i], partial.utf8("prediction")[i]);
}

TEST_F(GenerateCli, BadInputIsExitTwoWithAClearMessageAndNoFile) {
  fs::path bad = dir_ / "bad.jsonl";
  std::ofstream(bad) << R"({"uuid":"a","question":"Q?","answers":["x"]})" << "\n{oops\n";
  struct Case {
    std::string args, needle;
  } cases[] = {
      {"--dataset " + bad.string(), "bad.jsonl:2"},
      {"--method median", "unknown method 'median'"},
      {"--method avg --num_ensemble 50", "50 requested"},
      {"--method flex_attention --indexs 0,99", "out of range"},
      {"--method avg --layout concat", "concat"},
      {"--method weighted_avg --num_ensemble 2", "confidence"},
      {"--output-dir /proc/selfens-no-such-dir", "selfens-no-such-dir"},
      {"--model no_such_model", "no_such_model"},
  };
  for (const auto& c : cases) {
    Result r = sh(selfens("--model " + tiny() + " --max_samples 2 " + c.args));
    EXPECT_EQ(r.code, 2) << c.args << ": " << r.out;
    EXPECT_NE(r.out.find(c.needle), std::string::npos) << c.args << ": " << r.out;
  }
  // (--model appears twice in the last case; the later one wins.)
  for (const auto& e : fs::recursive_directory_iterator(dir_))
    EXPECT_NE(e.path().extension(), ".feather") << "left behind: " << e.path();
}

}  // namespace
}  // namespace selfens
