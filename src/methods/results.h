#pragma once
// Result rows of a generate run and their Feather table, with the original's
// columns: uuid, answers, paraphrases, prompts, prediction, generation
// (per_prompt adds paraphrase_index: one row per question and paraphrase),
// and after lemmatizing predict_lemma, answer_lemmas.
#include <cstdint>
#include <filesystem>
#include <set>
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
};

// Rows in question order -> table with metadata. per_prompt: with
// paraphrase_index column.
io::Table rows_to_table(const std::vector<ResultRow>& rows, bool per_prompt,
                        const io::Metadata& metadata);
// Reads back rows of an earlier (possibly interrupted) run of the same file.
std::vector<ResultRow> rows_from_table(const io::Table& table, bool per_prompt);

}  // namespace selfens
