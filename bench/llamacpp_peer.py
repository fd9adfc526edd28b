#!/usr/bin/env python3
"""Peer for bench_engine: llama.cpp (through the PyPI package llama-cpp-python)
on the same GGUF file with the same threads and the same workload:
prefill of one P-token prompt, greedy-free decode (logits only) at batch 1 and
batch B (B sequences, one token each per step). Prints one JSON line."""
import argparse
import ctypes
import json
import time

import llama_cpp as L


def make_batch(entries, n_seq_max):
    """entries: list of (token, pos, seq_id, want_logits)."""
    b = L.llama_batch_init(len(entries), 0, n_seq_max)
    for i, (tok, pos, seq, out) in enumerate(entries):
        b.token[i] = tok
        b.pos[i] = pos
        b.n_seq_id[i] = 1
        b.seq_id[i][0] = seq
        b.logits[i] = 1 if out else 0
    b.n_tokens = len(entries)
    return b


def decode(ctx, entries, n_seq_max):
    b = make_batch(entries, n_seq_max)
    rc = L.llama_decode(ctx, b)
    L.llama_batch_free(b)
    if rc != 0:
        raise SystemExit(f"llama_decode failed: {rc}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt-tokens", type=int, default=128)
    ap.add_argument("--decode-steps", type=int, default=32)
    ap.add_argument("--batch", type=int, default=32)
    a = ap.parse_args()

    L.llama_backend_init()
    mp = L.llama_model_default_params()
    model = L.llama_model_load_from_file(a.model.encode(), mp)
    cp = L.llama_context_default_params()
    cp.n_ctx = 8192
    cp.n_batch = 2048
    cp.n_ubatch = 512
    cp.n_seq_max = max(a.batch, 1)
    cp.n_threads = a.threads
    cp.n_threads_batch = a.threads
    ctx = L.llama_new_context_with_model(model, cp)
    mem = L.llama_get_memory(ctx)
    toks = [(i * 7919 + 13) % 40000 + 100 for i in range(a.prompt_tokens)]

    # Prefill: one prompt, logits for the last row only.
    decode(ctx, [(toks[0], 0, 0, False)], cp.n_seq_max)  # warm-up
    L.llama_memory_clear(mem, True)
    t = time.perf_counter()
    decode(ctx, [(tok, i, 0, i == len(toks) - 1) for i, tok in enumerate(toks)], cp.n_seq_max)
    prefill = len(toks) / (time.perf_counter() - t)

    def decode_rate(nseq):
        L.llama_memory_clear(mem, True)
        ctxlen = 32
        decode(ctx, [(toks[i], i, s, i == ctxlen - 1) for s in range(nseq) for i in range(ctxlen)],
               cp.n_seq_max)
        t = time.perf_counter()
        for step in range(a.decode_steps):
            decode(ctx, [(toks[step], ctxlen + step, s, True) for s in range(nseq)], cp.n_seq_max)
        return nseq * a.decode_steps / (time.perf_counter() - t)

    info = L.llama_print_system_info()
    res = {"peer": "llama.cpp (llama-cpp-python %s)" % L.__version__, "threads": a.threads,
           "peer_kernels": (info.decode() if isinstance(info, bytes) else str(info)).strip(),
           "prefill_tok_s": prefill, "decode_b1_tok_s": decode_rate(1),
           f"decode_b{a.batch}_tok_s": decode_rate(a.batch)}
    print(json.dumps(res))


if __name__ == "__main__":
    main()
