#pragma once
// `selfens paraphrase`: the original's WebQA paraphrase generation (DESIGN
// section 4). R rounds (5); round i (1..R) shows each example question with
// its i-th paraphrase (data::paraphrase_prompt), then asks for the question;
// one sampled answer per question and round (temperature 1.5, top-p 0.9, 30
// new tokens, seed i; the first line of the stripped text kept). The samples
// of a round share its instruction + examples prefix, encoded once.
//
// webqa: questions of DATA/webqa/test.jsonl, examples from
//        DATA/webqa/paraphrase_fewshot.json (read at run time).
// demo:  the demo questions, with the project's own examples
//        (data/demo/paraphrase_fewshot.json, compiled in). generate keeps
//        using the demo's written paraphrases; this only exercises the command.
// Writes OutputPaths::paraphrases() = ROOT/{dataset}/{model}/paraphrases.jsonl
// ({uuid, paraphrase0 = the question, paraphrase1..R}) atomically, only when
// every round finished (an interrupted run writes nothing). An existing file
// is extended: the selected questions it lacks are paraphrased and added,
// those it has are kept (a question's samples depend only on its uuid and
// the round, so the file equals one made in a single run).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "data/paraphrase.h"

namespace selfens {

struct ParaphraseOptions {
  std::string model = "smollm2_135m_it";
  std::string dataset = "webqa";             // webqa | demo
  std::filesystem::path data_dir = "data";
  std::filesystem::path output_dir = "datasets";
  int max_samples = -1;                      // first K questions; < 0: all
  int batch_size = 16;                       // questions in flight
  int threads = 0;
  std::string device = "auto";               // auto | cpu | cuda | cuda-f32
  bool quiet = false;
  bool overwrite = false;
  // Overrides of the few-shot file's sampling block.
  std::optional<float> temperature;
  std::optional<float> top_p;
  std::optional<int> max_new_tokens;
  // top-k: the model's (transformers' 50 when its files set none), as
  // transformers' generate() applied it beside the original's temperature/top-p.
  std::optional<int> top_k;
};

struct ParaphraseResult {
  std::filesystem::path path;
  size_t questions = 0;
  int rounds = 0;
  size_t empty = 0;          // paraphrases that came out empty
  bool skipped = false;      // the file already covered the selection
  bool interrupted = false;  // nothing written
  double wall_seconds = 0;
};

ParaphraseResult run_paraphrase(const ParaphraseOptions& options);

// data/demo/paraphrase_fewshot.json as compiled in.
std::string_view demo_paraphrase_fewshot_json();
// The few-shot examples of "webqa" (from data_dir) or "demo" (compiled in).
data::ParaphraseFewshot paraphrase_fewshot_for(const std::string& dataset,
                                               const std::filesystem::path& data_dir);

}  // namespace selfens
