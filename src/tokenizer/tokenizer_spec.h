#pragma once
// The neutral description of a byte-level BPE tokenizer that both sources
// (tokenizer.json, GGUF metadata) fill in and build_tokenizer() turns into a
// Tokenizer. Token strings are in the byte-level alphabet of GPT-2 (space is
// "Ġ"), as both file formats store them.
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/pretokenize.h"
#include "tokenizer/tokenizer.h"

namespace selfens {

struct AddedToken {
  int32_t id = -1;
  std::string content;   // matched in the raw text
  bool special = false;  // skipped by decode(skip_special)
  bool lstrip = false;   // also swallows the whitespace on its left
  bool rstrip = false;   // ... and on its right
};

struct TokenizerSpec {
  std::string source;                 // file name, for error messages
  std::vector<std::string> vocab;     // token string by id ("" for a gap)
  std::vector<std::pair<std::string, std::string>> merges;  // by rank
  std::vector<AddedToken> added;
  tok::PreTokenizer pre = tok::PreTokenizer::kGpt2;
  bool add_prefix_space = false;      // ByteLevel(add_prefix_space)
  bool nfc = false;                   // NFC normalizer (Qwen2)
  bool ignore_merges = false;         // a piece found whole in vocab is one token
  int32_t unk_id = -1;
  std::vector<int32_t> prefix_ids;    // added around the text by encode(add_special)
  std::vector<int32_t> suffix_ids;
  int32_t bos_id = -1;
  std::vector<int32_t> eos_ids;
};

// Validates the spec (InputError naming spec.source) and builds the tokenizer.
std::unique_ptr<Tokenizer> build_tokenizer(TokenizerSpec spec);

// tokenizer.json text -> spec; `path` names the file in errors. Files beside
// it are not read here (see Tokenizer::from_tokenizer_json).
TokenizerSpec spec_from_tokenizer_json(std::string_view json_text, const std::string& path);

}  // namespace selfens
