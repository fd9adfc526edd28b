#include "methods/answer_text.h"

#include <algorithm>
#include <array>
#include <optional>

namespace selfens {
namespace {

// Length of the whitespace code point at s[i] (0 when none), forward.
size_t space_at(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f)) return 1;
  static constexpr std::array<std::string_view, 17> kWide = {
      "\xc2\x85", "\xc2\xa0", "\xe1\x9a\x80", "\xe2\x80\x80", "\xe2\x80\x81", "\xe2\x80\x82",
      "\xe2\x80\x83", "\xe2\x80\x84", "\xe2\x80\x85", "\xe2\x80\x86", "\xe2\x80\x87",
      "\xe2\x80\x88", "\xe2\x80\x89", "\xe2\x80\x8a", "\xe2\x80\xa8", "\xe2\x80\xa9",
      "\xe3\x80\x80"};
  for (auto w : kWide)
    if (s.substr(i, w.size()) == w) return w.size();
  if (s.substr(i, 3) == "\xe2\x80\xaf" || s.substr(i, 3) == "\xe2\x81\x9f") return 3;
  return 0;
}

}  // namespace

std::string python_strip(std::string_view s) {
  size_t b = 0;
  while (b < s.size()) {
    size_t n = space_at(s, b);
    if (n == 0) break;
    b += n;
  }
  size_t e = s.size();
  while (e > b) {
    // Step back to the start of the last code point.
    size_t start = e - 1;
    while (start > b && (static_cast<unsigned char>(s[start]) & 0xc0) == 0x80) --start;
    if (space_at(s, start) != e - start) break;
    e = start;
  }
  return std::string(s.substr(b, e - b));
}

// The part of a generation that holds the answer: all of it, or what follows
// a leading think block; nullopt while that block is open.
std::optional<std::string_view> answer_part(std::string_view generation) {
  constexpr std::string_view kOpen = "<think>", kClose = "</think>";
  const std::string lead = python_strip(generation.substr(0, std::min(generation.size(), size_t(64))));
  if (lead.rfind(kOpen, 0) != 0) return generation;
  const size_t close = generation.find(kClose);
  if (close == std::string_view::npos) return std::nullopt;
  return generation.substr(close + kClose.size());
}

std::string prediction_from_generation(std::string_view generation) {
  const std::optional<std::string_view> answer = answer_part(generation);
  if (!answer) return "";
  std::string stripped = python_strip(*answer);
  return stripped.substr(0, stripped.find('\n'));
}

bool prediction_final(std::string_view generation) {
  const std::optional<std::string_view> answer = answer_part(generation);
  if (!answer) return false;
  const size_t nl = answer->rfind('\n');
  return nl != std::string_view::npos && !python_strip(answer->substr(0, nl)).empty();
}

}  // namespace selfens
