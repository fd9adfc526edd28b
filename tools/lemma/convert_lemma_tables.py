#!/usr/bin/env python3
"""Convert spaCy's English lemma tables (spacy-lookups-data: en_lemma_rules,
en_lemma_index, en_lemma_exc, gzipped JSON) into the flat file the C++
lemmatizer reads, en_lemma_tables.tsv:

    # comment lines
    R <tab> pos <tab> old_suffix <tab> new_suffix     (rules, in spaCy's order)
    I <tab> pos <tab> lemma                           (index: known lemmas)
    E <tab> pos <tab> form <tab> lemma                (exceptions, in order)

Usage: convert_lemma_tables.py DATA_DIR OUT_FILE [VERSION]
DATA_DIR holds en_lemma_*.json(.gz) from the spacy_lookups_data package.
"""
import gzip
import json
import os
import sys


def load(data_dir, name):
    for fname, opener in ((name + ".json.gz", gzip.open), (name + ".json", open)):
        path = os.path.join(data_dir, fname)
        if os.path.exists(path):
            with opener(path, "rt", encoding="utf-8") as f:
                return json.load(f)
    sys.exit(f"convert_lemma_tables: {name}.json(.gz) not found in {data_dir}")


def clean(s):
    if "\t" in s or "\n" in s:
        sys.exit(f"convert_lemma_tables: tab or newline in table entry {s!r}")
    return s


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    data_dir, out_file = sys.argv[1], sys.argv[2]
    version = sys.argv[3] if len(sys.argv) > 3 else "unknown"
    rules = load(data_dir, "en_lemma_rules")
    index = load(data_dir, "en_lemma_index")
    exc = load(data_dir, "en_lemma_exc")
    tmp = out_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(f"# selfens English lemma tables from spacy-lookups-data {version}\n")
        out.write("# (MIT licence; see en_license.txt of that package)\n")
        for pos, pairs in rules.items():
            for old, new in pairs:
                out.write(f"R\t{pos}\t{clean(old)}\t{clean(new)}\n")
        for pos, words in index.items():
            for w in sorted(words):
                out.write(f"I\t{pos}\t{clean(w)}\n")
        for pos, forms in exc.items():
            for form, lemmas in sorted(forms.items()):
                for lemma in lemmas:
                    out.write(f"E\t{pos}\t{clean(form)}\t{clean(lemma)}\n")
    os.replace(tmp, out_file)


if __name__ == "__main__":
    main()
