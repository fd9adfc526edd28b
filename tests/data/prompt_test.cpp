#include "data/prompt.h"

#include <gtest/gtest.h>

#include <sstream>

#include "common/test_paths.h"
#include "data/dataset.h"
#include "data/jsonl.h"
#include "data/test_util.h"
#include "util/check.h"

namespace selfens::data {
namespace {

TEST(Prompt, LayoutMatchesOriginalFString) {
  EXPECT_EQ(build_prompt("INSTR\n\nQ: a\nA: b", "what?"), "INSTR\n\nQ: a\nA: b\n\nQ: what?\nA:");
  PromptParts p = prompt_parts("BLOCK", "x y");
  EXPECT_EQ(p.prefix, "BLOCK\n\n");
  EXPECT_EQ(p.question_part, "Q: x y\nA:");
  EXPECT_EQ(p.full(), build_prompt("BLOCK", "x y"));
}

TEST(Prompt, BlockFromFileDropsTrailingNewlinesOnly) {
  EXPECT_EQ(block_from_file_text("a\n\nb\n", "f"), "a\n\nb");
  EXPECT_EQ(block_from_file_text("a\r\n\r\n", "f"), "a");
  EXPECT_EQ(block_from_file_text("a", "f"), "a");
  EXPECT_THROW(block_from_file_text("\n\n", "f"), InputError);
}

// The C++ port of random.seed(s); random.sample(range(n), k) equals CPython's,
// on both of sample's branches (pool for small n, set of picks for large n).
TEST(Prompt, PythonRandomSampleMatchesCPython) {
  struct Case { uint64_t seed; uint32_t n, k; };
  const Case cases[] = {{42, 3778, 5}, {42, 2000, 5}, {0, 10, 10}, {7, 21, 5},
                        {123, 22, 5}, {42, 100, 30}, {1u << 31, 50, 6},
                        {(uint64_t{1} << 40) + 3, 1000, 7}, {5, 1, 1}};
  std::ostringstream py;
  py << "import random\n";
  for (const auto& c : cases)
    py << "random.seed(" << c.seed << "); print(*random.sample(range(" << c.n << "), "
       << c.k << "))\n";
  std::string out = test::run_capture("python3 -c '" + py.str() + "'");
  std::istringstream lines(out);
  for (const auto& c : cases) {
    std::string line;
    ASSERT_TRUE(std::getline(lines, line));
    std::ostringstream mine;
    auto got = python_random_sample(c.seed, c.n, c.k);
    for (size_t i = 0; i < got.size(); ++i) mine << (i ? " " : "") << got[i];
    EXPECT_EQ(mine.str(), line) << "seed " << c.seed << " n " << c.n << " k " << c.k;
  }
  EXPECT_THROW(python_random_sample(1, 3, 4), InputError);
}

TEST(Prompt, WebqaFewShotIndicesAreTheOriginals) {
  std::string py = test::run_capture(
      "python3 -c 'import random; random.seed(42); print(*random.sample(range(3778), 5))'");
  EXPECT_EQ(py, "2619 456 102 3037 1126\n");
  auto got = python_random_sample(42, 3778, 5);
  EXPECT_EQ(got, (std::vector<uint32_t>{2619, 456, 102, 3037, 1126}));
}

// The WebQA block as DESIGN section 4 describes it: the instruction, then
// train examples 2619, 456, 102, 3037, 1126 (Python's random.seed(42);
// random.sample(range(3778), 5)) as "Q: {q}\nA: {answers[0]}", built here
// from the train file independently of the library.
std::string expected_webqa_block(const std::vector<JsonlRecord>& train) {
  std::string block =
      "Answer the question based on general world knowledge. Provide a short and direct answer.";
  for (size_t i : {2619, 456, 102, 3037, 1126})
    block += "\n\nQ: " + train[i].str("question") + "\nA: " + train[i].str_list("answers")[0];
  return block;
}

TEST(Prompt, WebqaPromptIsByteIdentical) {
  auto dir = test::shared_data_dir();
  auto train = read_jsonl(dir / "webqa" / "train.jsonl");
  ASSERT_EQ(train.size(), 3778u);
  const std::string block = expected_webqa_block(train);
  Dataset ds = load_dataset("webqa", dir, "SmolLM2-135M-Instruct", "/nonexistent-out");
  EXPECT_EQ(ds.block, block);
  const Question& q = ds.questions[0];
  EXPECT_EQ(build_prompt(ds.block, q.question), block + "\n\nQ: " + q.question + "\nA:");
  PromptParts parts = prompt_parts(ds.block, q.question);
  EXPECT_EQ(parts.prefix, block + "\n\n");
  EXPECT_EQ(parts.prefix + parts.question_part, build_prompt(ds.block, q.question));
}

TEST(Prompt, MyriadlamaPromptIsByteIdentical) {
  auto dir = test::shared_data_dir();
  std::string file = read_text_file(dir / "myriadlama" / "fewshot.txt");
  Dataset ds = load_dataset("myriadlama", dir, "m", "/nonexistent-out");
  EXPECT_EQ(ds.block, file);  // the file has no trailing newline: used verbatim
  // The data is read from the data folder, not copied here.
  const auto raw = read_jsonl(dir / "myriadlama" / "test.jsonl");
  const auto manual = raw[0].str_list("manual");
  const Question& q = ds.questions[0];
  EXPECT_EQ(q.question, manual[0]);
  EXPECT_NE(q.question.find("[MASK]"), std::string::npos);  // test questions keep "[MASK]"
  EXPECT_EQ(build_prompt(ds.block, q.question), file + "\n\nQ: " + manual[0] + "\nA:");
  PromptParts parts = prompt_parts(ds.block, q.paraphrases[2]);
  EXPECT_EQ(parts.prefix, file + "\n\n");
  EXPECT_EQ(parts.question_part, "Q: " + manual[2] + "\nA:");
  // Few-shot questions keep "[MASK]" in the text too.
  EXPECT_NE(file.find("Q: [MASK]"), std::string::npos);
}

}  // namespace
}  // namespace selfens::data
