// Arrow arrays -> ColumnData, with every buffer size and offset checked.
#include <cmath>
#include <cstring>
#include <limits>

#include "io/arrow_format.h"
#include "io/arrow_reader.h"
#include "util/check.h"

namespace selfens::io::detail {
namespace {

bool is_list(uint8_t t) { return t == arrow::kList || t == arrow::kLargeList; }

std::optional<ColumnType> leaf_type(const FieldInfo& f) {
  if (f.dictionary) return std::nullopt;
  switch (f.type) {
    case arrow::kUtf8:
    case arrow::kLargeUtf8: return ColumnType::kUtf8;
    case arrow::kInt: return ColumnType::kInt64;
    case arrow::kFloatingPoint:
      if (f.precision == arrow::kHalf) return std::nullopt;
      return ColumnType::kFloat64;
    case arrow::kBool: return ColumnType::kBool;
    default: return std::nullopt;
  }
}

// Context for one column's checks.
struct Decoder {
  const std::string& origin;
  const std::string& column;

  [[noreturn]] void fail(const std::string& problem) const {
    throw InputError(origin + ": column '" + column + "': " + problem);
  }

  void need(const Bytes& b, uint64_t n, const char* what) const {
    if (b.size < n)
      fail(std::string(what) + " buffer has " + std::to_string(b.size) + " bytes, needs " +
           std::to_string(n));
  }

  size_t rows(const ArrayData& a) const { return static_cast<size_t>(a.length); }

  // Validity bitmap check; all valid when the bitmap is absent.
  bool valid(const ArrayData& a, size_t i) const {
    const Bytes& v = a.buffers[0];
    if (a.null_count == 0 || v.size == 0) return true;
    return (v.data[i / 8] >> (i % 8)) & 1;
  }
  void check_validity(const ArrayData& a) const {
    if (a.null_count == 0) return;
    need(a.buffers[0], (static_cast<uint64_t>(a.length) + 7) / 8, "validity");
  }

  // length + 1 offsets (int32, or int64 for large types), non-decreasing,
  // within [0, limit].
  std::vector<int64_t> offsets(const ArrayData& a, bool large, uint64_t limit) const {
    const Bytes& b = a.buffers[1];
    size_t n = rows(a);
    if (n == 0 && b.size == 0) return {0};
    size_t w = large ? 8 : 4;
    need(b, (static_cast<uint64_t>(n) + 1) * w, "offsets");
    std::vector<int64_t> out(n + 1);
    for (size_t i = 0; i <= n; ++i) {
      if (large) {
        std::memcpy(&out[i], b.data + 8 * i, 8);
      } else {
        int32_t v;
        std::memcpy(&v, b.data + 4 * i, 4);
        out[i] = v;
      }
      if (out[i] < 0 || static_cast<uint64_t>(out[i]) > limit || (i > 0 && out[i] < out[i - 1]))
        fail("offset " + std::to_string(out[i]) + " at " + std::to_string(i) +
             " is out of range or decreasing (limit " + std::to_string(limit) + ")");
    }
    return out;
  }

  Strings utf8(const ArrayData& a) const {
    check_validity(a);
    const Bytes& data = a.buffers[2];
    std::vector<int64_t> off = offsets(a, a.field->type == arrow::kLargeUtf8, data.size);
    Strings out(rows(a));
    for (size_t i = 0; i < out.size(); ++i)
      if (valid(a, i))
        out[i].assign(reinterpret_cast<const char*>(data.data) + off[i],
                      static_cast<size_t>(off[i + 1] - off[i]));
    return out;
  }

  std::vector<int64_t> ints(const ArrayData& a) const {
    check_validity(a);
    int w = a.field->bit_width / 8;
    bool s = a.field->is_signed;
    need(a.buffers[1], static_cast<uint64_t>(a.length) * w, "data");
    const uint8_t* p = a.buffers[1].data;
    std::vector<int64_t> out(rows(a), 0);
    for (size_t i = 0; i < out.size(); ++i) {
      if (!valid(a, i)) continue;
      uint64_t u = 0;
      std::memcpy(&u, p + i * w, w);  // little-endian
      if (s && w < 8 && (u >> (8 * w - 1)) & 1) u |= ~uint64_t{0} << (8 * w);  // sign-extend
      out[i] = static_cast<int64_t>(u);  // uint64 above INT64_MAX wraps
    }
    return out;
  }

