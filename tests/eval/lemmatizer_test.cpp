// Lemmas against spaCy en_core_web_lg: the lemma oracle in the shared data
// (texts with the lemmas spaCy gave them), plus named cases.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/test_paths.h"
#include "eval/lemmatizer.h"
#include "util/check.h"

namespace selfens::eval {
namespace {

using Lemmas = std::vector<std::string>;

const Lemmatizer& lemmatizer() {
  static const Lemmatizer lem = Lemmatizer::load_default();
  return lem;
}

TEST(Lemmatizer, AgreesWithSpacyOnOracle) {
  const auto path = test::shared_data_dir() / "lemma-oracle" / "dev.jsonl";
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << "lemma oracle missing at " << path;
  int total = 0, exact = 0;
  std::string line;
  while (std::getline(in, line)) {
    const auto row = nlohmann::json::parse(line);
    const Lemmas want = row["lemmas"].get<Lemmas>();
    const Lemmas got = lemmatizer().lemmas(row["text"].get<std::string>());
    ++total;
    if (got == want) {
      ++exact;
    } else if (std::getenv("SELFENS_SHOW_MISMATCH") != nullptr) {
      std::cout << "MISMATCH " << line << " ->";
      for (const auto& l : got) std::cout << " [" << l << "]";
      std::cout << "\n";
    }
  }
  const double rate = total > 0 ? static_cast<double>(exact) / total : 0.0;
  std::cout << "lemma oracle: " << exact << " / " << total << " texts exact (" << rate * 100 << "%)\n";
  EXPECT_GT(total, 1000);
  EXPECT_GE(rate, 0.97);
}

TEST(Lemmatizer, LowerCasedTokensWithPunctuation) {
  EXPECT_EQ(lemmatizer().lemmas("BP plc,"), (Lemmas{"bp", "plc", ","}));
  EXPECT_EQ(lemmatizer().lemmas("[MASK]"), (Lemmas{"[", "mask", "]"}));
  EXPECT_EQ(lemmatizer().lemmas("St. John's"), (Lemmas{"st.", "john", "'s"}));
  EXPECT_TRUE(lemmatizer().lemmas("").empty());
}

TEST(Lemmatizer, WhitespaceTokensKept) {
  EXPECT_EQ(lemmatizer().lemmas("INTEL  (CA)"), (Lemmas{"intel", " ", "(", "ca", ")"}));
}

TEST(Lemmatizer, InflectedWords) {
  EXPECT_EQ(lemmatizer().lemmas("cities"), (Lemmas{"city"}));
  EXPECT_EQ(lemmatizer().lemmas("He is a musician."), (Lemmas{"he", "be", "a", "musician", "."}));
  EXPECT_EQ(lemmatizer().lemmas("Downtown Orlando is located in Florida."),
            (Lemmas{"downtown", "orlando", "be", "locate", "in", "florida", "."}));
  EXPECT_EQ(lemmatizer().lemmas("don't"), (Lemmas{"do", "not"}));
  EXPECT_EQ(lemmatizer().lemmas("United States"), (Lemmas{"united", "states"}));  // proper noun
  EXPECT_EQ(lemmatizer().lemmas("wharves"), (Lemmas{"wharf"}));
}

TEST(Lemmatizer, RuleLemmatizeLikeSpacy) {
  EXPECT_EQ(lemmatizer().rule_lemma("leeds", "noun"), "leed");   // out-of-vocabulary fallback
  EXPECT_EQ(lemmatizer().rule_lemma("singing", "verb"), "singe");  // first rule in the index
  EXPECT_EQ(lemmatizer().rule_lemma("“", "punct"), "\"");
}

TEST(Lemmatizer, MissingTablesNameTheFix) {
  const auto dir = std::filesystem::temp_directory_path() / "selfens_no_lemma_tables";
  std::filesystem::create_directories(dir);
  try {
    Lemmatizer::load(dir);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("lemma tables missing at"), std::string::npos) << msg;
    EXPECT_NE(msg.find("fetch_lemma_resources.sh"), std::string::npos) << msg;
  }
}

TEST(Lemmatizer, MalformedTablesRejected) {
  const auto dir = std::filesystem::temp_directory_path() / "selfens_bad_lemma_tables";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / Lemmatizer::kTableFile) << "X\tnoun\n";
  EXPECT_THROW(Lemmatizer::load(dir), InputError);
}

}  // namespace
}  // namespace selfens::eval
