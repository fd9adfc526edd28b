#!/usr/bin/env bash
# The original's reference table in one command: runs the avg grid behind
# DATA/reference/original_results.csv (paraphrase pools m1a0s1 ... m5a5s3 on
# MyriadLAMA, `selfens generate --method avg --num_manual M --num_auto A
# --num_samples S`), then prints selfens's accuracy for each pool beside the
# original's for the same model (n/a where the original did not run it).
#
#   scripts/reproduce_original.sh MODEL [--max_samples K] [--reference_model NAME]
#                                 [any other `selfens generate` option]
#
# MODEL: a selfens model name (the original's short names work: llama3.2_3b_it),
# a .gguf file or a Hugging Face folder. --reference_model: the model's name in
# the reference table when MODEL is not it. Environment: SELFENS (binary,
# default build/selfens), DATA_DIR (../shared/data), OUT (results/original-grid).
# Resumable: finished files are skipped, an interrupted one continues.
#
# Pools draw with selfens's seeded generator (--seed, default 0); the original
# drew with unseeded numpy, so the two agree in distribution, not row by row.
# The shared data keeps 7-14 auto templates per question where the original
# had 15: the a15 pools take all of a question's (--allow_short_pools).
set -euo pipefail
model=${1:?usage: $0 MODEL [--max_samples K] [--reference_model NAME] [generate options]}
shift
bin=${SELFENS:-build/selfens}
data=${DATA_DIR:-../shared/data}
out=${OUT:-results/original-grid}
reference_model=$model
pass=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --reference_model) reference_model=${2:?--reference_model needs a name}; shift 2 ;;
    *) pass+=("$1"); shift ;;
  esac
done
reference=$data/reference/original_results.csv
[[ -f $reference ]] || { echo "$0: $reference: not found (set DATA_DIR)" >&2; exit 2; }
grid="m1a0s1 m2a0s2 m3a0s3 m5a0s1 m5a0s3 m0a15s1 m0a15s3 m5a5s2 m5a5s3"
for tag in $grid; do
  [[ $tag =~ ^m([0-9]+)a([0-9]+)s([0-9]+)$ ]]
  echo "[$(date +%H:%M:%S)] avg $tag" >&2
  "$bin" generate --quiet --dataset myriadlama --data-dir "$data" --model "$model" \
    --output-dir "$out" --method avg --num_manual "${BASH_REMATCH[1]}" \
    --num_auto "${BASH_REMATCH[2]}" --num_samples "${BASH_REMATCH[3]}" --allow_short_pools \
    "${pass[@]}" >/dev/null
done
report=$(mktemp)
trap 'rm -f "$report"' EXIT
"$bin" analyze --quiet --json --dataset myriadlama --model "$model" --output-dir "$out" >"$report"
python3 - "$report" "$reference" "$reference_model" "$grid" <<'PY'
import csv, json, sys
report, reference, name, grid = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split()
pools = {c["label"]: c for c in json.load(open(report))["pools"]["pools"]}
original = {r["run"]: r for r in csv.DictReader(open(reference)) if r["model"] == name}
print(f"avg ensemble on MyriadLAMA: selfens ({name}) beside the original")
print(f"{'run':8} {'questions':>9} {'selfens':>8}   {'original':>8} {'(questions)':>11}")
for tag in grid:
    c = pools.get("avg-" + tag)
    mine = f"{100 * c['accuracy']:7.2f}%" if c else "     n/a"
    q = str(c["questions"]) if c else "-"
    o = original.get(tag)
    theirs = f"{100 * float(o['accuracy']):7.2f}%" if o else "     n/a"
    print(f"{tag:8} {q:>9} {mine:>8}   {theirs:>8} {('(' + o['questions'] + ')') if o else '':>11}")
if not original:
    models = sorted({r["model"] for r in csv.DictReader(open(reference))})
    print(f"(the original has no rows for '{name}'; it ran {', '.join(models)}: "
          "give --reference_model to compare with one of them)")
PY
