// `selfens confidence` through run_confidence: the file's columns and
// metadata (checked with pyarrow too), the score itself, certainty at
// temperature near 0, resume of a partial file, and bad input.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/test_paths.h"
#include "io/feather.h"
#include "jobs/confidence.h"
#include "util/check.h"

namespace selfens {
namespace {

namespace fs = std::filesystem;

TEST(ConfidenceScore, FractionOfBidirectionalMatches) {
  eval::LemmaSeq greedy = {"new", "york"};
  std::vector<eval::LemmaSeq> samples = {
      {"new", "york"}, {"new", "york", "city"}, {"york"}, {"paris"}, {}};
  EXPECT_DOUBLE_EQ(confidence_score(greedy, samples), 3.0 / 5.0);
  EXPECT_DOUBLE_EQ(confidence_score({}, samples), 0.0);  // an empty greedy answer matches nothing
  EXPECT_DOUBLE_EQ(confidence_score(greedy, {}), 0.0);
}

TEST(ConfidenceScore, AFileOfAnotherDataSetIsRejected) {
  io::Table t;
  t.set("uuid", io::Strings{"a"});
  t.set_metadata("selfens.dataset", "demo");
  EXPECT_NO_THROW(check_confidence_dataset(t, "c.feather", "demo"));
  try {
    check_confidence_dataset(t, "c.feather", "webqa");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("c.feather"), std::string::npos) << m;
    EXPECT_NE(m.find("'demo'"), std::string::npos) << m;
    EXPECT_NE(m.find("'webqa'"), std::string::npos) << m;
  }
  io::Table old;  // files without the metadata (the original's) are accepted
  EXPECT_NO_THROW(check_confidence_dataset(old, "c.feather", "webqa"));
}

class ConfidenceRun : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("conf_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    data_ = dir_ / "mini.jsonl";
    std::ofstream(data_)
        << R"({"uuid": "m1", "question": "What is the capital of France?", "paraphrases": ["What is the capital of France?", "Which city is the capital of France?", "What is the capital of France?"], "answers": ["Paris"]})"
        << "\n"
        << R"({"uuid": "m2", "question": "Who wrote Hamlet?", "paraphrases": ["Who wrote Hamlet?", "Hamlet was written by whom?"], "answers": ["William Shakespeare", "Shakespeare"]})"
        << "\n";
  }
  ConfidenceOptions options() const {
    ConfidenceOptions o;
    o.model = (test::fixtures_dir() / "models" / "tiny-llama3").string();
    o.dataset = data_.string();
    o.output_dir = dir_ / "out";
    o.num_samples = 5;
    o.max_new_tokens = 6;
    o.batch_size = 2;
    o.threads = 2;
    o.quiet = true;
    o.seed = 4;
    return o;
  }
  fs::path dir_, data_;
};

TEST_F(ConfidenceRun, WritesTheColumnsWeightedMethodsRead) {
  ConfidenceResult r = run_confidence(options());
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.path, dir_ / "out" / "mini" / "tiny-llama3" / "confidence.feather");
  EXPECT_EQ(r.rows, 4u);  // 2 + 2 distinct paraphrases (the repeated text counted once)
  io::Table t = io::read_feather(r.path);
  EXPECT_EQ(t.utf8("uuid"), (io::Strings{"m1", "m1", "m2", "m2"}));
  EXPECT_EQ(t.utf8("paraphrase")[1], "Which city is the capital of France?");
  EXPECT_EQ(t.utf8("prompt")[3].substr(t.utf8("prompt")[3].size() - 33),
            "Q: Hamlet was written by whom?\nA:");
  EXPECT_EQ(t.list_utf8("answers")[2], (io::Strings{"William Shakespeare", "Shakespeare"}));
  EXPECT_EQ(t.list_list_utf8("answer_lemmas")[2][0], (io::Strings{"william", "shakespeare"}));
  for (size_t i = 0; i < t.num_rows(); ++i) {
    ASSERT_EQ(t.list_utf8("sample_predicts")[i].size(), 5u);
    ASSERT_EQ(t.list_list_utf8("sample_lemmas")[i].size(), 5u);
    double want = confidence_score(t.list_utf8("greedy_lemma")[i], t.list_list_utf8("sample_lemmas")[i]);
    EXPECT_DOUBLE_EQ(t.float64("confidence")[i], want);
  }
  EXPECT_EQ(t.metadata_value("selfens.dataset"), "mini");
  EXPECT_EQ(t.metadata_value("selfens.num_samples"), "5");
  EXPECT_EQ(t.metadata_value("selfens.temperature"), "0.600000024");  // generation_config.json
  EXPECT_EQ(t.metadata_value("selfens.top_p"), "0.899999976");
  EXPECT_EQ(t.metadata_value("selfens.top_k"), "50");  // transformers' default
  EXPECT_EQ(t.metadata_value("selfens.seed"), "4");
  EXPECT_EQ(t.metadata_value("selfens.complete"), "true");

  std::string cmd =
      "python3 -c \"import pyarrow.feather as f; t=f.read_table('" + r.path.string() +
      "'); assert t.num_rows == 4; assert str(t.schema.field('confidence').type) == 'double';"
      " assert str(t.schema.field('sample_lemmas').type).startswith('list<item: list<');"
      " assert t.schema.metadata[b'selfens.dataset'] == b'mini'\"";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;

  // Complete: a second run leaves it alone.
  EXPECT_TRUE(run_confidence(options()).skipped);
}

