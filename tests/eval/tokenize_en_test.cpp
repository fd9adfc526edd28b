// The English tokenizer against spaCy's: goldens made by
// tools/lemma/make_tokenizer_goldens.py (spacy.blank("en")), plus named cases.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/test_paths.h"
#include "eval/tokenize_en.h"

namespace selfens::eval {
namespace {

using Tokens = std::vector<std::string>;

TEST(TokenizeEn, MatchesSpacyGoldens) {
  const auto path = test::source_dir() / "tests" / "eval" / "tokenizer_cases.jsonl";
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << path;
  std::string line;
  std::getline(in, line);  // header: spaCy version
  int cases = 0;
  while (std::getline(in, line)) {
    const auto row = nlohmann::json::parse(line);
    const std::string text = row["text"];
    EXPECT_EQ(tokenize_en(text), row["tokens"].get<Tokens>()) << "text: " << text;
    ++cases;
  }
  EXPECT_GT(cases, 100);
}

TEST(TokenizeEn, Possessives) {
  EXPECT_EQ(tokenize_en("St. John's"), (Tokens{"St.", "John", "'s"}));
  EXPECT_EQ(tokenize_en("James' book"), (Tokens{"James", "'", "book"}));
  EXPECT_EQ(tokenize_en("Beyoncé’s"), (Tokens{"Beyoncé", "’s"}));
}

TEST(TokenizeEn, Contractions) {
  EXPECT_EQ(tokenize_en("don't"), (Tokens{"do", "n't"}));
  EXPECT_EQ(tokenize_en("can't"), (Tokens{"ca", "n't"}));
  EXPECT_EQ(tokenize_en("I'm"), (Tokens{"I", "'m"}));
  EXPECT_EQ(tokenize_en("don’t"), (Tokens{"do", "n’t"}));
  EXPECT_EQ(tokenize_en("its"), (Tokens{"its"}));  // excluded: not "it s"
}

TEST(TokenizeEn, Abbreviations) {
  for (const char* abbr : {"Corp.", "Inc.", "N.H.", "U.S.", "Mr.", "St.", "a.m.", "Ph.D."}) {
    EXPECT_EQ(tokenize_en(abbr), (Tokens{abbr}));
  }
  EXPECT_EQ(tokenize_en("e.u."), (Tokens{"e.u", "."}));
  EXPECT_EQ(tokenize_en("He left."), (Tokens{"He", "left", "."}));
}

TEST(TokenizeEn, HyphensAndNumbers) {
  EXPECT_EQ(tokenize_en("well-known"), (Tokens{"well", "-", "known"}));
  EXPECT_EQ(tokenize_en("B-52s"), (Tokens{"B-52s"}));
  EXPECT_EQ(tokenize_en("1,000,000.5"), (Tokens{"1,000,000.5"}));
  EXPECT_EQ(tokenize_en("1-2"), (Tokens{"1", "-", "2"}));
  EXPECT_EQ(tokenize_en("10km"), (Tokens{"10", "km"}));
}

TEST(TokenizeEn, NonAsciiEmojiUrls) {
  EXPECT_EQ(tokenize_en("Moët Hennessy"), (Tokens{"Moët", "Hennessy"}));
  EXPECT_EQ(tokenize_en("🇲🇳"), (Tokens{"🇲", "🇳"}));
  EXPECT_EQ(tokenize_en("http://www.google.com/x?y=1"), (Tokens{"http://www.google.com/x?y=1"}));
}

TEST(TokenizeEn, Whitespace) {
  EXPECT_TRUE(tokenize_en("").empty());
  EXPECT_EQ(tokenize_en("a  b"), (Tokens{"a", " ", "b"}));
  EXPECT_EQ(tokenize_en(" a "), (Tokens{" ", "a"}));
  EXPECT_EQ(tokenize_en("a\nb"), (Tokens{"a", "\n", "b"}));
}

TEST(TokenizeEn, InvalidUtf8DoesNotThrow) {
  const auto toks = tokenize_en(std::string("ab\xFF\xC3", 4));
  ASSERT_FALSE(toks.empty());
}

TEST(Unicode, LowerAndAlpha) {
  EXPECT_EQ(utf8_lower("Moët ÉCOLE Москва ΑΘΗΝΑ"), "moët école москва αθηνα");
  EXPECT_TRUE(is_alpha_char(U'é'));
  EXPECT_FALSE(is_alpha_char(U'-'));
  EXPECT_TRUE(is_space_char(U'\u00a0'));
}

}  // namespace
}  // namespace selfens::eval
