#!/usr/bin/env bash
# On the GPU machine, after unpack_carry.sh: the original's avg grid
# (scripts/reproduce_original.sh) on all 2,000 MyriadLAMA questions
#   1. with SmolLM2 (its GGUF joined from both carried halves) and
#      --device cuda-f32 (fp32 weights: the CPU's predictions): the accuracy table;
#   2. with a random-weight Llama-3.2-3B-shaped model (make_random_model.py)
#      and --device cuda (bf16), for speed only: questions/s of every grid
#      file (questions / decode seconds, from the file's metadata).
# Output: $OUT/grid.log.  [B=256] [K=0 (all)] tools/gpu/run_original_grid.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/selfens-gpu}; mkdir -p "$out"
export SELFENS=build-gpu/bin/selfens DATA_DIR=${DATA:-.carry/data}
export SELFENS_LEMMA_DIR=${SELFENS_LEMMA_DIR:-$PWD/.carry/lemma}
source tools/gpu/find_cublas.sh "$SELFENS"
select=(); [[ ${K:-0} -gt 0 ]] && select=(--max_samples "$K")
common=(--batch_size "${B:-256}" "${select[@]}")
{
  echo "== $(date +%T) SmolLM2, cuda-f32"
  OUT=/tmp/grid-smollm2 scripts/reproduce_original.sh smollm2_135m_it --device cuda-f32 "${common[@]}"
  echo "== $(date +%T) random Llama-3.2-3B shape, cuda (bf16), speed only"
  python3 tools/gpu/make_random_model.py /tmp/selfens-llama3.2-3b llama3.2-3b >/dev/null
  start=$(date +%s)
  OUT=/tmp/grid-3b scripts/reproduce_original.sh /tmp/selfens-llama3.2-3b --device cuda \
    "${common[@]}" >/dev/null
  echo "whole grid: $(( $(date +%s) - start )) s"
  python3 - /tmp/grid-3b <<'PY'
import glob, os, sys, pyarrow.feather as f
for path in sorted(glob.glob(os.path.join(sys.argv[1], "myriadlama", "*", "ensemble_avg-m*.feather"))):
    t = f.read_table(path); m = t.schema.metadata
    g = lambda k: float(m[b"selfens." + k.encode()])
    q = len(set(t.column("uuid").to_pylist()))
    print(f"{os.path.basename(path):28} {q:5d} questions  {q / g('decode_seconds'):8.1f} q/s"
          f"  decode {g('decode_seconds'):6.2f} s  wall {g('wall_seconds'):6.2f} s")
PY
} 2>&1 | tee "$out/grid.log"
