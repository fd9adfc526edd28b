// libFuzzer target: the GGUF reader (and dequantization of every tensor it
// accepts) on arbitrary bytes. Any input must parse or throw InputError.
#include <cstddef>
#include <cstdint>

#include "model/gguf.h"
#include "util/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    selfens::parse_gguf_bytes(data, size, "fuzz.gguf");
  } catch (const selfens::InputError&) {
  }
  return 0;
}
