#pragma once
// Result rows of a generate run and their Feather table, with the original's
// columns: uuid, answers, paraphrases, prompts, prediction, generation
// (per_prompt adds paraphrase_index: one row per question and paraphrase;
// pool and synced-sample runs add paraphrase_indices, the positions in the
// question's list each row asked, and synced samples sample_index), and
// after lemmatizing predict_lemma, answer_lemmas.
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
  std::vector<int64_t> paraphrase_indices;  // positions asked (pools, synced samples)
  int64_t sample_index = -1;                // synced samples only
  std::string prediction;
  std::string generation;
  // --margins: the smallest gap between the best and the second-best fused
  // score over the row's generated tokens, in the fused score's units
  // (logits; probabilities for `max`); NaN when not recorded.
  double margin = std::numeric_limits<double>::quiet_NaN();
};

// The optional columns of a result file.
struct ResultColumns {
  bool paraphrase_index = false;    // per_prompt
  bool paraphrase_indices = false;  // pools, synced samples
  bool sample_index = false;        // synced samples
  bool margin = false;              // --margins (float64)
};

// Rows in question order -> table with metadata.
io::Table rows_to_table(const std::vector<ResultRow>& rows, const ResultColumns& columns,
                        const io::Metadata& metadata);
// The CSV copy of a result file the original wrote beside each Feather file:
// `feather_path` with .csv, pandas' to_csv(index=False) of `table`
// (io/csv.h), plus a `correctness` column (True/False, the lemmatized
// partial match) when the table has predict_lemma and answer_lemmas.
void write_csv_copy(const std::filesystem::path& feather_path, const io::Table& table);

// Reads back rows of an earlier (possibly interrupted) run of the same file.
std::vector<ResultRow> rows_from_table(const io::Table& table, const ResultColumns& columns);

}  // namespace selfens
