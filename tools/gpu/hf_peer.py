#!/usr/bin/env python3
"""transformers `generate` with KV cache for per_prompt, batched: the peer
selfens is compared with on the GPU (same model directory, same prompts).

Reads the prompts from a selfens per_prompt.feather (column `prompts`, one
prompt per row, in question order), takes the first K questions' N
prompts each, and runs greedy generation of exactly NEW tokens
(min_new_tokens = max_new_tokens) at each batch size (in prompts).
Prints one JSON line per batch size: questions/s and prompts/s.

  hf_peer.py MODEL_DIR PER_PROMPT.feather --questions 64 --n 5 --new 20 --batch 40 320
"""
import argparse, json, time

import torch
import transformers as T

from peer_prompts import question_prompts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("per_prompt")
    ap.add_argument("--questions", type=int, default=64)
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--new", type=int, default=20)
    ap.add_argument("--batch", type=int, nargs="+", default=[40, 320])
    a = ap.parse_args()

    qs = question_prompts(a.per_prompt, a.n, a.questions)
    prompts = [p for q in qs for p in q]

    tok = T.PreTrainedTokenizerFast(tokenizer_file=f"{a.model}/tokenizer.json")
    tok.pad_token = tok.pad_token or tok.eos_token or "<|endoftext|>"
    tok.padding_side = "left"
    model = T.AutoModelForCausalLM.from_pretrained(a.model, torch_dtype=torch.bfloat16,
                                                   attn_implementation="sdpa").cuda().eval()
    for bs in a.batch:
        def run(ps):
            enc = tok(ps, return_tensors="pt", padding=True, add_special_tokens=False).to("cuda")
            with torch.inference_mode():
                model.generate(**enc, max_new_tokens=a.new, min_new_tokens=a.new, do_sample=False,
                               pad_token_id=tok.pad_token_id)
        run(prompts[:bs])  # warm-up
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        start = time.time()
        for i in range(0, len(prompts), bs):
            run(prompts[i:i + bs])
        torch.cuda.synchronize()
        sec = time.time() - start
        print(json.dumps({"peer": "transformers generate per_prompt (KV cache)", "batch_prompts": bs,
                          "questions": len(qs), "prompts": len(prompts), "seconds": round(sec, 3),
                          "questions_per_s": round(len(qs) / sec, 2),
                          "prompts_per_s": round(len(prompts) / sec, 2),
                          "peak_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2)}),
              flush=True)


if __name__ == "__main__":
    main()
