#!/usr/bin/env python3
"""Lemma-match accuracy of the GPU variants of run_bf16_agreement.sh, from
its JSON files (each lists the rows where a variant's prediction differs
from the CPU's) and the CPU's result files, made again here with the same
flags: every variant's predictions are the CPU's with its differences put
in. Each difference's "cpu" value must equal the local CPU prediction of
that row (else the two CPU runs differ and the script says so and stops).
Accuracy is the original's lemma match (`selfens match`).

  agreement_accuracy.py CPU_DIR NAME=JSON... [--selfens build/selfens] [--lemma-dir DIR]

CPU_DIR holds DATASET/MODEL/FILE.feather, as `selfens generate --output-dir`
writes them. Prints one line per file and per data set: questions (rows)
and each variant's accuracy, the CPU's first.
"""
import argparse
import collections
import glob
import json
import os
import subprocess
import sys

import pyarrow.feather as feather


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cpu_dir")
    ap.add_argument("variants", nargs="+", help="NAME=JSON")
    ap.add_argument("--selfens", default="build/selfens")
    ap.add_argument("--lemma-dir", default=None)
    a = ap.parse_args()
    variants = [v.split("=", 1) for v in a.variants]
    diffs = {}  # (name, file) -> differences
    for name, path in variants:
        for f in json.load(open(path))["files"]:
            diffs[(name, f["file"])] = f["differences"]
    names = ["cpu"] + [n for n, _ in variants]
    lines, index = [], []  # match inputs; (file, variant, row)
    files = sorted(glob.glob(f"{a.cpu_dir}/*/*/*.feather"))
    rows_of = {}
    for path in files:
        rel = os.path.relpath(path, a.cpu_dir)
        t = feather.read_table(path, columns=["prediction", "answers"]).to_pylist()
        rows_of[rel] = len(t)
        preds = {"cpu": [r["prediction"] for r in t]}
        for name, _ in variants:
            p = list(preds["cpu"])
            for d in diffs.get((name, rel), []):
                if d["cpu"] != p[d["row"]]:
                    sys.exit(f"agreement_accuracy: {rel} row {d['row']}: the device's CPU predicted "
                             f"{d['cpu']!r}, this one {p[d['row']]!r}: the CPU runs differ")
                p[d["row"]] = d["cuda"]
            preds[name] = p
        for name in names:
            for i, r in enumerate(t):
                lines.append(json.dumps({"prediction": preds[name][i], "answers": r["answers"]}))
                index.append((rel, name))
    cmd = [a.selfens, "match"] + (["--lemma-dir", a.lemma_dir] if a.lemma_dir else [])
    out = subprocess.run(cmd, input="\n".join(lines) + "\n", capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert len(out) == len(lines), "selfens match answered another number of lines"
    right = collections.Counter()
    for (rel, name), o in zip(index, out):
        right[(rel, name)] += bool(json.loads(o)["match"])
    totals = collections.defaultdict(collections.Counter)
    print("file rows " + " ".join(names))
    for rel in rows_of:
        n = rows_of[rel]
        print(rel, n, " ".join(f"{right[(rel, v)] / n:.1%}" for v in names))
        ds = rel.split("/")[0]
        totals[ds]["rows"] += n
        for v in names:
            totals[ds][v] += right[(rel, v)]
    for ds, c in sorted(totals.items()):
        print(f"{ds} all methods, {c['rows']} rows: " +
              ", ".join(f"{v} {c[v]}/{c['rows']} = {c[v] / c['rows']:.1%}" for v in names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
