#!/usr/bin/env bash
# selfens CPU engine vs llama.cpp (llama-cpp-python) on the same GGUF file,
# same threads, same workload, run one after the other on a quiet machine.
#   bench/run_engine_bench.sh [BUILD_DIR] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"; threads="${2:-2}"
model="${SELFENS_MODELS_DIR:-$HOME/.cache/selfens/models}/SmolLM2-135M-Instruct.Q4_1.gguf"
python3 -c "import llama_cpp" 2>/dev/null || python3 -m pip install -q llama-cpp-python
ours=$("$build/bench/bench_engine" "$model" --threads "$threads")
peer=$(python3 bench/llamacpp_peer.py --model "$model" --threads "$threads" 2>/dev/null | tail -n 1)
echo "$ours"; echo "$peer"
python3 - "$ours" "$peer" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for k in a:
    if k.endswith("tok_s") and k in b:
        print(f"{k}: selfens {a[k]:.1f}  llama.cpp {b[k]:.1f}  ratio {a[k]/b[k]:.2f}x")
PY
