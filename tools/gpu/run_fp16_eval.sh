#!/usr/bin/env bash
# Runs ON the GPU machine from the repository root: the fp16 build
# (SELFENS_CUDA_HALF=fp16, in .carry/bin) against the bf16 build (its selfens
# in .carry/bin-before), in one call:
#  1. the fp16 build's GPU checks (run_gpu_checks.sh: ops and end-to-end
#     logits against the CPU, references rounded to fp16);
#  2. agreement of `--device cuda` predictions with the CPU's, both builds,
#     the same questions (run_bf16_agreement.sh; MAX_SAMPLES, METHODS);
#  3. speed, both builds alternated (run_speed_ab.sh's "ab" step).
# STEPS (default "checks agreement speed") picks; results under $OUT.
# Here, before the call: SELFENS_CUDA_HALF=fp16 tools/gpu/build_for_gpu.sh
# selfens into build-gpu/bin, the bf16 build's selfens in build-gpu/bin-before,
# tools/gpu/pack_carry.sh --model-part 1 (and 2 for the first call).
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/selfens-fp16}; mkdir -p "$out"
tools/gpu/unpack_carry.sh > "$out/unpack.log" 2>&1
mkdir -p build-gpu/bin-before
python3 -c 'import lzma, sys; open(sys.argv[2], "wb").write(lzma.open(sys.argv[1]).read())' \
  .carry/bin-before/selfens.xz build-gpu/bin-before/selfens && chmod +x build-gpu/bin-before/selfens
steps=" ${STEPS:-checks agreement speed} "
if [[ $steps == *" checks "* ]]; then
  echo "== $(date +%T) fp16 GPU checks"
  OUT=$out/checks tools/gpu/run_gpu_checks.sh > "$out/checks.log" 2>&1
  grep -E "checks passed|FAIL" "$out/checks.log" | tail -12
fi
if [[ $steps == *" agreement "* ]]; then
  echo "== $(date +%T) agreement with the CPU"
  OUT=$out/agreement tools/gpu/run_bf16_agreement.sh bf16=build-gpu/bin-before fp16=build-gpu/bin
fi
[[ $steps == *" speed "* ]] || exit 0
echo "== $(date +%T) speed"
OUT=$out/speed STEPS=ab METHODS=${SPEED_METHODS:-"flex_attention avg"} BATCHES=${BATCHES:-512} \
  REPS=${REPS:-2} tools/gpu/run_speed_ab.sh > "$out/speed.log" 2>&1
tail -n 30 "$out/speed.log"
echo "== $(date +%T) done"
