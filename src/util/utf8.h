#pragma once
// UTF-8 <-> code points, for the modules that look at text one character at
// a time (the English tokenizer and lemmatizer, the CSV writer's Python
// reprs). Invalid UTF-8 bytes decode to U+FFFD.
#include <string>
#include <string_view>

namespace selfens {

std::u32string utf8_decode(std::string_view text);
std::string utf8_encode(std::u32string_view text);

}  // namespace selfens
