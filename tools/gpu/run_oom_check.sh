#!/usr/bin/env bash
# GPU out of memory must end in a clear message and a non-zero exit, not a
# crash: `selfens generate --device cuda` on the random-weight
# Llama-3.2-3B-shaped model (tools/gpu/make_random_model.py) with a KV cache
# far beyond the GPU (512 questions in flight x 20,000 new tokens: ~1.2 TB).
# Runs on the GPU machine from the repository root (after unpack_carry.sh).
# Exit status 1 when the run succeeds, crashes or says something unclear.
set -uo pipefail
cd "$(dirname "$0")/../.."
sel=build-gpu/bin/selfens; source tools/gpu/find_cublas.sh "$sel"
model=/tmp/selfens-llama3.2-3b
python3 tools/gpu/make_random_model.py "$model" llama3.2-3b > /dev/null || exit 1
out=$("$sel" generate --quiet --model "$model" --dataset myriadlama --data-dir "${DATA:-.carry/data}" \
  --method flex_attention --num_paraphrases 5 --max_samples 512 --batch_size 512 \
  --max_new_tokens 20000 --device cuda --output-dir /tmp/selfens-oom --overwrite 2>&1)
rc=$?
echo "exit status $rc: $out" | tail -3
if [[ $rc -ne 0 && $rc -lt 128 && "$out" == *"CUDA out of memory"*"--batch_size"* ]]; then
  echo "PASS out of memory: a clear message, exit status $rc"
else
  echo "FAIL out of memory: expected a message naming --batch_size and a non-zero exit"; exit 1
fi
