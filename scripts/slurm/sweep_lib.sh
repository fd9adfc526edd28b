# Shared by sweep.sh, sweep_srun.sh and shard_task.sbatch (sourced, not run):
# the sweep's options, its runs, one shard's selfens command and the result
# folders.

# parse_sweep_options NAME ARGS...: sets models, methods, ns, shards, dataset,
# out (absolute), extra (the options after --); sweep.sh also accepts
# --sbatch ARGS (sbatch_args) and --wait (wait=1). One-line errors, exit 2.
parse_sweep_options() {
  local name=$1; shift
  models="" methods="" ns="5" shards=${shards:-4} dataset="" out="" wait=0 sbatch_args="" extra=()
  while [[ $# -gt 0 ]]; do
    case $1 in
      --models) models=$2; shift 2 ;;
      --methods) methods=$2; shift 2 ;;
      --n) ns=$2; shift 2 ;;
      --shards) shards=$2; shift 2 ;;
      --dataset) dataset=$2; shift 2 ;;
      --output-dir|--output_dir) out=$2; shift 2 ;;
      --sbatch) [[ $name == sweep.sh ]] || break; sbatch_args=$2; shift 2 ;;
      --wait) [[ $name == sweep.sh ]] || break; wait=1; shift ;;
      --) shift; extra=("$@"); set --; break ;;
      *) break ;;
    esac
  done
  if [[ $# -gt 0 ]]; then echo "$name: unknown option $1 (see the header of $name)" >&2; exit 2; fi
  local v
  for v in models methods dataset out; do
    [[ -n ${!v} ]] || { echo "$name: --${v/out/output-dir} is required" >&2; exit 2; }
  done
  [[ $shards =~ ^[1-9][0-9]*$ ]] || { echo "$name: --shards must be a positive integer" >&2; exit 2; }
  mkdir -p "$out/slurm"
  out=$(cd "$out" && pwd)
}

# The runs, one line "MODEL METHOD N" each: origin, per_prompt and
# confidence once per model (N = 0: their files do not carry N).
sweep_runs() {
  local model method n
  for model in $models; do
    for method in $methods; do
      case $method in
        origin|per_prompt|confidence) echo "$model $method 0" ;;
        *) for n in $ns; do echo "$model $method $n"; done ;;
      esac
    done
  done
}

# shard_command MODEL METHOD N K S: sets cmd to the selfens command of
# shard K of S of that run (the caller adds --dataset, --output-dir, ...).
shard_command() {
  if [[ $2 == confidence ]]; then
    cmd=("$SELFENS" confidence --quiet --model "$1")
  else
    cmd=("$SELFENS" generate --quiet --model "$1" --method "$2")
    [[ $3 != 0 ]] && cmd+=(--num_paraphrases "$3")
  fi
  cmd+=(--shard "$4/$5")
}

# The result folder of a model, named as selfens names it (the last path
# component, without .gguf).
result_dir() { echo "$out/$dataset/$(basename "${1%/}" .gguf)"; }
