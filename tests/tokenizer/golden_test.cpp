// Every family against the goldens of Hugging Face `tokenizers`
// (tools/reference/make_tokenizer_goldens.py): ids of each corpus string,
// decoding (with and without special tokens, invalid UTF-8), round trips.
#include "tokenizer/tokenizer_test_util.h"

namespace selfens {
namespace {

using test::family_tokenizer;
using test::read_jsonl;
using test::show;
using test::tokenizer_fixtures;

// Family -> the goldens it must reproduce.
std::string golden_name(const std::string& family) {
  return family == "smollm2_gguf" ? "smollm2" : family;
}

void check_encode(const Tokenizer& tok, const std::string& family) {
  const auto rows = read_jsonl(tokenizer_fixtures() / (golden_name(family) + ".jsonl"));
  ASSERT_GE(rows.size(), 200u);
  int bad = 0;
  for (const auto& r : rows) {
    const std::string text = r["text"].get<std::string>();
    const auto want = r["ids"].get<std::vector<int32_t>>();
    const auto got = tok.encode(text, true);
    if (got != want && ++bad <= 10)
      ADD_FAILURE() << "text " << nlohmann::json(text).dump() << "\n want " << show(want)
                    << "\n got  " << show(got);
  }
  EXPECT_EQ(bad, 0) << "of " << rows.size();
}

void check_decode(const Tokenizer& tok, const std::string& family) {
  const auto rows = read_jsonl(tokenizer_fixtures() / (golden_name(family) + "_decode.jsonl"));
  ASSERT_GE(rows.size(), 50u);
  for (const auto& r : rows) {
    const auto ids = r["ids"].get<std::vector<int32_t>>();
    const bool skip = r["skip_special"].get<bool>();
    EXPECT_EQ(tok.decode(ids, skip), r["text"].get<std::string>())
        << show(ids) << " skip_special=" << skip;
  }
}

// decode(encode(x)) gives x back, except that Qwen2 normalizes to NFC; with
// skip_special it gives what `tokenizers` gives (the goldens' "decoded").
void check_round_trip(const Tokenizer& tok, const std::string& family) {
  for (const auto& r : read_jsonl(tokenizer_fixtures() / (golden_name(family) + ".jsonl"))) {
    const std::string text = r["text"].get<std::string>();
    if (family != "qwen2") {
      EXPECT_EQ(tok.decode(tok.encode(text, false)), text) << nlohmann::json(text).dump();
    }
    EXPECT_EQ(tok.decode(tok.encode(text, true), true), r["decoded"].get<std::string>())
        << nlohmann::json(text).dump();
  }
}

class Golden : public ::testing::TestWithParam<std::string> {};

// One test per family (ctest runs each test in its own process, and loading
// a 10 MB tokenizer.json is the slow part).
TEST_P(Golden, MatchesTokenizers) {
  const Tokenizer& tok = family_tokenizer(GetParam());
  SCOPED_TRACE(GetParam());
  check_encode(tok, GetParam());
  check_decode(tok, GetParam());
  check_round_trip(tok, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Families, Golden,
                         ::testing::Values("smollm2", "smollm2_gguf", "gpt2_bytelevel", "llama3",
                                           "qwen2"));

}  // namespace
}  // namespace selfens
