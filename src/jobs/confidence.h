#pragma once
// `selfens confidence`: how sure the model is of each paraphrase's answer, as
// the original's confidence.py measured it. For every question and paraphrase:
// the greedy answer and S sampled answers (max_new_tokens each, first line of
// the stripped text kept); confidence = the fraction of sampled answers whose
// lemma sequence matches the greedy answer's in the bidirectional partial
// match. The samples of a prompt share its KV (methods/sampler.h).
//
// Output: OutputPaths::confidence() = ROOT/{dataset}/{model}/confidence.feather,
// one row per (question, distinct paraphrase text), columns
//   uuid utf8, paraphrase utf8, prompt utf8, answers list<utf8>,
//   greedy_predict utf8, sample_predicts list<utf8>, greedy_lemma list<utf8>,
//   sample_lemmas list<list<utf8>>, answer_lemmas list<list<utf8>>,
//   confidence float64
// and metadata selfens.{version, dataset, dataset_fingerprint,
// model_fingerprint, precision, num_samples, temperature, top_p, top_k, seed,
// max_new_tokens (its identity, jobs/run_identity.h), model, max_samples,
// num_paraphrases (the selection), wall_seconds, complete}. Weighted methods
// read it by (uuid, paraphrase). Resumable like generate: only a run of the
// same identity continues it, a larger selection extends it.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "eval/match.h"
#include "io/feather.h"
#include "jobs/job_loop.h"
#include "jobs/shard.h"
#include "util/checkpoint.h"

namespace selfens {

struct ConfidenceOptions {
  std::string model = "smollm2_135m_it";
  std::string dataset = "demo";             // webqa | myriadlama | demo | PATH.jsonl
  std::filesystem::path data_dir = "data";
  std::filesystem::path output_dir = "datasets";
  int num_samples = 100;                     // sampled answers per paraphrase
  data::ParaphraseOrder paraphrase_order = data::ParaphraseOrder::kOriginal;  // MyriadLAMA
  int num_paraphrases = -1;                  // first N paraphrases; < 0: all
  int max_samples = -1;                      // first K questions; < 0: all
  int batch_size = 4;                        // prompts in flight (each with 1 + S streams)
  int max_new_tokens = 20;
  int threads = 0;
  std::string device = "auto";               // auto | cpu | cuda | cuda-f32
  bool quiet = false;
  bool overwrite = false;
  bool csv = false;  // also FILE.csv beside the Feather file (results.h: write_csv_copy)
  CheckpointPolicy checkpoint;
  Shard shard;  // --shard K/N (jobs/shard.h)
  // Overrides of the model's generation defaults (generation_config.json).
  std::optional<float> temperature;
  std::optional<float> top_p;
  std::optional<int> top_k;
  uint64_t seed = 0;
  // A model kept across jobs, loaded for `device` (the Python API's Model);
  // null: load `model` for this job.
  std::shared_ptr<LoadedModel> preloaded;
};

struct ConfidenceResult {
  std::filesystem::path path;
  size_t rows = 0;
  size_t new_prompts = 0;
  bool complete = false;
  bool skipped = false;      // the file was already complete
  bool interrupted = false;
  double wall_seconds = 0;
  int64_t forwarded_tokens = 0;
  int64_t sampled_tokens = 0;  // tokens of the sampled answers
};

ConfidenceResult run_confidence(const ConfidenceOptions& options);

// Fraction of samples that bidirectionally match the greedy lemmas (0 when
// there are no samples).
double confidence_score(const eval::LemmaSeq& greedy, const std::vector<eval::LemmaSeq>& samples);

// The settings that made a confidence table's scores (sampling settings,
// model fingerprint, precision), as one line: part of the identity of the
// weighted runs that read it.
std::string confidence_settings(const io::Table& table);

// Checks that a confidence table (read from `path`) belongs to `dataset`:
// InputError "PATH: confidence scores of data set 'X', not 'Y'; ..." when its
// selfens.dataset metadata names another set. For the weighted methods.
void check_confidence_dataset(const io::Table& table, const std::filesystem::path& path,
                              const std::string& dataset);

}  // namespace selfens
