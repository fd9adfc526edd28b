#pragma once
// Token ids of a run's prompts, split the way the attention plan needs them:
// the shared prefix P (tokens every prompt starts with, encoded once per run)
// and, per question and view, the tokens after P. Every full prompt is
// tokenized whole, so the ids are exactly those of the original's prompt.
#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace selfens {

struct TokenizedRun {
  std::vector<int32_t> prefix;  // shared P tokens (BOS included when the model adds one)
  // [question][view] tokens after the prefix ("Q: ...\nA:")
  std::vector<std::vector<std::vector<int32_t>>> views;
  // Trailing tokens of every view that spell the answer cue "A:". The fused
  // span G of flex_attention starts with them, so its first query already
  // sees every paraphrase (and N = 1 is exactly origin).
  int cue_len = 1;
  int64_t max_view_len() const;
};

// prompts[q][v]: full prompt text of question q, view v. prefix_text: the
// text all prompts share (block + "\n\n"); P never extends past it, so every
// view keeps its "Q: ..." tokens even when two prompts are identical.
TokenizedRun tokenize_run(const Tokenizer& tokenizer,
                          const std::vector<std::vector<std::string>>& prompts,
                          const std::string& prefix_text);

}  // namespace selfens
