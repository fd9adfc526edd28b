#include "data/paraphrase.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/test_paths.h"
#include "data/jsonl.h"
#include "data/output_paths.h"
#include "data/test_util.h"
#include "util/check.h"

namespace selfens::data {
namespace {

TEST(Paraphrase, PromptOfRoundTwo) {
  auto fs = load_paraphrase_fewshot(test::shared_data_dir() / "webqa" / "paraphrase_fewshot.json");
  EXPECT_EQ(fs.rounds, 5);
  EXPECT_FLOAT_EQ(fs.temperature, 1.5f);
  EXPECT_FLOAT_EQ(fs.top_p, 0.9f);
  EXPECT_EQ(fs.max_new_tokens, 30);
  ASSERT_EQ(fs.questions.size(), 5u);
  // The expected prompt, put together here from the file's own fields as its
  // prompt_format says (round 2: each example's third paraphrase).
  const auto j = nlohmann::json::parse(
      read_text_file(test::shared_data_dir() / "webqa" / "paraphrase_fewshot.json"));
  const std::string question = "which languages do people in chile speak?";
  std::string want = j["instruction"].get<std::string>() + "\n";
  for (size_t e = 0; e < j["examples"].size(); ++e) {
    if (e > 0) want += "\n\n";
    want += "Q: " + j["examples"][e]["question"].get<std::string>() +
            "\nParaphrase: " + j["examples"][e]["paraphrases"][2].get<std::string>();
  }
  want += "\n\nQ: " + question + "\nParaphrase:";
  std::string p = paraphrase_prompt(fs, 2, question);
  EXPECT_EQ(p, want);
  EXPECT_THROW(paraphrase_prompt(fs, 5, "q"), InputError);
}

TEST(Paraphrase, FewshotFileErrors) {
  test::TempDir dir;
  auto p = dir.write("f.json", "{\"instruction\": \"i\", \"examples\": [{\"question\": \"q\", \"paraphrases\": [\"a\"]}]}");
  try {
    load_paraphrase_fewshot(p);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), p.string() + ": examples[0]: field 'paraphrases' needs at least 5 strings (one per round)");
  }
  p = dir.write("g.json", "{\"examples\": []}");
  EXPECT_THROW(load_paraphrase_fewshot(p), InputError);
  p = dir.write("h.json", "{oops");
  EXPECT_THROW(load_paraphrase_fewshot(p), InputError);
}

TEST(Paraphrase, FirstLineStripped) {
  EXPECT_EQ(first_line_stripped("  who is it?\nQ: next\n"), "who is it?");
  EXPECT_EQ(first_line_stripped("\n\n  x y  "), "x y");
  EXPECT_EQ(first_line_stripped(" \n "), "");
}

TEST(Paraphrase, WrittenFileLoadsBackAsWebqaParaphrases) {
  auto data = test::shared_data_dir();
  test::TempDir out;
  Dataset ds = load_dataset("webqa", data, "m", out.path());
  for (auto& q : ds.questions)
    for (int r = 1; r <= 5; ++r) q.paraphrases.push_back("para " + std::to_string(r) + " of " + q.question);
  ds.questions[7].paraphrases[3] = "bad utf8 \xC3";
  write_paraphrases_jsonl(OutputPaths(out.path(), "webqa", "m").paraphrases(), ds.questions);
  Dataset back = load_dataset("webqa", data, "m", out.path());
  ASSERT_TRUE(back.has_paraphrases);
  ASSERT_EQ(back.questions.size(), ds.questions.size());
  EXPECT_EQ(back.questions[0].paraphrases, ds.questions[0].paraphrases);
  EXPECT_EQ(back.questions[2031].paraphrases, ds.questions[2031].paraphrases);
  EXPECT_EQ(back.questions[7].paraphrases[3], "bad utf8 \xEF\xBF\xBD");  // U+FFFD
}

}  // namespace
}  // namespace selfens::data
