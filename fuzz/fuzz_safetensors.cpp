// libFuzzer target: the safetensors reader (and fp32 conversion of its float
// tensors) on arbitrary bytes. Any input must parse or throw InputError.
#include <cstddef>
#include <cstdint>

#include "model/safetensors.h"
#include "util/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    selfens::parse_safetensors_bytes(data, size, "fuzz.safetensors");
  } catch (const selfens::InputError&) {
  }
  return 0;
}
