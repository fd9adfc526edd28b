#include "eval/match.h"

#include <algorithm>

namespace selfens::eval {

bool partial_match(const LemmaSeq& pred, const LemmaSeq& answer) {
  if (answer.empty() || answer.size() > pred.size()) return false;
  return std::search(pred.begin(), pred.end(), answer.begin(), answer.end()) != pred.end();
}

bool bidirectional_match(const LemmaSeq& a, const LemmaSeq& b) {
  return partial_match(a, b) || partial_match(b, a);
}

bool is_correct(const LemmaSeq& pred, const std::vector<LemmaSeq>& answers) {
  return std::any_of(answers.begin(), answers.end(),
                     [&](const LemmaSeq& answer) { return partial_match(pred, answer); });
}

}  // namespace selfens::eval
