#!/usr/bin/env bash
# Runs ON the GPU machine (torch + transformers there): builds random-weight
# models with the exact Llama-3.2-3B-Instruct architecture (vocab set to the
# SmolLM2 tokenizer's 49152 so the committed tokenizer.json can be used; the
# layers are the real ones) and times `selfens generate` on the demo set for
# several methods at N=5 on the GPU. Prints questions/s per method.
#   tools/gpu/bench_random_models.sh [BATCH]
set -uo pipefail
cd "$(dirname "$0")/../.."
sel=${SELFENS_GPU_BIN:-build-gpu/bin}/selfens
source tools/gpu/find_cublas.sh "$sel"
batch=${1:-64}
dir=/tmp/selfens-l3b
python3 - "$dir" <<'PY'
import os, sys, torch, transformers as T
d = sys.argv[1]
if not os.path.exists(f"{d}/model.safetensors"):
    cfg = T.LlamaConfig(vocab_size=49152, hidden_size=3072, intermediate_size=8192,
        num_hidden_layers=28, num_attention_heads=24, num_key_value_heads=8, head_dim=128,
        max_position_embeddings=131072, rms_norm_eps=1e-5, rope_theta=500000.0,
        rope_scaling={"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                      "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
        tie_word_embeddings=True, bos_token_id=1, eos_token_id=2)
    torch.manual_seed(0)
    with torch.device("cuda"):
        m = T.LlamaForCausalLM(cfg).to(torch.bfloat16)
    m.save_pretrained(d, safe_serialization=True)
    print("made", d, flush=True)
PY
cp tests/fixtures/tokenizer/smollm2/tokenizer.json tests/fixtures/tokenizer/smollm2/tokenizer_config.json "$dir/"
for m in flex_attention origin per_prompt avg; do
  f=$("$sel" generate --quiet --model "$dir" --dataset demo --method "$m" --num_paraphrases 5 \
      --batch_size "$batch" --max_new_tokens 20 --device cuda --output-dir /tmp/selfens-bench --overwrite) ||
    { echo "FAIL $m"; continue; }
  python3 - "$f" "$m" <<'PY'
import sys, pyarrow.feather as f
t = f.read_table(sys.argv[1]); m = t.schema.metadata
d, w = float(m[b"selfens.decode_seconds"]), float(m[b"selfens.wall_seconds"])
print(f"{sys.argv[2]}: {t.num_rows} questions, {t.num_rows / d:.1f} q/s decoding ({d:.2f} s), "
      f"{w:.1f} s with model load, {m[b'selfens.generated_tokens'].decode()} generated tokens")
PY
done
