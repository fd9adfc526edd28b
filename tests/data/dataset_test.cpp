#include "data/dataset.h"
#include "data/paraphrase_selection.h"

#include <gtest/gtest.h>

#include <set>

#include "common/test_paths.h"
#include "data/jsonl.h"
#include "data/output_paths.h"
#include "data/prompt.h"
#include "data/test_util.h"
#include "util/check.h"
#include "util/python_random.h"

namespace selfens::data {
namespace {

namespace fs = std::filesystem;

using test::error_of;

TEST(Dataset, MyriadlamaParaphrasesInFileOrder) {
  auto dir = test::shared_data_dir();
  Dataset ds = load_dataset("myriadlama", dir, "m", "/nonexistent-out", ParaphraseOrder::kFile);
  EXPECT_EQ(ds.name, "myriadlama");
  EXPECT_EQ(ds.paraphrase_order, "file");
  ASSERT_EQ(ds.questions.size(), 2000u);
  auto raw = read_jsonl(dir / "myriadlama" / "test.jsonl");
  for (size_t i : {size_t{0}, size_t{1}, size_t{1999}}) {
    const Question& q = ds.questions[i];
    auto manual = raw[i].str_list("manual");
    auto autos = raw[i].str_list("auto");
    EXPECT_EQ(q.uuid, raw[i].str("uuid"));
    EXPECT_EQ(q.answers, raw[i].str_list("answers"));
    ASSERT_EQ(q.paraphrases.size(), manual.size() + autos.size());
    EXPECT_EQ(q.paraphrases.front(), manual.front());
    EXPECT_EQ(q.paraphrases[manual.size()], autos.front());
    EXPECT_EQ(q.paraphrases.back(), autos.back());
    EXPECT_EQ(q.question, q.paraphrases[0]);
  }
  for (const auto& q : ds.questions) EXPECT_GE(q.paraphrases.size(), 10u);
}

// The default: manual templates, then the auto ones as the original's loader
// draws them (random.seed(uuid); random.sample(auto, k)), with PythonRandom
// (tested against CPython in tests/util; tests/python/test_paraphrase_order.py
// checks these orders against CPython itself). Read from the data folder.
TEST(Dataset, MyriadlamaParaphrasesInTheOriginalsOrder) {
  auto dir = test::shared_data_dir();
  Dataset ds = load_dataset("myriadlama", dir, "m", "/nonexistent-out");
  EXPECT_EQ(ds.paraphrase_order, "original");
  auto raw = read_jsonl(dir / "myriadlama" / "test.jsonl");
  size_t fifth_changed = 0;  // four manual templates: the fifth paraphrase is the draw's
  for (size_t i = 0; i < ds.questions.size(); ++i) {
    auto manual = raw[i].str_list("manual");
    auto autos = raw[i].str_list("auto");
    const Question& q = ds.questions[i];
    ASSERT_EQ(q.paraphrases.size(), manual.size() + autos.size());
    for (size_t m = 0; m < manual.size(); ++m) EXPECT_EQ(q.paraphrases[m], manual[m]);
    const auto drawn = PythonRandom(q.uuid).sample(uint32_t(autos.size()), uint32_t(autos.size()));
    for (size_t a = 0; a < drawn.size(); ++a)
      ASSERT_EQ(q.paraphrases[manual.size() + a], autos[drawn[a]]) << i << " " << a;
    fifth_changed += manual.size() == 4 && q.paraphrases[4] != autos[0];
  }
  EXPECT_GT(fifth_changed, 0u);
  EXPECT_THROW(parse_paraphrase_order("sorted"), InputError);
}

TEST(Dataset, WebqaWithoutParaphrasesFile) {
  auto dir = test::shared_data_dir();
  test::TempDir out;
  Dataset ds = load_dataset("webqa", dir, "SmolLM2-135M-Instruct", out.path());
  ASSERT_EQ(ds.questions.size(), 2032u);
  EXPECT_FALSE(ds.has_paraphrases);
  const Question& q = ds.questions[0];
  const auto raw = read_jsonl(dir / "webqa" / "test.jsonl");  // what the file says, read apart
  EXPECT_EQ(q.uuid, raw[0].str("uuid"));
  EXPECT_EQ(q.question, raw[0].str("question"));
  EXPECT_EQ(q.paraphrases, std::vector<std::string>{q.question});
  EXPECT_EQ(q.answers, raw[0].str_list("answers"));
  EXPECT_EQ(q.answers.size(), 2u);
  std::string msg = error_of([&] { require_paraphrases(ds, 1, "avg", "SmolLM2-135M-Instruct"); });
  EXPECT_NE(msg.find("run `selfens paraphrase --dataset webqa --model SmolLM2-135M-Instruct` first"),
            std::string::npos) << msg;
  EXPECT_NO_THROW(asks_of(q, ParaphraseSelection{}));
  ParaphraseSelection two;
  two.n = 2;
  EXPECT_THROW(asks_of(q, two), InputError);
}

// Writes OUT/webqa/MODEL/paraphrases.jsonl for the first `count` test questions.
std::string webqa_paraphrase_lines(const Dataset& ds, size_t count) {
  std::string text;
  for (size_t i = 0; i < count; ++i) {
    const Question& q = ds.questions[i];
    nlohmann::json j = {{"uuid", q.uuid}, {"paraphrase0", q.question}};
    for (int k = 1; k <= 5; ++k) j["paraphrase" + std::to_string(k)] = q.question + " #" + std::to_string(k);
    text += j.dump() + "\n";
  }
  return text;
}

TEST(Dataset, WebqaReadsGeneratedParaphrases) {
  auto dir = test::shared_data_dir();
  test::TempDir out;
  Dataset plain = load_dataset("webqa", dir, "m", out.path());
  auto path = out.write("webqa/m/paraphrases.jsonl", webqa_paraphrase_lines(plain, plain.questions.size()));
  // A model given as a path or HF id maps to the same directory name.
  Dataset ds = load_dataset("webqa", dir, "/models/m.gguf", out.path());
  EXPECT_TRUE(ds.has_paraphrases);
  EXPECT_EQ(ds.paraphrase_source, path.string());
  const Question& q = ds.questions[5];
  ASSERT_EQ(q.paraphrases.size(), 6u);
  EXPECT_EQ(q.paraphrases[0], q.question);
  EXPECT_EQ(q.paraphrases[5], q.question + " #5");
  EXPECT_NO_THROW(require_paraphrases(ds, ds.questions.size(), "avg", "m"));
}

TEST(Dataset, WebqaParaphraseFileErrors) {
  auto dir = test::shared_data_dir();
  test::TempDir out;
  Dataset plain = load_dataset("webqa", dir, "m", out.path());
  auto path = out.write("webqa/m/paraphrases.jsonl", webqa_paraphrase_lines(plain, 3));
  // A file that covers the first 3 questions serves a selection of them
  // (issue 23: the quick start with --max_samples) and names the first
  // question it lacks otherwise.
  Dataset part = load_dataset("webqa", dir, "m", out.path());
  EXPECT_TRUE(part.questions[2].paraphrased);
  EXPECT_FALSE(part.questions[3].paraphrased);
  EXPECT_EQ(part.questions[3].paraphrases.size(), 1u);
  EXPECT_NO_THROW(require_paraphrases(part, 3, "avg", "m"));
  std::string msg = error_of([&] { require_paraphrases(part, 10, "avg", "m"); });
  EXPECT_NE(msg.find(path.string() + ": no paraphrases for question 4 (uuid '" +
                     plain.questions[3].uuid + "'; 3 of 2032 questions covered)"),
            std::string::npos) << msg;
  EXPECT_NE(msg.find("--max_samples 10` to extend it"), std::string::npos) << msg;

  out.write("webqa/m/paraphrases.jsonl",
            "{\"uuid\": \"" + plain.questions[0].uuid + "\", \"paraphrase0\": \"other\"}\n");
  msg = error_of([&] { load_dataset("webqa", dir, "m", out.path()); });
  EXPECT_NE(msg.find(path.string() + ":1: paraphrase0 'other' is not the question"), std::string::npos) << msg;

  out.write("webqa/m/paraphrases.jsonl", "\n{\"uuid\": \"nope\", \"paraphrase0\": \"x\"}\n");
  msg = error_of([&] { load_dataset("webqa", dir, "m", out.path()); });
  EXPECT_EQ(msg, path.string() + ":2: uuid 'nope' is not a webqa test question");

  out.write("webqa/m/paraphrases.jsonl",
            "{\"uuid\": \"" + plain.questions[0].uuid + "\", \"paraphrase0\": 3}\n");
  msg = error_of([&] { load_dataset("webqa", dir, "m", out.path()); });
  EXPECT_EQ(msg, path.string() + ":1: field 'paraphrase0' missing or not a string");
}

TEST(Dataset, DemoEmbeddedCopyEqualsRepositoryFiles) {
  auto demo = test::source_dir() / "data" / "demo";
  EXPECT_EQ(std::string(demo_jsonl_text()), read_text_file(demo / "demo.jsonl"))
      << "run python3 data/demo/make_demo_cpp.py";
  EXPECT_EQ(std::string(demo_fewshot_text()), read_text_file(demo / "fewshot.txt"))
      << "run python3 data/demo/make_demo_cpp.py";
}

TEST(Dataset, DemoSetShape) {
  Dataset ds = load_dataset("demo", "/nonexistent-data", "m", "/nonexistent-out");
  EXPECT_EQ(ds.name, "demo");
  EXPECT_TRUE(ds.has_paraphrases);
  ASSERT_GE(ds.questions.size(), 60u);
  std::set<std::string> questions;
  for (const auto& q : ds.questions) {
    EXPECT_EQ(q.paraphrases[0], q.question);
    EXPECT_GE(q.paraphrases.size(), 7u) << q.uuid;  // the question + 6 paraphrases
    EXPECT_EQ(std::set<std::string>(q.paraphrases.begin(), q.paraphrases.end()).size(),
              q.paraphrases.size()) << q.uuid;
    EXPECT_FALSE(q.answers.empty());
    questions.insert(q.question);
  }
  EXPECT_EQ(ds.block.substr(0, kWebqaInstruction.size()), kWebqaInstruction);
  EXPECT_EQ(ds.block.back(), '4');  // "A: 24", trailing newline dropped
  // The 5 few-shot questions are not among the data set's.
  size_t n_examples = 0;
  for (size_t at = ds.block.find("Q: "); at != std::string::npos; at = ds.block.find("Q: ", at + 1)) {
    size_t end = ds.block.find('\n', at);
    EXPECT_EQ(questions.count(ds.block.substr(at + 3, end - at - 3)), 0u);
    ++n_examples;
  }
  EXPECT_EQ(n_examples, 5u);
}

TEST(Dataset, GenericJsonlPrependsQuestionWhenMissing) {
  test::TempDir dir;
  auto path = dir.write("mine.jsonl",
                        "{\"uuid\": \"a\", \"question\": \"Q1?\", \"paraphrases\": [\"P1\", \"P2\"], \"answers\": [\"x\"]}\n"
                        "\n"
                        "{\"uuid\": \"b\", \"question\": \"Q2?\", \"paraphrases\": [\"Q2?\", \"P3\"], \"answers\": [\"y\", \"z\"]}\n"
                        "{\"uuid\": \"c\", \"question\": \"Q3?\", \"answers\": [\"w\"]}\n");
  Dataset ds = load_dataset(path.string(), "/nonexistent-data", "m", "/nonexistent-out");
  EXPECT_EQ(ds.name, "mine");
  ASSERT_EQ(ds.questions.size(), 3u);
  EXPECT_EQ(ds.questions[0].paraphrases, (std::vector<std::string>{"Q1?", "P1", "P2"}));
  EXPECT_EQ(ds.questions[1].paraphrases, (std::vector<std::string>{"Q2?", "P3"}));
  EXPECT_EQ(ds.questions[2].paraphrases, (std::vector<std::string>{"Q3?"}));
  EXPECT_EQ(ds.questions[1].answers, (std::vector<std::string>{"y", "z"}));
  // Without a sibling few-shot file the demo block is used; with one, it is.
  EXPECT_EQ(ds.block, block_from_file_text(std::string(demo_fewshot_text()), "demo"));
  dir.write("mine.fewshot.txt", "Do it.\n\nQ: a\nA: b\n");
  ds = load_dataset(path.string(), "/nonexistent-data", "m", "/nonexistent-out");
  EXPECT_EQ(ds.block, "Do it.\n\nQ: a\nA: b");
}

TEST(Dataset, MalformedLinesNameFileLineAndField) {
  test::TempDir dir;
  auto load = [&](const std::string& text) {
    auto p = dir.write("bad.jsonl", text);
    return error_of([&] { load_dataset(p.string(), "/d", "m", "/o"); });
  };
  std::string f = (dir.path() / "bad.jsonl").string();
  const std::string ok = "{\"uuid\": \"a\", \"question\": \"q\", \"answers\": [\"x\"]}\n";
  EXPECT_EQ(load(ok + "{\"uuid\": \"b\", \"question\": \"q\"}\n"),
            f + ":2: field 'answers' missing or not a list of strings");
  EXPECT_EQ(load(ok + ok.substr(0, 9) + "\"b\", \"question\": \"q\", \"answers\": \"x\"}\n"),
            f + ":2: field 'answers' missing or not a list of strings");
  EXPECT_EQ(load(ok + "\n{\"uuid\": \"b\", \"question\": \"q\", \"answers\": [1]}\n"),
            f + ":3: field 'answers' missing or not a list of strings");
  EXPECT_EQ(load("{\"uuid\": \"b\", \"question\": \"q\", \"answers\": []}\n"),
            f + ":1: field 'answers' is an empty list");
  EXPECT_EQ(load("{\"uuid\": 5, \"question\": \"q\", \"answers\": [\"x\"]}\n"),
            f + ":1: field 'uuid' missing or not a string");
  EXPECT_EQ(load(ok + ok + ok.substr(0, 20)).substr(0, f.size() + 16), f + ":3: invalid JSON");
  EXPECT_EQ(load("[1, 2]\n"), f + ":1: not a JSON object");
  // A number past double's range (found by fuzz_dataset_jsonl): bad input, not a crash.
  EXPECT_EQ(load("{\"uuid\": 1e99999}\n").substr(0, f.size() + 16), f + ":1: invalid JSON");
  EXPECT_EQ(load(""), f + ": no records (empty JSONL file)");
  EXPECT_EQ(load("\n  \n"), f + ": no records (empty JSONL file)");
  EXPECT_EQ(load(ok + "\n" + ok), f + ":3: duplicate uuid 'a' (also on line 1)");
  EXPECT_NE(error_of([&] { load_dataset((dir.path() / "none.jsonl").string(), "/d", "m", "/o"); })
                .find("none.jsonl: file not found"),
            std::string::npos);
  EXPECT_NE(error_of([&] { load_dataset("nosuch", "/d", "m", "/o"); }).find("unknown data set 'nosuch'"),
            std::string::npos);
  // A missing data folder names --data-dir (issue 23); a missing file in it, the file.
  EXPECT_EQ(error_of([&] { load_dataset("webqa", dir.path(), "m", "/o"); }),
            (dir.path() / "webqa").string() + ": no such folder; point --data-dir at the folder "
            "that holds myriadlama/ and webqa/ (e.g. ../shared/data)");
  std::filesystem::create_directories(dir.path() / "webqa");
  EXPECT_NE(error_of([&] { load_dataset("webqa", dir.path(), "m", "/o"); }).find("train.jsonl: file not found"),
            std::string::npos);
}

TEST(OutputPaths, NamesAsTheOriginal) {
  OutputPaths out("datasets", "myriadlama", "HuggingFaceTB/SmolLM2-135M-Instruct");
  const fs::path d = "datasets/myriadlama/SmolLM2-135M-Instruct";
  EXPECT_EQ(out.dir(), d);
  EXPECT_EQ(out.origin(), d / "origin.feather");
  EXPECT_EQ(out.per_prompt(), d / "per_prompt.feather");
  EXPECT_EQ(out.confidence(), d / "confidence.feather");
  EXPECT_EQ(out.paraphrases(), d / "paraphrases.jsonl");
  EXPECT_EQ(out.ensemble("weighted_max", 6), d / "ensemble_weighted_max-6.feather");
  EXPECT_EQ(out.flex_attention(3), d / "flex_attention-3.feather");
  EXPECT_EQ(out.run_file("avg", 5), d / "ensemble_avg-5.feather");
  EXPECT_EQ(out.run_file("max", 5, {0, 2, 4}), d / "diversity" / "ensemble_max-0,2,4.feather");
  EXPECT_EQ(out.run_file("flex_attention", 2, {1, 1}), d / "diversity" / "flex_attention-1,1.feather");
  EXPECT_EQ(out.run_file("origin", 5, {0, 2}), d / "origin.feather");
  EXPECT_EQ(out.run_file("per_prompt", 5), d / "per_prompt.feather");
  ParaphraseSelection pool;
  pool.pool = PoolSpec{5, 5, 3};
  EXPECT_EQ(out.selection_file("avg", pool), d / "ensemble_avg-m5a5s3.feather");
  EXPECT_EQ(out.selection_file("flex_attention", pool), d / "flex_attention-m5a5s3.feather");
  EXPECT_EQ(out.selection_file("per_prompt", pool), d / "per_prompt-m5a5s3.feather");
  ParaphraseSelection synced;
  synced.n = 5;
  synced.synced = SyncedSpec{5, false};
  EXPECT_EQ(out.selection_file("max", synced), d / "syncedsample_ensemble_max-5paras-5samples.feather");
  synced.synced->repeat = true;
  EXPECT_EQ(out.selection_file("flex_attention", synced, "mean"),
            d / "syncedsample_flex_attention-5paras-5samples-repeat_mean.feather");
  EXPECT_EQ(out.selection_file("avg", ParaphraseSelection{}), d / "ensemble_avg-1.feather");
  EXPECT_THROW(out.ensemble("mean", 2), InputError);
  EXPECT_THROW(out.run_file("bogus", 2), InputError);
  EXPECT_EQ(output_model_name("llama3.2_3b_it"), "llama3.2_3b_it");
  EXPECT_EQ(output_model_name("/x/y/SmolLM2-135M-Instruct.Q4_1.gguf"), "SmolLM2-135M-Instruct.Q4_1");
  EXPECT_EQ(output_model_name("/hub/models/Qwen2.5-3B/"), "Qwen2.5-3B");
  EXPECT_THROW(output_model_name("/"), InputError);
  EXPECT_EQ(join_indexs({0, 2, 4}), "0,2,4");
}

}  // namespace
}  // namespace selfens::data
