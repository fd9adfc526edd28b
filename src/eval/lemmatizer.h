#pragma once
// Lemmas as the original project computed them: spaCy en_core_web_lg, each
// token's lemma lower-cased, one lemma per spaCy token (punctuation kept,
// whitespace tokens such as the extra spaces of "a   b" kept as they are).
//
// Tokens come from tokenize_en (spaCy's English tokenizer, reimplemented).
// spaCy picks a lemma from the part of speech its statistical tagger gives a
// token; there is no tagger here, so the part of speech is guessed from the
// word's shape and the spaCy lookup tables (see guess_lemma in the .cpp),
// then spaCy's own rule lemmatizer runs on the tables of spacy-lookups-data
// (lemma_rules, lemma_index, lemma_exc). Agreement with spaCy is measured on
// the lemma oracle (tests/eval/test_lemmatizer.cpp).
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "io/feather.h"

namespace selfens::eval {

class Lemmatizer {
 public:
  // The table file inside a lemma directory.
  static constexpr const char* kTableFile = "en_lemma_tables.tsv";

  // $SELFENS_LEMMA_DIR if set, else ~/.cache/selfens/lemma.
  static std::filesystem::path default_dir();
  // Reads DIR/en_lemma_tables.tsv (written by tools/lemma/fetch_lemma_resources.sh).
  // Throws InputError naming the path and the fix when it is missing or bad.
  static Lemmatizer load(const std::filesystem::path& dir);
  static Lemmatizer load_default() { return load(default_dir()); }

  // Lower-cased lemmas of text, one per token.
  std::vector<std::string> lemmas(std::string_view text) const;
  // The lemma of tokens[i] (its neighbours inform the guess).
  std::string lemma_of(const std::vector<std::string>& tokens, size_t i) const;

  // spaCy's Lemmatizer.rule_lemmatize for one part of speech ("noun", "verb",
  // "adj", "adv", "punct"): the first candidate, lower-cased.
  std::string rule_lemma(std::string_view word, std::string_view pos) const;
  bool in_index(std::string_view pos, const std::string& lemma) const;

 private:
  struct PosTables {
    std::unordered_set<std::string> index;                            // known lemmas
    std::unordered_map<std::string, std::vector<std::string>> exc;   // irregular forms
    std::vector<std::pair<std::string, std::string>> rules;           // (old suffix, new)
  };
  const PosTables* tables(std::string_view pos) const;
  const std::vector<std::string>* exception(std::string_view pos, const std::string& word) const;
  std::string guess_lemma(const std::vector<std::string>& tokens, size_t i, bool single_word) const;
  std::string lower_word_lemma(const std::string& lo) const;
  std::string capitalised_lemma(const std::string& lo, bool single_word) const;

  std::unordered_map<std::string, PosTables> pos_;  // key: "noun", "verb", ...
};

// Adds (or replaces) the original's --lemmaize columns of a result table:
// predict_lemma (list<utf8>) from `prediction` and answer_lemmas
// (list<list<utf8>>) from `answers`.
void add_lemma_columns(io::Table& table, const Lemmatizer& lemmatizer);

}  // namespace selfens::eval
