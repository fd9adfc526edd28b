#!/usr/bin/env bash
# Runs ON the GPU machine from the repository root (after pack_carry.sh here
# and, for SmolLM2, both model parts carried): `--device cuda-fp16` against
# `--device cuda` (bf16), one binary, in one call:
#  1. the GPU checks of all three types (run_gpu_checks.sh: ops, attention and
#     end-to-end logits against the CPU, references rounded to the type);
#  2. agreement of the predictions with the CPU's, both types, the same
#     questions (run_bf16_agreement.sh; MAX_SAMPLES, METHODS);
#  3. speed, both types alternated (run_speed_ab.sh's "ab" step, SETTINGS).
# STEPS (default "checks agreement speed") picks; results under $OUT.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/selfens-fp16}; mkdir -p "$out"
tools/gpu/unpack_carry.sh > "$out/unpack.log" 2>&1
steps=" ${STEPS:-checks agreement speed} "
if [[ $steps == *" checks "* ]]; then
  echo "== $(date +%T) GPU checks"
  OUT=$out/checks tools/gpu/run_gpu_checks.sh > "$out/checks.log" 2>&1
  grep -E "checks passed|FAIL" "$out/checks.log" | tail -12
fi
if [[ $steps == *" agreement "* ]]; then
  echo "== $(date +%T) agreement with the CPU"
  OUT=$out/agreement tools/gpu/run_bf16_agreement.sh bf16=build-gpu/bin \
    fp16=build-gpu/bin,device=cuda-fp16
fi
[[ $steps == *" speed "* ]] || exit 0
echo "== $(date +%T) speed"
OUT=$out/speed STEPS=ab METHODS=${SPEED_METHODS:-"flex_attention avg"} BATCHES=${BATCHES:-512} \
  SETTINGS="- DEVICE=cuda-fp16" REPS=${REPS:-2} tools/gpu/run_speed_ab.sh > "$out/speed.log" 2>&1
grep -h '^{' "$out/speed/speed.jsonl" | python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print(r["env"], r["method"], r["batch"], r["questions_per_s"])'
echo "== $(date +%T) done"
