#!/usr/bin/env bash
# One device call's worth of GPU work, from the repository root on the GPU
# machine, after tools/gpu/pack_carry.sh here (carry .carry, and .carry-part2
# for the second half of SmolLM2). Each step is switched by a variable:
#   CHECKS=1   tools/gpu/run_gpu_checks.sh (kernel and end-to-end checks)
#   CLI=1      tools/gpu/run_cli_checks.sh (predictions vs the CPU)
#   CONF=1     tools/gpu/run_confidence_checks.sh (sampled answers vs the CPU)
#   CONF_BENCH="K S B"  bench/run_gpu_confidence_bench.sh (device vs host sampling)
#   OOM=1      tools/gpu/run_oom_check.sh (out of GPU memory: a clear message)
#   GRID=1     tools/gpu/run_original_grid.sh (the original's avg grid: SmolLM2
#              accuracy on cuda-f32, a random 3B shape's speed on cuda)
#   BENCH="flex_attention per_prompt ..."  bench/run_gpu_bench.sh K=512 B=256
#   PROFILE="flex_attention ..."  the same runs with SELFENS_CUDA_PROFILE=${PROFILE_MODE:-2}
#   PEERS=1    transformers per_prompt (hf_peer.py), the original's approach
#              (orig_peer.py) and the GPU's limits (limits.py)
#   ARCH=llama3.2-3b|qwen2.5-7b|qwen3-8b|qwen2.5-14b, K, B (several: "256 16")
#   AB="VAR=x,VAR2=y"  the benchmark again with these variables set (an A/B
#              of a setting; lines tagged "env")
# Logs go to $OUT (at most 8 files come back): checks.log, cli.log,
# bench.jsonl, profile.log, peers.jsonl, all.log.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/selfens-gpu}; mkdir -p "$out"
tools/gpu/unpack_carry.sh > "$out/all.log" 2>&1
k=${K:-512}; b=${B:-256}; arch=${ARCH:-llama3.2-3b}
step() { echo "== $(date +%T) $*" | tee -a "$out/all.log"; }
if [[ "${CHECKS:-0}" == 1 ]]; then
  step checks; OUT=/tmp/checks tools/gpu/run_gpu_checks.sh > "$out/checks.log" 2>&1
  grep -E "checks passed|FAIL" "$out/checks.log" | tail -5
fi
if [[ "${CLI:-0}" == 1 ]]; then
  step cli; OUT=/tmp/cli tools/gpu/run_cli_checks.sh > "$out/cli.log" 2>&1; cp /tmp/cli/cli_checks.json "$out/" 2>/dev/null
  grep -E "PASS|FAIL|exit status" "$out/cli.log" | grep -v " ms$" | tail -60
fi
if [[ "${CONF:-0}" == 1 ]]; then
  step confidence
  OUT=/tmp tools/gpu/run_confidence_checks.sh 2>&1 | tee "$out/confidence.log" | grep -E "PASS|FAIL|INFO|status"
fi
if [[ "${GRID:-0}" == 1 ]]; then
  step original grid; OUT="$out" tools/gpu/run_original_grid.sh | tail -25
fi
if [[ "${OOM:-0}" == 1 ]]; then
  step out of memory; tools/gpu/run_oom_check.sh 2>&1 | tee "$out/oom.log" | grep -E "PASS|FAIL"
fi
if [[ -n "${CONF_BENCH:-}" ]]; then
  step confidence bench $CONF_BENCH
  ARCH=$arch bench/run_gpu_confidence_bench.sh $CONF_BENCH 2>>"$out/all.log" | tee "$out/confidence_bench.jsonl"
fi
if [[ -n "${BENCH:-}" ]]; then
  settings=("")
  [[ -n "${AB:-}" ]] && settings+=("$AB")
  for setting in "${settings[@]}"; do
    for bb in $b; do
      step bench $arch $BENCH B=$bb ${setting:-default}
      env ${setting//,/ } BENCH_TAG="$setting" METHODS="$BENCH" PEER_Q=0 ARCH=$arch OUT=/tmp/bench \
        bench/run_gpu_bench.sh "$k" "$bb" >> "$out/all.log" 2>&1
      cat /tmp/bench/selfens_runs.jsonl | tee -a "$out/bench.jsonl"
    done
  done
fi
b=${b%% *}  # the profile and the peers: the first batch size
sel=build-gpu/bin/selfens; source tools/gpu/find_cublas.sh "$sel"
model=/tmp/selfens-$arch; res=/tmp/selfens-bench-out
for m in ${PROFILE:-}; do
  step profile $m
  SELFENS_CUDA_PROFILE=${PROFILE_MODE:-2} "$sel" generate --quiet --model "$model" --dataset myriadlama \
    --data-dir "${DATA:-.carry/data}" --method "$m" --num_paraphrases 5 --max_samples "$k" \
    --batch_size "$b" --max_new_tokens 20 --no_newline_stop --device cuda --output-dir /tmp/prof --overwrite \
    >> "$out/profile.log" 2>&1
  grep -A16 "cuda op profile" "$out/profile.log" | tail -15
done
if [[ "${PEERS:-0}" == 1 ]]; then
  mdir=$res/myriadlama/selfens-$arch
  step peers
  python3 tools/gpu/limits.py "$model" "$mdir/flex_attention-5.feather" 2>>"$out/all.log" | tee -a "$out/peers.jsonl"
  python3 tools/gpu/orig_peer.py "$model" "$mdir/per_prompt.feather" --questions 4 2>>"$out/all.log" | tee -a "$out/peers.jsonl"
  python3 tools/gpu/hf_peer.py "$model" "$mdir/per_prompt.feather" --questions 64 --batch ${PEER_BATCH:-40 320} 2>>"$out/all.log" | tee -a "$out/peers.jsonl"
fi
step done
