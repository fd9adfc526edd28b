#!/usr/bin/env bash
# GPU benchmark. Runs ON the GPU machine (torch + transformers there) from
# the repository root, with build-gpu/bin carried (tools/gpu/build_for_gpu.sh
# selfens) and the MyriadLAMA data at $DATA (default .carry/data).
#
# Builds (tools/gpu/make_random_model.py) a random-weight model with the exact Llama-3.2-3B-Instruct
# architecture (28 layers, hidden 3072, GQA 24/8, head dim 128, llama3 rope),
# or with ARCH=qwen2.5-7b Qwen2.5-7B-Instruct's (28 layers, hidden 3584, GQA
# 28/4, q/k/v biases, untied); vocabulary 49152 so that the committed SmolLM2
# tokenizer.json tokenizes the real MyriadLAMA prompts, then times `selfens generate --device cuda` for every
# method at N=5 on the first K questions, B in flight, exactly 20 new tokens (--no_newline_stop), and
# transformers `generate` per_prompt with KV cache on the same prompts
# (tools/gpu/hf_peer.py). Prints one JSON line per run; writes them to
# $OUT/selfens_runs.jsonl and $OUT/peer_runs.jsonl.
# NEWLINE_STOP=1: as a user runs it instead (answers end at the newline, new
# questions join running steps); lines tagged "newline_stop": true. Each
# line also counts the forward calls run eagerly, captured and replayed as
# CUDA graphs.
#   [ARCH=llama3.2-3b|qwen2.5-7b|qwen3-8b|qwen2.5-14b] [METHODS="flex_attention origin"] [PEER_Q=64 (0: no peer)]
#   [DEVICE=cuda|cuda-fp16|cuda-fp8]
#   bench/run_gpu_bench.sh [K] [B]
set -uo pipefail
cd "$(dirname "$0")/.."
sel=${SELFENS_GPU_BIN:-build-gpu/bin}/selfens
source tools/gpu/find_cublas.sh "$sel"
k=${1:-512}; b=${2:-128}
data=${DATA:-.carry/data}; out=${OUT:-/tmp/selfens-gpu-bench}; mkdir -p "$out"
arch=${ARCH:-llama3.2-3b}
model=/tmp/selfens-$arch; res=/tmp/selfens-bench-out
python3 tools/gpu/make_random_model.py "$model" "$arch" || exit 1
mdir="$res/myriadlama/selfens-$arch"; mkdir -p "$mdir"
python3 bench/uniform_confidence.py "$data/myriadlama/test.jsonl" "$mdir/confidence.feather" "$k"
: > "$out/selfens_runs.jsonl"
for m in ${METHODS:-flex_attention origin per_prompt avg max weighted_avg weighted_max}; do
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 > "$out/mem_$m.txt" &
  smi=$!
  stop=(--no_newline_stop); [[ "${NEWLINE_STOP:-0}" == 1 ]] && stop=()
  f=$(SELFENS_TRACE_STEPS=1 "$sel" generate --quiet --model "$model" --dataset myriadlama --data-dir "$data" \
      --method "$m" --num_paraphrases 5 --max_samples "$k" --batch_size "$b" --max_new_tokens 20 \
      "${stop[@]}" --device "${DEVICE:-cuda}" --output-dir "$res" --overwrite 2> "$out/trace_$m.log") ||
    { echo "FAIL $m"; tail -3 "$out/trace_$m.log"; kill $smi; continue; }
  kill $smi
  python3 - "$f" "$m" "$out/mem_$m.txt" "$b" "$arch" "$out/trace_$m.log" >> "$out/selfens_runs.jsonl" <<'PY'
import json, re, sys, pyarrow.feather as f
t = f.read_table(sys.argv[1]); m = t.schema.metadata
g = lambda k: float(m[b"selfens." + k.encode()])
q = len(set(t.column("uuid").to_pylist()))
mem = [int(x) for x in open(sys.argv[3]).read().split() if x.isdigit()]
graphs = re.findall(r"cuda graphs: forward calls (\d+) eager, (\d+) captured, (\d+) replayed",
                    open(sys.argv[6]).read())
import os
print(json.dumps({"arch": sys.argv[5], "env": os.environ.get("BENCH_TAG", ""), "method": sys.argv[2], "batch": int(sys.argv[4]), "questions": q,
    "rows": t.num_rows, "questions_per_s": round(q / g("decode_seconds"), 2),
    "decode_seconds": g("decode_seconds"), "wall_seconds": g("wall_seconds"),
    "forward_calls": int(g("forward_calls")), "enqueue_seconds": g("enqueue_seconds"),
    "finish_seconds": g("finish_seconds"), "generated_tokens": int(g("generated_tokens")),
    "peak_gpu_mib": max(mem) if mem else None,
    "newline_stop": os.environ.get("NEWLINE_STOP", "0") == "1",
    "graph_calls": dict(zip(("eager", "captured", "replayed"), map(int, graphs[-1]))) if graphs else None}))
PY
  tail -n 1 "$out/selfens_runs.jsonl"
done
if [[ "${PEER_Q:-64}" != 0 && -f "$mdir/per_prompt.feather" ]]; then
  python3 tools/gpu/hf_peer.py "$model" "$mdir/per_prompt.feather" --questions "${PEER_Q:-64}" \
    --n 5 --new 20 --batch 40 320 | tee "$out/peer_runs.jsonl"
fi
echo "== nvidia-smi"; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
