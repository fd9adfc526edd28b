#pragma once
// Internal: the Arrow IPC file reader's pieces. Parsing the footer and the
// schema, and splitting a record batch body into arrays (feather_read.cpp);
// turning arrays into ColumnData (feather_decode.cpp).
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "io/feather.h"

namespace selfens::io::detail {

struct FieldInfo {
  std::string name;
  uint8_t type = 0;        // arrow::TypeId
  int32_t bit_width = 0;   // Int
  bool is_signed = false;  // Int
  int16_t precision = 0;   // FloatingPoint
  bool dictionary = false; // dictionary-encoded: the batch holds indices only
  std::vector<FieldInfo> children;
};

struct Bytes {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

// One array of a record batch: its node and buffers in the spec's order.
struct ArrayData {
  const FieldInfo* field = nullptr;
  int64_t length = 0;
  int64_t null_count = 0;
  std::vector<Bytes> buffers;  // validity first (may be empty: all valid)
  std::vector<ArrayData> children;
};

// Arrow's name of a field's type, for messages ("large_utf8", "struct", ...).
std::string arrow_type_name(const FieldInfo& f);

// The ColumnData form of a field, or nullopt when it has none (skipped).
// Throws InputError for an invalid type (e.g. Int of 7 bits).
std::optional<ColumnType> column_type_of(const FieldInfo& f, const std::string& origin);

// Decodes a top-level array of column type `type`. Checks every buffer size
// and offset; errors say "ORIGIN: column 'x': problem".
ColumnData decode_column(const ArrayData& a, ColumnType type, const std::string& origin);

}  // namespace selfens::io::detail
