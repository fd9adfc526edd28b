#!/usr/bin/env bash
# Runs ON the GPU machine from the repository root, after unpack_carry.sh
# (SmolLM2's GGUF joined): how often `--device cuda` (bf16) predicts what the
# CPU predicts, on more questions than run_cli_checks.sh's 50, for several
# builds or settings against one CPU run. Each VARIANT is NAME=BIN_DIR[,VAR=x...]
# (BIN_DIR holds selfens; VARs are set for its run; device=D runs --device D
# instead of cuda, e.g. device=cuda-fp16). Writes, per variant,
# $OUT/NAME.log and $OUT/NAME.json (compare_predictions.py's output), and
# every variant's lemma-match accuracy to $OUT/accuracy.txt.
# REF=NAME also compares every other variant's predictions with NAME's
# ($OUT/NAME2_vs_NAME.log: "the CPU's" in its lines means NAME's), e.g.
# cuda-fp8 against bf16.
#   [MAX_SAMPLES=100] [METHODS="..."] [REF=NAME] tools/gpu/run_bf16_agreement.sh VARIANT...
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/selfens-bf16}; mkdir -p "$out"; work=$(mktemp -d)
data=${DATA:-.carry/data}
model=${SMOLLM2:-$HOME/.cache/selfens/models/SmolLM2-135M-Instruct.Q4_1.gguf}
[[ -f $model ]] || { echo "run_bf16_agreement: no model at $model" >&2; exit 2; }
methods=(${METHODS:-origin per_prompt avg max flex_attention})
# generate BIN DEVICE OUTDIR [VAR=x...]: every method on both data sets.
generate() {
  local bin=$1 dev=$2 dir=$3; shift 3
  source tools/gpu/find_cublas.sh "$bin/selfens"
  for ds in demo myriadlama; do
    for m in "${methods[@]}"; do
      extra=(); [[ $dev == cpu ]] && extra=(--margins)
      env "$@" "$bin/selfens" generate --quiet --model "$model" --dataset "$ds" --data-dir "$data" \
        --max_samples "${MAX_SAMPLES:-100}" --method "$m" --num_paraphrases 5 --batch_size 32 \
        --device "$dev" --output-dir "$dir" "${extra[@]}" >/dev/null ||
        echo "FAIL: $bin $ds $m on $dev"
    done
  done
}
first=${1%%,*}; generate "${first#*=}" cpu "$work/cpu"
for v in "$@"; do
  name=${v%%=*}; rest=${v#*=}; bin=${rest%%,*}; envs=()
  [[ $rest == *,* ]] && IFS=, read -ra envs <<< "${rest#*,}"
  dev=${VARIANT_DEVICE:-cuda}; keep=()
  for e in "${envs[@]}"; do [[ $e == device=* ]] && dev=${e#device=} || keep+=("$e"); done
  mkdir -p "$work/$name" && ln -s "$work/cpu" "$work/$name/cpu"
  generate "$bin" "$dev" "$work/$name/cuda" "${keep[@]}"
  python3 tools/gpu/compare_predictions.py "$work/$name" "$work/$name/o" > "$out/$name.log" 2>&1
  cp "$work/$name/o/cli_checks.json" "$out/$name.json" 2>/dev/null
  echo "== $v"; grep -E '^(PASS|FAIL|INFO)' "$out/$name.log"
done
# Each variant's lemma-match accuracy (agreement_accuracy.py; the lemma
# tables pack_carry.sh carried), into $OUT/accuracy.txt.
[[ -d .carry/lemma ]] && export SELFENS_LEMMA_DIR=${SELFENS_LEMMA_DIR:-$PWD/.carry/lemma}
jsons=(); for v in "$@"; do name=${v%%=*}; [[ -f $out/$name.json ]] && jsons+=("$name=$out/$name.json"); done
python3 tools/gpu/agreement_accuracy.py "$work/cpu" "${jsons[@]}" --selfens "${first#*=}/selfens" \
  > "$out/accuracy.txt" 2>&1 && echo "== accuracy (lemma match)" && tail -2 "$out/accuracy.txt"
[[ -n ${REF:-} ]] || exit 0
[[ -d $work/$REF/cuda ]] || { echo "run_bf16_agreement: REF=$REF names no variant" >&2; exit 2; }
for v in "$@"; do
  name=${v%%=*}; [[ $name == "$REF" ]] && continue
  mkdir -p "$work/${name}_vs_$REF"
  ln -s "$work/$REF/cuda" "$work/${name}_vs_$REF/cpu"
  ln -s "$work/$name/cuda" "$work/${name}_vs_$REF/cuda"
  NO_BAR=1 python3 tools/gpu/compare_predictions.py "$work/${name}_vs_$REF" "$work/${name}_vs_$REF/o" \
    > "$out/${name}_vs_$REF.log" 2>&1
  echo "== $name against $REF (lines say \"the CPU's\" for $REF's)"
  grep -E '^(PASS|FAIL|INFO)' "$out/${name}_vs_$REF.log"
done
