#include "eval/lemmatizer.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "eval/tokenize_en.h"
#include "util/check.h"

namespace selfens::eval {
namespace {

const char* kFixHint = ": run tools/lemma/fetch_lemma_resources.sh";

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t tab = line.find('\t'); tab != std::string::npos; tab = line.find('\t', start)) {
    out.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
  out.push_back(line.substr(start));
  return out;
}

bool all_alpha(std::string_view word) {
  const std::u32string cps = utf8_decode(word);
  return !cps.empty() && std::all_of(cps.begin(), cps.end(), is_alpha_char);
}

// What the lemma guess needs to know about a token's characters.
struct Shape {
  bool space = true;         // whitespace only
  bool any_alpha = false;    // has a letter
  bool starts_upper = false; // first character upper-case
  bool all_upper = false;    // 2+ characters, no lower-case letter
};

Shape shape_of(std::string_view word) {
  const std::u32string cps = utf8_decode(word);
  Shape s;
  bool has_lower = false;
  for (char32_t c : cps) {
    s.space = s.space && is_space_char(c);
    const bool alpha = is_alpha_char(c);
    s.any_alpha = s.any_alpha || alpha;
    has_lower = has_lower || (alpha && lower_char(c) == c);
  }
  s.starts_upper = !cps.empty() && lower_char(cps[0]) != cps[0];
  s.all_upper = cps.size() > 1 && !has_lower;
  return s;
}

// Closed-class words whose lemma spaCy's pipeline fixes regardless of the
// lookup tables (its attribute ruler): forms of "be", "have", "do", clitics.
const std::unordered_map<std::string, std::string>& closed_class() {
  static const std::unordered_map<std::string, std::string> table = {
      {"is", "be"},     {"was", "be"},   {"am", "be"},     {"are", "be"},   {"were", "be"},
      {"been", "be"},   {"being", "be"}, {"'m", "be"},     {"'re", "be"},   {"n't", "not"},
      {"has", "have"},  {"had", "have"}, {"'ve", "have"},  {"does", "do"},  {"did", "do"},
      {"'ll", "will"},  {"'d", "would"}, {"me", "i"},      {"him", "he"},   {"them", "they"},
      {"ai", "be"}};
  return table;
}
// Pieces of contractions, lemmatised only after a verb piece ("ca n't").
const std::unordered_map<std::string, std::string>& verb_piece() {
  static const std::unordered_map<std::string, std::string> table = {
      {"ca", "can"}, {"wo", "will"}, {"sha", "shall"}, {"gon", "go"}};
  return table;
}
// Pronouns and wh-words after which "'s" is "is" rather than a possessive.
bool is_pronoun_like(const std::string& lo) {
  static const std::unordered_set<std::string> set = {"he", "she", "it", "that", "there", "what",
                                                      "who", "where", "how", "this", "here", "when",
                                                      "why"};
  return set.count(lo) > 0;
}
// Words ending in "s" that are never plurals.
bool is_function_word(const std::string& lo) {
  static const std::unordered_set<std::string> set = {"as", "us", "his", "its", "this", "thus",
                                                      "yes", "whereas", "hers", "ours", "yours",
                                                      "theirs", "towards", "besides"};
  return set.count(lo) > 0;
}
// Irregular past forms the tagger reads as verbs even though they are also
// nouns or adjectives (the tables alone would keep them).
const std::unordered_map<std::string, std::string>& verb_first() {
  static const std::unordered_map<std::string, std::string> table = {
      {"rose", "rise"}, {"left", "leave"}, {"born", "bear"}};
  return table;
}
// Name endings that a single capitalised word keeps ("Dallas", "Cyprus").
bool keeps_final_s(const std::string& lo) {
  for (const char* end : {"ss", "us", "is", "ys", "as", "os"}) {
    if (ends_with(lo, end)) return true;
  }
  return false;
}

// Tokens with a letter: a text with one such token is a lone word.
size_t count_words(const std::vector<std::string>& tokens) {
  return std::count_if(tokens.begin(), tokens.end(),
                       [](const std::string& t) { return shape_of(t).any_alpha; });
}

}  // namespace

