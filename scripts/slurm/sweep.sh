#!/usr/bin/env bash
# A sweep (models x methods x N) over a Slurm cluster: every run split into
# --shard K/S pieces, one job-array task each (shard_task.sbatch), then one
# job that merges the shards (merge.sbatch, after the array succeeded).
# Shards resume: resubmitting the same sweep finishes what a failed or
# preempted task left (each shard skips the questions its file holds).
#
#   scripts/slurm/sweep.sh --models "smollm2_135m_it llama3.2_3b_it" \
#       --methods "origin per_prompt avg flex_attention" --n "3 5" --shards 8 \
#       --dataset myriadlama --output-dir results [--wait] [--sbatch "ARGS"] \
#       [-- more selfens generate options, e.g. --data-dir ../shared/data --device cuda]
#
# origin and per_prompt run once per model (their files do not carry N).
# The weighted methods read confidence.feather: make it first, e.g. with
# --methods confidence (selfens confidence, sharded and merged the same way).
# --sbatch passes options to every sbatch (partition, --gres=gpu:1, time).
# Environment: SELFENS (binary; default: build/selfens of this checkout).
# Prints the array and merge job ids; --wait blocks until the merge ends and
# exits with its status.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export SWEEP_LIB=$here/sweep_lib.sh  # the array tasks source it too
# shellcheck source=sweep_lib.sh
source "$SWEEP_LIB"
parse_sweep_options sweep.sh "$@"
export SELFENS=${SELFENS:-$root/build/selfens}
[[ -x $SELFENS ]] || { echo "sweep.sh: no selfens binary at $SELFENS (set SELFENS)" >&2; exit 2; }
list="$out/slurm/runs-$(date +%Y%m%d-%H%M%S)-$$.txt"
sweep_runs > "$list"
runs=$(wc -l < "$list")
tasks=$(( runs * shards ))
# shellcheck disable=SC2086
array=$(sbatch --parsable $sbatch_args --array=0-$((tasks - 1)) \
  --output="$out/slurm/%x-%A_%a.log" "$here/shard_task.sbatch" "$list" "$shards" \
  --dataset "$dataset" --output-dir "$out" "${extra[@]}")
dirs=()
for m in $models; do dirs+=("$(result_dir "$m")"); done
echo "runs: $runs x $shards shards = $tasks tasks; array job $array (list $list)"
# A failed shard cancels the merge (--kill-on-invalid-dep) instead of leaving it pending.
waiting=(); [[ $wait == 1 ]] && waiting=(--wait)
# shellcheck disable=SC2086
merge=$(sbatch --parsable $sbatch_args "${waiting[@]}" --dependency=afterok:"$array" \
  --kill-on-invalid-dep=yes --output="$out/slurm/%x-%j.log" "$here/merge.sbatch" "${dirs[@]}") || true
[[ $merge =~ ^[0-9]+ ]] || { echo "sweep.sh: sbatch refused the merge job" >&2; exit 1; }
echo "merge job $merge"
[[ $wait == 1 ]] || exit 0
# sbatch --wait returns 0 for a job cancelled by its dependency: ask its state.
state=$(scontrol show job "${merge%%;*}" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
[[ $state == COMPLETED ]] ||
  { echo "merge job $merge did not complete ($state: a shard failed? logs in $out/slurm/)" >&2; exit 1; }
echo "merged: ${dirs[*]}"
