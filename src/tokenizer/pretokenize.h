#pragma once
// Pre-tokenizers of the byte-level BPE families, written as hand-made
// matchers of the exact regular expressions Hugging Face `tokenizers` runs
// (leftmost match, alternatives in order, greedy with backtracking):
//   kGpt2:   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   kSmolLM: Digits(individual_digits) first, then kGpt2 on each stretch between
//   kLlama3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//            ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//   kQwen2:  kLlama3 with \p{N} (one digit) instead of \p{N}{1,3}
#include <cstdint>
#include <string_view>
#include <vector>

namespace selfens::tok {

enum class PreTokenizer { kGpt2, kSmolLM, kLlama3, kQwen2 };

struct Piece {
  uint32_t begin, end;  // byte offsets into the text
};

// Appends the pieces of `text` (which cover it exactly, in order) to `out`.
void pretokenize(PreTokenizer kind, std::string_view text, std::vector<Piece>* out);

}  // namespace selfens::tok