TEST_F(ConfidenceRun, NearZeroTemperatureMeansEveryAnswerIsTheGreedyOne) {
  ConfidenceOptions o = options();
  o.temperature = 1e-4f;
  o.top_p = 1.0f;
  io::Table t = io::read_feather(run_confidence(o).path);
  int certain = 0;
  for (size_t i = 0; i < t.num_rows(); ++i) {
    for (const auto& s : t.list_utf8("sample_predicts")[i]) EXPECT_EQ(s, t.utf8("greedy_predict")[i]);
    if (!t.list_utf8("greedy_lemma")[i].empty()) {
      EXPECT_EQ(t.float64("confidence")[i], 1.0);
      ++certain;
    }
  }
  EXPECT_GT(certain, 0) << "every greedy answer was empty: the check above never ran";
}

TEST_F(ConfidenceRun, ResumesAPartialFileWithTheSameSamples) {
  ConfidenceResult full = run_confidence(options());
  io::Table t = io::read_feather(full.path);
  // Keep the first two rows and mark the file unfinished, as an interrupt would.
  io::Table part("part");
  for (const auto& c : t.columns()) {
    io::Column cut = c;
    std::visit([](auto& v) { v.resize(2); }, cut.data);
    part.set(cut.name, std::move(cut.data));
  }
  part.metadata = t.metadata;
  part.set_metadata("selfens.complete", "false");
  io::write_feather(full.path, part);

  ConfidenceResult again = run_confidence(options());
  EXPECT_EQ(again.new_prompts, 2u);
  EXPECT_TRUE(again.complete);
  io::Table u = io::read_feather(full.path);
  EXPECT_EQ(u.utf8("uuid"), t.utf8("uuid"));
  EXPECT_EQ(u.list_utf8("sample_predicts"), t.list_utf8("sample_predicts"));  // counter-based RNG
  EXPECT_EQ(u.float64("confidence"), t.float64("confidence"));

  // Another seed cannot continue this file.
  part.set_metadata("selfens.complete", "false");
  io::write_feather(full.path, part);
  ConfidenceOptions o = options();
  o.seed = 5;
  EXPECT_THROW(run_confidence(o), InputError);
  o.overwrite = true;
  EXPECT_EQ(run_confidence(o).new_prompts, 4u);
}

TEST_F(ConfidenceRun, BadOptionsAreInputErrors) {
  ConfidenceOptions o = options();
  o.num_samples = 0;
  EXPECT_THROW(run_confidence(o), InputError);
  o = options();
  o.temperature = 0.0f;
  EXPECT_THROW(run_confidence(o), InputError);
  o = options();
  o.top_p = 1.5f;
  EXPECT_THROW(run_confidence(o), InputError);
  o = options();
  o.top_p = 0.0f;
  EXPECT_THROW(run_confidence(o), InputError);
  o = options();
  o.top_k = -2;
  EXPECT_THROW(run_confidence(o), InputError);
  EXPECT_FALSE(fs::exists(dir_ / "out" / "mini"));  // nothing written
}

// The default model, end to end on two demo questions: greedy answers at a
// near-zero temperature are certain.
TEST(ConfidenceSmolLM2, CertainAnswersHaveConfidenceOne) {
  fs::path out = fs::path(::testing::TempDir()) / "conf_smollm2";
  fs::remove_all(out);
  ConfidenceOptions o;
  o.model = test::default_model_gguf().string();
  o.dataset = "demo";
  o.output_dir = out;
  o.max_samples = 2;
  o.num_paraphrases = 1;
  o.num_samples = 3;
  o.temperature = 1e-4f;
  o.threads = 2;
  o.quiet = true;
  ConfidenceResult r = run_confidence(o);
  io::Table t = io::read_feather(r.path);
  ASSERT_EQ(t.num_rows(), 2u);
  EXPECT_EQ(t.utf8("greedy_predict")[0], "Paris");
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_FALSE(t.list_utf8("greedy_lemma")[i].empty());
    EXPECT_EQ(t.float64("confidence")[i], 1.0) << t.utf8("greedy_predict")[i];
  }
}

}  // namespace
}  // namespace selfens
