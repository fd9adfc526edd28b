#include "io/csv.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "io/atomic_file.h"

namespace selfens::io {
namespace {

// The next UTF-8 code point of `s` at `i` (advancing i); invalid bytes are
// returned one by one as themselves.
uint32_t next_code_point(std::string_view s, size_t& i) {
  const auto b = static_cast<unsigned char>(s[i]);
  int len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 1;
  if (i + size_t(len) > s.size()) len = 1;
  uint32_t cp = len == 1 ? b : b & (0x7f >> len);
  for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + size_t(k)]) & 0x3f);
  i += size_t(len);
  return cp;
}

bool printable(uint32_t cp) {
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp == 0xad) return false;
  if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202f)) return false;
  if ((cp >= 0x205f && cp <= 0x2064) || cp == 0x3000 || cp == 0xfeff) return false;
  return true;
}

void append_escape(std::string& out, uint32_t cp) {
  char buf[12];
  if (cp <= 0xff) std::snprintf(buf, sizeof buf, "\\x%02x", cp);
  else if (cp <= 0xffff) std::snprintf(buf, sizeof buf, "\\u%04x", cp);
  else std::snprintf(buf, sizeof buf, "\\U%08x", cp);
  out += buf;
}

std::string list_repr(const Strings& items) {
  std::string s = "[";
  for (size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + python_repr(items[i]);
  return s + "]";
}

std::string field(const Column& c, size_t row) {
  switch (c.type()) {
    case ColumnType::kUtf8: return std::get<Strings>(c.data)[row];
    case ColumnType::kInt64: return std::to_string(std::get<std::vector<int64_t>>(c.data)[row]);
    case ColumnType::kFloat64: {
      const double v = std::get<std::vector<double>>(c.data)[row];
      return std::isnan(v) ? "" : python_float_repr(v);
    }
    case ColumnType::kBool: return std::get<std::vector<bool>>(c.data)[row] ? "True" : "False";
    case ColumnType::kListUtf8: return list_repr(std::get<std::vector<Strings>>(c.data)[row]);
    case ColumnType::kListListUtf8: {
      const auto& lists = std::get<std::vector<std::vector<Strings>>>(c.data)[row];
      std::string s = "[";
      for (size_t i = 0; i < lists.size(); ++i) s += (i ? ", " : "") + list_repr(lists[i]);
      return s + "]";
    }
    case ColumnType::kListInt64: {
      std::string s = "[";
      const auto& v = std::get<std::vector<std::vector<int64_t>>>(c.data)[row];
      for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
      return s + "]";
    }
    case ColumnType::kListFloat64: {
      std::string s = "[";
      const auto& v = std::get<std::vector<std::vector<double>>>(c.data)[row];
      for (size_t i = 0; i < v.size(); ++i)
        s += (i ? ", " : "") + (std::isnan(v[i]) ? std::string("nan") : python_float_repr(v[i]));
      return s + "]";
    }
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
  for (size_t i = 0; i < text.size();) {
    const size_t start = i;
    const uint32_t cp = next_code_point(text, i);
    if (cp == uint32_t(quote) || cp == '\\') {
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
      out.append(text.substr(start, i - start));
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
