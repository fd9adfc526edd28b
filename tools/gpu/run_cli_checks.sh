#!/usr/bin/env bash
# Runs ON the GPU machine from the repository root, with build-gpu/bin
# carried: `selfens generate` for every method on the first 50 questions of
# the demo set and of MyriadLAMA with the tiny test models and SmolLM2 (its
# GGUF at $SMOLLM2, default ~/.cache/selfens/models/SmolLM2-135M-Instruct.Q4_1.gguf,
# skipped when absent), on the CPU, on the GPU with fp32 weights (cuda-f32)
# and with bf16 weights (cuda), and compares predictions
# (tools/gpu/compare_predictions.py): fp32 must equal the CPU path (float
# ties aside); bf16 should agree on at least 98% per data set and trained
# model. The CPU runs record each row's smallest top-1/top-2 score gap
# (--margins): every difference is printed with it (a small gap explains a
# flip). The weighted methods read a
# confidence file written here (varied values, the same for every device).
# MyriadLAMA is read from $DATA (default .carry/data; skipped when absent).
set -uo pipefail
cd "$(dirname "$0")/../.."
sel=${SELFENS_GPU_BIN:-build-gpu/bin}/selfens
source tools/gpu/find_cublas.sh "$sel"
out=${OUT:-/tmp/selfens-cli-checks}; work=$(mktemp -d)
data=${DATA:-.carry/data}
smollm2=${SMOLLM2:-$HOME/.cache/selfens/models/SmolLM2-135M-Instruct.Q4_1.gguf}
# METHOD:VARIANT adds options: causal (--paraphrase_attention causal), pool
# (MyriadLAMA only: --num_manual 5 --num_auto 5 --num_samples 3).
methods=(${METHODS:-origin per_prompt avg max weighted_avg weighted_max flex_attention
         flex_attention:causal avg:pool flex_attention:pool})
models=(tests/fixtures/models/tiny-llama3 tests/fixtures/models/tiny-qwen2 tests/fixtures/models/tiny-qwen3)
[[ -f "$smollm2" ]] && models+=("$smollm2") || echo "(no SmolLM2 GGUF at $smollm2: skipped)"
datasets=(demo)
[[ -f "$data/myriadlama/test.jsonl" ]] && datasets+=(myriadlama) || echo "(no MyriadLAMA under $data: skipped)"
status=0
for ds in "${datasets[@]}"; do
  src=data/demo/demo.jsonl; [[ $ds == myriadlama ]] && src=$data/myriadlama/test.jsonl
  for model in "${models[@]}"; do
    name=$(basename "$model" .gguf)
    for dev in cpu cuda-f32 cuda; do
      conf="$work/$dev/$ds/$name"; mkdir -p "$conf"
      python3 - "$src" "$conf/confidence.feather" <<'PY'
import json, sys, zlib, pyarrow as pa, pyarrow.feather as f
u, p, c = [], [], []
for line in open(sys.argv[1]):
    r = json.loads(line)
    for q in r.get("paraphrases") or (r.get("manual", []) + r.get("auto", [])):
        u.append(r["uuid"]); p.append(q); c.append((zlib.crc32(q.encode()) % 97) / 96)
f.write_feather(pa.table({"uuid": u, "paraphrase": p, "confidence": c}), sys.argv[2],
                compression="uncompressed")
PY
      for m in "${methods[@]}"; do
        start=$(date +%s%N)
        extra=(); [[ $dev == cpu ]] && extra=(--margins)
        n=5
        case $m in
          # 3 paraphrases laid end to end fit the tiny models' 512 positions
          *:causal) extra+=(--paraphrase_attention causal); n=3 ;;
          *:pool) [[ $ds == myriadlama ]] || continue
                  extra+=(--num_manual 5 --num_auto 5 --num_samples 3) ;;
        esac
        "$sel" generate --quiet --model "$model" --dataset "$ds" --data-dir "$data" \
          --max_samples 50 --method "${m%%:*}" --num_paraphrases "$n" --batch_size 32 --device "$dev" \
          --output-dir "$work/$dev" "${extra[@]}" >/dev/null ||
          { echo "FAIL: $model $ds $m on $dev"; status=1; }
        echo "$name $ds $m $dev $(( ($(date +%s%N) - start) / 1000000 )) ms"
      done
    done
  done
done
# --devices: two engines on the same GPU (one per listed entry, questions dealt
# out) must write the one-engine file (fp32 weights: as exact as the CPU path);
# --split layers --devices 0,0: one model whose layers two backends on the
# same GPU hold, the residual stream passed through the host: the same file.
for m in flex_attention avg; do
  for how in "devices:--devices 0,0" "split:--split layers --devices 0,0"; do
    "$sel" generate --quiet --model "${models[-1]}" --dataset "${datasets[-1]}" --data-dir "$data" \
      --max_samples 50 --method "$m" --num_paraphrases 5 --batch_size 32 --device cuda-f32 \
      ${how#*:} --output-dir "$work/${how%%:*}" >/dev/null || { echo "FAIL: ${how#*:} $m"; status=1; }
  done
done
python3 - "$work" "${datasets[-1]}" "$(basename "${models[-1]}" .gguf)" <<'PY' || status=1
import sys, pandas as pd
work, ds, name = sys.argv[1:4]
for how, what in (("devices", "--devices 0,0"), ("split", "--split layers --devices 0,0")):
    for f in ("flex_attention-5", "ensemble_avg-5"):
        a = pd.read_feather(f"{work}/cuda-f32/{ds}/{name}/{f}.feather")
        b = pd.read_feather(f"{work}/{how}/{ds}/{name}/{f}.feather")
        same = a.drop(columns=["margin"], errors="ignore").equals(b.drop(columns=["margin"], errors="ignore"))
        print(("PASS" if same else "FAIL") + f": {what} {f} equals one engine on cuda-f32 ({len(a)} rows)")
        if not same:
            sys.exit(1)
PY
python3 tools/gpu/compare_predictions.py "$work" "$out" || status=1
echo "== cli checks exit status $status"
exit $status
