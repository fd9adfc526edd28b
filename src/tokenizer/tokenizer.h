#pragma once
// Byte-level BPE tokenizer (GPT-2 / Llama 3 / Qwen2 / SmolLM2 families), built
// from a Hugging Face tokenizer.json or from GGUF tokenizer metadata. Encode
// and decode give exactly what Hugging Face `tokenizers` gives.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace selfens {

class GgufFile;

class Tokenizer {
 public:
  static std::unique_ptr<Tokenizer> from_tokenizer_json(const std::string& path);
  static std::unique_ptr<Tokenizer> from_gguf(const GgufFile& gguf);
  virtual ~Tokenizer() = default;

  // add_special: prepend BOS when the model's files ask for it (as HF's
  // `add_special_tokens=True`). Special/added tokens in text are matched.
  virtual std::vector<int32_t> encode(std::string_view text, bool add_special = true) const = 0;
  // skip_special: drop special tokens from the text (HF `skip_special_tokens`).
  virtual std::string decode(const std::vector<int32_t>& ids, bool skip_special = false) const = 0;
  virtual std::string token_text(int32_t id) const = 0;  // decoded bytes of one token
  virtual int32_t vocab_size() const = 0;
  virtual int32_t bos_id() const = 0;   // -1 when none
  virtual std::vector<int32_t> eos_ids() const = 0;
  virtual bool is_special(int32_t id) const = 0;
};

}  // namespace selfens
