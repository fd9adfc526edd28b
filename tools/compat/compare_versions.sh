#!/usr/bin/env bash
# Runs two selfens binaries on the same jobs and compares their result files
# column by column (every column but the schema metadata, which may grow):
# the check that a change leaves every method's predictions byte-identical.
#   tools/compat/compare_versions.sh OLD_BIN NEW_BIN OUT_DIR [DATA_DIR] [MLAMA_QUESTIONS]
# Jobs: confidence (10 samples) and all seven methods on the demo set, and
# origin, avg-5 and flex_attention-5 on the first MLAMA_QUESTIONS (100)
# MyriadLAMA questions when DATA_DIR holds myriadlama/. The default model.
set -euo pipefail
old=$1 new=$2 out=$3 data=${4:-../shared/data} mlama=${5:-100}
mkdir -p "$out"
run_all() {
  local bin=$1 dir=$2
  "$bin" confidence --quiet --output-dir "$dir" --dataset demo --num_samples 10 --num_paraphrases 5 >/dev/null
  for m in origin per_prompt avg max weighted_avg weighted_max flex_attention; do
    "$bin" generate --quiet --output-dir "$dir" --dataset demo --method "$m" >/dev/null
  done
  if [ -d "$data/myriadlama" ]; then
    for m in origin avg flex_attention; do
      "$bin" generate --quiet --output-dir "$dir" --dataset myriadlama --data-dir "$data" \
        --method "$m" --max_samples "$mlama" >/dev/null
    done
  fi
}
run_all "$old" "$out/old"
run_all "$new" "$out/new"
python3 - "$out/old" "$out/new" <<'PY'
import pathlib, sys
import pyarrow.feather as feather
old, new = map(pathlib.Path, sys.argv[1:])
files = sorted(p.relative_to(old) for p in old.rglob("*.feather"))
assert files, "no result files"
bad = 0
for rel in files:
    a, b = feather.read_table(old / rel), feather.read_table(new / rel)
    if a.column_names != b.column_names:
        print(f"DIFF {rel}: columns {a.column_names} vs {b.column_names}"); bad += 1; continue
    diff = [c for c in a.column_names if not a.column(c).equals(b.column(c))]
    print(f"{'DIFF' if diff else 'same'} {rel}: {a.num_rows} rows" + (f", columns {diff}" if diff else ""))
    bad += bool(diff)
print(f"{len(files) - bad} of {len(files)} files identical in every column")
sys.exit(1 if bad else 0)
PY
