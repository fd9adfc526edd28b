#!/usr/bin/env python3
"""Writes a small directory of result files with the exact schema of
`selfens generate` (DESIGN section 4), for the smoke test of the analysis
notebook and `selfens analyze` until a real small run replaces it in CI.
The rows are made up: they test the plumbing, not a model.

usage: make_fake_results.py ROOT [--dataset webqa] [--model fake-model]
writes ROOT/{dataset}/{model}/origin.feather, per_prompt.feather,
ensemble_{avg,max}-{2,3}.feather, flex_attention-{2,3}.feather and four pool
files (ensemble_avg-m5a0s2, -m5a5s3, -m0a5s2 with three questions fewer,
flex_attention-m5a5s3)
(pyarrow's default LZ4 compression, lemma columns included).
"""
import argparse
import os
import random

import pyarrow as pa
import pyarrow.feather as feather

QUESTIONS = [
    ("what is the capital of france", ["Paris"]),
    ("who was the 44th us president", ["Barack Obama", "Obama"]),
    ("what currency does japan use", ["Japanese yen", "yen"]),
    ("where is the eiffel tower", ["Paris", "France"]),
    ("which city hosts eth", ["Zürich"]),
    ("what language is spoken in brazil", ["Portuguese"]),
]
WRONG = ["London", "George Bush", "dollar", "Berlin", "Genève", "Spanish", ""]
PREFIX = ("Answer the question based on general world knowledge. Provide a short and "
          "direct answer.\n\nQ: what is the largest ocean\nA: Pacific Ocean\n\n")


def lemmas(text):
    return [w.lower() for w in text.split()]


def paraphrases(q, n=3):
    return [q + "?", "tell me " + q + "?", "please answer: " + q + "?"][:n]


def schema(extra_index):
    fields = [("uuid", pa.string()), ("answers", pa.list_(pa.string())),
              ("paraphrases", pa.list_(pa.string())), ("prompts", pa.list_(pa.string())),
              ("prediction", pa.string()), ("generation", pa.string())]
    if extra_index:
        fields.append(("paraphrase_index", pa.int64()))
    fields += [("predict_lemma", pa.list_(pa.string())),
               ("answer_lemmas", pa.list_(pa.list_(pa.string())))]
    return pa.schema(fields)


def table(method, n, rows, extra_index=False):
    cols = {name: [r[name] for r in rows] for name in schema(extra_index).names}
    t = pa.table(cols, schema=schema(extra_index))
    meta = {"selfens.method": method, "selfens.model": "fake-model",
            "selfens.dataset": "webqa", "selfens.n": str(n), "selfens.layout": "shared",
            "selfens.positions": "parallel", "selfens.fusion_bias": "none",
            "selfens.wall_seconds": "0.5", "selfens.prompt_tokens": "100",
            "selfens.generated_tokens": "20", "selfens.version": "0.1.0",
            "selfens.complete": "true"}
    return t.replace_schema_metadata(meta)


def row(i, n, prediction, p_index=None):
    q, answers = QUESTIONS[i]
    paras = paraphrases(q, max(n, 1))
    r = {"uuid": "q%02d" % i, "answers": answers, "paraphrases": paras,
         "prompts": [PREFIX + "Q: " + p + "\nA:" for p in paras],
         "prediction": prediction, "generation": " " + prediction + "\nQ: next",
         "predict_lemma": lemmas(prediction), "answer_lemmas": [lemmas(a) for a in answers]}
    if p_index is not None:
        r["paraphrase_index"] = p_index
    return r


def predictions(rng, p_correct):
    return [QUESTIONS[i][1][0] if rng.random() < p_correct else rng.choice(WRONG)
            for i in range(len(QUESTIONS))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--dataset", default="webqa")
    ap.add_argument("--model", default="fake-model")
    args = ap.parse_args()
    out = os.path.join(args.root, args.dataset, args.model)
    os.makedirs(out, exist_ok=True)
    rng = random.Random(7)
    write = lambda name, t: feather.write_feather(t, os.path.join(out, name))
    write("origin.feather", table("origin", 1, [row(i, 1, p) for i, p in
                                                enumerate(predictions(rng, 0.4))]))
    per = []
    for k in range(3):
        per += [row(i, 3, p, k) for i, p in enumerate(predictions(rng, 0.3 + 0.1 * k))]
    write("per_prompt.feather", table("per_prompt", 3, per, extra_index=True))
    for n in (2, 3):
        for m, p in (("avg", 0.5), ("max", 0.4)):
            write("ensemble_%s-%d.feather" % (m, n),
                  table(m, n, [row(i, n, x) for i, x in enumerate(predictions(rng, p))]))
        write("flex_attention-%d.feather" % n,
              table("flex_attention", n,
                    [row(i, n, x) for i, x in enumerate(predictions(rng, 0.45 + 0.1 * n))]))
    # Pool files of the original's grid (one answering fewer questions).
    for name, s, count in (("ensemble_avg-m5a0s2", 2, None), ("ensemble_avg-m5a5s3", 3, None),
                           ("ensemble_avg-m0a5s2", 2, len(QUESTIONS) - 3),
                           ("flex_attention-m5a5s3", 3, None)):
        rows = [row(i, s, x) for i, x in enumerate(predictions(rng, 0.5))][:count]
        write(name + ".feather", table(name.split("-")[0], s, rows))
    print(out)


if __name__ == "__main__":
    main()
