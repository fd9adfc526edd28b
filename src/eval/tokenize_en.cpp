// spaCy's English tokenizer, reimplemented: see tokenize_en.h for the
// algorithm. Prefix, suffix and infix rules follow spacy/lang/punctuation.py
// (with the English infixes of spacy/lang/en/punctuation.py) and the URL
// pattern of spacy/lang/tokenizer_exceptions.py, written as small matchers.
#include "eval/tokenize_en.h"

#include <algorithm>
#include <array>

#include "eval/tokenize_en_special.h"

namespace selfens::eval {
namespace {

struct CodePair {
  char32_t from, to;
};
struct CodeRange {
  char32_t lo, hi;
};
#include "eval/tokenize_en_tables.inc"

template <size_t N>
bool in_ranges(const CodeRange (&table)[N], char32_t c) {
  const auto* it = std::upper_bound(std::begin(table), std::end(table), c,
                                    [](char32_t v, const CodeRange& r) { return v < r.lo; });
  return it != std::begin(table) && c <= (it - 1)->hi;
}

bool in_u32(std::u32string_view set, char32_t c) { return set.find(c) != std::u32string_view::npos; }

// ---- spaCy's character classes (spacy/lang/char_classes.py) ----

// Scripts spaCy treats as letters without case (both ALPHA_LOWER and _UPPER).
bool is_uncased_letter(char32_t c) {
  static constexpr CodeRange kUncased[] = {
      {0x0591, 0x05F4}, {0x0620, 0x064A}, {0x066E, 0x06D5}, {0x06E5, 0x06FF}, {0x0750, 0x077F},
      {0x08A0, 0x08BD}, {0x0900, 0x097F}, {0x0980, 0x09FF}, {0x0B80, 0x0BFF}, {0x0C00, 0x0C7F},
      {0x0C80, 0x0CFF}, {0x0D80, 0x0DFF}, {0x1100, 0x11FF}, {0x1200, 0x137F}, {0x2E80, 0x2FDF},
      {0x2FF0, 0x303F}, {0x3040, 0x30FF}, {0x31C0, 0x31EF}, {0x3200, 0x4DBF}, {0x4E00, 0x9FFF},
      {0xAC00, 0xD7AF}, {0xF900, 0xFAFF}, {0xFB1D, 0xFB4F}, {0xFB50, 0xFDFB}, {0xFE30, 0xFE4F},
      {0xFE70, 0xFEFC}, {0x1EE00, 0x1EEBB}, {0x1F200, 0x1F2FF}, {0x20000, 0x2FA1F}};
  return in_ranges(kUncased, c);
}

// Latin (with extensions), Greek and Cyrillic letters: the cased alphabets.
bool is_cased_letter(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  static constexpr CodeRange kCased[] = {
      {0x00C0, 0x00D6}, {0x00D8, 0x00F6}, {0x00F8, 0x024F}, {0x0250, 0x02AF}, {0x0386, 0x0386},
      {0x0388, 0x038A}, {0x038C, 0x038C}, {0x038E, 0x03A1}, {0x03A3, 0x03CE}, {0x0400, 0x045F},
      {0x0490, 0x0491}, {0x0496, 0x0497}, {0x04A2, 0x04A3}, {0x04AE, 0x04AF}, {0x04BA, 0x04BB},
      {0x04D8, 0x04D9}, {0x04E8, 0x04E9}, {0x1D00, 0x1D25}, {0x1D6B, 0x1D77}, {0x1D79, 0x1D9A},
      {0x1E00, 0x1EFF}, {0x2C60, 0x2C7F}, {0xA722, 0xA7FF}, {0xFF21, 0xFF3A}, {0xFF41, 0xFF5A}};
  return in_ranges(kCased, c);
}

bool sp_alpha(char32_t c) { return is_cased_letter(c) || is_uncased_letter(c); }
bool sp_upper(char32_t c) {
  return is_uncased_letter(c) || (is_cased_letter(c) && lower_char(c) != c);
}
bool sp_lower(char32_t c) {
  return is_uncased_letter(c) || (is_cased_letter(c) && lower_char(c) == c);
}
bool is_digit(char32_t c) { return c >= '0' && c <= '9'; }
bool is_icon(char32_t c) { return in_ranges(kSymbolRanges, c); }

// LIST_PUNCT (single characters; "……" is handled where it matters).
constexpr std::u32string_view kPunct =
    U"…,:;!?¿؟¡()[]{}<>_#*&。？！，、；：～·।،۔؛٪";
// LIST_QUOTES.
constexpr std::u32string_view kQuotes = U"'\"”“`‘´’‚,„»«「」『』（）〔〕【】《》〈〉〈〉⟦⟧";
constexpr std::u32string_view kCurrencyChars = U"$£€¥฿₽﷼₴₠₡₢₣₤₥₦₧₨₩₪₫₭₮₯₰₱₲₳₵₶₷₸₹₺₻₼₾₿";
// Multi-character currencies and units (suffixes after a digit).
constexpr std::array<std::u32string_view, 3> kCurrencyWords = {U"US$", U"C$", U"A$"};
constexpr std::u32string_view kUnits[] = {
    U"km", U"km²", U"km³", U"m", U"m²", U"m³", U"dm", U"dm²", U"dm³", U"cm", U"cm²", U"cm³",
    U"mm", U"mm²", U"mm³", U"ha", U"µm", U"nm", U"yd", U"in", U"ft", U"kg", U"g", U"mg",
    U"µg", U"t", U"lb", U"oz", U"m/s", U"km/h", U"kmh", U"mph", U"hPa", U"Pa", U"mbar", U"mb",
    U"MB", U"kb", U"KB", U"gb", U"GB", U"tb", U"TB", U"T", U"G", U"M", U"K", U"%",
    U"км", U"км²", U"км³", U"м", U"м²", U"м³", U"дм", U"дм²", U"дм³", U"см", U"см²", U"см³",
    U"мм", U"мм²", U"мм³", U"нм", U"кг", U"г", U"мг", U"м/с", U"км/ч", U"кПа", U"Па", U"мбар",
    U"Кб", U"КБ", U"кб", U"Мб", U"МБ", U"мб", U"Гб", U"ГБ", U"гб", U"Тб", U"ТБ", U"тб"};
// HYPHENS, in the order the regex alternation tries them.
constexpr std::array<std::u32string_view, 7> kHyphens = {U"-", U"–", U"—", U"--", U"---", U"——",
                                                         U"~"};

using U32 = std::u32string_view;

bool is_currency(U32 s) {
  if (s.size() == 1 && in_u32(kCurrencyChars, s[0])) return true;
  return std::find(kCurrencyWords.begin(), kCurrencyWords.end(), s) != kCurrencyWords.end();
}
bool is_unit(U32 s) { return std::find(std::begin(kUnits), std::end(kUnits), s) != std::end(kUnits); }

// Characters after which a final '.' is a suffix: [0-9{al}%²\-\+{punct}{quotes}(?:)]
// (the regex class also takes the '|' '(' '?' ':' ')' of its joined lists).
bool dot_suffix_after(char32_t c) {
  return is_digit(c) || sp_lower(c) || in_u32(U"%²-+|(?:)", c) || in_u32(kPunct, c) ||
         in_u32(kQuotes, c);
}

// ---- prefixes, suffixes, infixes ----

// Length of the prefix at the start of s, 0 if none.
size_t find_prefix(U32 s) {
  if (s.empty()) return 0;
  const char32_t c = s[0];
  if (c == '+') return (s.size() > 1 && is_digit(s[1])) ? 0 : 1;
  if (in_u32(U"§%=—–", c) || in_u32(kPunct, c)) return 1;
  if (c == '.') {
    size_t n = 0;
    while (n < s.size() && s[n] == '.') ++n;
    return n >= 2 ? n : 0;
  }
  if (in_u32(kQuotes, c) || in_u32(kCurrencyChars, c) || is_icon(c)) return 1;
  for (U32 w : kCurrencyWords) {
    if (s.substr(0, w.size()) == w) return w.size();
  }
  return 0;
}

// Does a suffix alternative match exactly s[start:]?
bool suffix_at(U32 s, size_t start) {
  const U32 r = s.substr(start);
  const char32_t prev = start > 0 ? s[start - 1] : 0;
  const char32_t prev2 = start > 1 ? s[start - 2] : 0;
  if (r.size() >= 2 && r.find_first_not_of(U'.') == U32::npos) return true;  // \.\.+
  if (r.size() == 1) {
    const char32_t c = r[0];
    if (in_u32(kPunct, c) || in_u32(kQuotes, c) || is_icon(c) || c == U'—' || c == U'–') return true;
    if (c == '+' && is_digit(prev)) return true;
    if (c == '.') {
      if (prev2 == U'°' && in_u32(U"FfCcKk", prev)) return true;
      if (start > 0 && dot_suffix_after(prev)) return true;
      if (start > 1 && sp_upper(prev) && sp_upper(prev2)) return true;
    }
  }
  if (r == U"……" || r == U"'s" || r == U"'S" || r == U"’s" || r == U"’S") return true;
  if (start > 0 && is_digit(prev) && (is_currency(r) || is_unit(r))) return true;
  return false;
}

// Length of the suffix at the end of s, 0 if none. Like re.search, the match
// starting leftmost wins.
size_t find_suffix(U32 s) {
  const size_t n = s.size();
  size_t dots = n;
  while (dots > 0 && s[dots - 1] == '.') --dots;
  for (size_t start = 0; start < n; ++start) {
    if (n - start > 5 && start != dots) continue;  // only a run of dots is longer
    if (suffix_at(s, start)) return n - start;
  }
  return 0;
}

// Length of the infix match at position i, 0 if none there.
size_t infix_at(U32 s, size_t i) {
  const size_t n = s.size();
  const char32_t c = s[i];
  const char32_t prev = i > 0 ? s[i - 1] : 0;
  const char32_t next = i + 1 < n ? s[i + 1] : 0;
  if (c == '.' && next == '.') {
    size_t j = i;
    while (j < n && s[j] == '.') ++j;
    return j - i;
  }
  if (c == U'…' || is_icon(c)) return 1;
  if (i == 0) return 0;  // the remaining rules all look behind
  if (in_u32(U"+-*^", c) && is_digit(prev) && (is_digit(next) || next == '-')) return 1;
  if (c == '.' && (sp_lower(prev) || in_u32(kQuotes, prev)) && next != 0 &&
      (sp_upper(next) || in_u32(kQuotes, next))) {
    return 1;
  }
  if (c == ',' && sp_alpha(prev) && next != 0 && sp_alpha(next)) return 1;
  if (sp_alpha(prev) || is_digit(prev)) {
    for (U32 h : kHyphens) {
      if (s.substr(i, h.size()) == h && i + h.size() < n && sp_alpha(s[i + h.size()])) return h.size();
    }
    if (in_u32(U":<>=/", c) && next != 0 && sp_alpha(next)) return 1;
  }
  return 0;
}

// ---- URLs (spaCy's URL_MATCH) ----

bool host_char(char32_t c) {
  return (c < 0x80 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c))) ||
         (c >= 0xA1 && c <= 0xFFFF);
}
bool word_char(char32_t c) { return c == '_' || is_digit(c) || is_alpha_char(c); }

