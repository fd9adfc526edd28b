// `selfens paraphrase` through run_paraphrase: the compiled-in demo examples,
// the file generate reads back (webqa), determinism, bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/test_paths.h"
#include "data/dataset.h"
#include "data/jsonl.h"
#include "jobs/paraphrase.h"
#include "util/check.h"

namespace selfens {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path temp_dir() {
  fs::path d = fs::path(::testing::TempDir()) /
               ("para_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string tiny() { return (test::fixtures_dir() / "models" / "tiny-llama3").string(); }

TEST(ParaphraseFewshot, TheCompiledInDemoExamplesAreTheFile) {
  EXPECT_EQ(demo_paraphrase_fewshot_json(),
            slurp(test::source_dir() / "data" / "demo" / "paraphrase_fewshot.json"))
      << "edit data/demo/paraphrase_fewshot.json and the copy in src/jobs/paraphrase.cpp together";
  data::ParaphraseFewshot s = paraphrase_fewshot_for("demo", "unused");
  ASSERT_EQ(s.questions.size(), 5u);
  for (const auto& p : s.paraphrases) EXPECT_EQ(p.size(), 5u);
  EXPECT_EQ(s.rounds, 5);
  EXPECT_FLOAT_EQ(s.temperature, 1.5f);
  EXPECT_FLOAT_EQ(s.top_p, 0.9f);
  EXPECT_EQ(s.max_new_tokens, 30);
  std::string p = data::paraphrase_prompt(s, 1, "who is it?");
  EXPECT_EQ(p.substr(0, s.instruction.size() + 1), s.instruction + "\n");
  EXPECT_NE(p.find("Q: who painted the mona lisa?\nParaphrase: the Mona Lisa was painted by whom?\n\n"),
            std::string::npos);
  EXPECT_TRUE(p.ends_with("\n\nQ: who is it?\nParaphrase:")) << p;
}

TEST(ParaphraseFewshot, OnlyWebqaAndDemo) {
  EXPECT_THROW(paraphrase_fewshot_for("myriadlama", "data"), InputError);
  EXPECT_THROW(paraphrase_fewshot_for("webqa", "/nonexistent"), InputError);
}

TEST(Paraphrase, DemoRunIsDeterministicAndIndependentOfBatchSize) {
  fs::path dir = temp_dir();
  ParaphraseOptions o;
  o.model = tiny();
  o.dataset = "demo";
  o.output_dir = dir;
  o.max_samples = 3;
  o.max_new_tokens = 8;
  o.batch_size = 3;
  o.threads = 2;
  o.quiet = true;
  ParaphraseResult r = run_paraphrase(o);
  EXPECT_EQ(r.path, dir / "demo" / "tiny-llama3" / "paraphrases.jsonl");
  EXPECT_EQ(r.questions, 3u);
  auto recs = data::read_jsonl(r.path);
  ASSERT_EQ(recs.size(), 3u);
  auto demo = data::load_dataset("demo", "data", o.model, dir);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(recs[i].str("uuid"), demo.questions[i].uuid);
    EXPECT_EQ(recs[i].str("paraphrase0"), demo.questions[i].question);
    for (int k = 1; k <= 5; ++k) {
      std::string p = recs[i].str(("paraphrase" + std::to_string(k)).c_str());
      EXPECT_EQ(p.find('\n'), std::string::npos);
    }
    EXPECT_FALSE(recs[i].has("paraphrase6"));
  }
  // The demo set keeps its own written paraphrases.
  EXPECT_EQ(demo.questions[0].paraphrases.size(), 7u);

  const std::string first = slurp(r.path);
  EXPECT_TRUE(run_paraphrase(o).skipped);
  o.overwrite = true;
  o.batch_size = 1;
  run_paraphrase(o);
  EXPECT_EQ(slurp(r.path), first);
}

// A small webqa directory: the real train split (for the prompt block), three
// test questions, the original's paraphrase examples. generate reads the
// result back through load_dataset.
TEST(Paraphrase, WebqaFileIsReadBackByTheDataSet) {
  fs::path shared = test::shared_data_dir() / "webqa";
  if (!fs::exists(shared / "test.jsonl")) GTEST_SKIP() << shared << " missing";
  fs::path dir = temp_dir();
  fs::create_directories(dir / "data" / "webqa");
  fs::create_symlink(shared / "train.jsonl", dir / "data" / "webqa" / "train.jsonl");
  fs::create_symlink(shared / "paraphrase_fewshot.json",
                     dir / "data" / "webqa" / "paraphrase_fewshot.json");
  {
    std::ifstream in(shared / "test.jsonl");
    std::ofstream out(dir / "data" / "webqa" / "test.jsonl");
    std::string line;
    for (int i = 0; i < 3 && std::getline(in, line); ++i) out << line << "\n";
  }
  ParaphraseOptions o;
  o.model = tiny();
  o.dataset = "webqa";
  o.data_dir = dir / "data";
  o.output_dir = dir / "out";
  o.max_new_tokens = 6;
  o.threads = 2;
  o.quiet = true;
  ParaphraseResult r = run_paraphrase(o);
  EXPECT_EQ(r.questions, 3u);
  data::Dataset ds = data::load_dataset("webqa", o.data_dir, o.model, o.output_dir);
  EXPECT_TRUE(ds.has_paraphrases);
  ASSERT_EQ(ds.questions.size(), 3u);
  for (const auto& q : ds.questions) {
    ASSERT_EQ(q.paraphrases.size(), 6u);
    EXPECT_EQ(q.paraphrases[0], q.question);
  }
  // A second run replaces the file only with --overwrite (load_dataset would
  // otherwise check the old one first).
  EXPECT_TRUE(run_paraphrase(o).skipped);
}

TEST(Paraphrase, BadOptionsAreInputErrors) {
  ParaphraseOptions o;
  o.model = tiny();
  o.dataset = "demo";
  o.output_dir = temp_dir();
  o.temperature = 0.0f;
  EXPECT_THROW(run_paraphrase(o), InputError);
  o.temperature.reset();
  o.top_p = 2.0f;
  EXPECT_THROW(run_paraphrase(o), InputError);
  o.top_p.reset();
  o.batch_size = 0;
  EXPECT_THROW(run_paraphrase(o), InputError);
  o.batch_size = 4;
  o.dataset = "myriadlama";
  EXPECT_THROW(run_paraphrase(o), InputError);
}

}  // namespace
}  // namespace selfens
