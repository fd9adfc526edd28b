#!/usr/bin/env python3
"""The original project's approach to flex_attention, as a GPU peer: the N
full prompts of a question concatenated in one sequence, each prompt seeing
only itself (causal), the generated tokens seeing everything; no KV cache
(the whole sequence runs again for every new token); one question at a time;
greedy, exactly NEW tokens.

The mask is FlexAttention's (torch.nn.attention.flex_attention with a
BlockMask built from the same predicate the original used) when transformers
accepts one, else the same mask as a dense boolean 4-D mask for SDPA (same
work per step up to the block skipping); the JSON line names which ran.

  orig_peer.py MODEL_DIR PER_PROMPT.feather --questions 4 --n 5 --new 20
"""
import argparse, json, time

import torch
import transformers as T

from peer_prompts import question_prompts


def segment_ids(lengths, total):
    seg = torch.full((total,), -1, dtype=torch.int32)  # -1: generated (sees all)
    at = 0
    for i, n in enumerate(lengths):
        seg[at:at + n] = i
        at += n
    return seg


def dense_mask(seg):
    n = seg.numel()
    q = torch.arange(n)[:, None]
    k = torch.arange(n)[None, :]
    same = (seg[:, None] == seg[None, :]) | (seg[:, None] < 0)
    return (same & (k <= q))[None, None]  # [1, 1, n, n]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("per_prompt")
    ap.add_argument("--questions", type=int, default=4)
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--new", type=int, default=20)
    a = ap.parse_args()

    tok = T.PreTrainedTokenizerFast(tokenizer_file=f"{a.model}/tokenizer.json")

    kind = "flex_attention (BlockMask)"
    try:
        from torch.nn.attention.flex_attention import create_block_mask
        model = T.AutoModelForCausalLM.from_pretrained(
            a.model, torch_dtype=torch.bfloat16, attn_implementation="flex_attention").cuda().eval()
    except Exception as e:  # older transformers / torch: dense mask, SDPA
        kind = f"sdpa with a dense 4-D mask (flex_attention unavailable: {type(e).__name__})"
        model = T.AutoModelForCausalLM.from_pretrained(
            a.model, torch_dtype=torch.bfloat16, attn_implementation="sdpa").cuda().eval()

    def step_mask(seg):
        nonlocal kind
        if kind.startswith("flex"):
            s = seg.cuda()
            def mask_mod(b, h, q, k):
                return ((s[q] == s[k]) | (s[q] < 0)) & (k <= q)
            n = s.numel()
            return create_block_mask(mask_mod, None, None, n, n, device="cuda")
        return dense_mask(seg).cuda()

    def generate(prompts):
        ids = [tok(p, add_special_tokens=False)["input_ids"] for p in prompts]
        seq = [x for p in ids for x in p]
        lengths = [len(p) for p in ids]
        out = []
        for _ in range(a.new):
            seg = segment_ids(lengths, len(seq))
            inp = torch.tensor([seq], device="cuda")
            with torch.inference_mode():
                logits = model(input_ids=inp, attention_mask=step_mask(seg), use_cache=False).logits
            nxt = int(logits[0, -1].argmax())
            seq.append(nxt)
            out.append(nxt)
        return out

    qs = question_prompts(a.per_prompt, a.n, a.questions)
    try:
        generate(qs[0])  # warm-up (and the test that the mask kind runs)
    except Exception as e:
        if not kind.startswith("flex"):
            raise
        kind = f"sdpa with a dense 4-D mask (flex_attention failed: {type(e).__name__}: {e})"[:200]
        model = T.AutoModelForCausalLM.from_pretrained(
            a.model, torch_dtype=torch.bfloat16, attn_implementation="sdpa").cuda().eval()
        generate(qs[0])
    torch.cuda.synchronize()
    start = time.time()
    for q in qs:
        generate(q)
    torch.cuda.synchronize()
    sec = time.time() - start
    print(json.dumps({"peer": "original's approach: N prompts concatenated, no KV cache, "
                      "one question at a time", "attention": kind, "questions": len(qs),
                      "seconds": round(sec, 3), "questions_per_s": round(len(qs) / sec, 3)}),
          flush=True)


if __name__ == "__main__":
    main()
