#pragma once
// Accuracy of a result table, as the original scored it: a row is correct
// when some gold answer's lemma sequence occurs contiguously in the
// prediction's lemma sequence (eval::is_correct; an empty answers list is
// never correct).
//
// Lemmas come from the table's `predict_lemma` (list<utf8>) and
// `answer_lemmas` (list<list<utf8>>) columns when present; a missing one is
// computed from `prediction` (utf8) / `answers` (list<utf8>) with the
// Lemmatizer, loaded on first need (its own error names the missing
// resource). Errors name the file (Table::origin) and the column.
#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "eval/lemmatizer.h"
#include "eval/match.h"
#include "io/feather.h"

namespace selfens::report {

// A Lemmatizer loaded on first use from `dir` (Lemmatizer::default_dir()
// when empty), shared by every table of one report.
class LemmaSource {
 public:
  explicit LemmaSource(std::filesystem::path dir = {}) : dir_(std::move(dir)) {}
  const eval::Lemmatizer& get();  // throws the Lemmatizer's InputError
  bool loaded() const { return lemmatizer_ != nullptr; }
  // The lemmas of `text`, remembered: a report's files repeat the same
  // answers (every method's file lists each question's gold answers) and
  // many of the same predictions.
  const eval::LemmaSeq& lemmas(const std::string& text);

 private:
  std::filesystem::path dir_;
  std::unique_ptr<eval::Lemmatizer> lemmatizer_;
  std::unordered_map<std::string, eval::LemmaSeq> memo_;
};

struct TableLemmas {
  std::vector<eval::LemmaSeq> predict;               // [rows]
  std::vector<std::vector<eval::LemmaSeq>> answers;  // [rows][answers]
  bool computed = false;  // some lemmas were computed here (not read)
};

TableLemmas table_lemmas(const io::Table& table, LemmaSource& lemmas);

// Per-row correctness, [rows].
std::vector<bool> row_correctness(const TableLemmas& lemmas);
std::vector<bool> row_correctness(const io::Table& table, LemmaSource& lemmas);

// Fraction of true values; 0 for an empty vector.
double accuracy(const std::vector<bool>& correct);

}  // namespace selfens::report
