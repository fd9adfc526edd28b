#pragma once
// `selfens analyze`: accuracy and comparison of the result files of one
// (dataset, model) pair, as the original's analysis script printed them,
// plus a JSON form and a self-contained HTML page.
//
// Files read from {output_dir}/{dataset}/{model}/ (model through
// data::output_model_name): origin.feather, per_prompt.feather,
// ensemble_{avg|max|weighted_avg|weighted_max}-{N}.feather,
// flex_attention-{N}.feather, and the pool and synced-sample files of the
// original's grid (report/pool_grid.h). Accuracy: report/accuracy.h.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/method_plan.h"

#include "report/calibration.h"
#include "report/paraphrase_figures.h"
#include "report/pool_grid.h"

namespace selfens::report {

// Options of `selfens analyze` (CLI flags in brackets).
struct AnalyzeOptions {
  std::string dataset = "webqa";                 // [--dataset]
  std::string model = "smollm2_135m_it";         // [--model] name, HF id or path
  std::filesystem::path output_dir = "datasets"; // [--output_dir] results root
  int num_paraphrases = 0;    // [--num_paraphrases] N; 0: the largest N found
  bool compare_all = false;   // [--compare_all] accuracy against N, every N found
  bool json = false;          // [--json] one JSON object on stdout instead of text
  std::filesystem::path html_path;  // [--html FILE] also write the HTML report
  std::filesystem::path export_path;  // [--export FILE.csv|FILE.feather] per-row export (export.h)
  bool quiet = false;         // [--quiet] print nothing on stdout unless --json
  int samples = 3;            // [--samples] sample generations shown
  int max_error_rows = 50;    // [--max_error_rows] rows per error table (JSON/HTML)
  std::filesystem::path lemma_dir;  // [--lemma_dir] default Lemmatizer::default_dir()
  bool strict = false;        // [--strict] refuse files that answer different questions
};

// One result file found in the directory.
struct RunFile {
  std::string method;  // one of method_names()
  int n = 0;           // paraphrases; 0 for origin and per_prompt
  std::filesystem::path path;
  std::string variant;  // a fused plan's non-default options (fusion_variant), or ""
};

// Result files of `dir` with recognised names, in method_names() order then
// by N. An absent directory gives an empty list.
std::vector<RunFile> scan_results(const std::filesystem::path& dir);

// The command that makes a method's file.
std::string generate_command(const AnalyzeOptions& options, const std::string& method, int n);
// The command that makes confidence.feather.
std::string confidence_command(const AnalyzeOptions& options);

struct MethodResult {
  std::string method;
  int n = 0;
  std::string variant;            // fusion options of a fused plan's file ("" default)
  std::filesystem::path file;     // expected path (present or not)
  bool present = false;
  // The compared figures: on the questions every compared file answers
  // (Analysis::shared_questions), so that methods are compared on the same
  // questions. per_prompt: rows are (question, paraphrase) pairs.
  size_t rows = 0;
  size_t correct = 0;
  double accuracy = 0;            // per_prompt: mean over its paraphrase indices
  // The file's own figures, on every question it answers.
  size_t own_questions = 0;
  double own_accuracy = 0;
  std::optional<double> agreement;  // identical predictions to origin (by uuid)
  std::map<int64_t, double> per_paraphrase;  // per_prompt: accuracy by paraphrase_index
  int64_t best_index = -1, worst_index = -1;  // per_prompt
  std::string command;            // generate command (for "not run")
  std::optional<double> wall_seconds;  // schema metadata selfens.wall_seconds
  bool incomplete = false;        // metadata selfens.complete = "false"
};

// "flex_attention-5", "per_prompt", "flex_attention-5_mean_T0.5": a row's
// name in every table (its file name without .feather).
std::string method_label(const MethodResult& r);

struct DatasetStats {
  std::string file;
  size_t questions = 0;
  double paraphrases_mean = 0;
  size_t paraphrases_min = 0, paraphrases_max = 0;
  double prediction_words = 0, prediction_chars = 0;  // means
  size_t empty_predictions = 0;
};

struct SampleRow {
  std::string uuid, question, gold, prediction;
  bool correct = false;
};

struct ErrorRow {
  std::string uuid, question, gold, origin_prediction, fused_prediction;
};

struct Analysis {
  AnalyzeOptions options;
  std::filesystem::path dir;
  std::string model_dir;  // output_model_name(model)
  int n = 0;
  std::vector<MethodResult> comparison;  // method_names() order, at n
  // Questions (uuids) every present file of the comparison answers; the
  // comparison, gains and error tables are computed on them.
  size_t shared_questions = 0;
  bool mismatched_sets = false;  // some file answers other questions too
  const MethodResult* find(const std::string& method) const;
  // Only the grid's files (pools, synced samples) are there: the reports
  // show the grid and the data set figures, not empty method sections.
  bool grid_only() const;
  DatasetStats stats;
  std::vector<SampleRow> samples;
  std::optional<double> gain_over_origin;    // fused - origin (fraction)
  std::optional<double> gain_over_ensemble;  // fused - best logit ensemble
  std::string best_ensemble;
  // per_prompt against the fused files at n (report/paraphrase_figures.h).
  ParaphraseFigures paraphrases;
  // confidence.feather's calibration on the shared questions (calibration.h).
  Calibration calibration;
  std::map<std::string, std::vector<std::pair<int, double>>> by_n;  // method -> (N, acc)
  bool has_by_n = false;
  size_t by_n_questions = 0;  // by_n is on the questions all its files answer
  PoolGrid pools;             // pool and synced-sample files (pool_grid.h)
  size_t fused_only_count = 0, origin_only_count = 0;
  std::vector<ErrorRow> fused_only;   // fused right, origin wrong (capped)
  std::vector<ErrorRow> origin_only;  // origin right, fused wrong (capped)
  PlanShape picture_shape;            // one question's segments, in words
  std::string picture_note;
};

// Reads and scores the files. InputError when none of them exists (naming
// the generate commands), a file lacks a needed column (naming both), the
// compared files share no question, or (strict) they answer different
// question sets.
Analysis analyze(const AnalyzeOptions& options);

std::string analysis_text(const Analysis& a);
nlohmann::json analysis_json(const Analysis& a);
std::string analysis_html(const Analysis& a);

// `--model a,b,c`: the accuracy of every method (and fusion variant) at each
// model's N, side by side, one column per model (each on its own shared
// questions), then each model's own report.
std::string models_text(const std::vector<Analysis>& analyses);
// The rows of that table: labels of the files present for some model, in
// report order; and one model's accuracy for a label (none: not run).
std::vector<std::string> side_by_side_labels(const std::vector<Analysis>& analyses);
std::optional<double> accuracy_of(const Analysis& a, const std::string& label);
nlohmann::json models_json(const std::vector<Analysis>& analyses);
std::string models_html(const std::vector<Analysis>& analyses);

// Runs analyze, prints text or JSON on stdout, writes the HTML page
// (atomically) when html_path is set. Returns 0; throws InputError.
int run_analyze(const AnalyzeOptions& options);

}  // namespace selfens::report
