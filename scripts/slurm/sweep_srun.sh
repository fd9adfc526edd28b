#!/usr/bin/env bash
# The same sweep inside one Slurm allocation (a node you hold): every shard
# of every run as its own `srun` job step, as many at once as the
# allocation has tasks, then the merge. Start it with sbatch or salloc:
#
#   sbatch -N1 -n8 scripts/slurm/sweep_srun.sh --models M --methods "origin flex_attention" \
#       --n 5 --shards 8 --dataset myriadlama --output-dir results [-- generate options]
#
# Options as scripts/slurm/sweep.sh (without --sbatch and --wait); submit
# from the checkout (or set SELFENS to the binary).
set -euo pipefail
# sbatch runs a copy of this script from its spool folder: the checkout is
# where the job was submitted from (SELFENS names the binary otherwise).
root=${SLURM_SUBMIT_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
[[ -n ${SLURM_JOB_ID:-} ]] || { echo "sweep_srun.sh: run inside an allocation (sbatch or salloc)" >&2; exit 2; }
models="" methods="" ns="5" shards=${SLURM_NTASKS:-1} dataset="" out="" extra=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --models) models=$2; shift 2 ;;
    --methods) methods=$2; shift 2 ;;
    --n) ns=$2; shift 2 ;;
    --shards) shards=$2; shift 2 ;;
    --dataset) dataset=$2; shift 2 ;;
    --output-dir|--output_dir) out=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "sweep_srun.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
export SELFENS=${SELFENS:-$root/build/selfens}
status=0
pids=()
for model in $models; do
  for method in $methods; do
    case $method in origin|per_prompt|confidence) list=0 ;; *) list=$ns ;; esac
    for n in $list; do
      for k in $(seq 1 "$shards"); do
        if [[ $method == confidence ]]; then cmd=(confidence); else cmd=(generate --method "$method"); fi
        [[ $n != 0 ]] && cmd+=(--num_paraphrases "$n")
        srun --ntasks=1 --exact "$SELFENS" "${cmd[@]}" --quiet --model "$model" \
          --dataset "$dataset" --output-dir "$out" --shard "$k/$shards" "${extra[@]}" > /dev/null &
        pids+=($!)
      done
    done
  done
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
[[ $status == 0 ]] || { echo "sweep_srun.sh: a shard failed; resubmit to resume" >&2; exit 1; }
for model in $models; do
  "$SELFENS" merge --quiet --overwrite "$out/$dataset/$(basename "${model%/}" .gguf)"
done
