#include "tokenizer/unicode_text.h"

#include <unicode/normalizer2.h>
#include <unicode/bytestream.h>
#include <unicode/uchar.h>

#include <array>

#include "util/check.h"

namespace selfens::tok {
namespace {

// Allowed range of the second byte after a lead byte (Unicode Table 3-7);
// later continuation bytes are always 0x80..0xBF.
struct LeadInfo {
  int len;        // total length, 0 for an invalid lead
  uint8_t lo, hi; // range of the second byte
};

LeadInfo lead_info(uint8_t b) {
  if (b < 0x80) return {1, 0, 0};
  if (b < 0xC2) return {0, 0, 0};
  if (b < 0xE0) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b < 0xF0) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b < 0xF4) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

// Bytes of the valid sequence at s[i], or -(bytes of its maximal invalid
// subpart) when it is not valid.
int sequence_at(std::string_view s, size_t i, uint32_t* cp) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  const LeadInfo li = lead_info(b0);
  if (li.len == 1) {
    *cp = b0;
    return 1;
  }
  if (li.len == 0) return -1;
  uint32_t c = b0 & (0xFF >> (li.len + 1));
  for (int k = 1; k < li.len; ++k) {
    if (i + k >= s.size()) return -k;
    const auto b = static_cast<uint8_t>(s[i + k]);
    const uint8_t lo = k == 1 ? li.lo : 0x80, hi = k == 1 ? li.hi : 0xBF;
    if (b < lo || b > hi) return -k;
    c = (c << 6) | (b & 0x3F);
  }
  *cp = c;
  return li.len;
}

std::array<uint8_t, 128> make_ascii_classes() {
  std::array<uint8_t, 128> t{};
  for (int c = 0; c < 128; ++c) {
    uint8_t k = 0;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) k |= kLetter;
    if (c >= '0' && c <= '9') k |= kNumber;
    if (c == ' ' || (c >= 9 && c <= 13)) k |= kWhite;
    if (c == '\r' || c == '\n') k |= kCrLf;
    if (c == ' ') k |= kSpace;
    if (c == '\'') k |= kApostrophe;
    t[c] = k;
  }
  return t;
}
const std::array<uint8_t, 128> kAscii = make_ascii_classes();

}  // namespace

int utf8_step(std::string_view s, size_t i, uint32_t* cp) {
  const int n = sequence_at(s, i, cp);
  if (n > 0) return n;
  *cp = 0xFFFD;
  return 1;
}

uint8_t char_class(uint32_t cp) {
  if (cp < 128) return kAscii[cp];
  uint8_t k = 0;
  switch (u_charType(static_cast<UChar32>(cp))) {
    case U_UPPERCASE_LETTER: case U_LOWERCASE_LETTER: case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER: case U_OTHER_LETTER:
      k |= kLetter;
      break;
    case U_DECIMAL_DIGIT_NUMBER: case U_LETTER_NUMBER: case U_OTHER_NUMBER:
      k |= kNumber;
      break;
    default:
      break;
  }
  if (u_isUWhiteSpace(static_cast<UChar32>(cp))) k |= kWhite;
  return k;
}

bool is_unicode_whitespace(uint32_t cp) {
  if (cp < 128) return (kAscii[cp] & kWhite) != 0;
  return u_isUWhiteSpace(static_cast<UChar32>(cp));
}

std::string nfc(std::string_view s) {
  // Every code point below U+0300 is NFC-stable and composes with nothing
  // before it; its UTF-8 lead bytes are < 0xCC.
  bool simple = true;
  for (char ch : s) {
    if (static_cast<uint8_t>(ch) >= 0xCC) {
      simple = false;
      break;
    }
  }
  if (simple) return std::string(s);
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* norm = icu::Normalizer2::getNFCInstance(err);
  SELFENS_CHECK(U_SUCCESS(err), "ICU NFC normalizer unavailable");
  std::string out;
  size_t i = 0;
  while (i < s.size()) {  // normalize each valid run; copy invalid bytes
    size_t j = i;
    uint32_t cp;
    while (j < s.size() && sequence_at(s, j, &cp) > 0) j += sequence_at(s, j, &cp);
    if (j > i) {
      icu::StringByteSink<std::string> sink(&out);
      norm->normalizeUTF8(0, icu::StringPiece(s.data() + i, static_cast<int32_t>(j - i)), sink,
                          nullptr, err);
      SELFENS_CHECK(U_SUCCESS(err), "ICU NFC failed");
    }
    if (j < s.size()) out.push_back(s[j++]);
    i = j;
  }
  return out;
}

std::string utf8_lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    uint32_t cp;
    const int n = sequence_at(bytes, i, &cp);
    if (n > 0) {
      out.append(bytes.substr(i, n));
      i += n;
    } else {
      out.append("\xEF\xBF\xBD");
      i += -n;
    }
  }
  return out;
}

}  // namespace selfens::tok
