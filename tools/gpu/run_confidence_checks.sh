#!/usr/bin/env bash
# Sampled decoding on the GPU (ChoiceKind::kSample, drawn by the device)
# against the CPU: `selfens confidence` on the demo questions with the tiny
# test models, --device cpu vs cuda-f32 (fp32 logits: the same samples, up
# to a uniform number falling within float noise of a boundary) and cuda
# (bf16: reported). Runs on the GPU machine from the repository root, after
# tools/gpu/unpack_carry.sh (which leaves the lemma tables in .carry/lemma).
# Exit status 1 when cuda-f32 agrees on < 99% of
# the sampled answers.
set -uo pipefail
cd "$(dirname "$0")/../.."
sel=build-gpu/bin/selfens; source tools/gpu/find_cublas.sh "$sel"
out=${OUT:-/tmp}/selfens-confidence; rm -rf "$out"; mkdir -p "$out"
# The lemma tables (confidence matches lemmas), carried by pack_carry.sh.
[[ -d .carry/lemma ]] && export SELFENS_LEMMA_DIR=$PWD/.carry/lemma
export SELFENS_CUDA_SAMPLE=1  # the device draws (the default; explicit, as this is what is checked)
status=0
for m in tiny-llama3 tiny-qwen2 tiny-qwen3; do
  for dev in cpu cuda-f32 cuda; do
    "$sel" confidence --quiet --model "tests/fixtures/models/$m" --dataset demo --max_samples 20 \
      --num_samples 20 --batch_size 8 --device "$dev" --output-dir "$out/$dev" --overwrite > /dev/null ||
      { echo "FAIL $m $dev: confidence exited with $?"; status=1; }
  done
  python3 - "$out" "$m" <<'PY' || status=1
import sys, pyarrow.feather as f
out, m = sys.argv[1:]
read = lambda dev: f.read_table(f"{out}/{dev}/demo/{m}/confidence.feather").to_pydict()
cpu = read("cpu")
bad = False
for dev in ("cuda-f32", "cuda"):
    d = read(dev)
    pairs = [(a, b) for x, y in zip(cpu["sample_predicts"], d["sample_predicts"]) for a, b in zip(x, y)]
    greedy = sum(a == b for a, b in zip(cpu["greedy_predict"], d["greedy_predict"]))
    eq = sum(a == b for a, b in pairs) / len(pairs)
    ok = eq >= 0.99 if dev == "cuda-f32" else None
    bad |= ok is False
    tag = {True: "PASS", False: "FAIL", None: "INFO"}[ok]
    print(f"{tag} confidence {m} {dev}: {eq:.1%} of {len(pairs)} sampled answers and "
          f"{greedy}/{len(cpu['greedy_predict'])} greedy answers equal the CPU's")
sys.exit(1 if bad else 0)
PY
done
echo "== confidence checks exit status $status"
exit $status
