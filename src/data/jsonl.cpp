#include "data/jsonl.h"

#include <fstream>
#include <sstream>

#include "util/check.h"

namespace selfens::data {

std::string JsonlRecord::where() const {
  return source + ":" + std::to_string(line);
}

bool JsonlRecord::has(const char* field) const { return value.contains(field); }

std::string JsonlRecord::str(const char* field) const {
  auto it = value.find(field);
  SELFENS_REQUIRE(it != value.end() && it->is_string(),
                  where() + ": field '" + field + "' missing or not a string");
  return it->get<std::string>();
}

std::vector<std::string> JsonlRecord::str_list(const char* field, bool allow_empty) const {
  auto it = value.find(field);
  const std::string bad = where() + ": field '" + field + "' missing or not a list of strings";
  SELFENS_REQUIRE(it != value.end() && it->is_array(), bad);
  std::vector<std::string> out;
  out.reserve(it->size());
  for (const auto& v : *it) {
    SELFENS_REQUIRE(v.is_string(), bad);
    out.push_back(v.get<std::string>());
  }
  SELFENS_REQUIRE(allow_empty || !out.empty(),
                  where() + ": field '" + field + "' is an empty list");
  return out;
}

namespace {

bool is_blank(std::string_view s) {
  return s.find_first_not_of(" \t\r") == std::string_view::npos;
}

JsonlRecord parse_line(std::string_view text, const std::string& source, int line) {
  JsonlRecord rec{source, line, {}};
  try {
    rec.value = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for numbers past double
    throw InputError(rec.where() + ": invalid JSON: " + e.what());
  }
  SELFENS_REQUIRE(rec.value.is_object(), rec.where() + ": not a JSON object");
  return rec;
}

}  // namespace

std::vector<JsonlRecord> parse_jsonl(std::string_view text, const std::string& source) {
  std::vector<JsonlRecord> out;
  size_t start = 0;
  int line = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    ++line;
    std::string_view s = text.substr(start, end - start);
    if (!is_blank(s)) out.push_back(parse_line(s, source, line));
    start = end + 1;
  }
  SELFENS_REQUIRE(!out.empty(), source + ": no records (empty JSONL file)");
  return out;
}

std::string read_text_file(const std::filesystem::path& path) {
  SELFENS_REQUIRE(std::filesystem::is_regular_file(path),
                  path.string() + ": file not found");
  std::ifstream in(path, std::ios::binary);
  SELFENS_REQUIRE(in.good(), path.string() + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  SELFENS_REQUIRE(!in.bad(), path.string() + ": read error");
  return ss.str();
}

std::vector<JsonlRecord> read_jsonl(const std::filesystem::path& path) {
  return parse_jsonl(read_text_file(path), path.string());
}

}  // namespace selfens::data
