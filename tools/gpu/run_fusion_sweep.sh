#!/usr/bin/env bash
# On the GPU machine, after unpack_carry.sh joined the SmolLM2 GGUF: the
# attention-fusion sweep (bench/run_fusion_sweep.sh) for SmolLM2 on
# MyriadLAMA and WebQA with --device cuda-f32 (fp32 weights: the CPU's
# predictions, faster), into /tmp/fusion (resumable: a second call goes
# on), then the columns bench/fusion_table.py reads copied to $OUT/slim
# (the whole files are too large to bring back).
#   [DATASETS="myriadlama webqa"] [K=0 (all)] [LIMIT=540 seconds] tools/gpu/run_fusion_sweep.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/fusion-out}; res=/tmp/fusion
export SELFENS=build-gpu/bin/selfens DATA_DIR=${DATA:-.carry/data}
export SELFENS_LEMMA_DIR=${SELFENS_LEMMA_DIR:-$PWD/.carry/lemma}
export EXTRA="--device cuda-f32 --batch_size 256"
source tools/gpu/find_cublas.sh "$SELFENS"
start=$(date +%s)
for d in ${DATASETS:-myriadlama webqa}; do
  left=$(( ${LIMIT:-540} - ($(date +%s) - start) ))
  (( left > 20 )) || { echo "no time left for $d"; break; }
  echo "== $(date +%T) $d (${left} s left)"
  timeout "$left" bench/run_fusion_sweep.sh smollm2_135m_it "$d" "${K:-0}" "$res" 5 5 2>&1 | tail -3
done
python3 - "$res" "$out/slim" <<'PY'
import glob, os, sys, pyarrow.feather as f
src, dst = sys.argv[1:3]
for path in glob.glob(os.path.join(src, "*", "*", "*.feather")):
    if path.endswith("confidence.feather"):
        continue
    t = f.read_table(path)
    cols = [c for c in ("uuid", "prediction", "answers", "paraphrase_index") if c in t.column_names]
    rel = os.path.relpath(path, src)
    os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
    f.write_feather(t.select(cols), os.path.join(dst, rel), compression="zstd")
print("slim files:", len(glob.glob(os.path.join(dst, "*", "*", "*.feather"))))
PY
