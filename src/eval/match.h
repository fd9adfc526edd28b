#pragma once
// Answer matching on lemma sequences, as the original project scored rows.
//
//   partial_match(pred, answer): answer occurs contiguously in pred.
//   bidirectional_match(a, b):   a occurs in b or b occurs in a (confidence).
//   is_correct(pred, answers):   some answer partially matches pred.
//
// Empty sequences: an empty answer never matches (an empty gold answer would
// otherwise make every row correct), and nothing matches inside an empty
// prediction. bidirectional_match is false when either side is empty. An
// empty answer list is never correct.
#include <string>
#include <vector>

namespace selfens::eval {

using LemmaSeq = std::vector<std::string>;

bool partial_match(const LemmaSeq& pred, const LemmaSeq& answer);
bool bidirectional_match(const LemmaSeq& a, const LemmaSeq& b);
bool is_correct(const LemmaSeq& pred, const std::vector<LemmaSeq>& answers);

}  // namespace selfens::eval