  std::vector<double> floats(const ArrayData& a) const {
    check_validity(a);
    bool single = a.field->precision == arrow::kSingle;
    size_t w = single ? 4 : 8;
    need(a.buffers[1], static_cast<uint64_t>(a.length) * w, "data");
    const uint8_t* p = a.buffers[1].data;
    std::vector<double> out(rows(a), std::numeric_limits<double>::quiet_NaN());
    for (size_t i = 0; i < out.size(); ++i) {
      if (!valid(a, i)) continue;
      if (single) {
        float f;
        std::memcpy(&f, p + 4 * i, 4);
        out[i] = f;
      } else {
        std::memcpy(&out[i], p + 8 * i, 8);
      }
    }
    return out;
  }

  std::vector<bool> bools(const ArrayData& a) const {
    check_validity(a);
    need(a.buffers[1], (static_cast<uint64_t>(a.length) + 7) / 8, "data");
    std::vector<bool> out(rows(a), false);
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = valid(a, i) && ((a.buffers[1].data[i / 8] >> (i % 8)) & 1);
    return out;
  }

  // A list column: rows of the child's decoded values; null rows are empty.
  template <class T>
  std::vector<T> list(const ArrayData& a, T child_values) const {
    check_validity(a);
    const ArrayData& child = a.children.at(0);
    std::vector<int64_t> off =
        offsets(a, a.field->type == arrow::kLargeList, static_cast<uint64_t>(child.length));
    std::vector<T> out(rows(a));
    for (size_t i = 0; i < out.size(); ++i) {
      if (!valid(a, i)) continue;
      out[i].assign(std::make_move_iterator(child_values.begin() + off[i]),
                    std::make_move_iterator(child_values.begin() + off[i + 1]));
    }
    return out;
  }
};

}  // namespace

std::string arrow_type_name(const FieldInfo& f) {
  if (f.dictionary) return "dictionary";
  static const char* const kNames[] = {
      "none", "null", "int", "floating_point", "binary", "utf8", "bool", "decimal",
      "date", "time", "timestamp", "interval", "list", "struct", "union",
      "fixed_size_binary", "fixed_size_list", "map", "duration", "large_binary",
      "large_utf8", "large_list", "run_end_encoded", "binary_view", "utf8_view",
      "list_view", "large_list_view"};
  std::string name = f.type < std::size(kNames) ? kNames[f.type] : "type" + std::to_string(f.type);
  if (f.type == arrow::kInt)
    name = std::string(f.is_signed ? "int" : "uint").append(std::to_string(f.bit_width));
  if (f.type == arrow::kFloatingPoint)
    name = f.precision == arrow::kHalf ? "halffloat" : f.precision == arrow::kSingle ? "float" : "double";
  if (is_list(f.type) && !f.children.empty())
    name.append("<").append(arrow_type_name(f.children[0])).append(">");
  return name;
}

std::optional<ColumnType> column_type_of(const FieldInfo& f, const std::string& origin) {
  if (f.type == arrow::kInt && f.bit_width != 8 && f.bit_width != 16 && f.bit_width != 32 &&
      f.bit_width != 64)
    throw InputError(origin + ": column '" + f.name + "': Int of " +
                     std::to_string(f.bit_width) + " bits");
  if (f.type == arrow::kFloatingPoint && (f.precision < 0 || f.precision > 2))
    throw InputError(origin + ": column '" + f.name + "': bad float precision");
  if (f.dictionary || !is_list(f.type)) return leaf_type(f);
  if (f.children.size() != 1)
    throw InputError(origin + ": column '" + f.name + "': list needs exactly one child field");
  const FieldInfo& c = f.children[0];
  std::optional<ColumnType> inner = column_type_of(c, origin);
  if (!inner) return std::nullopt;
  switch (*inner) {
    case ColumnType::kUtf8: return ColumnType::kListUtf8;
    case ColumnType::kListUtf8: return ColumnType::kListListUtf8;
    case ColumnType::kInt64: return ColumnType::kListInt64;
    case ColumnType::kFloat64: return ColumnType::kListFloat64;
    default: return std::nullopt;
  }
}

ColumnData decode_column(const ArrayData& a, ColumnType type, const std::string& origin) {
  Decoder d{origin, a.field->name};
  switch (type) {
    case ColumnType::kUtf8: return d.utf8(a);
    case ColumnType::kInt64: return d.ints(a);
    case ColumnType::kFloat64: return d.floats(a);
    case ColumnType::kBool: return d.bools(a);
    case ColumnType::kListUtf8: return d.list(a, d.utf8(a.children.at(0)));
    case ColumnType::kListListUtf8: {
      const ArrayData& c = a.children.at(0);
      return d.list(a, d.list(c, d.utf8(c.children.at(0))));
    }
    case ColumnType::kListInt64: return d.list(a, d.ints(a.children.at(0)));
    case ColumnType::kListFloat64: return d.list(a, d.floats(a.children.at(0)));
  }
  SELFENS_CHECK(false, "unknown column type");
}

}  // namespace selfens::io::detail