bool valid_label(U32 l) {
  if (l.empty() || l.size() > 64 || !host_char(l.front()) || !host_char(l.back())) return false;
  return std::all_of(l.begin(), l.end(), [](char32_t c) { return host_char(c) || c == '_' || c == '-'; });
}

// Port and path after the host: (?::\d{2,5})?(?:[/?#]\S*)?$
bool url_tail(U32 r) {
  if (!r.empty() && r[0] == ':') {
    size_t d = 1;
    while (d < r.size() && is_digit(r[d])) ++d;
    if (d - 1 < 2 || d - 1 > 5) return false;
    r = r.substr(d);
  }
  return r.empty() || in_u32(U"/?#", r[0]);
}

bool parse_number(U32 s, size_t& pos, int& value) {
  size_t start = pos;
  value = 0;
  while (pos < s.size() && is_digit(s[pos]) && pos - start < 3) value = value * 10 + (s[pos++] - '0');
  return pos > start;
}

// A public dotted IPv4 address at the start of h; returns its length or 0.
size_t ipv4_length(U32 h) {
  size_t pos = 0;
  int parts[4];
  for (int k = 0; k < 4; ++k) {
    if (k > 0 && (pos >= h.size() || h[pos++] != '.')) return 0;
    if (!parse_number(h, pos, parts[k])) return 0;
  }
  const int a = parts[0], b = parts[1];
  if (a == 10 || a == 127 || (a == 169 && b == 254) || (a == 192 && b == 168) ||
      (a == 172 && b >= 16 && b <= 31)) {
    return 0;
  }
  if (a < 1 || a > 223 || b > 255 || parts[2] > 255 || parts[3] < 1 || parts[3] > 254) return 0;
  return pos;
}

