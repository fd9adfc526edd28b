"""`--csv`: the CSV copy beside each Feather file is, byte for byte, what
pandas writes with to_csv(index=False) for the same rows held as Python
lists (as the original's frames held them), with a `correctness` column
after lemmatizing, checked against the original's partial match computed
here. Also `--method all` (origin then per_prompt, one model load)."""
import os
import subprocess

import numpy as np
import pandas as pd

CLI = os.environ.get("SELFENS_CLI", "build/selfens")
ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
TINY = os.path.join(ROOT, "tests", "fixtures", "models", "tiny-llama3")


def as_python(v):
    if isinstance(v, np.ndarray):
        return [as_python(x) for x in v.tolist()] if v.dtype != object else [as_python(x) for x in v]
    if isinstance(v, (list, tuple)):
        return [as_python(x) for x in v]
    return v.item() if isinstance(v, np.generic) else v


def contains(pred, answer):
    n = len(answer)
    return n > 0 and any(pred[i:i + n] == answer for i in range(len(pred) - n + 1))


def pandas_csv(feather):
    df = pd.read_feather(feather)
    for c in df.columns:
        if df[c].dtype == object and len(df) and not isinstance(df[c].iloc[0], str):
            df[c] = pd.Series([as_python(v) for v in df[c]], dtype=object)
    if "predict_lemma" in df and "answer_lemmas" in df:
        df["correctness"] = [any(contains(p, a) for a in answers)
                             for p, answers in zip(df.predict_lemma, df.answer_lemmas)]
    return df.to_csv(index=False)


def run(*args):
    r = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r


def test_method_all_writes_origin_and_per_prompt_with_csv(tmp_path):
    r = run("generate", "--method", "all", "--model", TINY, "--max_samples", 6,
            "--max_new_tokens", 4, "--output-dir", tmp_path, "--csv", "--lemmaize", "--quiet")
    paths = r.stdout.split()
    assert [os.path.basename(p) for p in paths] == ["origin.feather", "per_prompt.feather"]
    assert r.stderr.count("read in") <= 1  # one model load
    for p in paths:
        got = open(p[:-len(".feather")] + ".csv", encoding="utf-8", newline="").read()
        assert got == pandas_csv(p)
        assert "correctness" in got.splitlines()[0]


def test_fused_and_margin_columns(tmp_path):
    r = run("generate", "--method", "max", "--num_paraphrases", 3, "--model", TINY,
            "--max_samples", 5, "--max_new_tokens", 3, "--output-dir", tmp_path, "--csv",
            "--margins", "--quiet")
    p = r.stdout.strip()
    assert open(p[:-8] + ".csv", encoding="utf-8", newline="").read() == pandas_csv(p)


def test_confidence_csv(tmp_path):
    r = run("confidence", "--model", TINY, "--max_samples", 2, "--num_samples", 3,
            "--max_new_tokens", 3, "--output-dir", tmp_path, "--csv", "--quiet")
    p = r.stdout.strip().splitlines()[-1]
    assert open(p[:-8] + ".csv", encoding="utf-8", newline="").read() == pandas_csv(p)


def test_csv_of_a_finished_file(tmp_path):
    args = ["generate", "--method", "origin", "--model", TINY, "--max_samples", 2,
            "--max_new_tokens", 2, "--output-dir", tmp_path, "--quiet"]
    p = run(*args).stdout.strip()
    assert not os.path.exists(p[:-8] + ".csv")
    run(*args, "--csv")  # skipped (complete), the copy written all the same
    assert open(p[:-8] + ".csv", encoding="utf-8", newline="").read() == pandas_csv(p)
