#pragma once
// WebQA paraphrasing as the original did it (DESIGN section 4): 5 rounds; in
// round r each of the 5 example questions is shown with its r-th paraphrase:
//   "{instruction}\n{examples joined by \"\\n\\n\"}\n\nQ: {question}\nParaphrase:"
//   example = "Q: {example question}\nParaphrase: {its r-th paraphrase}"
// (the layout stated in paraphrase_fewshot.json's "prompt_format"). Sampling:
// temperature 1.5, top-p 0.9, 30 new tokens, first line of the stripped text.
// The instruction and examples are read from DATA/webqa/paraphrase_fewshot.json.
//
// Results go to OutputPaths::paraphrases(): one JSON object per question,
// {"uuid", "paraphrase0": question, "paraphrase1".."paraphraseR"}, read back by
// load_dataset("webqa", ...).
#include <filesystem>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/jsonl.h"

namespace selfens::data {

struct ParaphraseFewshot {
  std::string instruction;
  std::vector<std::string> questions;                 // the example questions
  std::vector<std::vector<std::string>> paraphrases;  // [example][round]
  int rounds = 5;
  float temperature = 1.5f;
  float top_p = 0.9f;
  int max_new_tokens = 30;
};

// Reads paraphrase_fewshot.json (InputError naming the file and field).
ParaphraseFewshot load_paraphrase_fewshot(const std::filesystem::path& json_path);

// The prompt of round `round` (0-based, < rounds) for `question`.
std::string paraphrase_prompt(const ParaphraseFewshot& fs, int round, const std::string& question);

// The original kept "the first line of the stripped generation".
std::string first_line_stripped(const std::string& generation);

// A paraphrases.jsonl record's paraphrase0, paraphrase1, ... in order, until
// the first missing one (InputError when paraphrase0 is missing).
std::vector<std::string> numbered_paraphrases(const JsonlRecord& record);

// Writes {uuid, paraphrase0..} per question (paraphrases[0] must be the
// question) atomically to `path`, creating its directory.
void write_paraphrases_jsonl(const std::filesystem::path& path,
                             const std::vector<Question>& questions);

}  // namespace selfens::data
