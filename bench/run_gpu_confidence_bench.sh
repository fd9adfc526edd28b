#!/usr/bin/env bash
# Sampled decoding on the GPU: `selfens confidence --device cuda` on the
# first K MyriadLAMA questions (N=5 paraphrases, S samples each, B prompts
# in flight, 20 new tokens) with the random-weight Llama-3.2-3B-shaped model
# of bench/run_gpu_bench.sh, twice: the host drawing from downloaded logits
# (SELFENS_CUDA_SAMPLE=0) and the device drawing (=1). Both draw the same
# uniform numbers from the same logits, so the samples must be equal. Prints
# one JSON line per run and one comparing them; runs ON the GPU machine from
# the repository root (after tools/gpu/unpack_carry.sh).
#   [ARCH=llama3.2-3b|qwen2.5-7b] bench/run_gpu_confidence_bench.sh [K] [S] [B]
set -uo pipefail
cd "$(dirname "$0")/.."
sel=${SELFENS_GPU_BIN:-build-gpu/bin}/selfens
source tools/gpu/find_cublas.sh "$sel"
k=${1:-64}; s=${2:-20}; b=${3:-256}
data=${DATA:-.carry/data}; arch=${ARCH:-llama3.2-3b}
model=/tmp/selfens-$arch; res=/tmp/selfens-confidence-bench
[[ -d .carry/lemma ]] && export SELFENS_LEMMA_DIR=$PWD/.carry/lemma
python3 tools/gpu/make_random_model.py "$model" "$arch" || exit 1
for v in 0 1; do
  start=$(date +%s.%N)
  SELFENS_CUDA_SAMPLE=$v "$sel" confidence --quiet --model "$model" --dataset myriadlama \
    --data-dir "$data" --max_samples "$k" --num_paraphrases 5 --num_samples "$s" --batch_size "$b" \
    --device cuda --output-dir "$res/sample$v" --overwrite > /dev/null || { echo "FAIL SELFENS_CUDA_SAMPLE=$v"; exit 1; }
  end=$(date +%s.%N)
  echo "$start $end" > "$res/sample$v.time"
done
python3 - "$res" "$arch" "$k" "$s" "$b" <<'PY'
import glob, json, sys, pyarrow.feather as f
res, arch, k, s, b = sys.argv[1:]
runs = {}
for v in ("0", "1"):
    t = f.read_table(glob.glob(f"{res}/sample{v}/myriadlama/*/confidence.feather")[0])
    start, end = map(float, open(f"{res}/sample{v}.time").read().split())
    wall = float(t.schema.metadata[b"selfens.wall_seconds"])
    n = sum(len(x) for x in t.column("sample_predicts").to_pylist())
    runs[v] = t.column("sample_predicts").to_pylist()
    print(json.dumps({"arch": arch, "device_sampling": v == "1", "questions": int(k), "rows": t.num_rows,
                      "samples": n, "batch": int(b), "wall_seconds": round(wall, 3),
                      "process_seconds": round(end - start, 3), "samples_per_s": round(n / wall, 1)}))
pairs = [(x, y) for a, c in zip(runs["0"], runs["1"]) for x, y in zip(a, c)]
print(json.dumps({"same_samples": sum(x == y for x, y in pairs), "of": len(pairs)}))
PY
