// Accuracy over tables equals a direct recomputation from the lemma columns
// (an independent contiguous-match loop, not eval::is_correct).
#include <gtest/gtest.h>

#include "eval/lemmatizer.h"
#include "report/accuracy.h"
#include "report/fixture.h"
#include "util/check.h"

namespace selfens::report {
namespace {

// Gold occurs contiguously in pred; empty gold never matches.
bool contains(const std::vector<std::string>& pred, const std::vector<std::string>& gold) {
  if (gold.empty() || gold.size() > pred.size()) return false;
  for (size_t s = 0; s + gold.size() <= pred.size(); ++s) {
    size_t k = 0;
    while (k < gold.size() && pred[s + k] == gold[k]) ++k;
    if (k == gold.size()) return true;
  }
  return false;
}

double recompute(const io::Table& t) {
  const auto& pl = t.list_utf8("predict_lemma");
  const auto& al = t.list_list_utf8("answer_lemmas");
  size_t ok = 0;
  for (size_t i = 0; i < pl.size(); ++i) {
    bool any = false;
    for (const auto& g : al[i]) any = any || contains(pl[i], g);
    ok += any;
  }
  return pl.empty() ? 0.0 : double(ok) / double(pl.size());
}

TEST(Accuracy, EqualsRecomputationFromLemmaColumns) {
  const std::vector<std::vector<std::string>> runs = {
      {"Paris", "Obama", "", "Zürich"},
      {"the city of paris", "barack obama jr", "x", "zürich"},
      {"", "", "", ""},
      {"Obama Barack", "Barack", "Paris", "ZÜRICH"},  // order matters; no case folding of non-ASCII here
  };
  LemmaSource never("/nonexistent-lemma-dir");  // lemma columns present: not loaded
  for (const auto& preds : runs) {
    const io::Table t = test::result_table("avg", 3, preds);
    const std::vector<bool> c = row_correctness(t, never);
    EXPECT_DOUBLE_EQ(accuracy(c), recompute(t));
    EXPECT_FALSE(c[2]);  // u3 has no gold answers: never correct
  }
  EXPECT_FALSE(never.loaded());
  EXPECT_DOUBLE_EQ(accuracy({}), 0.0);
}

TEST(Accuracy, PartialMatchIsContiguous) {
  const io::Table t = test::result_table("avg", 3, {"the paris", "obama barack", "", "zürich!"});
  LemmaSource never("/nonexistent-lemma-dir");
  const std::vector<bool> c = row_correctness(t, never);
  EXPECT_EQ(c, (std::vector<bool>{true, true, false, false}));  // "zürich!" is one word here
}

TEST(Accuracy, LemmatizesWhenColumnsAreMissing) {
  const io::Table t =
      test::result_table("origin", 1, {"It is Paris.", "Barack Obama", "nothing", "Zürich"}, false);
  LemmaSource source;  // Lemmatizer::default_dir()
  const TableLemmas l = table_lemmas(t, source);
  EXPECT_TRUE(l.computed);
  const eval::Lemmatizer& lem = source.get();
  EXPECT_EQ(l.predict[0], lem.lemmas("It is Paris."));
  // The result equals a recomputation over the Lemmatizer's own lemmas.
  io::Table with = t;
  with.set("predict_lemma", l.predict);
  with.set("answer_lemmas", l.answers);
  EXPECT_DOUBLE_EQ(accuracy(row_correctness(t, source)), recompute(with));
  EXPECT_TRUE(row_correctness(t, source)[0]);
  EXPECT_FALSE(row_correctness(t, source)[2]);
}

TEST(Accuracy, MissingColumnNamesFileAndColumn) {
  io::Table t = test::result_table("origin", 1, {"a", "b", "c", "d"}, false);
  t.remove("prediction");
  LemmaSource source;
  try {
    row_correctness(t, source);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("origin: column 'prediction' missing"),
              std::string::npos)
        << e.what();
  }
}

TEST(Accuracy, MissingLemmaResourcesFailClearly) {
  const io::Table t = test::result_table("origin", 1, {"a", "b", "c", "d"}, false);
  LemmaSource source("/nonexistent-lemma-dir");
  try {
    row_correctness(t, source);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-lemma-dir"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace selfens::report
