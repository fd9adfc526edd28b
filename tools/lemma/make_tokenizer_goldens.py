#!/usr/bin/env python3
"""Write tests/eval/tokenizer_cases.jsonl: texts and the tokens spaCy's
English tokenizer (spacy.blank("en"), no model needed) gives them. The C++
tokenizer test compares against these. Needs `pip install spacy`.

Usage: python3 tools/lemma/make_tokenizer_goldens.py > tests/eval/tokenizer_cases.jsonl
"""
import json

import spacy

CASES = [
    # possessives and contractions
    "St. John's", "Mr. Smith's dog.", "the airport's location", "James' book", "Xavier'",
    "don't", "Don't stop", "can't", "won't", "I'm here", "I’m here", "don’t", "He's gone",
    "they'll", "we'd've", "cannot", "gonna", "let's go", "y'all", "ain't", "It's", "its",
    "o'clock", "ma'am", "'cause", "doin'", "B'more", "Peip'ing", "rock 'n' roll",
    # abbreviations and periods
    "Corp.", "Apple Computer Inc.", "N.H.", "e.u.", "U.S.", "U.S.A.", "U.S", "a.m.", "10am",
    "5 p.m.", "Ph.D.", "e.g.", "S.p.A.", "Ferrari S.p.A.", "Mt. Everest", "Jan. 5", "He left.",
    "Washington, D.C.", "WWII.", "No.", "Dr. Who", "i.e.", "vs.", "Mass.",
    # hyphens and infixes
    "well-known", "Disc-Overy", "US-MI", "1-2", "B-52s", "x--y", "x—y", "Wisconsin–Madison",
    "2,5-norbornadiene", "a/b", "a:b", "3D", "hello...world", "hello…world", "Tai-tsing",
    "barrister-at-law", "flat-backed", "state-of-the-art", "km/h", "10km", "5kg", "$100",
    "US$5", "90%", "+5", "1+1", "3.14", "1,000,000.5", "-5", "50°C.", "°F",
    # brackets, quotes, punctuation
    "(hi)", "\"quoted\"", "“curly”", "‘single’", "[MASK]", "Winchester (unparished area)",
    "BP plc,", "Yes!", "Really?!", "Perth, AUS", "M2 (United States)", "(8)", "C++",
    "INTEL CORPORATION     (Santa Clara, CA)", "a  b", "a\nb", " a", "a ", "a \n b", "\ta",
    # URLs, emoji, non-ASCII
    "http://www.google.com/x?y=1", "www.example.org", "see example.com.", "hello.world",
    "user@example.com", "Moët Hennessy", "Ciudad de México", "Fußballverbände", "Καλημέρα",
    "Москва", "東京", "🇲🇳", "😀😀", "I ❤ NY", ":)", "smile :-)", "Beyoncé's", "naïve",
    "Zürich-based", "İstanbul",
    # special cases re-joined after affix splitting (spaCy's special-case matcher)
    "St.X", "'s...–", "''s]’’", "\"@):(.", "Inc.U.S.", "a.m.St.+ZX", "(;", "x(8)",
]


def main():
    nlp = spacy.blank("en")
    print(json.dumps({"spacy_version": spacy.__version__}))
    for text in CASES:
        print(json.dumps({"text": text, "tokens": [t.text for t in nlp(text)]}, ensure_ascii=False))


if __name__ == "__main__":
    main()
