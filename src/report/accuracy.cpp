#include "report/accuracy.h"

#include "util/check.h"

namespace selfens::report {

const eval::Lemmatizer& LemmaSource::get() {
  if (!lemmatizer_) {
    const auto dir = dir_.empty() ? eval::Lemmatizer::default_dir() : dir_;
    lemmatizer_ = std::make_unique<eval::Lemmatizer>(eval::Lemmatizer::load(dir));
  }
  return *lemmatizer_;
}

const eval::LemmaSeq& LemmaSource::lemmas(const std::string& text) {
  auto it = memo_.find(text);
  if (it == memo_.end()) it = memo_.emplace(text, get().lemmas(text)).first;
  return it->second;
}

TableLemmas table_lemmas(const io::Table& table, LemmaSource& source) {
  TableLemmas out;
  if (table.has("predict_lemma")) {
    out.predict = table.list_utf8("predict_lemma");
  } else {
    const io::Strings& pred = table.utf8("prediction");
    out.predict.reserve(pred.size());
    for (const std::string& p : pred) out.predict.push_back(source.lemmas(p));
    out.computed = true;
  }
  if (table.has("answer_lemmas")) {
    out.answers = table.list_list_utf8("answer_lemmas");
  } else {
    const std::vector<io::Strings>& answers = table.list_utf8("answers");
    out.answers.reserve(answers.size());
    for (const io::Strings& row : answers) {
      std::vector<eval::LemmaSeq> seqs;
      for (const std::string& a : row) seqs.push_back(source.lemmas(a));
      out.answers.push_back(std::move(seqs));
    }
    out.computed = true;
  }
  SELFENS_CHECK(out.predict.size() == out.answers.size(), "lemma columns differ in length");
  return out;
}

std::vector<bool> row_correctness(const TableLemmas& lemmas) {
  std::vector<bool> out(lemmas.predict.size());
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = eval::is_correct(lemmas.predict[i], lemmas.answers[i]);
  return out;
}

std::vector<bool> row_correctness(const io::Table& table, LemmaSource& lemmas) {
  return row_correctness(table_lemmas(table, lemmas));
}

double accuracy(const std::vector<bool>& correct) {
  if (correct.empty()) return 0.0;
  size_t n = 0;
  for (bool c : correct) n += c;
  return double(n) / double(correct.size());
}

}  // namespace selfens::report
