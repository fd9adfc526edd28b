#!/usr/bin/env bash
# The attention-fusion sweep of docs/results.md: flex_attention with each
# fusion option (bias x temperature x scale), weighted_flex, and the
# methods they compete with (origin, per_prompt, avg, max, weighted_avg,
# weighted_max), all on the same first K questions of one data set, into
# OUT. Resumable (selfens skips finished files). Then
# bench/fusion_table.py chooses on the first half and reports the second.
#   bench/run_fusion_sweep.sh MODEL [DATASET] [K] [OUT] [N] [CONF_SAMPLES]
# defaults: myriadlama, all questions, results/fusion, 5 paraphrases, 5
# confidence samples per paraphrase. Environment: SELFENS (binary, default
# build/selfens), DATA_DIR (../shared/data), EXTRA (e.g. "--device cuda-f32
# --batch_size 256"), TEMPERATURES ("1 0.8 0.6 0.4"), SCALES ("1 2").
set -euo pipefail
model=${1:?usage: $0 MODEL [DATASET] [K] [OUT] [N] [CONF_SAMPLES]}
dataset=${2:-myriadlama}
k=${3:-0}
out=${4:-results/fusion}
n=${5:-5}
conf_samples=${6:-5}
bin=${SELFENS:-build/selfens}
data=${DATA_DIR:-../shared/data}
select=(); [[ $k -gt 0 ]] && select=(--max_samples "$k")
common=(--quiet --model "$model" --dataset "$dataset" --data-dir "$data" "${select[@]}"
        --output-dir "$out" ${EXTRA:-})
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

if [[ $dataset == webqa ]]; then
  log "paraphrase (webqa)"
  "$bin" paraphrase "${common[@]}"
fi
for m in origin per_prompt avg max; do
  log "generate $m"
  "$bin" generate "${common[@]}" --method "$m" --num_paraphrases "$n" >/dev/null
done
log "confidence ($conf_samples samples x $n paraphrases)"
"$bin" confidence "${common[@]}" --num_paraphrases "$n" --num_samples "$conf_samples" >/dev/null
for m in weighted_avg weighted_max; do
  log "generate $m"
  "$bin" generate "${common[@]}" --method "$m" --num_paraphrases "$n" >/dev/null
done
for t in ${TEMPERATURES:-1 0.8 0.6 0.4}; do
  for bias in none mean; do
    for s in ${SCALES:-1 2}; do
      log "generate flex_attention bias=$bias T=$t S=$s"
      "$bin" generate "${common[@]}" --method flex_attention --num_paraphrases "$n" \
        --fusion_bias "$bias" --fusion_temperature "$t" --fusion_scale "$s" >/dev/null
    done
  done
  log "generate weighted_flex T=$t"
  "$bin" generate "${common[@]}" --method weighted_flex --num_paraphrases "$n" \
    --fusion_temperature "$t" >/dev/null
done
log "done: $out"
