#!/usr/bin/env python3
"""The accuracy table of docs/results.md from result folders, through the
Python API (so it is `selfens analyze --json`'s figures, on the questions
every compared file answers) plus the per_prompt oracle: a question counts
when any of its first N paraphrases is answered right (the lemma match).

    PYTHONPATH=build/python bench/accuracy_table.py OUT DATASET N MODEL [MODEL ...]
"""
import glob
import os
import sys

import pandas as pd

import selfens


def oracle(out, dataset, model, n, questions):
    """Share of `questions` with a right answer among the first n paraphrases."""
    path = os.path.join(out, dataset, os.path.basename(model).removesuffix(".gguf"),
                        "per_prompt.feather")
    if not os.path.exists(path):
        return None
    frame = pd.read_feather(path)
    frame = frame[frame["paraphrase_index"] < n]
    right = {}
    for uuid, pred, answers in zip(frame["uuid"], frame["prediction"], frame["answers"]):
        right[uuid] = right.get(uuid, False) or selfens.match(pred, list(answers))
    shared = [q for q in questions if q in right]
    return sum(right[q] for q in shared) / len(shared) if shared else None


def shared_questions(out, dataset, model):
    """The questions every result file of the folder answers (what analyze compares on)."""
    folder = os.path.join(out, dataset, os.path.basename(model).removesuffix(".gguf"))
    sets = [set(pd.read_feather(f, columns=["uuid"])["uuid"])
            for f in glob.glob(os.path.join(folder, "*.feather"))
            if not f.endswith("confidence.feather")]
    return set.intersection(*sets) if sets else set()


def main():
    out, dataset, n, models = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    print(f"| method | " + " | ".join(models) + " |")
    print("|---|" + "---:|" * len(models))
    reports = [selfens.analyze(out, dataset=dataset, model=m, num_paraphrases=n) for m in models]
    methods = [r["method"] for r in reports[0]["comparison"]]
    for i, method in enumerate(methods):
        cells = []
        for rep in reports:
            r = rep["comparison"][i]
            label = f"{r['accuracy'] * 100:.1f}%" if r["present"] else "—"
            cells.append(label)
        name = method if method in ("origin", "per_prompt") else f"{method}-{n}"
        print(f"| {name} | " + " | ".join(cells) + " |")
    cells = []
    for model in models:
        o = oracle(out, dataset, model, n, shared_questions(out, dataset, model))
        cells.append("—" if o is None else f"{o * 100:.1f}%")
    print(f"| oracle (any of {n} right, per_prompt) | " + " | ".join(cells) + " |")
    print()
    print("questions compared: " + ", ".join(
        f"{m}: {rep['shared_questions']}" for m, rep in zip(models, reports)))


if __name__ == "__main__":
    main()
