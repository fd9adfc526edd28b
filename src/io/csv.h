#pragma once
// CSV copies of tables, byte for byte what pandas writes with
// `df.to_csv(path, index=False)` for the same frame (the original wrote one
// beside every Feather result): a header row, '\n' line ends, fields quoted
// with '"' (doubled inside) when they hold ',', '"' or '\n'; strings as
// they are; lists as Python's repr (['a', "it's"], nested for
// list<list<utf8>>); floats as Python's repr (0.1, 1e-05, 1e+16), NaN as an
// empty field; bools True/False.
//
// Python's repr escapes characters str.isprintable() rejects; selfens
// escapes the ASCII controls, C1 controls and the Unicode separators and
// format characters found in text (U+00A0, U+00AD, U+1680, U+2000-U+200F,
// U+2028-U+202F, U+205F-U+2064, U+3000, U+FEFF), not every unassigned code
// point. Invalid UTF-8 reads as U+FFFD (a Python str cannot hold it).
#include <filesystem>
#include <string>

#include "io/feather.h"

namespace selfens::io {

std::string to_csv(const Table& table);
// Writes to_csv(table) to `path` atomically.
void write_csv(const std::filesystem::path& path, const Table& table);

// Python's repr of a str and of a float (exposed for tests).
std::string python_repr(std::string_view text);
std::string python_float_repr(double v);

}  // namespace selfens::io