// Domain names: labels "." ... then a lower-case TLD of 2..63 letters.
bool host_and_tail(U32 h) {
  if (size_t ip = ipv4_length(h); ip > 0 && url_tail(h.substr(ip))) return true;
  for (size_t end = h.size(); end > 0; --end) {
    if (!url_tail(h.substr(end))) continue;
    const U32 host = h.substr(0, end);
    const size_t dot = host.rfind('.');
    if (dot == U32::npos || dot == 0) continue;
    const U32 tld = host.substr(dot + 1);
    if (tld.size() < 2 || tld.size() > 63 ||
        !std::all_of(tld.begin(), tld.end(), [](char32_t c) { return sp_lower(c); })) {
      continue;
    }
    U32 rest = host.substr(0, dot);
    bool ok = true;
    while (ok) {
      const size_t d = rest.find('.');
      ok = valid_label(rest.substr(0, d));
      if (d == U32::npos) break;
      rest = rest.substr(d + 1);
    }
    if (ok) return true;
  }
  return false;
}

bool url_match(U32 s) {
  size_t pos = 0;
  if (size_t k = s.find(U"://"); k != U32::npos && k >= 2 &&
                                 std::all_of(s.begin(), s.begin() + k, [](char32_t c) {
                                   return word_char(c) || c == '+' || c == '-' || c == '.';
                                 })) {
    pos = k + 3;
  }
  const U32 rest = s.substr(pos);
  if (host_and_tail(rest)) return true;
  for (size_t at = rest.find('@'); at != U32::npos; at = rest.find('@', at + 1)) {
    if (at > 0 && host_and_tail(rest.substr(at + 1))) return true;
  }
  return false;
}

