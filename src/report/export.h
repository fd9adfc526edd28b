#pragma once
// `selfens analyze --export FILE.csv|FILE.feather`: one row per question
// and result file (per_prompt: per question and paraphrase), as the
// original's analyze_detailed.py exported them: uuid, method (the file's
// label), n, paraphrase_index (-1 but for per_prompt), prediction, answers,
// correct (the lemma match), paraphrase_predictions (per_prompt's first N
// predictions for the question, when per_prompt.feather is there). A CSV
// joins lists with " | ". pandas turns the Feather file into Parquet or Excel
// in one line (README).
#include <filesystem>
#include <vector>

#include "report/paraphrase_figures.h"
#include "report/result_cache.h"

namespace selfens::report {

// InputError unless the path ends in .csv or .feather.
void check_export_path(const std::filesystem::path& path);

// Writes (atomically) the rows of `files` (label, path) restricted to `only`
// (null: all rows), with per_prompt's predictions beside them.
void export_rows(ResultCache& cache, const std::vector<FusedFile>& files,
                 const std::filesystem::path& per_prompt, int n, const UuidSet* only,
                 const std::filesystem::path& out);

}  // namespace selfens::report
