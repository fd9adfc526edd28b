#!/usr/bin/env bash
# How long `selfens analyze` takes on a folder of 30 result files (the
# analyses issue: under 2 s for the whole MyriadLAMA folder). Builds the
# folder from a real run's files: origin, per_prompt and confidence as they
# are, and ensemble_avg-N.feather copied under the names of 27 numbered
# files (avg, max, weighted_avg, flex_attention for N = 2..8 but one), so
# every file has the run's size and predictions. Then times analyze (text,
# --compare_all, --html) REPS times.
#   bench/run_analyze_bench.sh RESULTS_DIR [REPS=3]    (RESULTS_DIR = OUT/myriadlama/MODEL)
set -euo pipefail
src=${1:?usage: $0 RESULTS_DIR [REPS]}; reps=${2:-3}
bin=${SELFENS:-build/selfens}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
dst=$tmp/myriadlama/bench; mkdir -p "$dst"
for f in origin per_prompt confidence; do [[ -f $src/$f.feather ]] && cp "$src/$f.feather" "$dst/"; done
avg=$(ls "$src"/ensemble_avg-*.feather | head -1)
count=$(ls "$dst" | wc -l)
for n in 2 3 4 5 6 7 8; do
  for stem in ensemble_avg ensemble_max ensemble_weighted_avg flex_attention; do
    (( count < 30 )) || break 2
    cp "$avg" "$dst/$stem-$n.feather"; count=$((count + 1))
  done
done
rows=$(python3 -c "import pyarrow.feather as f,glob; print(sum(f.read_table(p).num_rows for p in glob.glob('$dst/*.feather')))")
echo "{\"files\": $(ls "$dst" | wc -l), \"rows\": $rows, \"cpu\": \"$(lscpu | sed -n 's/^Model name: *//p')\"}"
for ((r = 1; r <= reps; r++)); do
  s=$(date +%s.%N)
  "$bin" analyze --dataset myriadlama --model bench --output-dir "$tmp" --compare_all --html "$tmp/r.html" > /dev/null
  echo "{\"rep\": $r, \"seconds\": $(python3 -c "print(round($(date +%s.%N) - $s, 3))")}"
done
