#include "io/csv.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "io/atomic_file.h"
#include "util/utf8.h"

namespace selfens::io {
namespace {

bool printable(char32_t cp) {
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp == 0xad) return false;
  if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202f)) return false;
  if ((cp >= 0x205f && cp <= 0x2064) || cp == 0x3000 || cp == 0xfeff) return false;
  return true;
}

void append_escape(std::string& out, char32_t cp) {
  char buf[12];
  const unsigned v = cp;
  if (v <= 0xff) std::snprintf(buf, sizeof buf, "\\x%02x", v);
  else if (v <= 0xffff) std::snprintf(buf, sizeof buf, "\\u%04x", v);
  else std::snprintf(buf, sizeof buf, "\\U%08x", v);
  out += buf;
}

// "[a, b]" with each item as repr(item): Python's repr of a list.
template <class T, class Repr>
std::string list_repr(const std::vector<T>& items, Repr repr) {
  std::string s = "[";
  for (size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + repr(items[i]);
  return s + "]";
}

std::string strings_repr(const Strings& items) { return list_repr(items, python_repr); }

std::string field(const Column& c, size_t row) {
  switch (c.type()) {
    case ColumnType::kUtf8: return std::get<Strings>(c.data)[row];
    case ColumnType::kInt64: return std::to_string(std::get<std::vector<int64_t>>(c.data)[row]);
    case ColumnType::kFloat64: {
      const double v = std::get<std::vector<double>>(c.data)[row];
      return std::isnan(v) ? "" : python_float_repr(v);
    }
    case ColumnType::kBool: return std::get<std::vector<bool>>(c.data)[row] ? "True" : "False";
    case ColumnType::kListUtf8: return strings_repr(std::get<std::vector<Strings>>(c.data)[row]);
    case ColumnType::kListListUtf8:
      return list_repr(std::get<std::vector<std::vector<Strings>>>(c.data)[row], strings_repr);
    case ColumnType::kListInt64:
      return list_repr(std::get<std::vector<std::vector<int64_t>>>(c.data)[row],
                       [](int64_t v) { return std::to_string(v); });
    case ColumnType::kListFloat64:
      return list_repr(std::get<std::vector<std::vector<double>>>(c.data)[row], python_float_repr);
  }
  return "";
}

void append_quoted(std::string& out, const std::string& f) {
  if (f.find_first_of(",\"\n") == std::string::npos) {
    out += f;
    return;
  }
  out += '"';
  for (char ch : f) {
    if (ch == '"') out += '"';
    out += ch;
  }
  out += '"';
}

}  // namespace

std::string python_repr(std::string_view text) {
  const bool has_single = text.find('\'') != std::string_view::npos;
  const bool has_double = text.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (const char32_t cp : utf8_decode(text)) {
    if (cp == char32_t(quote) || cp == '\\') {
      out += '\\';
      out += char(cp);
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (!printable(cp)) {
      append_escape(out, cp);
    } else {
      out += utf8_encode(std::u32string_view(&cp, 1));
    }
  }
  return out + quote;
}

// Python's float repr: the shortest digits that read back, positional for
// exponents -4 <= e < 16 (with ".0" when integral), else d.ddde+XX.
std::string python_float_repr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  const size_t e = sci.find('e');
  const int exp = std::atoi(sci.c_str() + e + 1);
  std::string sign, digits;
  for (size_t i = 0; i < e; ++i) {
    if (sci[i] == '-') sign = "-";
    else if (sci[i] != '.') digits += sci[i];
  }
  if (exp < -4 || exp >= 16) {
    std::string m = digits.substr(0, 1) + (digits.size() > 1 ? "." + digits.substr(1) : "");
    char ebuf[16];
    std::snprintf(ebuf, sizeof ebuf, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    return sign + m + ebuf;
  }
  const int point = exp + 1;  // digits before the decimal point
  if (point <= 0) return sign + "0." + std::string(size_t(-point), '0') + digits;
  if (size_t(point) >= digits.size())
    return sign + digits + std::string(size_t(point) - digits.size(), '0') + ".0";
  return sign + digits.substr(0, size_t(point)) + "." + digits.substr(size_t(point));
}

std::string to_csv(const Table& table) {
  std::string out;
  const auto& cols = table.columns();
  for (size_t i = 0; i < cols.size(); ++i) {
    if (i) out += ',';
    append_quoted(out, cols[i].name);
  }
  out += '\n';
  for (size_t r = 0; r < table.num_rows(); ++r) {
    for (size_t i = 0; i < cols.size(); ++i) {
      if (i) out += ',';
      append_quoted(out, field(cols[i], r));
    }
    out += '\n';
  }
  return out;
}

void write_csv(const std::filesystem::path& path, const Table& table) {
  atomic_write_file(path, to_csv(table));
}

}  // namespace selfens::io
