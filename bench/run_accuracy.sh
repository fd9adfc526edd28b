#!/usr/bin/env bash
# Accuracy of all seven methods for one model on one data set: origin,
# per_prompt, avg, max and flex_attention, then confidence scores and
# weighted_avg and weighted_max, all on the same first K questions, then
# `selfens analyze --json`. Resumable: finished files are
# skipped by selfens itself. Usage:
#   bench/run_accuracy.sh MODEL [DATASET] [MAX_SAMPLES] [OUT] [N] [CONF_SAMPLES]
# defaults: myriadlama, 200, results/accuracy, 5 paraphrases, 5 confidence
# samples per paraphrase (the original's 100 is too slow on a CPU; the
# number is recorded in confidence.feather and the weighted files).
# Environment: SELFENS (binary, default build/selfens), DATA_DIR
# (default ../shared/data), EXTRA (more generate options, e.g. "--device cpu").
set -euo pipefail
model=${1:?usage: $0 MODEL [DATASET] [MAX_SAMPLES] [OUT] [N] [CONF_SAMPLES]}
dataset=${2:-myriadlama}
k=${3:-200}
out=${4:-results/accuracy}
n=${5:-5}
conf_samples=${6:-5}
bin=${SELFENS:-build/selfens}
data=${DATA_DIR:-../shared/data}
common=(--model "$model" --dataset "$dataset" --data-dir "$data" --max_samples "$k"
        --output-dir "$out" ${EXTRA:-})
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# The unweighted methods first (their table is useful on its own), then the
# confidence scores and the two weighted methods that read them.
for m in origin per_prompt avg max flex_attention; do
  log "generate $m"
  "$bin" generate "${common[@]}" --method "$m" --num_paraphrases "$n"
done
log "confidence ($conf_samples samples x $n paraphrases)"
"$bin" confidence "${common[@]}" --num_paraphrases "$n" --num_samples "$conf_samples"
for m in weighted_avg weighted_max; do
  log "generate $m"
  "$bin" generate "${common[@]}" --method "$m" --num_paraphrases "$n"
done
log "analyze"
"$bin" analyze --model "$model" --dataset "$dataset" --output-dir "$out" --num_paraphrases "$n" \
  --json > "$out/$dataset-$(basename "$model").analyze.json"
"$bin" analyze --model "$model" --dataset "$dataset" --output-dir "$out" --num_paraphrases "$n" --quiet
