#!/usr/bin/env bash
# A/B of two builds on the GPU machine: bench/run_gpu_bench.sh with the
# binaries of build-gpu/bin (B, this tree) and of $A_BIN (A, e.g. the
# commit before a refactor, built with SELFENS_GPU_BUILD=... and carried),
# alternating A B A B so that drift hits both. One JSON line per run, with
# "build": "A" or "B".
#   A_BIN=build-gpu/bin-before [METHODS=flex_attention] [REPS=2] tools/gpu/run_ab_bench.sh K B
set -uo pipefail
cd "$(dirname "$0")/../.."
a=${A_BIN:?A_BIN: the folder of the other build}; reps=${REPS:-2}
k=${1:-512}; b=${2:-256}
for ((r = 1; r <= reps; r++)); do
  for build in A B; do
    bin=build-gpu/bin; [[ $build == A ]] && bin=$a
    SELFENS_GPU_BIN=$bin PEER_Q=0 METHODS=${METHODS:-flex_attention} OUT=/tmp/ab-$build \
      bench/run_gpu_bench.sh "$k" "$b" > /tmp/ab-$build.log 2>&1 || { echo "FAIL $build"; tail -5 /tmp/ab-$build.log; }
    sed "s/^{/{\"build\": \"$build\", \"rep\": $r, /" /tmp/ab-$build/selfens_runs.jsonl
  done
done
