// Issue 23, "results a researcher can trust": every failure a new user found
// (resume mixing settings, a small run hiding a larger one, analyses over
// different question sets, inputs past the model's context, bad confidence
// files, option ranges, the WebQA quick start, ...) as a test of the built
// CLI on a tiny real model.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/test_paths.h"
#include "io/feather.h"
#include "io/output_lock.h"

namespace selfens {
namespace {

namespace fs = std::filesystem;
using Result = test::ShellResult;

class TrustCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("trust_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  std::string bin() const { return test::selfens_binary().string(); }
  std::string tiny() const { return (test::fixtures_dir() / "models" / "tiny-llama3").string(); }
  // `selfens generate` on the demo set with the tiny model, into dir_.
  Result generate(const std::string& args) const {
    return test::shell(bin() + " generate --quiet --model " + tiny() + " --output-dir " +
                       dir_.string() + " " + args);
  }
  Result cli(const std::string& args) const { return test::shell(bin() + " " + args); }
  fs::path file(const std::string& name, const std::string& dataset = "demo") const {
    return dir_ / dataset / "tiny-llama3" / name;
  }
  static std::string read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  fs::path dir_;
};

// Case 1: a file is continued only by a run made the same way.
TEST_F(TrustCli, ResumeRefusesAnySettingThatChangesRows) {
  const std::string flex = "--method flex_attention --max_samples 6 ";
  ASSERT_EQ(generate(flex).code, 0);
  // Make it an interrupted run: the first 3 questions, complete = false.
  io::Table t = io::read_feather(file("flex_attention-5.feather"));
  io::Table part(t.origin());
  for (const auto& c : t.columns()) {
    io::ColumnData d = c.data;
    std::visit([](auto& v) { v.resize(3); }, d);
    part.set(c.name, std::move(d));
  }
  part.metadata = t.metadata;
  part.set_metadata("selfens.complete", "false");
  io::write_feather(file("flex_attention-5.feather"), part);
  const std::string before = read_bytes(file("flex_attention-5.feather"));
  struct Case {
    std::string args, key;
  } cases[] = {{"--layout concat", "layout=shared, this run has layout=concat"},
               {"--max_new_tokens 3", "max_new_tokens=20, this run has max_new_tokens=3"},
               {"--positions sequential", "positions=parallel"},
               {"--no_newline_stop", "stop_at_newline=true"}};
  for (const auto& c : cases) {
    Result r = generate(flex + c.args);
    EXPECT_EQ(r.code, 2) << c.args << ": " << r.out;
    EXPECT_NE(r.out.find("its 3 rows were made with " + c.key), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("use --overwrite"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--output-dir"), std::string::npos) << r.out;
  }
  EXPECT_EQ(read_bytes(file("flex_attention-5.feather")), before) << "a refused run writes nothing";
  // Another model file under the same folder name is another model.
  fs::create_directories(dir_ / "other");
  fs::copy(test::fixtures_dir() / "models" / "tiny-qwen2", dir_ / "other" / "tiny-llama3");
  Result other = test::shell(bin() + " generate --quiet --model " + (dir_ / "other" / "tiny-llama3").string() +
                             " --output-dir " + dir_.string() + " " + flex);
  EXPECT_EQ(other.code, 2) << other.out;
  EXPECT_NE(other.out.find("model_fingerprint="), std::string::npos) << other.out;
  // The same settings resume, and give the file a direct run writes.
  ASSERT_EQ(generate(flex).code, 0);
  io::Table resumed = io::read_feather(file("flex_attention-5.feather"));
  EXPECT_EQ(resumed.utf8("prediction"), t.utf8("prediction"));
  EXPECT_EQ(resumed.utf8("uuid"), t.utf8("uuid"));
  EXPECT_EQ(resumed.metadata_value("selfens.complete"), "true");
}

// Fusion options are part of the file name (a sweep keeps every variant),
// recorded in the metadata, named by analyze, and checked.
TEST_F(TrustCli, FusionVariantsHaveTheirOwnFiles) {
  const std::string flex = "--method flex_attention --num_paraphrases 3 --max_samples 4 ";
  ASSERT_EQ(generate(flex).code, 0);
  ASSERT_EQ(generate(flex + "--fusion-bias mean --fusion_temperature 0.5").code, 0);
  ASSERT_EQ(generate(flex + "--fusion_scale 2").code, 0);
  EXPECT_TRUE(fs::exists(file("flex_attention-3.feather")));
  const io::Table t = io::read_feather(file("flex_attention-3_mean_T0.5.feather"));
  EXPECT_EQ(t.metadata_value("selfens.fusion_temperature"), "0.5");
  EXPECT_EQ(t.metadata_value("selfens.fusion_bias"), "mean");
  EXPECT_EQ(io::read_feather(file("flex_attention-3_S2.feather")).metadata_value("selfens.fusion_scale"),
            "2");
  Result a = cli("analyze --quiet --json --dataset demo --model " + tiny() + " --output-dir " +
                 dir_.string() + " --num_paraphrases 3");
  ASSERT_EQ(a.code, 0) << a.out;
  EXPECT_NE(a.out.find("\"variant\": \"mean_T0.5\""), std::string::npos) << a.out;
  EXPECT_NE(a.out.find("\"variant\": \"S2\""), std::string::npos) << a.out;
  Result text = cli("analyze --dataset demo --model " + tiny() + " --output-dir " + dir_.string() +
                    " --num_paraphrases 3");
  EXPECT_NE(text.out.find("flex_attention-3_mean_T0.5"), std::string::npos) << text.out;

  struct Bad {
    std::string args, says;
  } bad[] = {{"--fusion_temperature 0", "--fusion_temperature"},
             {"--fusion_scale abc", "--fusion_scale"},
             {"--fusion_scale 2 --method avg", "apply to flex_attention and weighted_flex only"}};
  for (const auto& b : bad) {
    Result r = generate(flex + b.args);
    EXPECT_EQ(r.code, 2) << b.args << ": " << r.out;
    EXPECT_NE(r.out.find(b.says), std::string::npos) << b.args << ": " << r.out;
  }
  Result mask = cli("mask --num_paraphrases 2 --fusion_temperature 0.5 --fusion_bias mean");
  ASSERT_EQ(mask.code, 0) << mask.out;
  EXPECT_NE(mask.out.find("T=0.5"), std::string::npos) << mask.out;
  EXPECT_NE(mask.out.find(" x2"), std::string::npos) << mask.out;  // score scale 1/T on Q1, Q2
}

// Case 2: a complete file of a smaller selection is extended; a smaller
// selection finds its questions in a larger file.
TEST_F(TrustCli, LargerSelectionExtendsSmallerOneFindsIt) {
  ASSERT_EQ(generate("--method avg --num_paraphrases 3 --max_samples 2").code, 0);
  Result r = generate("--method avg --num_paraphrases 3 --max_samples 5");
  ASSERT_EQ(r.code, 0) << r.out;
  io::Table grown = io::read_feather(file("ensemble_avg-3.feather"));
  EXPECT_EQ(grown.num_rows(), 5u);
  EXPECT_EQ(grown.metadata_value("selfens.max_samples"), "5");
  EXPECT_EQ(grown.metadata_value("selfens.complete"), "true");
  // Equal, column by column, to a direct run of 5.
  Result direct = test::shell(bin() + " generate --quiet --model " + tiny() + " --output-dir " +
                              (dir_ / "direct").string() + " --method avg --num_paraphrases 3 --max_samples 5");
  ASSERT_EQ(direct.code, 0) << direct.out;
  io::Table d = io::read_feather(dir_ / "direct" / "demo" / "tiny-llama3" / "ensemble_avg-3.feather");
  for (const char* c : {"uuid", "prediction", "generation"}) EXPECT_EQ(grown.utf8(c), d.utf8(c)) << c;
  EXPECT_EQ(grown.list_utf8("prompts"), d.list_utf8("prompts"));
  const std::string bytes = read_bytes(file("ensemble_avg-3.feather"));
  Result small = generate("--method avg --num_paraphrases 3 --max_samples 3");
  EXPECT_EQ(small.code, 0) << small.out;
  EXPECT_EQ(read_bytes(file("ensemble_avg-3.feather")), bytes) << "left alone";
  // All questions: extends to the whole set, recorded as "all".
  ASSERT_EQ(generate("--method avg --num_paraphrases 3").code, 0);
  EXPECT_EQ(io::read_feather(file("ensemble_avg-3.feather")).metadata_value("selfens.max_samples"), "all");
}

// Rows after a resume are in data set order, whatever the file held.
TEST_F(TrustCli, ResumedRowsAreInDataSetOrder) {
  ASSERT_EQ(generate("--method origin --max_samples 6").code, 0);
  io::Table t = io::read_feather(file("origin.feather"));
  const io::Strings order = t.utf8("uuid");
  io::Table part(t.origin());  // rows 4 and 2 only, in that order
  for (const auto& c : t.columns()) {
    io::ColumnData d = c.data;
    std::visit([](auto& v) { v = {v[4], v[2]}; }, d);
    part.set(c.name, std::move(d));
  }
  part.metadata = t.metadata;
  part.set_metadata("selfens.complete", "false");
  io::write_feather(file("origin.feather"), part);
  ASSERT_EQ(generate("--method origin --max_samples 6").code, 0);
  io::Table back = io::read_feather(file("origin.feather"));
  EXPECT_EQ(back.utf8("uuid"), order);
  EXPECT_EQ(back.utf8("prediction"), t.utf8("prediction"));
}

// A file written before run identities existed still resumes, with a warning.
TEST_F(TrustCli, OlderFilesResumeWithAWarning) {
  ASSERT_EQ(generate("--method origin --max_samples 4").code, 0);
  io::Table t = io::read_feather(file("origin.feather"));
  io::Metadata old;
  for (const auto& [k, v] : t.metadata)
    if (k.find("fingerprint") == std::string::npos && k != "selfens.precision" &&
        k != "selfens.max_samples")
      old.emplace_back(k, v);
  t.metadata = old;
  io::write_feather(file("origin.feather"), t);
  Result r = test::shell(bin() + " generate --model " + tiny() + " --output-dir " + dir_.string() +
                         " --method origin --max_samples 6");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("older selfens that did not record dataset_fingerprint, model_fingerprint, "
                       "precision"), std::string::npos) << r.out;
  EXPECT_EQ(io::read_feather(file("origin.feather")).num_rows(), 6u);
}

// A corrupt existing file: the error says how to get past it.
TEST_F(TrustCli, CorruptOutputSuggestsOverwrite) {
  fs::create_directories(file("origin.feather").parent_path());
  std::ofstream(file("origin.feather")) << "not a feather file";
  Result r = generate("--method origin --max_samples 2");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("cannot read the existing result file"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("use --overwrite to replace it"), std::string::npos) << r.out;
  EXPECT_EQ(generate("--method origin --max_samples 2 --overwrite").code, 0);
}

// Two runs on one output: the second refuses, naming the first.
TEST_F(TrustCli, SecondRunOnTheSameOutputRefuses) {
  io::OutputLock held(file("origin.feather"));
  Result r = generate("--method origin --max_samples 2");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("is being written by another selfens run (pid " + std::to_string(::getpid()) + ")"),
            std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(file("origin.feather")));
}

// Case 3: analyze compares methods on the questions they share.
TEST_F(TrustCli, AnalyzeComparesOnSharedQuestions) {
  ASSERT_EQ(generate("--method origin --max_samples 12").code, 0);
  ASSERT_EQ(generate("--method flex_attention --max_samples 4").code, 0);
  const std::string analyze = "analyze --dataset demo --model tiny-llama3 --output-dir " + dir_.string();
  Result text = cli(analyze);
  ASSERT_EQ(text.code, 0) << text.out;
  EXPECT_NE(text.out.find("compared on the 4 questions every file answers"), std::string::npos) << text.out;
  Result json = cli(analyze + " --json > " + (dir_ / "a.json").string());
  ASSERT_EQ(json.code, 0) << json.out;
  // Recompute origin's accuracy on flex's 4 questions from its own rows.
  Result check = test::shell(
      "python3 -c \"import json; a=json.load(open('" + (dir_ / "a.json").string() + "'));"
      "o=[m for m in a['comparison'] if m['method']=='origin'][0];"
      "f=[m for m in a['comparison'] if m['method']=='flex_attention'][0];"
      "assert a['shared_questions']==4 and a['mismatched_question_sets'], a['shared_questions'];"
      "assert o['rows']==4 and o['own_questions']==12, o; assert f['rows']==4, f;"
      "g=a['gain_over_origin']; assert abs(g-(f['accuracy']-o['accuracy']))<1e-12, g; print('ok')\"");
  EXPECT_EQ(check.code, 0) << check.out;
  Result strict = cli(analyze + " --strict");
  EXPECT_EQ(strict.code, 2) << strict.out;
  EXPECT_NE(strict.out.find("origin.feather: 12, flex_attention-5.feather: 4; 4 shared"),
            std::string::npos) << strict.out;
}

// Case 4 and 5: inputs past the model's context (tiny-llama3: 512) are
// refused before any work, naming the question, the lengths and the limit.
TEST_F(TrustCli, InputsPastTheContextAreRefused) {
  fs::path data = dir_ / "long.jsonl";
  std::string longq;
  for (int i = 0; i < 30000; ++i) longq += "word ";
  std::ofstream(data) << R"({"uuid":"short","question":"Is it?","answers":["yes"]})" << "\n"
                      << R"({"uuid":"long-one","question":")" << longq << R"(?","answers":["x"]})" << "\n";
  Result r = generate("--method origin --dataset " + data.string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("question uuid 'long-one' (origin) needs "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("more than the model's context of 512 (max_position_embeddings)"),
            std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(file("origin.feather", "long")));
  Result tokens = generate("--method origin --max_samples 1 --max_new_tokens 100000 --no_newline_stop");
  EXPECT_EQ(tokens.code, 2) << tokens.out;
  EXPECT_NE(tokens.out.find("100000 new tokens"), std::string::npos) << tokens.out;
  Result run = cli("run --quiet --model " + tiny() + " --prompt '" + longq.substr(0, 4000) + "'");
  EXPECT_EQ(run.code, 2) << run.out;
  EXPECT_NE(run.out.find("run: the prompt needs"), std::string::npos) << run.out;
  // The sequential plan lays paraphrases end to end: its length is checked as laid.
  Result seq = generate("--method flex_attention --layout concat --positions sequential --max_samples 1");
  EXPECT_EQ(seq.code, 2) << seq.out;
  EXPECT_NE(seq.out.find("(flex_attention) needs"), std::string::npos) << seq.out;
}

// Case 6: confidence scores must be numbers in [0, 1].
TEST_F(TrustCli, BadConfidenceValuesAreRefused) {
  ASSERT_EQ(generate("--method origin --max_samples 1").code, 0);  // the folder
  Result first = test::shell(bin() + " confidence --quiet --model " + tiny() + " --output-dir " +
                             dir_.string() + " --max_samples 2 --num_paraphrases 2 --num_samples 2");
  ASSERT_EQ(first.code, 0) << first.out;
  const fs::path conf = file("confidence.feather");
  const io::Table good = io::read_feather(conf);
  for (double bad : {std::nan(""), -0.5, HUGE_VAL, 1.5}) {
    io::Table t = good;
    std::vector<double> v = t.float64("confidence");
    v[1] = bad;
    t.set("confidence", v);
    io::write_feather(conf, t);
    Result r = generate("--method weighted_avg --num_paraphrases 2 --max_samples 2");
    EXPECT_EQ(r.code, 2) << bad << ": " << r.out;
    EXPECT_NE(r.out.find("confidence.feather: row 1 (uuid '"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("is not a number in [0, 1]"), std::string::npos) << r.out;
  }
  io::write_feather(conf, good);
  ASSERT_EQ(generate("--method weighted_avg --num_paraphrases 2 --max_samples 2").code, 0);
  // Other confidence settings make other weights: a weighted file does not
  // mix them.
  Result again = test::shell(bin() + " confidence --quiet --overwrite --model " + tiny() +
                             " --output-dir " + dir_.string() +
                             " --max_samples 2 --num_paraphrases 2 --num_samples 3");
  ASSERT_EQ(again.code, 0) << again.out;
  Result mixed = generate("--method weighted_avg --num_paraphrases 2 --max_samples 3");
  EXPECT_EQ(mixed.code, 2) << mixed.out;
  EXPECT_NE(mixed.out.find("confidence=num_samples=2"), std::string::npos) << mixed.out;
}

// Case 7, 8 and the small ones: option ranges and empty values.
TEST_F(TrustCli, OptionRangesAreChecked) {
  struct Case {
    std::string args, needle;
  } cases[] = {
      {"generate --max_samples -3", "generate: --max_samples must be at least 1, got -3"},
      {"generate --max_samples 0", "--max_samples must be at least 1, got 0"},
      {"generate --threads 0", "generate: --threads must be between 1 and 4096, got 0"},
      {"generate --threads -1", "--threads must be between 1 and 4096, got -1"},
      {"generate --batch_size 0", "--batch_size must be between 1 and 65536, got 0"},
      {"generate --num_paraphrases 0 --method avg", "--num_paraphrases must be between 1 and 1000"},
      {"generate --max_new_tokens 0", "--max_new_tokens must be between 1 and"},
      {"generate --checkpoint_seconds -1", "--checkpoint_seconds must be at least 0, got -1"},
      {"generate --output-dir ''", "--output_dir is empty"},
      {"generate --device gpu", "--device: unknown device 'gpu'"},
      {"confidence --num_samples 0", "--num_samples must be between 1 and 100000, got 0"},
      {"confidence --top_p 2", "--top_p must be between 0 and 1, got 2"},
      {"confidence --threads 0", "--threads must be between 1 and 4096"},
      {"paraphrase --dataset demo --max_samples -1", "--max_samples must be at least 1"},
      {"run --prompt hi --threads 0", "--threads must be between 1 and 4096"},
      {"mask --prefix_len 100000000", "--prefix_len must be between 0 and 1024 for a picture"},
      {"mask --num_paraphrases 0", "mask: --num_paraphrases must be between 1 and 64, got 0"},
      {"mask --question_lens 2000", "--question_lens must be between 1 and 1024"},
      {"analyze --num_paraphrases -1", "--num_paraphrases must be between 0 and 1000"},
      {"generate --dataset myriadlama --data-dir /nonexistent", "point --data-dir at"},
  };
  for (const auto& c : cases) {
    // Run inside dir_, so that anything a command wrongly wrote would show.
    Result r = test::shell("cd " + dir_.string() + " && " + bin() + " " + c.args);
    EXPECT_EQ(r.code, 2) << c.args << ": " << r.out;
    EXPECT_NE(r.out.find(c.needle), std::string::npos) << c.args << ": " << r.out;
  }
  EXPECT_TRUE(fs::is_empty(dir_)) << "nothing written by a refused command";
}

// --device is checked before the complete-file shortcut.
TEST_F(TrustCli, DeviceIsCheckedEvenWhenTheFileIsComplete) {
  ASSERT_EQ(generate("--method origin --max_samples 2").code, 0);
  Result r = generate("--method origin --max_samples 2 --device gpu");
  EXPECT_EQ(r.code, 2) << r.out;
}

TEST_F(TrustCli, HelpDocumentsCheckpoints) {
  for (const char* cmd : {"generate", "confidence"}) {
    Result r = cli(std::string(cmd) + " --help");
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("--checkpoint_seconds S (10)  --checkpoint_questions K (50)"),
              std::string::npos) << r.out;
  }
}

// lemmatize says when nulls are read as empty.
TEST_F(TrustCli, LemmatizeWarnsAboutNulls) {
  const fs::path f = dir_ / "nulls.feather";
  Result make = test::shell(
      "python3 -c \"import pyarrow as pa, pyarrow.feather as f; "
      "f.write_feather(pa.table({'uuid':['a','b'],'prediction':['Paris',None],"
      "'answers':[['Paris'],None]}), '" + f.string() + "')\"");
  ASSERT_EQ(make.code, 0) << make.out;
  Result r = cli("lemmatize " + f.string());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("column 'prediction' has 1 null values"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("column 'answers' has 1 null values"), std::string::npos) << r.out;
}

// Case 9: the quick start on WebQA with --max_samples, and paraphrase
// extending its file to the same paraphrases a single run makes.
TEST_F(TrustCli, WebqaQuickStartWithASelection) {
  const std::string data = " --data-dir " + test::shared_data_dir().string() + " --dataset webqa ";
  auto para = [&](const std::string& out, int k) {
    return test::shell(bin() + " paraphrase --quiet --model " + tiny() + " --output-dir " + out + data +
                       "--max_samples " + std::to_string(k));
  };
  ASSERT_EQ(para(dir_.string(), 3).code, 0);
  Result gen = generate("--method flex_attention" + data + "--max_samples 3");
  ASSERT_EQ(gen.code, 0) << gen.out;
  EXPECT_EQ(io::read_feather(file("flex_attention-5.feather", "webqa")).num_rows(), 3u);
  Result more = generate("--method flex_attention" + data + "--max_samples 5");
  EXPECT_EQ(more.code, 2) << more.out;
  EXPECT_NE(more.out.find("no paraphrases for question 4"), std::string::npos) << more.out;
  EXPECT_NE(more.out.find("--max_samples 5` to extend it"), std::string::npos) << more.out;
  ASSERT_EQ(para(dir_.string(), 5).code, 0);
  ASSERT_EQ(para((dir_ / "once").string(), 5).code, 0);
  EXPECT_EQ(read_bytes(file("paraphrases.jsonl", "webqa")),
            read_bytes(dir_ / "once" / "webqa" / "tiny-llama3" / "paraphrases.jsonl"));
  Result extended = generate("--method flex_attention" + data + "--max_samples 5");
  EXPECT_EQ(extended.code, 0) << extended.out;
  EXPECT_EQ(io::read_feather(file("flex_attention-5.feather", "webqa")).num_rows(), 5u);
}

}  // namespace
}  // namespace selfens
