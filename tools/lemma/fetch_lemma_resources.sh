#!/usr/bin/env bash
# Fetch spaCy's English lemma tables (PyPI package spacy-lookups-data) and
# convert them into the file the C++ lemmatizer loads:
#   ${SELFENS_LEMMA_DIR:-~/.cache/selfens/lemma}/en_lemma_tables.tsv
# Needs python3 with pip; downloads one wheel (~100 MB, only 4 small tables
# are kept). Re-running is cheap when the file exists (pass --force to redo).
set -euo pipefail

VERSION="${SPACY_LOOKUPS_VERSION:-1.0.5}"
DEST="${SELFENS_LEMMA_DIR:-$HOME/.cache/selfens/lemma}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$DEST/en_lemma_tables.tsv"

if [[ -s "$OUT" && "${1:-}" != "--force" ]]; then
  echo "lemma tables present: $OUT"
  exit 0
fi
mkdir -p "$DEST"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

python3 -m pip download --quiet --no-deps --only-binary=:all: \
  "spacy-lookups-data==$VERSION" -d "$WORK"
WHEEL="$(ls "$WORK"/spacy_lookups_data-*.whl)"
python3 - "$WHEEL" "$WORK/data" <<'PY'
import sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
names = ["en_lemma_rules", "en_lemma_index", "en_lemma_exc", "en_license"]
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        base = info.filename.rsplit("/", 1)[-1]
        if any(base.startswith(n + ".") for n in names):
            info.filename = base
            z.extract(info, dest)
PY
python3 "$HERE/convert_lemma_tables.py" "$WORK/data" "$OUT" "$VERSION"
cp "$WORK/data/en_license.txt" "$DEST/" 2>/dev/null || true
echo "wrote $OUT ($(wc -l < "$OUT") lines)"
