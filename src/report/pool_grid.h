#pragma once
// The original's experiment grid in a results folder: paraphrase-pool files
// ({stem}-m{M}a{A}s{S}[_variant].feather) and synced-sample files
// (syncedsample_{stem}-{N}paras-{S}samples[-repeat][_variant].feather), as
// `selfens generate` names them (data/output_paths.h).
//
// Pool cells are scored on the questions every pool file of the folder
// answers (so that the cells compare like with like); each cell also keeps
// its own question count. Synced-sample files hold S rows per question: their
// accuracy is over all rows, with the accuracy of each sample index beside
// it (how much the drawn ordering moves the answer).
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/result_cache.h"

namespace selfens::report {

struct PoolCell {
  std::string method;   // method name, e.g. "avg"
  std::string variant;  // fusion options of a fused plan ("" default)
  int manual = 0, autos = 0, samples = 0;
  std::filesystem::path file;
  size_t own_questions = 0;
  size_t questions = 0, correct = 0;  // on the shared questions
  double accuracy = 0;
  std::string label() const;  // "avg-m5a5s3"
  std::string pool() const;   // "m5a5"
};

struct SyncedResult {
  std::string method, variant;
  int n = 0, samples = 0;
  bool repeat = false;
  std::filesystem::path file;
  size_t questions = 0, rows = 0, correct = 0;
  double accuracy = 0;                 // over all rows
  std::vector<double> by_sample;       // accuracy of rows with sample_index k
  // Questions whose samples disagree in correctness: the ordering decides.
  size_t order_sensitive = 0;
  std::string label() const;  // "syncedsample avg-5paras-5samples"
};

struct PoolGrid {
  std::vector<PoolCell> cells;      // by method, pool (M, A), then S
  size_t shared_questions = 0;
  bool mismatched_sets = false;     // some pool file answers other questions too
  std::vector<SyncedResult> synced;
  bool empty() const { return cells.empty() && synced.empty(); }
};

// Pool and synced files of `dir` (none: an empty grid).
PoolGrid pool_grid(ResultCache& cache, const std::filesystem::path& dir);

std::string pool_grid_text(const PoolGrid& g);
nlohmann::json pool_grid_json(const PoolGrid& g);
// Tables and one heat map per method (pools down, S across), inline SVG.
std::string pool_grid_html(const PoolGrid& g);

}  // namespace selfens::report
