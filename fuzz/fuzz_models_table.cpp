// libFuzzer target: the models table (models.json, $SELFENS_MODELS_FILE).
// InputError is the only allowed failure; every entry read has a name and
// exactly one of path or hf.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "model/resolve.h"
#include "util/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    for (const auto& e : selfens::parse_models_json(text, "fuzz-models.json"))
      if (e.name.empty() || e.path.empty() == e.hf_repo.empty()) std::abort();
  } catch (const selfens::InputError&) {
  }
  return 0;
}
