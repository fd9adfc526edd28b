#!/usr/bin/env bash
# Tokenizer throughput against Hugging Face `tokenizers` (Rust), same
# tokenizer.json, same text, measured side by side on this machine.
#   bench/run_tokenizer_bench.sh [MB]      (default 4 MB of synthetic text)
# Families: smollm2 (tests/fixtures), llama3 and qwen2 (scripts/fetch_test_assets.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
mb="${1:-4}"
build="${SELFENS_BUILD_DIR:-build}"
cmake -S . -B "$build" >/dev/null
cmake --build "$build" -j"$(nproc)" --target bench_tokenizer >/dev/null
bench="$build/bench/bench_tokenizer"
assets="${SELFENS_ASSETS_DIR:-$HOME/.cache/selfens/assets}/tokenizers"
text=$(mktemp); trap 'rm -f "$text"' EXIT
field() { awk -v m="$1" -v f="$2" '$1=="RESULT" && $2==m { for (i=3;i<=NF;i++) { split($i,kv,"="); if (kv[1]==f) print kv[2] } }'; }
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
first=1
for fam in smollm2 llama3 qwen2; do
  if [ $fam = smollm2 ]; then tj=tests/fixtures/tokenizer/smollm2/tokenizer.json; else tj="$assets/$fam/tokenizer.json"; fi
  [ -f "$tj" ] || { echo "$fam: $tj missing (scripts/fetch_test_assets.sh)"; continue; }
  if [ $first = 1 ]; then ours=$("$bench" "$tj" --mb "$mb" --dump-text "$text"); first=0
  else ours=$("$bench" "$tj" --text "$text"); fi
  peer1=$(python3 tools/reference/bench_tokenizers_peer.py "$tj" "$text" --threads 1)
  peerN=$(python3 tools/reference/bench_tokenizers_peer.py "$tj" "$text" --threads default)
  echo "== $fam ($(echo "$ours" | head -1))"
  printf "%-34s %14s %10s %12s\n" "run" "tokens/s" "MB/s" "tokens"
  row() { printf "%-34s %14s %10s %12s\n" "$1" "$(echo "$2" | field "$3" tokens_per_s)" \
            "$(echo "$2" | field "$3" mb_per_s)" "$(echo "$2" | field "$3" tokens)"; }
  row "selfens encode (1 call, cold)" "$ours" encode_one_call_cold
  row "selfens encode (1 call)" "$ours" encode_one_call
  row "selfens encode per line (1 thr)" "$ours" encode_lines
  row "tokenizers encode (1 call, cold)" "$peer1" encode_one_call_cold
  row "tokenizers encode (1 call, 1 thr)" "$peer1" encode_one_call
  row "tokenizers encode_batch (1 thr)" "$peer1" encode_batch_lines
  row "tokenizers encode_batch ($(nproc) thr)" "$peerN" encode_batch_lines
  a=$(echo "$ours" | field encode_one_call tokens_per_s); b=$(echo "$peer1" | field encode_one_call tokens_per_s)
  c=$(echo "$ours" | field encode_lines tokens_per_s); d=$(echo "$peer1" | field encode_batch_lines tokens_per_s)
  echo "ratio selfens/tokenizers, one call: $(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.2f", a/b}'); lines, 1 thread: $(awk -v a="$c" -v b="$d" 'BEGIN{printf "%.2f", a/b}')"
  [ "$(echo "$ours" | field encode_one_call tokens)" = "$(echo "$peer1" | field encode_one_call tokens)" ] ||
    echo "WARNING: token counts differ"
done
