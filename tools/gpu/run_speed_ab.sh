#!/usr/bin/env bash
# The GPU speed work's measurement, in one device call, from the repository
# root on the GPU machine (after tools/gpu/pack_carry.sh here, with the
# baseline build's selfens in .carry/bin-before/ when A_BIN is wanted):
#  1. the benchmark (bench/run_gpu_bench.sh: random Llama-3.2-3B shape, K
#     MyriadLAMA questions, N = 5, exactly 20 new tokens) for METHODS at each
#     of BATCHES in flight, with the baseline build (build "A", when
#     .carry/bin-before/selfens.xz came) and this build under each of
#     SETTINGS ("-" = defaults; "VAR=x,VAR2=y"), alternating so drift hits all;
#  2. real runs: the whole 2,000-question set at REAL_B in flight with the
#     newline stop on and with exactly 20 tokens (REAL_METHODS), under each
#     of REAL_SETTINGS;
#  3. an op profile of PROFILE_METHOD (SELFENS_CUDA_PROFILE=2);
#  4. the card's limits (limits.py) and transformers per_prompt (hf_peer.py);
# and, when STEPS names them, "checks" (run_gpu_checks.sh: every op and the
# end-to-end logits against the CPU) first and "cli" (run_cli_checks.sh with
# CLI_METHODS: predictions against the CPU, --devices and --split layers).
# One JSON line per run in $OUT/speed.jsonl, tagged with build and setting.
#  5. "gemm": cublasLt's candidate algorithms per GEMM shape (gpu_gemm_algos);
#  6. "ncu": Nsight Compute's counters of the kernels NCU_SPECS names
#     (NCU_K questions);
#  7. "fp8probe": which fp8 products cublasLt offers, timed (gpu_fp8_gemm_probe);
#  8. "agreement": run_bf16_agreement.sh on SmolLM2 (.carry-part2) with
#     AGREE_VARIANTS against the CPU and against AGREE_REF (default: cuda
#     and cuda-fp8, fp8 against bf16).
#   [STEPS="fp8probe checks ab real cli limits profile ncu gemm agreement"] [PROFILE_SETTINGS="- VAR=x"] tools/gpu/run_speed_ab.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/selfens-gpu}; mkdir -p "$out"
tools/gpu/unpack_carry.sh > "$out/all.log" 2>&1
if [[ -f .carry/bin-before/selfens.xz ]]; then
  mkdir -p build-gpu/bin-before
  python3 -c 'import lzma, sys; open(sys.argv[2], "wb").write(lzma.open(sys.argv[1]).read())' \
    .carry/bin-before/selfens.xz build-gpu/bin-before/selfens && chmod +x build-gpu/bin-before/selfens
fi
steps=${STEPS:-ab real profile limits}
if [[ " $steps " == *" fp8probe "* ]]; then
  echo "== $(date +%T) fp8 products" | tee -a "$out/all.log"
  source tools/gpu/find_cublas.sh build-gpu/bin/gpu_fp8_gemm_probe
  build-gpu/bin/gpu_fp8_gemm_probe ${FP8_ROWS:-512,40960} ${FP8_SHAPES:-} > "$out/fp8_probe.jsonl" 2>> "$out/all.log"
  python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "rows" not in r: print(r); continue
    print(r["rows"], r["in"], r["out"], r["in_type"], r["scales"], r["out_type"], "fast", r["fast_accum"],
          "ok" if r["ok"] else "NONE", r["us"], "us", r["tflops"], "TFLOP/s")
