#pragma once
// Prompt text exactly as the original built it (DESIGN section 4):
//   f"{instruction}\n\n{few_shot}\n\nQ: {question}\nA:"
// Here `block` is "{instruction}\n\n{few_shot}" (for MyriadLAMA the whole
// block is the file fewshot.txt), so a prompt is block + "\n\nQ: " + question
// + "\nA:".
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace selfens::data {

// The instruction the original used for WebQA (also used by the demo set).
inline constexpr std::string_view kWebqaInstruction =
    "Answer the question based on general world knowledge. Provide a short and "
    "direct answer.";

// A prompt split where the engine needs it: `prefix` is the same for every
// question of a run (span P); `question_part` is the per-paraphrase span Qi.
// prefix + question_part == build_prompt(block, question), byte for byte.
//
// Tokenization boundary: BPE of prefix and question_part separately is NOT
// always BPE of the whole prompt. With the GPT-2/SmolLM2 pre-tokenizer
// (`\s+(?!\S)|\s+`) the whole prompt splits "\n\nQ" as "\n" "\n" "Q"
// (tokens 198 198 ...), but the prefix alone ends in one "\n\n" pre-token
// (token 1116): checked with the SmolLM2 GGUF vocabulary. Llama 3 / Qwen2
// (`\s*[\r\n]+`) give the same tokens both ways. Since the question part
// always starts with "Q", the whole prompt's tokens always cut cleanly at
// prefix.size(): tokens(full) = tokens(prefix as followed by "Q") +
// tokens(question_part). So tokenize P as tokenize(prefix + "Q") minus its
// last token (or tokenize one full prompt and keep the tokens that end at or
// before prefix.size()); these tokens are the same for every question.
struct PromptParts {
  std::string prefix;         // block + "\n\n"
  std::string question_part;  // "Q: {question}\nA:"
  std::string full() const { return prefix + question_part; }
};

// block + "\n\nQ: " + question + "\nA:"
std::string build_prompt(std::string_view block, std::string_view question);
PromptParts prompt_parts(std::string_view block, std::string_view question);

// "Q: {question}\nA: {answer}" — one few-shot example.
std::string format_example(std::string_view question, std::string_view answer);

// instruction + "\n\n" + examples joined by "\n\n" (the original's block).
std::string make_block(std::string_view instruction,
                       const std::vector<std::pair<std::string, std::string>>& examples);

// The block read from a text file (MyriadLAMA's fewshot.txt): trailing
// newlines ("\n" or "\r\n") are dropped, since the original's block had none
// and the prompt adds "\n\n" itself. An empty block is an InputError.
std::string block_from_file_text(std::string text, const std::string& source);

// Python's `random.seed(seed); random.sample(range(n), k)` (CPython 3.x,
// Mersenne Twister, integer seed), reproduced exactly so few-shot examples
// match the original. Requires 0 <= k <= n < 2^32.
std::vector<uint32_t> python_random_sample(uint64_t seed, uint32_t n, uint32_t k);

}  // namespace selfens::data
