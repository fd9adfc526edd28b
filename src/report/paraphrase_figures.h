#pragma once
// What the paraphrases of a results folder say about its ensembles (the
// analyses of the original's notebooks, docs/original-analyses.md), from
// per_prompt.feather (one row per question and paraphrase) and the fused
// files at the same N, on the questions all of them answer:
//   * per-paraphrase accuracy (index 0..N-1), its mean, min and max, origin
//     beside it, and each fused file's gain over the mean and the best single
//     paraphrase;
//   * oracle curves: OR(n) = any of the first n paraphrases right,
//     AND(n) = all of them right, n = 1..N;
//   * agreement: questions whose N predictions agree (equal lemma lists),
//     the mean pairwise agreement, diversity = mean Jaccard distance of the
//     predictions' lemma sets, and accuracy by the size of the largest
//     agreeing group of predictions;
//   * new and lost facts of each fused file: right while every paraphrase
//     was wrong; wrong while most (more than half) were right; with examples.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "report/result_cache.h"

namespace selfens::report {

struct FusedFile {             // a fused result file to compare
  std::string label;           // method_label, e.g. "avg-5"
  std::filesystem::path path;
};

struct EnsembleGain {
  std::string label;
  double accuracy = 0, over_mean = 0, over_best = 0;  // fractions; gains in points / 100
};

struct OraclePoint {
  int n = 0;
  double any_right = 0, all_right = 0;
};

struct AgreementBucket {
  int agreeing = 0;  // size of the largest group of equal predictions (1..N)
  size_t questions = 0;
  double single_accuracy = 0;                 // mean over the N paraphrases
  std::map<std::string, double> fused;        // label -> accuracy in the bucket
};

struct FactExample {
  std::string uuid, question, gold, fused_prediction;
  std::vector<std::string> paraphrase_predictions;
};

struct FactChange {
  std::string label;
  size_t questions = 0, new_facts = 0, lost_facts = 0;
  std::vector<FactExample> new_examples, lost_examples;  // the first few
};

struct ParaphraseFigures {
  bool present = false;
  std::string missing;      // why absent: the command that makes per_prompt
  int n = 0;
  size_t questions = 0;     // with all N paraphrases in per_prompt (and in every fused file)
  std::vector<double> per_index;  // accuracy of paraphrase 0..N-1
  double mean = 0, min = 0, max = 0;
  int best_index = 0;
  std::optional<double> origin;   // on the same questions
  std::vector<EnsembleGain> gains;
  std::vector<OraclePoint> oracle;
  double consistency = 0;         // share of questions whose N predictions agree
  double pairwise_agreement = 0;  // mean over questions of the share of agreeing pairs
  double diversity = 0;           // mean Jaccard distance of lemma sets over pairs
  std::vector<AgreementBucket> buckets;
  std::vector<FactChange> facts;
};

// `only`: restrict to these questions (null: all). `examples`: per kind and file.
ParaphraseFigures paraphrase_figures(ResultCache& cache, const std::filesystem::path& per_prompt,
                                     const std::filesystem::path& origin,
                                     const std::vector<FusedFile>& fused, int n,
                                     const UuidSet* only, size_t examples = 3);

}  // namespace selfens::report