' "$out/fp8_probe.jsonl"
fi
if [[ " $steps " == *" checks "* ]]; then
  for s in ${CHECK_SETTINGS:-- SELFENS_CUDA_BF16_FFN=1}; do
    echo "== $(date +%T) checks $s" | tee -a "$out/all.log"
    envs=(); [[ $s != - ]] && envs=(${s//,/ })
    log=$out/checks_$(echo "$s" | tr -c 'A-Za-z0-9_\n-' _).log
    env "${envs[@]}" OUT=/tmp/checks tools/gpu/run_gpu_checks.sh > "$log" 2>&1
    grep -E "checks passed|FAIL" "$log" | tail -12
  done
fi
k=${K:-512}; arch=${ARCH:-llama3.2-3b}
methods=${METHODS:-flex_attention per_prompt avg}
step() { echo "== $(date +%T) $*" | tee -a "$out/all.log"; }
# One benchmark run set: bin folder, setting, batch, [extra env].
bench() {
  local bin=$1 setting=$2 bb=$3 tag=$4; shift 4
  local envs=(); [[ $setting != - ]] && envs=(${setting//,/ })
  env "${envs[@]}" "$@" SELFENS_GPU_BIN="$bin" BENCH_TAG="$tag" METHODS="$methods" PEER_Q=0 \
    ARCH=$arch OUT=/tmp/bench bench/run_gpu_bench.sh "$k" "$bb" >> "$out/all.log" 2>&1
  cat /tmp/bench/selfens_runs.jsonl | tee -a "$out/speed.jsonl"
  # Each run's step trace (rows, host and wait time per forward call).
  mkdir -p /tmp/traces
  for t in /tmp/bench/trace_*.log; do
    cp "$t" "/tmp/traces/$(echo "$tag B$bb k$k" | tr -c 'A-Za-z0-9_.\n-' _)_$(basename "$t")"
  done
}
if [[ " $steps " == *" ab "* ]]; then
  for rep in $(seq "${REPS:-1}"); do
    for bb in ${BATCHES:-256 512}; do
      if [[ -x build-gpu/bin-before/selfens ]]; then
        step A B=$bb; bench build-gpu/bin-before - "$bb" "A"
      fi
      for s in ${SETTINGS:--}; do
        step B $s B=$bb; bench build-gpu/bin "$s" "$bb" "B $s"
      done
    done
  done
fi
if [[ " $steps " == *" real "* ]]; then
  for m in ${REAL_METHODS:-flex_attention avg}; do
    for nl in 0 1; do
      for s in ${REAL_SETTINGS:--}; do
        step real $m newline_stop=$nl $s
        k_save=$k; k=2000; methods_save=$methods; methods=$m
        bench build-gpu/bin "$s" "${REAL_B:-512}" "real newline_stop=$nl $s" NEWLINE_STOP=$nl
        k=$k_save; methods=$methods_save
      done
    done
  done
fi
sel=build-gpu/bin/selfens; source tools/gpu/find_cublas.sh "$sel"
model=/tmp/selfens-$arch
if [[ " $steps " == *" limits "* ]]; then
  mdir=/tmp/selfens-bench-out/myriadlama/selfens-$arch
  step limits and transformers
  python3 tools/gpu/limits.py "$model" "$mdir/flex_attention-5.feather" 2>>"$out/all.log" |
    tee -a "$out/peers.jsonl"
  [[ -f $mdir/per_prompt.feather && ${HF_PEER:-1} == 1 ]] &&
    python3 tools/gpu/hf_peer.py "$model" "$mdir/per_prompt.feather" --questions 64 --n 5 --new 20 \
      --batch ${PEER_BATCH:-320} 2>>"$out/all.log" | tee -a "$out/peers.jsonl"
fi
# An op profile (SELFENS_CUDA_PROFILE=2: every op alone, device time from
# events) of PROFILE_METHOD under each of PROFILE_SETTINGS. profile_run's
# arguments after the log: VAR=x settings, then a command to run selfens under.
profile_run() {
  local setting=$1 log=$2; shift 2; local envs=(); [[ $setting != - ]] && envs=(${setting//,/ })
  local dev=cuda e; for e in "${envs[@]}"; do [[ $e == DEVICE=* ]] && dev=${e#DEVICE=}; done
  env "${envs[@]}" SELFENS_TRACE_STEPS=1 "$@" "$sel" generate --quiet --model "$model" \
    --dataset myriadlama --data-dir "${DATA:-.carry/data}" --method "${PROFILE_METHOD:-flex_attention}" \
    --num_paraphrases 5 --max_samples "$k" --batch_size "${PROFILE_B:-256}" --max_new_tokens 20 \
    --no_newline_stop --device "$dev" --output-dir /tmp/prof --overwrite > "$log" 2>&1
}
if [[ " $steps " == *" profile "* || " $steps " == *" ncu "* ]]; then
  python3 tools/gpu/make_random_model.py "$model" "$arch" >> "$out/all.log" 2>&1
fi
if [[ " $steps " == *" profile "* ]]; then
  for s in ${PROFILE_SETTINGS:--}; do
    step profile ${PROFILE_METHOD:-flex_attention} $s
    log=$out/profile_$(echo "$s" | tr -c 'A-Za-z0-9_\n-' _).log
    profile_run "$s" "$log" SELFENS_CUDA_PROFILE=${PROFILE_MODE:-2}
    grep -A30 "cuda op profile" "$log" | head -30
  done
fi
# Nsight Compute: for each NCU_SPECS entry "REGEX:SKIP:COUNT", the counters
# of COUNT launches of the kernels matching REGEX after SKIP of them (NCU_K
# questions): where a kernel's time goes.
if [[ " $steps " == *" ncu "* ]]; then
  k_save=$k; k=${NCU_K:-128}
  for spec in ${NCU_SPECS:-span_attention_mma:0:2}; do
    IFS=: read -r rx skip count <<< "$spec"
    step ncu "$rx" skip "$skip" count "$count"
    log=$out/ncu_$(echo "$rx" | tr -c 'A-Za-z0-9_\n-' _).log
    profile_run - "$log" timeout 300 ncu --clock-control none -k "regex:$rx" --launch-skip "$skip" \
      --launch-count "$count" --section SpeedOfLight --section Occupancy --section LaunchStats \
      --section WarpStateStats --section MemoryWorkloadAnalysis --section ComputeWorkloadAnalysis
    grep -vE "^==PROF==|^selfens step|^  *-+ *$" "$log" | grep -E "^  [a-zA-Z_]|Section|Duration|Throughput|Registers|Occupancy|Stall|Warp Cycles|Block Size|Grid Size|Shared Memory|Eligible|Issued" | head -${NCU_LINES:-150}
  done
  k=$k_save
fi
# cublasLt's candidates for the GEMM shapes (tools/gpu/gemm_algos.cu).
if [[ " $steps " == *" gemm "* ]]; then
  step gemm algorithms
  build-gpu/bin/gpu_gemm_algos ${GEMM_ROWS:-512,2560} ${GEMM_SHAPES:-} > "$out/gemm_algos.jsonl" 2>> "$out/all.log"
  python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "error" in r:
        print(r["rows"], r["in"], r["out"], r["error"]); continue
    print(r["rows"], r["in"], r["out"], "first", r["first_us"], "best", r["best_us"], "best identical",
          r["best_same_us"], "candidates", len(r["candidates"]), "first TFLOP/s", r["first_tflops"])
' "$out/gemm_algos.jsonl"
fi
tar czf "$out/traces.tgz" -C /tmp traces 2>/dev/null
if [[ " $steps " == *" cli "* ]]; then
  step cli checks
  METHODS=${CLI_METHODS:-per_prompt avg flex_attention} OUT=/tmp/cli tools/gpu/run_cli_checks.sh \
    > "$out/cli.log" 2>&1
  cp /tmp/cli/cli_checks.json "$out/" 2>/dev/null  # files back: at most 8
  grep -E "PASS|FAIL|agree|exit status" "$out/cli.log" | grep -v " ms$" | tail -40
fi
if [[ " $steps " == *" agreement "* ]]; then
  step agreement
  REF=${AGREE_REF:-bf16} OUT=$out/agreement MAX_SAMPLES=${AGREE_SAMPLES:-100} \
    tools/gpu/run_bf16_agreement.sh ${AGREE_VARIANTS:-bf16=build-gpu/bin fp8=build-gpu/bin,device=cuda-fp8} \
    > "$out/agreement.log" 2>&1
  grep -vE "^    row " "$out/agreement.log" | tail -60
fi
step done
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee -a "$out/all.log"
# The device tool returns at most 8 files: the per-step logs travel in one
# archive, the summaries (all.log, speed.jsonl, gemm_algos.jsonl, cli_checks.json,
# peers.jsonl) as they are.
logs=$(cd "$out" && ls -d checks_*.log profile_*.log ncu_*.log cli.log profile.log traces.tgz agreement.log agreement 2>/dev/null)
if [[ -n $logs ]]; then
  (cd "$out" && tar czf logs.tgz $logs && rm -rf $logs)
fi
