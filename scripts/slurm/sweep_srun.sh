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
# shellcheck source=sweep_lib.sh
source "$root/scripts/slurm/sweep_lib.sh"
shards=${SLURM_NTASKS:-1}
parse_sweep_options sweep_srun.sh "$@"
export SELFENS=${SELFENS:-$root/build/selfens}
pids=()
while read -r model method n; do
  for k in $(seq 1 "$shards"); do
    shard_command "$model" "$method" "$n" "$k" "$shards"
    srun --ntasks=1 --exact "${cmd[@]}" --dataset "$dataset" --output-dir "$out" "${extra[@]}" \
      > /dev/null &
    pids+=($!)
  done
done < <(sweep_runs)
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
[[ $status == 0 ]] || { echo "sweep_srun.sh: a shard failed; resubmit to resume" >&2; exit 1; }
for model in $models; do "$SELFENS" merge --quiet --overwrite "$(result_dir "$model")"; done
