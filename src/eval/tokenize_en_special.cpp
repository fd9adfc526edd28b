// The special cases of spaCy's English tokenizer (spacy/lang/en/
// tokenizer_exceptions.py and spacy/lang/tokenizer_exceptions.py), rebuilt
// from the same generative rules: pronoun and verb contractions in lower and
// title case, with and without the apostrophe, abbreviations, times,
// emoticons; then every entry with "'" is copied with the typographic "’".
#include "eval/tokenize_en_special.h"

#include <initializer_list>
#include <sstream>

namespace selfens::eval {
namespace {

using Pieces = std::vector<std::string>;

class Builder {
 public:
  // One special case: the pieces concatenated form the key.
  void add(const Pieces& pieces) {
    std::string key;
    for (const auto& p : pieces) key += p;
    table_[key] = pieces;
  }
  void add_single(const std::string& orth) { add({orth}); }
  void erase(const std::string& key) { table_.erase(key); }
  SpecialTable finish();

 private:
  std::unordered_map<std::string, Pieces> table_;
};

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

// spaCy's expand_exc(exc, "'", "’"): each entry with an apostrophe gains a
// typographic twin.
SpecialTable Builder::finish() {
  SpecialTable out;
  for (const auto& [key, pieces] : table_) {
    std::vector<std::u32string> decoded;
    for (const auto& p : pieces) decoded.push_back(utf8_decode(p));
    out[utf8_decode(key)] = decoded;
    if (key.find('\'') == std::string::npos) continue;
    std::vector<std::u32string> curly;
    for (const auto& p : pieces) curly.push_back(utf8_decode(replace_all(p, "'", "\xE2\x80\x99")));
    out[utf8_decode(replace_all(key, "'", "\xE2\x80\x99"))] = curly;
  }
  return out;
}

std::string title(const std::string& w) {
  std::string t = w;
  if (!t.empty() && t[0] >= 'a' && t[0] <= 'z') t[0] = static_cast<char>(t[0] - 'a' + 'A');
  return t;
}

std::vector<std::string> words(const char* list) {
  std::istringstream in(list);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

void add_pronouns(Builder& b) {
  for (const std::string o : {"i", "I"}) {
    b.add({o, "'m"});
    b.add({o, "m"});
    b.add({o, "'m", "a"});
    b.add({o, "m", "a"});
  }
  for (const auto& pron : words("i you he she it we they")) {
    for (const auto& o : {pron, title(pron)}) {
      b.add({o, "'ll"});
      b.add({o, "ll"});
      b.add({o, "'ll", "'ve"});
      b.add({o, "ll", "ve"});
      b.add({o, "'d"});
      b.add({o, "d"});
      b.add({o, "'d", "'ve"});
      b.add({o, "d", "ve"});
    }
  }
  for (const auto& pron : words("i you we they")) {
    for (const auto& o : {pron, title(pron)}) {
      b.add({o, "'ve"});
      b.add({o, "ve"});
    }
  }
  for (const auto& pron : words("you we they")) {
    for (const auto& o : {pron, title(pron)}) {
      b.add({o, "'re"});
      b.add({o, "re"});
    }
  }
  for (const auto& pron : words("he she it")) {
    for (const auto& o : {pron, title(pron)}) {
      b.add({o, "'s"});
      b.add({o, "s"});
    }
  }
}

void add_wh_words(Builder& b) {
  for (const auto& w : words("who what when where why how there that this these those")) {
    const bool plural = w == "these" || w == "those";
    const bool singular = w == "that" || w == "this";
    for (const auto& o : {w, title(w)}) {
      if (!plural) {
        b.add({o, "'s"});
        b.add({o, "s"});
      }
      b.add({o, "'ll"});
      b.add({o, "ll"});
      b.add({o, "'ll", "'ve"});
      b.add({o, "ll", "ve"});
      if (!singular) {
        b.add({o, "'re"});
        b.add({o, "re"});
        b.add({o, "'ve"});
        b.add({o, "ve"});
      }
      b.add({o, "'d"});
      b.add({o, "d"});
      b.add({o, "'d", "'ve"});
      b.add({o, "d", "ve"});
    }
  }
}

void add_verbs(Builder& b) {
  for (const auto& v : words("ca could do does did had may might must need ought sha should wo would")) {
    for (const auto& o : {v, title(v)}) {
      b.add({o, "n't"});
      b.add({o, "nt"});
      b.add({o, "n't", "'ve"});
      b.add({o, "nt", "ve"});
    }
  }
  for (const auto& v : words("could might must should would")) {
    for (const auto& o : {v, title(v)}) {
      b.add({o, "'ve"});
      b.add({o, "ve"});
    }
  }
  for (const auto& v : words("ai are is was were have has dare")) {
    for (const auto& o : {v, title(v)}) {
      b.add({o, "n't"});
      b.add({o, "nt"});
    }
  }
}

void add_other(Builder& b) {
  // Dropped final g, with and without the apostrophe: "doin'", "doin".
  for (const auto& w : words("doin goin nothin nuthin ol somethin")) {
    for (const auto& o : {w, title(w)}) {
      b.add_single(o);
      b.add_single(o + "'");
    }
  }
  for (const auto& w : words("em ll nuff")) {
    b.add_single(w);
    b.add_single("'" + w);
  }
  for (int h = 1; h <= 12; ++h) {
    for (const char* period : {"a.m.", "am", "p.m.", "pm"}) b.add({std::to_string(h), period});
  }
  b.add({"y'", "all"});
  b.add({"y", "all"});
  for (const std::string o : {"how", "How"}) b.add({o, "'d", "'y"});
  for (const std::string o : {"not", "Not"}) {
    b.add({o, "'ve"});
    b.add({o, "ve"});
  }
  for (const std::string o : {"can", "Can"}) b.add({o, "not"});
  for (const std::string o : {"gon", "Gon"}) b.add({o, "na"});
  for (const std::string o : {"got", "Got"}) b.add({o, "ta"});
  for (const std::string o : {"let", "Let"}) b.add({o, "'s"});
  for (const std::string o : {"c'm", "C'm"}) b.add({o, "on"});
  const char* singles =
      "'S 's \xE2\x80\x98S \xE2\x80\x98s and/or w/o 're 'Cause 'cause 'cos 'Cos 'coz 'Coz 'cuz 'Cuz "
      "'bout ma'am Ma'am o'clock O'clock lovin' Lovin' lovin Lovin havin' Havin' havin Havin "
      "doin' Doin' doin Doin goin' Goin' goin Goin "
      // Abbreviations that keep their period.
      "Mt. Ak. Ala. Apr. Ariz. Ark. Aug. Calif. Colo. Conn. Dec. Del. Feb. Fla. Ga. Ia. Id. "
      "Ill. Ind. Jan. Jul. Jun. Kan. Kans. Ky. La. Mar. Mass. Mich. Minn. Miss. N.C. N.D. "
      "N.H. N.J. N.M. N.Y. Neb. Nebr. Nev. Nov. Oct. Okla. Ore. Pa. S.C. Sep. Sept. Tenn. "
      "Va. Wash. Wis. 'd a.m. Adm. Bros. co. Co. Corp. D.C. Dr. e.g. E.g. E.G. Gen. Gov. "
      "i.e. I.e. I.E. Inc. Jr. Ltd. Md. Messrs. Mo. Mont. Mr. Mrs. Ms. p.m. Ph.D. Prof. "
      "Rep. Rev. Sen. St. vs. v.s.";
  for (const auto& w : words(singles)) b.add_single(w);
  // Contractions that would swallow ordinary words ("ill", "its", "were").
  for (const auto& w : words("Ill ill Its its Hell hell Shell shell Shed shed were Were Well well "
                             "Whore whore")) {
    b.erase(w);
  }
}

// spacy/lang/tokenizer_exceptions.py: the language-independent cases.
void add_base(Builder& b) {
  for (const char* ws : {" ", "\t", "\\t", "\n", "\\n", "\xE2\x80\x94", "\xC2\xA0"}) b.add_single(ws);
  for (const auto& w : words("' \\\") <space> '' C++")) b.add_single(w);
  for (char c = 'a'; c <= 'z'; ++c) b.add_single(std::string(1, c) + ".");
  for (const char* w : {"\xC3\xA4.", "\xC3\xB6.", "\xC3\xBC."}) b.add_single(w);  // ä. ö. ü.
  const char* emoticons =
      ":) :-) :)) :-)) :))) :-))) (: (-: =) (= :] :-] [: [-: [= =] :o) (o: :} :-} 8) 8-) (-8 "
      ";) ;-) (; (-; :( :-( :(( :-(( :((( :-((( ): )-: =( >:( :') :'-) :'( :'-( :/ :-/ =/ =| "
      ":| :-| ]= =[ :1 :P :-P :p :-p :O :-O :o :-o :0 :-0 :() >:o :* :-* :3 :-3 =3 :> :-> :X "
      ":-X :x :-x :D :-D ;D ;-D =D xD XD xDD XDD 8D 8-D ^_^ ^__^ ^___^ >.< >.> <.< ._. ;_; -_- "
      "-__- v.v V.V v_v V_V o_o o_O O_o O_O 0_o o_0 0_0 o.O O.o O.O o.o 0.0 o.0 0.o @_@ <3 <33 "
      "<333 </3 (^_^) (-_-) (._.) (>_<) (*_*) (\xC2\xAC_\xC2\xAC) \xE0\xB2\xA0_\xE0\xB2\xA0 "
      "\xE0\xB2\xA0\xEF\xB8\xB5\xE0\xB2\xA0 (\xE0\xB2\xA0_\xE0\xB2\xA0) "
      "\xC2\xAF\\(\xE3\x83\x84)/\xC2\xAF "
      "(\xE2\x95\xAF\xC2\xB0\xE2\x96\xA1\xC2\xB0\xEF\xBC\x89\xE2\x95\xAF\xEF\xB8\xB5\xE2\x94\xBB"
      "\xE2\x94\x81\xE2\x94\xBB ><(((*>";
  for (const auto& w : words(emoticons)) b.add_single(w);
  for (const char* u : {"c", "f", "k", "C", "F", "K"}) b.add({"\xC2\xB0", u, "."});  // °C.
}

}  // namespace

const SpecialTable& english_special_cases() {
  static const SpecialTable table = [] {
    Builder b;
    add_base(b);
    add_pronouns(b);
    add_wh_words(b);
    add_verbs(b);
    add_other(b);
    return b.finish();
  }();
  return table;
}

}  // namespace selfens::eval
