#!/usr/bin/env bash
# Questions per second of every method on MyriadLAMA with SmolLM2 on this
# machine: `selfens generate` itself, N=5, the first K questions, B in flight.
# The weighted methods read a confidence file; this bench writes one with
# uniform confidences (their cost does not depend on the values).
#   bench/run_methods_bench.sh [BUILD_DIR] [DATA_DIR] [K] [B]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"; data="${2:-../shared/data}"; k="${3:-100}"; b="${4:-32}"
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
sel="$build/selfens"
common=(--dataset myriadlama --data-dir "$data" --max_samples "$k" --batch_size "$b" --quiet
        --output-dir "$out" --overwrite)
model_dir="$out/myriadlama/smollm2_135m_it"
mkdir -p "$model_dir"
python3 bench/uniform_confidence.py "$data/myriadlama/test.jsonl" "$model_dir/confidence.feather" "$k"
printf '{"machine": "%s", "threads": %s, "questions": %s, "batch": %s, "methods": {' \
  "$(lscpu | sed -n 's/^Model name: *//p')" "$(nproc)" "$k" "$b"
sep=""
for m in origin per_prompt avg max weighted_avg weighted_max flex_attention; do
  file=$("$sel" generate --method "$m" --num_ensemble 5 "${common[@]}")
  qps=$(python3 -c "import pyarrow.feather as f,sys; m=f.read_table(sys.argv[1]).schema.metadata; print(round($k/float(m[b'selfens.wall_seconds']),3))" "$file")
  printf '%s"%s": %s' "$sep" "$m" "$qps"; sep=", "
done
printf '}}\n'