// ---- the tokenizer ----

struct Token {
  std::u32string text;
  bool space_after = false;  // followed by the single ' ' that was dropped
};

class Tokenizer {
 public:
  Tokenizer(std::vector<Token>& out, bool use_specials)
      : out_(out), specials_(english_special_cases()), use_specials_(use_specials) {}

  void chunk(U32 s) {
    if (emit_special(s)) return;
    std::vector<U32> prefixes, suffixes;
    U32 core = split_affixes(s, prefixes, suffixes);
    for (U32 p : prefixes) emit(p);
    if (!core.empty() && !emit_special(core)) emit_core(core);
    for (auto it = suffixes.rbegin(); it != suffixes.rend(); ++it) emit(*it);
  }
  void emit(U32 s) { out_.push_back(Token{std::u32string(s), false}); }

 private:
  bool is_special(U32 s) const { return use_specials_ && specials_.count(std::u32string(s)) > 0; }

  bool emit_special(U32 s) {
    if (!use_specials_) return false;
    const auto it = specials_.find(std::u32string(s));
    if (it == specials_.end()) return false;
    for (const auto& piece : it->second) emit(piece);
    return true;
  }

  // spaCy's Tokenizer._split_affixes.
  U32 split_affixes(U32 s, std::vector<U32>& prefixes, std::vector<U32>& suffixes) const {
    size_t last_size = 0;
    while (!s.empty() && s.size() != last_size) {
      if (is_special(s)) break;
      last_size = s.size();
      const size_t pre = find_prefix(s);
      if (pre != 0 && pre < s.size() && is_special(s.substr(pre))) {
        prefixes.push_back(s.substr(0, pre));
        return s.substr(pre);
      }
      const size_t suf = find_suffix(s.substr(pre));
      if (suf != 0 && suf < s.size() && is_special(s.substr(0, s.size() - suf))) {
        suffixes.push_back(s.substr(s.size() - suf));
        return s.substr(0, s.size() - suf);
      }
      if (pre != 0 && suf != 0 && pre + suf <= s.size()) {
        prefixes.push_back(s.substr(0, pre));
        suffixes.push_back(s.substr(s.size() - suf));
        s = s.substr(pre, s.size() - pre - suf);
      } else if (pre != 0) {
        prefixes.push_back(s.substr(0, pre));
        s = s.substr(pre);
      } else if (suf != 0) {
        suffixes.push_back(s.substr(s.size() - suf));
        s = s.substr(0, s.size() - suf);
      }
      if (!s.empty() && is_special(s)) break;
    }
    return s;
  }

