#pragma once
// A small JSON Lines reader: one JSON object per line, blank lines skipped.
// Every error names the source, the 1-based line and, for field errors, the
// field: "FILE:LINE: field 'answers' missing or not a list of strings".
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace selfens::data {

// One parsed line of a JSONL source.
struct JsonlRecord {
  std::string source;    // file name (or "<demo>") used in messages
  int line = 0;          // 1-based line number in the source
  nlohmann::json value;  // always an object

  std::string where() const;  // "SOURCE:LINE"
  bool has(const char* field) const;
  // A string field; InputError "SOURCE:LINE: field 'F' missing or not a string".
  std::string str(const char* field) const;
  // A list of strings; empty lists are an error unless allow_empty.
  std::vector<std::string> str_list(const char* field, bool allow_empty = false) const;
};

// Parses JSONL text. Lines that are empty or only whitespace are skipped; a
// line that is not a JSON object is an InputError "SOURCE:LINE: invalid JSON:
// ..." (or "... not a JSON object"). A source with no records is an error.
std::vector<JsonlRecord> parse_jsonl(std::string_view text, const std::string& source);

// Reads and parses a JSONL file; a missing/unreadable file is an InputError.
std::vector<JsonlRecord> read_jsonl(const std::filesystem::path& path);

// Reads a whole text file; InputError naming the path when it cannot be read.
std::string read_text_file(const std::filesystem::path& path);

}  // namespace selfens::data
