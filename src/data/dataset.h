#pragma once
// Data sets: questions with their paraphrases, gold answers and the prompt
// block (instruction + few-shot examples) every prompt of the set starts with.
//
// Sources (load_dataset):
//   "myriadlama"  DATA/myriadlama/test.jsonl {uuid, answers, manual[], auto[]};
//                 paraphrases = manual then auto, in file order; the text keeps
//                 its "[MASK]" (the few-shot examples in fewshot.txt do too).
//                 Block = DATA/myriadlama/fewshot.txt.
//   "webqa"       DATA/webqa/test.jsonl {uuid, id, question, answers};
//                 paraphrases from OUT/webqa/MODEL/paraphrases.jsonl
//                 {uuid, paraphrase0, paraphrase1, ...} (paraphrase0 must be
//                 the question); the file may cover only some questions
//                 (`paraphrase --max_samples K`): the others have only
//                 themselves and paraphrased = false. Block = WebQA
//                 instruction + train examples 2619, 456, 102, 3037, 1126
//                 (Python random.seed(42); random.sample(range(3778), 5)).
//   "demo"        the project's own set, compiled in (data/demo/).
//   "X.jsonl"     generic {uuid, question, paraphrases[], answers[]}; the
//                 paraphrases as given, with the question prepended when it is
//                 not already paraphrases[0] ("paraphrases" may be omitted).
//                 Block = X.fewshot.txt beside the file when present, else the
//                 demo set's block.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace selfens::data {

struct Question {
  std::string uuid;
  std::string question;                  // the original text == paraphrases[0]
  std::vector<std::string> paraphrases;  // all of them, original first
  std::vector<std::string> answers;      // gold aliases, at least one
  // False for a webqa question that its paraphrases file does not cover yet
  // (it then has only itself); see require_paraphrases().
  bool paraphrased = true;
};

struct Dataset {
  std::string name;   // "myriadlama", "webqa", "demo", or the .jsonl file's stem
  std::string block;  // instruction + "\n\n" + few-shot examples (no trailing newline)
  std::vector<Question> questions;  // in file order, uuids unique
  // False only for webqa when its paraphrases file is missing: every question
  // then has one paraphrase (itself). See require_paraphrases().
  bool has_paraphrases = true;
  std::string paraphrase_source;  // the file the paraphrases came from ("" if none)
  // The order its paraphrases are in: "original" (MyriadLAMA's drawn
  // order) or "file" (part of a run's identity).
  std::string paraphrase_order = "file";
  // How many leading positions of each question's list are manual templates
  // for paraphrase pools (paraphrase_selection.h): MyriadLAMA 5, the
  // original's `range(5)`; 0 for data sets without manual/auto templates.
  int manual_slots = 0;
  // Fingerprint (util/fingerprint.h) of the files the questions, answers and
  // block were read from (not webqa's generated paraphrases, which may grow;
  // result rows keep their prompts and a resume compares those).
  std::string fingerprint;
};

// The order of MyriadLAMA's paraphrases. kOriginal (default): the manual
// templates, then the auto ones in the order the original's loader draws
// them (random.seed(uuid); random.sample(auto, k): its first N paraphrases,
// for every k). kFile: manual then auto as the file lists them (selfens
// before 2026-12-06). Other data sets keep their file order.
enum class ParaphraseOrder { kOriginal, kFile };
ParaphraseOrder parse_paraphrase_order(const std::string& s);  // InputError naming the values
std::string paraphrase_order_name(ParaphraseOrder o);

// Loads a data set by name ("myriadlama", "webqa", "demo") or from a path
// ending in ".jsonl". `data_dir` holds myriadlama/ and webqa/; `output_dir` is
// the results root (OutputPaths::root, default "datasets") where webqa's
// generated paraphrases live; `model_name` selects them (see
// output_model_name()). Throws InputError naming file, line and field.
Dataset load_dataset(const std::string& name_or_path, const std::filesystem::path& data_dir,
                     const std::string& model_name, const std::filesystem::path& output_dir,
                     ParaphraseOrder order = ParaphraseOrder::kOriginal);

// Generic JSONL loader ("source" names the text in messages; block given).
Dataset parse_generic_jsonl(std::string_view text, const std::string& source,
                            std::string name, std::string block);

// The compiled-in demo set and its few-shot block (data/demo/ verbatim).
std::string_view demo_jsonl_text();
std::string_view demo_fewshot_text();

// Throws InputError when one of the first `count` questions has no
// paraphrases (webqa before `selfens paraphrase` covered it), naming the
// question, `method` and the command that makes them.
void require_paraphrases(const Dataset& ds, size_t count, const std::string& method,
                         const std::string& model_name);


}  // namespace selfens::data
