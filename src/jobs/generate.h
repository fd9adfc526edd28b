#pragma once
// `selfens generate`: one method over a data set, results in a Feather file
// named as the original named it. Resumable: an interrupted run (Ctrl+C)
// saves the questions it finished; running the same command again skips
// them; a complete file is reported and left alone unless `overwrite`.
// A file is only continued by a run of the same identity (run_identity.h:
// method, plan options, model and data set fingerprints, precision, ...);
// a run selecting more questions (--max_samples) extends it. Every prompt
// plus max_new_tokens is checked against the model's context before the
// engine starts. The file is locked for the run (io/output_lock.h).
#include <filesystem>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "methods/method.h"
#include "jobs/job_loop.h"
#include "jobs/shard.h"
#include "util/checkpoint.h"

namespace selfens {

struct GenerateOptions {
  std::string model = "smollm2_135m_it";
  std::string dataset = "demo";           // webqa | myriadlama | demo | PATH.jsonl
  std::filesystem::path data_dir = "data";  // holds myriadlama/ and webqa/
  std::filesystem::path output_dir = "datasets";
  MethodConfig method;
  data::ParaphraseOrder paraphrase_order = data::ParaphraseOrder::kOriginal;  // MyriadLAMA
  int max_samples = -1;  // the first K questions; -1: all (other negatives: InputError)
  int batch_size = 16;   // questions in flight
  int threads = 0;       // CPU threads (0: all cores)
  std::string device = "auto";  // auto (cuda when a GPU is usable) | cpu | cuda (bf16) | cuda-f32
  bool quiet = false;
  bool overwrite = false;
  bool lemmaize = false;
  bool csv = false;  // also FILE.csv beside the Feather file (results.h: write_csv_copy)
  // Record each row's smallest top-1/top-2 gap of the fused scores (column
  // `margin`): the diagnostic that explains bf16-vs-fp32 differences. The
  // token choice then happens on the host (full logits are downloaded).
  bool margins = false;
  // --shard K/N: this run answers the selected questions i with i mod N = K-1,
  // into its own file (jobs/shard.h).
  Shard shard;
  // --devices: one engine (model copy, KV pool, thread) per entry, a GPU
  // index for CUDA (on the CPU each entry is one engine sharing the cores);
  // the questions are dealt out round robin; the rows are those one engine
  // writes. Empty: one engine on GPU 0.
  std::vector<int> devices;
  // --split layers: the --devices entries (GPU 0 without them) hold the
  // layers of one model copy between them (engine/layer_split.h): one
  // engine, for models larger than one GPU.
  bool split_layers = false;
  // When the partial file is saved during the run.
  CheckpointPolicy checkpoint;
  // A model kept across jobs, loaded for `device` (the Python API's Model);
  // null: load `model` for this job.
  std::shared_ptr<LoadedModel> preloaded;
};

struct GenerateResult {
  std::filesystem::path path;
  size_t rows = 0;            // rows in the file
  size_t new_questions = 0;   // questions answered by this call
  bool complete = false;      // every selected question answered
  bool skipped = false;       // the file was already complete
  bool interrupted = false;
  double wall_seconds = 0;
  int64_t forwarded_tokens = 0;   // model rows this call computed
  int64_t generated_tokens = 0;
};

GenerateResult run_generate(const GenerateOptions& options);

}  // namespace selfens
