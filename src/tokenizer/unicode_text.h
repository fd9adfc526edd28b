#pragma once
// Unicode helpers of the tokenizer: UTF-8 stepping, the character classes the
// pre-tokenizer patterns use (\p{L}, \p{N}, \s from ICU, Unicode 15 as the
// Oniguruma inside Hugging Face `tokenizers`), NFC, and Rust's lossy UTF-8.
#include <cstdint>
#include <string>
#include <string_view>

namespace selfens::tok {

// Class bits of one code point.
enum CharClass : uint8_t {
  kLetter = 1,      // \p{L}
  kNumber = 2,      // \p{N}
  kWhite = 4,       // \s (White_Space)
  kCrLf = 8,        // '\r' or '\n'
  kSpace = 16,      // ' ' exactly
  kApostrophe = 32, // '\''
};
inline bool is_other(uint8_t c) { return (c & (kLetter | kNumber | kWhite)) == 0; }

// Length in bytes of the UTF-8 sequence at s[i] (1 for an invalid byte) and its
// code point (0xFFFD for an invalid byte).
int utf8_step(std::string_view s, size_t i, uint32_t* cp);
uint8_t char_class(uint32_t cp);
bool is_unicode_whitespace(uint32_t cp);  // Rust char::is_whitespace

// NFC of valid UTF-8; invalid bytes are kept as they are.
std::string nfc(std::string_view s);
// Bytes -> valid UTF-8, each maximal invalid subpart replaced by U+FFFD
// (Rust's String::from_utf8_lossy, which `tokenizers` decoding uses).
std::string utf8_lossy(std::string_view bytes);

}  // namespace selfens::tok