  // URL, or the core split at its infixes (an infix at position 0 is kept).
  void emit_core(U32 s) {
    if (url_match(s)) {
      emit(s);
      return;
    }
    size_t start = 0;
    for (size_t i = 0; i < s.size();) {
      const size_t len = infix_at(s, i);
      if (len == 0 || i == 0) {
        i += std::max<size_t>(len, 1);
        continue;
      }
      if (i != start) emit(s.substr(start, i - start));
      emit(s.substr(i, len));
      start = i + len;
      i += len;
    }
    if (start < s.size()) emit(s.substr(start));
  }

  std::vector<Token>& out_;
  const SpecialTable& specials_;
  bool use_specials_;
};

// spaCy's Tokenizer._tokenize_affixes: runs of whitespace and non-whitespace;
// a single ' ' after a token belongs to that token.
std::vector<Token> raw_tokens(U32 s, bool use_specials) {
  std::vector<Token> out;
  if (s.empty()) return out;
  Tokenizer tok(out, use_specials);
  auto flush = [&](size_t start, size_t end, bool ws) {
    if (start >= end) return;
    const U32 span = s.substr(start, end - start);
    if (ws) {
      tok.emit(span);  // no affix rule touches whitespace
    } else {
      tok.chunk(span);
    }
  };
  bool in_ws = is_space_char(s[0]);
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (is_space_char(s[i]) == in_ws) continue;
    flush(start, i, in_ws);
    if (s[i] == ' ' && !in_ws) {
      out.back().space_after = true;
      start = i + 1;
    } else {
      start = i;
    }
    in_ws = !in_ws;
  }
  flush(start, s.size(), in_ws);
  return out;
}

// Special cases that affix splitting would cut up ("St." -> St .), keyed by
// the first token of the cut-up form: spaCy finds these token sequences
// after tokenizing (its special-case PhraseMatcher) and re-joins them.
struct SpecialPattern {
  std::vector<std::u32string> tokens;  // the cut-up form
  const std::vector<std::u32string>* pieces;  // the special case's tokens
};
using PatternIndex = std::unordered_map<std::u32string, std::vector<SpecialPattern>>;

bool has_affix(U32 s) {
  if (find_prefix(s) != 0 || find_suffix(s) != 0 || s.find(U' ') != U32::npos) return true;
  for (size_t i = 0; i < s.size(); ++i) {
    if (infix_at(s, i) != 0) return true;
  }
  return false;
}

const PatternIndex& special_patterns() {
  static const PatternIndex index = [] {
    PatternIndex out;
    for (const auto& [key, pieces] : english_special_cases()) {
      if (!has_affix(key)) continue;
      SpecialPattern p{{}, &pieces};
      for (auto& t : raw_tokens(key, false)) p.tokens.push_back(std::move(t.text));
      if (!p.tokens.empty()) out[p.tokens[0]].push_back(std::move(p));
    }
    return out;
  }();
  return index;
}

