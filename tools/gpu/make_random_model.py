#!/usr/bin/env python3
"""Builds a random-weight bf16 model with the exact Llama-3.2-3B-Instruct or
Qwen2.5-7B-Instruct architecture, or Qwen3-8B's or Qwen2.5-14B's (no download), vocabulary 49152 so that
the committed SmolLM2 tokenizer tokenizes real prompts, and saves it as a
Hugging Face directory with that tokenizer. Does nothing when DIR already
holds safetensors. Runs on the GPU machine (torch + transformers there).

  make_random_model.py DIR llama3.2-3b|qwen2.5-7b|qwen3-8b|qwen2.5-14b
"""
import glob
import shutil
import sys

import torch
import transformers as T

TOKENIZER = "tests/fixtures/tokenizer/smollm2"


def config(arch):
    if arch == "llama3.2-3b":
        return T.LlamaForCausalLM, T.LlamaConfig(
            vocab_size=49152, hidden_size=3072, intermediate_size=8192,
            num_hidden_layers=28, num_attention_heads=24, num_key_value_heads=8, head_dim=128,
            max_position_embeddings=131072, rms_norm_eps=1e-5, rope_theta=500000.0,
            rope_scaling={"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                          "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
            tie_word_embeddings=True, bos_token_id=1, eos_token_id=2)
    if arch == "qwen2.5-7b":  # Qwen2.5-7B-Instruct's config, vocabulary as above
        return T.Qwen2ForCausalLM, T.Qwen2Config(
            vocab_size=49152, hidden_size=3584, intermediate_size=18944,
            num_hidden_layers=28, num_attention_heads=28, num_key_value_heads=4,
            max_position_embeddings=32768, rms_norm_eps=1e-6, rope_theta=1000000.0,
            tie_word_embeddings=False, bos_token_id=1, eos_token_id=2)
    if arch == "qwen3-8b":  # Qwen3-8B's config: q/k norms, head_dim 128
        return T.Qwen3ForCausalLM, T.Qwen3Config(
            vocab_size=49152, hidden_size=4096, intermediate_size=12288,
            num_hidden_layers=36, num_attention_heads=32, num_key_value_heads=8, head_dim=128,
            max_position_embeddings=40960, rms_norm_eps=1e-6, rope_theta=1000000.0,
            tie_word_embeddings=False, attention_bias=False, bos_token_id=1, eos_token_id=2)
    if arch == "qwen2.5-14b":  # Qwen2.5-14B-Instruct's config (~30 GB in bf16)
        return T.Qwen2ForCausalLM, T.Qwen2Config(
            vocab_size=49152, hidden_size=5120, intermediate_size=13824,
            num_hidden_layers=48, num_attention_heads=40, num_key_value_heads=8,
            max_position_embeddings=32768, rms_norm_eps=1e-6, rope_theta=1000000.0,
            tie_word_embeddings=False, bos_token_id=1, eos_token_id=2)
    sys.exit(f"unknown architecture {arch} (llama3.2-3b, qwen2.5-7b, qwen3-8b or qwen2.5-14b)")


def main():
    d, arch = sys.argv[1:3]
    if not glob.glob(f"{d}/*.safetensors"):
        cls, cfg = config(arch)
        torch.manual_seed(0)
        with torch.device("cuda"):
            m = cls(cfg).to(torch.bfloat16)
        m.save_pretrained(d, safe_serialization=True)
        print("made", d, flush=True)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(f"{TOKENIZER}/{f}", d)


if __name__ == "__main__":
    main()
