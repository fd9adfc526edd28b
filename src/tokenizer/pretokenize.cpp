#include "tokenizer/pretokenize.h"

#include "tokenizer/unicode_text.h"

namespace selfens::tok {
namespace {

// The text as code points: byte offsets (n + 1) and class bits (n).
struct CodePoints {
  std::vector<uint32_t> off;
  std::vector<uint8_t> cls;
  std::string_view text;
  size_t size() const { return cls.size(); }
};

void decode(std::string_view text, CodePoints* cps) {
  cps->text = text;
  cps->off.clear();
  cps->cls.clear();
  size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<uint8_t>(text[i]);
    uint32_t cp = b;
    const int len = b < 0x80 ? 1 : utf8_step(text, i, &cp);
    cps->off.push_back(static_cast<uint32_t>(i));
    // An invalid byte is punctuation-like ("other"), one byte long.
    cps->cls.push_back(cp == 0xFFFD && len == 1 && b >= 0x80 ? 0 : char_class(cp));
    i += len;
  }
  cps->off.push_back(static_cast<uint32_t>(text.size()));
}

// Matchers: each returns the end index (exclusive) of the match at i, in a
// window of code points ending at n.
class Matcher {
 public:
  Matcher(const CodePoints& cps, size_t n) : c_(cps), n_(n) {}

  size_t run(size_t i, uint8_t bits) const {  // i.. while class has a bit
    while (i < n_ && (c_.cls[i] & bits)) ++i;
    return i;
  }
  size_t run_other(size_t i) const {
    while (i < n_ && is_other(c_.cls[i])) ++i;
    return i;
  }
  bool has(size_t i, uint8_t bits) const { return i < n_ && (c_.cls[i] & bits); }
  bool other_at(size_t i) const { return i < n_ && is_other(c_.cls[i]); }

  // 's|'t|'re|'ve|'m|'ll|'d at i (an apostrophe): the length, or 0.
  size_t contraction(size_t i, bool fold) const {
    auto ch = [&](size_t k) -> char {
      if (k >= n_ || c_.off[k + 1] - c_.off[k] != 1) return 0;
      char x = c_.text[c_.off[k]];
      return fold && x >= 'A' && x <= 'Z' ? static_cast<char>(x - 'A' + 'a') : x;
    };
    const char a = ch(i + 1);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    const char b = ch(i + 2);
    if ((a == 'r' || a == 'v') && b == 'e') return 3;
    if (a == 'l' && b == 'l') return 3;
    return 0;
  }

  // \s+(?!\S)|\s+ at a whitespace code point i.
  size_t trailing_space(size_t i) const {
    const size_t j = run(i, kWhite);
    if (j == n_) return j;
    return j - 1 > i ? j - 1 : i + 1;
  }

  size_t gpt2(size_t i) const {
    const uint8_t c = c_.cls[i];
    if (c & kApostrophe) {
      if (size_t k = contraction(i, false)) return i + k;
    }
    size_t s = i;
    if ((c & kSpace) && i + 1 < n_ && !has(i + 1, kWhite)) s = i + 1;  // " ?X+"
    const uint8_t d = c_.cls[s];
    if (d & kLetter) return run(s, kLetter);
    if (d & kNumber) return run(s, kNumber);
    if (is_other(d)) return run_other(s);
    return trailing_space(i);
  }

  size_t llama3(size_t i, size_t max_digits) const {
    const uint8_t c = c_.cls[i];
    if (c & kApostrophe) {
      if (size_t k = contraction(i, true)) return i + k;
    }
    if (c & kLetter) return run(i, kLetter);
    if (!(c & (kNumber | kCrLf)) && has(i + 1, kLetter)) return run(i + 1, kLetter);
    if (c & kNumber) {
      const size_t j = run(i, kNumber);
      return j - i > max_digits ? i + max_digits : j;
    }
    if (is_other(c)) return run(run_other(i), kCrLf);
    if ((c & kSpace) && other_at(i + 1)) return run(run_other(i + 1), kCrLf);
    // \s*[\r\n]+ : up to the last CR/LF of the whitespace run.
    const size_t j = run(i, kWhite);
    for (size_t k = j; k > i; --k) {
      if (c_.cls[k - 1] & kCrLf) return k;
    }
    return trailing_space(i);
  }

 private:
  const CodePoints& c_;
  size_t n_;
};

void emit(const CodePoints& cps, size_t a, size_t b, std::vector<Piece>* out) {
  out->push_back({cps.off[a], cps.off[b]});
}

}  // namespace

void pretokenize(PreTokenizer kind, std::string_view text, std::vector<Piece>* out) {
  thread_local CodePoints cps;
  decode(text, &cps);
  const size_t n = cps.size();
  if (kind == PreTokenizer::kSmolLM) {
    // Each \p{N} code point alone; the stretches between run through GPT-2's
    // pattern, which then sees the stretch's end as the end of text.
    size_t i = 0;
    while (i < n) {
      if (cps.cls[i] & kNumber) {
        emit(cps, i, i + 1, out);
        ++i;
        continue;
      }
      size_t e = i;
      while (e < n && !(cps.cls[e] & kNumber)) ++e;
      const Matcher m(cps, e);
      while (i < e) {
        const size_t j = m.gpt2(i);
        emit(cps, i, j, out);
        i = j;
      }
    }
    return;
  }
  const Matcher m(cps, n);
  size_t i = 0;
  while (i < n) {
    size_t j = 0;
    switch (kind) {
      case PreTokenizer::kGpt2: j = m.gpt2(i); break;
      case PreTokenizer::kLlama3: j = m.llama3(i, 3); break;
      default: j = m.llama3(i, 1); break;
    }
    emit(cps, i, j, out);
    i = j;
  }
}

}  // namespace selfens::tok
