#!/usr/bin/env python3
"""The held-out table of the attention-fusion sweep (bench/run_fusion_sweep.sh).

Every result file of one model folder is scored per question with the
lemma match (selfens.match, as analyze does; per_prompt: the mean over its
paraphrases). The questions every file answers are split in data set order:
the first half chooses (the best attention variant, the best logit
ensemble), the second half reports, so that no choice is tuned on the
reported numbers.

    PYTHONPATH=build/python bench/fusion_table.py OUT DATASET MODEL [N]
"""
import glob
import os
import sys

import pandas as pd

import selfens

ENSEMBLES = ("avg", "max", "weighted_avg", "weighted_max")


def label(path):
    return os.path.basename(path).removesuffix(".feather")


def method_of(name):
    """(method, is_attention_variant) of a file label."""
    for stem, method in (("ensemble_weighted_avg", "weighted_avg"),
                         ("ensemble_weighted_max", "weighted_max"),
                         ("ensemble_avg", "avg"), ("ensemble_max", "max"),
                         ("flex_attention", "flex_attention"), ("weighted_flex", "weighted_flex"),
                         ("per_prompt", "per_prompt"), ("origin", "origin")):
        if name.startswith(stem):
            return method
    return None


def scores(path, n):
    """Question -> share of its rows answered right (per_prompt: its first n paraphrases)."""
    frame = pd.read_feather(path, columns=["uuid", "prediction", "answers"]
                            + (["paraphrase_index"] if "per_prompt" in path else []))
    if "paraphrase_index" in frame:
        frame = frame[frame["paraphrase_index"] < n]
    right = {}
    for uuid, pred, answers in zip(frame["uuid"], frame["prediction"], frame["answers"]):
        right.setdefault(uuid, []).append(selfens.match(pred, list(answers)))
    return {q: sum(v) / len(v) for q, v in right.items()}, \
        {q: any(v) for q, v in right.items()}


def main():
    out, dataset, model = sys.argv[1:4]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    folder = os.path.join(out, dataset, os.path.basename(model).removesuffix(".gguf"))
    files = sorted(f for f in glob.glob(os.path.join(folder, "*.feather"))
                   if not f.endswith("confidence.feather") and method_of(label(f)))
    order = list(pd.read_feather(os.path.join(folder, "origin.feather"), columns=["uuid"])["uuid"])
    per_file, oracle = {}, None
    for f in files:
        acc, anyright = scores(f, n)
        per_file[label(f)] = acc
        if label(f) == "per_prompt":
            oracle = anyright
    shared = [q for q in order if all(q in s for s in per_file.values())]
    half = len(shared) // 2
    choose, report = shared[:half], shared[half:]
    mean = lambda s, qs: 100.0 * sum(s[q] for q in qs) / len(qs)
    rows = []
    for name, s in per_file.items():
        rows.append((name, method_of(name), mean(s, choose), mean(s, report), mean(s, shared)))
    if oracle:
        rows.append(("oracle (any of N per_prompt right)", "oracle",
                     mean(oracle, choose), mean(oracle, report), mean(oracle, shared)))
    attention = [r for r in rows if r[1] in ("flex_attention", "weighted_flex")]
    ensembles = [r for r in rows if r[1] in ENSEMBLES]
    best_att = max(attention, key=lambda r: r[2])
    best_ens = max(ensembles, key=lambda r: r[2])
    print(f"{dataset}, {os.path.basename(folder)}, N = {n}: {len(shared)} questions every file "
          f"answers; choose on the first {len(choose)}, report on the last {len(report)}.\n")
    print("| file | first half (choose) | second half (report) | all |")
    print("|---|---:|---:|---:|")
    for r in sorted(rows, key=lambda r: -r[3]):
        mark = " (chosen)" if r in (best_att, best_ens) else ""
        print(f"| {r[0]}{mark} | {r[2]:.1f} | {r[3]:.1f} | {r[4]:.1f} |")
    default = next((r for r in rows if r[0] == f"flex_attention-{n}"), None)
    print(f"\nChosen on the first half: attention {best_att[0]} ({best_att[2]:.1f}), logit "
          f"ensemble {best_ens[0]} ({best_ens[2]:.1f}). On the reported half: "
          f"{best_att[0]} {best_att[3]:.1f} vs {best_ens[0]} {best_ens[3]:.1f} "
          f"({best_att[3] - best_ens[3]:+.1f} points)"
          + (f"; default flex_attention-{n} {default[3]:.1f}" if default else "") + ".")


if __name__ == "__main__":
    main()