std::filesystem::path Lemmatizer::default_dir() {
  if (const char* env = std::getenv("SELFENS_LEMMA_DIR"); env != nullptr && *env != '\0') return env;
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home != nullptr ? home : ".") / ".cache" / "selfens" / "lemma";
}

Lemmatizer Lemmatizer::load(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / kTableFile;
  std::ifstream in(path);
  SELFENS_REQUIRE(in.good(), "lemma tables missing at " + path.string() + kFixHint);
  Lemmatizer lem;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    const std::vector<std::string> f = split_tabs(line);
    const std::string where = path.string() + ":" + std::to_string(line_no);
    SELFENS_REQUIRE(f.size() >= 3 && f[0].size() == 1, where + ": malformed lemma table line" + kFixHint);
    PosTables& t = lem.pos_[f[1]];
    if (f[0] == "I") {
      t.index.insert(f[2]);
    } else if (f[0] == "E" && f.size() == 4) {
      t.exc[f[2]].push_back(f[3]);
    } else if (f[0] == "R" && f.size() == 4) {
      t.rules.emplace_back(f[2], f[3]);
    } else {
      SELFENS_REQUIRE(false, where + ": unknown lemma table record '" + f[0] + "'" + kFixHint);
    }
  }
  for (const char* pos : {"noun", "verb", "adj"}) {
    SELFENS_REQUIRE(lem.pos_.count(pos) && !lem.pos_[pos].index.empty() && !lem.pos_[pos].rules.empty(),
                    "lemma tables at " + path.string() + " lack the " + pos + " tables" + kFixHint);
  }
  return lem;
}

const Lemmatizer::PosTables* Lemmatizer::tables(std::string_view pos) const {
  const auto it = pos_.find(std::string(pos));
  return it == pos_.end() ? nullptr : &it->second;
}

bool Lemmatizer::in_index(std::string_view pos, const std::string& lemma) const {
  const PosTables* t = tables(pos);
  return t != nullptr && t->index.count(lemma) > 0;
}

const std::vector<std::string>* Lemmatizer::exception(std::string_view pos, const std::string& word) const {
  const PosTables* t = tables(pos);
  if (t == nullptr) return nullptr;
  const auto it = t->exc.find(word);
  return it == t->exc.end() ? nullptr : &it->second;
}

// spaCy 3's rule_lemmatize: suffix rules give candidates; candidates in the
// index (or not purely alphabetic) are kept in rule order, exceptions go in
// front, and out-of-vocabulary candidates are the fallback.
std::string Lemmatizer::rule_lemma(std::string_view word, std::string_view pos) const {
  const std::string lo = utf8_lower(word);
  const PosTables* t = tables(pos);
  if (t == nullptr) return lo;
  if (const auto* exc = exception(pos, lo); exc != nullptr && !exc->empty()) return (*exc)[0];
  std::string oov;
  for (const auto& [old_suffix, new_suffix] : t->rules) {
    if (!ends_with(lo, old_suffix)) continue;
    std::string form = lo.substr(0, lo.size() - old_suffix.size()) + new_suffix;
    if (form.empty()) continue;
    if (t->index.count(form) > 0 || !all_alpha(form)) return form;
    if (oov.empty()) oov = form;
  }
  return oov.empty() ? lo : oov;
}

std::vector<std::string> Lemmatizer::lemmas(std::string_view text) const {
  const std::vector<std::string> tokens = tokenize_en(text);
  std::vector<std::string> out;
  out.reserve(tokens.size());
  const bool single_word = count_words(tokens) == 1;
  for (size_t i = 0; i < tokens.size(); ++i) out.push_back(guess_lemma(tokens, i, single_word));
  return out;
}

std::string Lemmatizer::lemma_of(const std::vector<std::string>& tokens, size_t i) const {
  SELFENS_CHECK(i < tokens.size(), "token index out of range");
  return guess_lemma(tokens, i, count_words(tokens) == 1);
}

