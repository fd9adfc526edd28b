#!/usr/bin/env python3
"""The peer of bench/bench_tokenizer: Hugging Face `tokenizers` (Rust) on the
same tokenizer.json and text.

  bench_tokenizers_peer.py TOKENIZER_JSON TEXT_FILE [--reps R] [--threads default|1]

--threads 1 (the default) sets RAYON_NUM_THREADS=1 and TOKENIZERS_PARALLELISM=false
before `tokenizers` is imported, for a single-thread comparison; --threads
default leaves its thread pool alone (encode_batch then uses every core).
Prints lines "RESULT <mode> tokens=.. seconds=.. tokens_per_s=.. mb_per_s=..":
encode_one_call_cold (first encode of the whole text), encode_one_call (best
of R), encode_batch_lines (encode_batch over the text's lines, best of R).
"""
import argparse
import os
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tokenizer_json")
    ap.add_argument("text_file")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", default="1", choices=["1", "default"])
    args = ap.parse_args()
    if args.threads == "1":
        os.environ["RAYON_NUM_THREADS"] = "1"
        os.environ["TOKENIZERS_PARALLELISM"] = "false"
    from tokenizers import Tokenizer, __version__

    t0 = time.perf_counter()
    tok = Tokenizer.from_file(args.tokenizer_json)
    with open(args.text_file, "rb") as f:
        data = f.read()
    text = data.decode("utf-8")
    print(f"tokenizers {__version__}, threads={args.threads}, loaded in {time.perf_counter() - t0:.3f} s, "
          f"text {len(data) / 1e6:.2f} MB")
    lines = text.splitlines(keepends=True)

    def report(mode, n, s):
        print(f"RESULT {mode} tokens={n} seconds={s:.4f} tokens_per_s={n / s:.0f} "
              f"mb_per_s={len(data) / s / 1e6:.2f}")

    best_one = best_batch = float("inf")
    for r in range(args.reps):
        t0 = time.perf_counter()
        n_one = len(tok.encode(text, add_special_tokens=False).ids)
        s = time.perf_counter() - t0
        if r == 0:
            report("encode_one_call_cold", n_one, s)
        best_one = min(best_one, s)
        t0 = time.perf_counter()
        n_batch = sum(len(e.ids) for e in tok.encode_batch(lines, add_special_tokens=False))
        best_batch = min(best_batch, time.perf_counter() - t0)
    report("encode_one_call", n_one, best_one)
    report("encode_batch_lines", n_batch, best_batch)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