struct SpecialMatch {
  size_t start, end;
  const std::vector<std::u32string>* pieces;
};

std::vector<SpecialMatch> find_special_matches(const std::vector<Token>& toks) {
  const PatternIndex& index = special_patterns();
  std::vector<SpecialMatch> matches;
  for (size_t i = 0; i < toks.size(); ++i) {
    const auto it = index.find(toks[i].text);
    if (it == index.end()) continue;
    for (const SpecialPattern& p : it->second) {
      const size_t n = p.tokens.size();
      if (n < 2 || i + n > toks.size()) continue;  // one token: already whole
      bool ok = true;
      for (size_t k = 0; ok && k < n; ++k) {
        ok = toks[i + k].text == p.tokens[k] && (k + 1 == n || !toks[i + k].space_after);
      }
      if (ok) matches.push_back({i, i + n, p.pieces});
    }
  }
  return matches;
}

// spaCy's _filter_special_spans (longest first, then earlier start; no
// overlaps) and _retokenize_special_spans.
void apply_special_matches(std::vector<Token>& toks) {
  std::vector<SpecialMatch> matches = find_special_matches(toks);
  if (matches.empty()) return;
  std::sort(matches.begin(), matches.end(), [](const SpecialMatch& a, const SpecialMatch& b) {
    const size_t la = a.end - a.start, lb = b.end - b.start;
    return la != lb ? la > lb : a.start < b.start;
  });
  std::vector<bool> seen(toks.size(), false);
  std::vector<SpecialMatch> kept;
  for (const SpecialMatch& m : matches) {
    if (!seen[m.start] && !seen[m.end - 1]) kept.push_back(m);
    for (size_t k = m.start; k < m.end; ++k) seen[k] = true;
  }
  std::sort(kept.begin(), kept.end(),
            [](const SpecialMatch& a, const SpecialMatch& b) { return a.start < b.start; });
  std::vector<Token> out;
  size_t i = 0;
  for (const SpecialMatch& m : kept) {
    for (; i < m.start; ++i) out.push_back(std::move(toks[i]));
    for (const auto& piece : *m.pieces) out.push_back(Token{piece, false});
    out.back().space_after = toks[m.end - 1].space_after;
    i = m.end;
  }
  for (; i < toks.size(); ++i) out.push_back(std::move(toks[i]));
  toks = std::move(out);
}

}  // namespace

// ---- Unicode helpers ----

char32_t lower_char(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  const auto* it = std::lower_bound(std::begin(kLowerMap), std::end(kLowerMap), c,
                                    [](const CodePair& p, char32_t v) { return p.from < v; });
  return (it != std::end(kLowerMap) && it->from == c) ? it->to : c;
}

std::string utf8_lower(std::string_view text) {
  const bool ascii = std::all_of(text.begin(), text.end(), [](char ch) { return (ch & 0x80) == 0; });
  if (ascii) {
    std::string out(text);
    for (char& ch : out) {
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
    }
    return out;
  }
  std::u32string cps = utf8_decode(text);
  for (char32_t& c : cps) {
    // U+0130 (İ) lower-cases to two code points in Python: i + combining dot.
    c = lower_char(c);
  }
  std::string out = utf8_encode(cps);
  for (size_t pos = out.find("\xC4\xB0"); pos != std::string::npos; pos = out.find("\xC4\xB0", pos)) {
    out.replace(pos, 2, "i\xCC\x87");
  }
  return out;
}

bool is_alpha_char(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  return in_ranges(kAlphaRanges, c);
}

bool is_space_char(char32_t c) {
  return std::find(std::begin(kSpaceChars), std::end(kSpaceChars), c) != std::end(kSpaceChars);
}

std::vector<std::string> tokenize_en(std::string_view text) {
  const std::u32string s = utf8_decode(text);
  std::vector<Token> toks = raw_tokens(s, true);
  apply_special_matches(toks);
  std::vector<std::string> out;
  out.reserve(toks.size());
  for (const Token& t : toks) out.push_back(utf8_encode(t.text));
  return out;
}

}  // namespace selfens::eval