// A lower-case word: plural nouns, verb forms in -ing/-ed, comparatives, and
// irregular forms the tables list.
std::string Lemmatizer::lower_word_lemma(const std::string& lo) const {
  if (const auto it = verb_first().find(lo); it != verb_first().end()) return it->second;
  if (!all_alpha(lo) || is_function_word(lo)) return lo;
  const auto* verb_exc = exception("verb", lo);
  if (verb_exc != nullptr && !in_index("noun", lo)) return (*verb_exc)[0];
  if (const auto* noun_exc = exception("noun", lo)) return (*noun_exc)[0];
  if (ends_with(lo, "s") && !ends_with(lo, "ss")) {
    const std::string noun = rule_lemma(lo, "noun");
    if (noun != lo && in_index("noun", noun)) return noun;
    const std::string verb = rule_lemma(lo, "verb");
    if (verb != lo && in_index("verb", verb)) return verb;
    return lo;
  }
  if (ends_with(lo, "ing") || ends_with(lo, "ed")) {
    const std::string verb = rule_lemma(lo, "verb");
    return in_index("verb", verb) ? verb : lo;
  }
  if (exception("adj", lo) != nullptr) return rule_lemma(lo, "adj");
  if (const auto* adv_exc = exception("adv", lo)) return (*adv_exc)[0];
  if (ends_with(lo, "er") || ends_with(lo, "est")) {
    const std::string adj = rule_lemma(lo, "adj");
    if (adj != lo && in_index("adj", adj) && !in_index("noun", lo)) return adj;
  }
  return lo;
}

// A capitalised word is read as a proper noun (lemma = itself), except a
// lone capitalised word, which the tagger often reads as a common noun or
// adjective ("Kids", "Greater").
std::string Lemmatizer::capitalised_lemma(const std::string& lo, bool single_word) const {
  if (!single_word) return lo;
  if (ends_with(lo, "s") && !keeps_final_s(lo)) return rule_lemma(lo, "noun");
  if (exception("adj", lo) != nullptr) return rule_lemma(lo, "adj");
  if (ends_with(lo, "er") || ends_with(lo, "est")) {
    const std::string adj = rule_lemma(lo, "adj");
    if (adj != lo && in_index("adj", adj) && !in_index("noun", lo)) return adj;
  }
  return lo;
}

std::string Lemmatizer::guess_lemma(const std::vector<std::string>& tokens, size_t i,
                                    bool single_word) const {
  const std::string& tok = tokens[i];
  const Shape shape = shape_of(tok);
  if (shape.space) return tok;
  const std::string lo = utf8_lower(tok);
  const std::string prev = i > 0 ? utf8_lower(tokens[i - 1]) : std::string();
  const std::string next = i + 1 < tokens.size() ? utf8_lower(tokens[i + 1]) : std::string();
  if (lo == "'s" || lo == "\xE2\x80\x99s") return is_pronoun_like(prev) ? "be" : lo;
  if (lo == "nt" && verb_piece().count(prev) + closed_class().count(prev) > 0) return "not";
  if (lo == "na" && prev == "gon") return "to";
  if (const auto it = verb_piece().find(lo); it != verb_piece().end()) {
    const bool contracted = next == "n't" || next == "nt" || next == "\xE2\x80\x99" "t" || next == "na";
    if (contracted || next == "n\xE2\x80\x99t") return it->second;
  }
  const bool upper = shape.all_upper;
  if (const auto it = closed_class().find(lo); it != closed_class().end() && !upper) return it->second;
  if (lo == "n\xE2\x80\x99t") return "not";
  if (!shape.any_alpha) return rule_lemma(lo, "punct");
  if (shape.starts_upper) return upper ? lo : capitalised_lemma(lo, single_word);
  return lower_word_lemma(lo);
}

void add_lemma_columns(io::Table& table, const Lemmatizer& lemmatizer) {
  std::vector<io::Strings> pred;
  std::vector<std::vector<io::Strings>> ans;
  for (const auto& p : table.utf8("prediction")) pred.push_back(lemmatizer.lemmas(p));
  for (const auto& list : table.list_utf8("answers")) {
    ans.emplace_back();
    for (const auto& a : list) ans.back().push_back(lemmatizer.lemmas(a));
  }
  table.set("predict_lemma", std::move(pred));
  table.set("answer_lemmas", std::move(ans));
}

}  // namespace selfens::eval
