#!/usr/bin/env bash
# selfens CPU engine vs llama.cpp (llama-cpp-python) on the same GGUF file,
# same threads, same workload, alternated REPS times (default 3).
#   [REPS=3] bench/run_engine_bench.sh [BUILD_DIR] [THREADS]
# When llama-cpp-python is missing it is built here for this machine's
# instruction sets, one GGML_* switch per CPU feature (bench/cpu_info.py
# --llama-cmake-args), AMX off: its kernels crashed on the one AMX machine
# measured, though the kernel granted AMX. PEER_AMX=1 builds them in (where
# the kernel grants AMX); CMAKE_ARGS chooses everything yourself. Each result line records the CPU and its flags (bench/cpu_info.py)
# and llama.cpp's own report of the kernels it runs. A crashing peer stops
# the script with its signal and stderr, never silently.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"; threads="${2:-2}"
model="${SELFENS_MODELS_DIR:-$HOME/.cache/selfens/models}/SmolLM2-135M-Instruct.Q4_1.gguf"
cpu=$(python3 bench/cpu_info.py)
if ! python3 -c "import llama_cpp" 2>/dev/null; then
  amx=""
  [[ ${PEER_AMX:-0} == 1 ]] && python3 bench/cpu_info.py --amx-usable && amx="--amx"
  flags=$(python3 bench/cpu_info.py --llama-cmake-args $amx)
  echo "building llama-cpp-python (CMAKE_ARGS=${CMAKE_ARGS:-$flags}); minutes on 2 cores" >&2
  CMAKE_ARGS="${CMAKE_ARGS:-$flags}" python3 -m pip install -q --no-binary llama-cpp-python \
    llama-cpp-python
fi
# REPS rounds (default 3), selfens and llama.cpp alternated so that a noisy
# neighbour slows both: the summary compares medians (and shows the best).
err=$(mktemp); runs=$(mktemp); trap 'rm -f "$err" "$runs"' EXIT
for rep in $(seq "${REPS:-3}"); do
  "$build/bench/bench_engine" "$model" --threads "$threads" >> "$runs"
  set +e
  peer=$(python3 bench/llamacpp_peer.py --model "$model" --threads "$threads" 2>"$err" | tail -n 1)
  status=${PIPESTATUS[0]}
  set -e
  if [[ $status != 0 || -z $peer ]]; then
    sig=""; (( status > 128 )) && sig=" (signal $(kill -l $((status - 128)) 2>/dev/null || echo $((status - 128))))"
    echo "run_engine_bench: the llama.cpp peer failed with status $status$sig; its stderr ends:" >&2
    tail -n 15 "$err" >&2
    echo "its kernels: $(python3 -c 'import llama_cpp as L; print(L.llama_print_system_info().decode())')" >&2
    echo "(if its kernels include AMX_INT8, they are the likely fault: reinstall with" \
         "CMAKE_ARGS=\"\$(python3 bench/cpu_info.py --llama-cmake-args)\"" \
         "pip install --force-reinstall --no-binary llama-cpp-python llama-cpp-python)" >&2
    exit 1
  fi
  echo "$peer" >> "$runs"
done
python3 - "$runs" "$cpu" <<'PY'
import json, statistics, sys
cpu = json.loads(sys.argv[2])
ours, peer = [], []
for line in open(sys.argv[1]):
    r = json.loads(line)
    r.update(cpu)
    print(json.dumps(r))
    (peer if "peer" in r else ours).append(r)
for k in ours[0]:
    if k.endswith("tok_s") and k in peer[0]:
        a = [r[k] for r in ours]; b = [r[k] for r in peer]
        ma, mb = statistics.median(a), statistics.median(b)
        print(f"{k}: selfens {ma:.1f} (best {max(a):.1f})  llama.cpp {mb:.1f} (best {max(b):.1f})"
              f"  ratio of medians {ma / mb:.2f}x  ({len(a)} rounds)")
PY
