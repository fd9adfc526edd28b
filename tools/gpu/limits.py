#!/usr/bin/env python3
"""The GPU's ceilings and the best possible questions/s for the minimal work
of each kind of method: measured device-to-device copy bandwidth and bf16
matmul rate (torch; and the fp8 one, torch._scaled_mm, for --device
cuda-fp8's limit: its layers' products in fp8, its logits in bf16), then, for the model directory's architecture and the
prompts of a selfens flex_attention run, the FLOPs of the minimal work and
the questions/s at the measured matmul rate:
  flex_attention: the shared prefix once, each question's N paraphrase
    segments, NEW generated tokens with their logits (one row per step);
  per_prompt and the logit ensembles: the same segments, but N rows per
    generated token, each with its logits (N x NEW rows and logit rows).

  limits.py MODEL_DIR FLEX.feather [--n 5] [--new 20]
"""
import argparse, json, time

import pyarrow.feather as feather
import torch
import transformers as T


def timed(fn, reps):
    fn()
    torch.cuda.synchronize()
    start = time.time()
    for _ in range(reps):
        fn()
    torch.cuda.synchronize()
    return (time.time() - start) / reps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("flex")
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--new", type=int, default=20)
    a = ap.parse_args()

    src = torch.empty(2 << 30, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    copy_s = timed(lambda: dst.copy_(src), 20)
    bandwidth = 2 * src.numel() / copy_s  # read + write
    del src, dst
    m = torch.randn(8192, 8192, dtype=torch.bfloat16, device="cuda")
    mm_s = timed(lambda: m @ m, 50)
    flops_rate = 2 * 8192 ** 3 / mm_s
    fp8_rate = None
    try:  # rowwise-scaled fp8 products, as cuda-fp8 runs them
        a8 = m.to(torch.float8_e4m3fn)
        b8 = m.to(torch.float8_e4m3fn).t().contiguous().t()
        sa = torch.ones(8192, 1, device="cuda")
        sb = torch.ones(1, 8192, device="cuda")
        f8_s = timed(lambda: torch._scaled_mm(a8, b8, sa, sb, out_dtype=torch.bfloat16), 50)
        fp8_rate = 2 * 8192 ** 3 / f8_s
    except Exception as e:  # an older torch or card: no fp8 line
        print(json.dumps({"fp8_matmul": f"not measured: {e}"[:200]}), flush=True)

    cfg = T.AutoConfig.from_pretrained(a.model)
    h, f, L = cfg.hidden_size, cfg.intermediate_size, cfg.num_hidden_layers
    hd = getattr(cfg, "head_dim", None) or h // cfg.num_attention_heads
    kvd = cfg.num_key_value_heads * hd
    qd = cfg.num_attention_heads * hd
    per_token = 2 * L * (h * (qd + 2 * kvd) + qd * h + 3 * h * f)  # matmul FLOPs per token
    logits = 2 * h * cfg.vocab_size

    tok = T.PreTrainedTokenizerFast(tokenizer_file=f"{a.model}/tokenizer.json")
    t = feather.read_table(a.flex).to_pandas()
    prompts = [list(p)[: a.n] for p in t.prompts]
    # Shared prefix: the longest common token prefix of all prompts.
    ids = [[tok(p, add_special_tokens=False)["input_ids"] for p in q] for q in prompts]
    first = ids[0][0]
    shared = len(first)
    for q in ids:
        for p in q:
            k = 0
            while k < min(shared, len(p)) and p[k] == first[k]:
                k += 1
            shared = k
    seg = sum(len(p) - shared for q in ids for p in q) / len(ids)  # question tokens per question
    flops_q = per_token * (seg + a.new) + logits * a.new
    flops_prefix = per_token * shared
    best = flops_rate / flops_q
    flops_n_rows = per_token * (seg + a.n * a.new) + logits * a.n * a.new
    fp8 = {}
    if fp8_rate:
        def fp8_best(layer_flops, logit_flops):
            return 1.0 / (layer_flops / fp8_rate + logit_flops / flops_rate)
        fp8 = {"fp8_matmul_tflop_s": round(fp8_rate / 1e12, 1),
               "best_questions_per_s_fp8": round(
                   fp8_best(per_token * (seg + a.new), logits * a.new), 1),
               "best_questions_per_s_n_rows_fp8": round(
                   fp8_best(per_token * (seg + a.n * a.new), logits * a.n * a.new), 1)}
    print(json.dumps({
        "copy_bandwidth_tb_s": round(bandwidth / 1e12, 2),
        "bf16_matmul_tflop_s": round(flops_rate / 1e12, 1),
        "shared_prefix_tokens": shared, "question_segment_tokens": round(seg, 1),
        "new_tokens": a.new, "gflop_per_question": round(flops_q / 1e9, 1),
        "gflop_shared_prefix_once": round(flops_prefix / 1e9, 1),
        "best_questions_per_s_compute_bound": round(best, 1),
        "gflop_per_question_n_rows": round(flops_n_rows / 1e9, 1),
        "best_questions_per_s_n_rows": round(flops_rate / flops_n_rows, 1),
        "weights_gib": round((per_token / 2) * 2 / 2**30, 2),
        **fp8,
    }), flush=True)


if __name__ == "__main__":
    main()
