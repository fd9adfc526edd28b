#pragma once
// English tokenization as spaCy's `English` tokenizer does it (spaCy 3.x,
// spacy/lang/en + spacy/lang/punctuation.py), reimplemented without regexes:
//
//   1. split on whitespace; a single ' ' after a token is dropped, any other
//      run of whitespace becomes a token of its own ("a  b" -> a, " ", b);
//   2. each chunk: special cases (contractions "don't" -> do n't, "I'm" ->
//      I 'm, abbreviations "Corp." "N.H." "a.m.", emoticons), else strip
//      prefixes (opening punctuation, quotes, currency, symbols) and suffixes
//      (closing punctuation, quotes, 's, units after numbers, a final '.'
//      after a lower-case letter or two capitals) until a special case or
//      nothing is left;
//   3. the core: a URL stays whole, else it is split at infixes (hyphens and
//      ',' between letters, '.' between a lower-case and a capital letter,
//      arithmetic between digits, ellipses, symbols/emoji).
//
// Also the small Unicode helpers the lemmatizer shares (Python's str.lower
// and str.isalpha on single code points).
#include <string>
#include <string_view>
#include <vector>

#include "util/utf8.h"  // utf8_decode, utf8_encode

namespace selfens::eval {

// Python's str.lower() for one code point (single-code-point mappings only).
char32_t lower_char(char32_t c);
// Python's str.lower() on UTF-8 text.
std::string utf8_lower(std::string_view text);
// Python's str.isalpha() for one code point.
bool is_alpha_char(char32_t c);
// Python's str.isspace() for one code point.
bool is_space_char(char32_t c);

// The tokens of `text` in order; their concatenation equals `text` without
// the single ' ' that follows a token. Empty text gives no tokens.
std::vector<std::string> tokenize_en(std::string_view text);

}  // namespace selfens::eval
