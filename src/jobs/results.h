#pragma once
// Result rows of a generate run and their Feather table, with the original's
// columns: uuid, answers, paraphrases, prompts, prediction, generation
// (per_prompt adds paraphrase_index: one row per question and paraphrase),
// and after lemmatizing predict_lemma, answer_lemmas.
#include <cstdint>
#include <filesystem>
#include <set>
#include <limits>
#include <string>
#include <vector>

#include "io/feather.h"

namespace selfens {

struct ResultRow {
  size_t question = 0;  // index in the data set (ordering only, not written)
  std::string uuid;
  std::vector<std::string> answers;
  std::vector<std::string> paraphrases;
  std::vector<std::string> prompts;
  int64_t paraphrase_index = -1;  // per_prompt only
  std::string prediction;
  std::string generation;
  // --margins: the smallest gap between the best and the second-best fused
  // score over the row's generated tokens, in the fused score's units
  // (logits; probabilities for `max`); NaN when not recorded.
  double margin = std::numeric_limits<double>::quiet_NaN();
};

// Rows in question order -> table with metadata. per_prompt: with
// paraphrase_index column.
// with_margins: also the `margin` column (float64).
io::Table rows_to_table(const std::vector<ResultRow>& rows, bool per_prompt,
                        const io::Metadata& metadata, bool with_margins = false);
// Reads back rows of an earlier (possibly interrupted) run of the same file.
std::vector<ResultRow> rows_from_table(const io::Table& table, bool per_prompt);

}  // namespace selfens
