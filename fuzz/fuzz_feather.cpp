// libFuzzer target: the Feather v2 / Arrow IPC reader on arbitrary bytes.
// Any input must either parse or throw InputError.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "io/feather.h"
#include "util/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  selfens::io::Table t;
  try {
    t = selfens::io::read_feather_bytes(data, size, "fuzz");
  } catch (const selfens::InputError&) {
    return 0;
  }
  // The writer must accept any table the reader produces, and read it back
  // with the same shape.
  std::string bytes = selfens::io::feather_bytes(t);
  selfens::io::Table back = selfens::io::read_feather_bytes(
      reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "fuzz-rewrite");
  if (back.num_rows() != t.num_rows() || back.num_columns() != t.num_columns()) std::abort();
  return 0;
}
