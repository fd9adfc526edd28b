"""The original's experiment grid in `selfens generate`: paraphrase pools
(--num_manual/--num_auto/--num_samples) and synced samples (--synced_samples)
draw what CPython's random draws (the recipes in
src/data/paraphrase_selection.h), the same for every batch size, thread count
and resumed run; m5a0sN in template order is the first-N run; bad sizes are
one-line errors with exit 2. Tiny model, first MyriadLAMA questions, read
from the data folder ($SELFENS_DATA_DIR or ../shared/data)."""
import itertools
import json
import os
import random
import subprocess

import pandas as pd
import pytest

CLI = os.environ.get("SELFENS_CLI", "build/selfens")
ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
DATA = os.environ.get("SELFENS_DATA_DIR", os.path.join(ROOT, "..", "shared", "data"))
TINY = os.path.join(ROOT, "tests", "fixtures", "models", "tiny-llama3")
K = 12

pytestmark = pytest.mark.skipif(
    not os.path.exists(os.path.join(DATA, "myriadlama", "test.jsonl")),
    reason="no MyriadLAMA data folder")


def generate(out, *args, check=True):
    r = subprocess.run([CLI, "generate", "--quiet", "--model", TINY, "--dataset", "myriadlama",
                        "--data-dir", DATA, "--max_new_tokens", "2", "--output-dir", str(out),
                        *map(str, args)], capture_output=True, text=True)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def table(r):
    return pd.read_feather(r.stdout.strip().splitlines()[-1])


def question_lists(count=K):
    """Each question's paraphrase list in the original's order."""
    with open(os.path.join(DATA, "myriadlama", "test.jsonl"), encoding="utf-8") as f:
        records = [json.loads(line) for line, _ in zip(f, range(count))]
    out = []
    for rec in records:
        random.seed(rec["uuid"])
        out.append((rec["uuid"], rec["manual"] + random.sample(rec["auto"], len(rec["auto"]))))
    return out


def python_pool(uuid, size, m, a, s, seed):
    random.seed(f"{uuid}:{seed}")
    manual = random.sample(range(5), m)
    auto = [5 + i for i in random.sample(range(size - 5), a)]
    return random.sample(manual + auto, s)


@pytest.mark.parametrize("m,a,s,seed", [(5, 5, 3, 0), (2, 3, 4, 7), (0, 5, 2, 0)])
def test_pools_draw_as_cpython(tmp_path, m, a, s, seed):
    got = table(generate(tmp_path, "--method", "avg", "--num_manual", m, "--num_auto", a,
                         "--num_samples", s, "--seed", seed, "--max_samples", K))
    for (uuid, paras), row in zip(question_lists(), got.itertuples()):
        want = python_pool(uuid, len(paras), m, a, s, seed)
        assert row.uuid == uuid
        assert list(row.paraphrase_indices) == want
        assert list(row.paraphrases) == [paras[i] for i in want]


def test_synced_samples_draw_as_cpython(tmp_path):
    n, s = 2, 3
    got = table(generate(tmp_path, "--method", "max", "--synced_samples", s, "--num_paraphrases",
                         n, "--max_samples", K))
    want_rows = []
    for uuid, paras in question_lists():
        random.seed(uuid)
        perms = list(itertools.permutations(range(len(paras)), n))
        for i, p in enumerate(random.sample(perms, k=min(s, len(perms)))):
            want_rows.append((uuid, i, list(p), [paras[j] for j in p]))
    assert len(got) == len(want_rows) == K * s
    for (uuid, i, idx, texts), row in zip(want_rows, got.itertuples()):
        assert (row.uuid, row.sample_index) == (uuid, i)
        assert list(row.paraphrase_indices) == idx
        assert list(row.paraphrases) == texts


def test_repeat_paras_asks_one_paraphrase_n_times(tmp_path):
    got = table(generate(tmp_path, "--method", "avg", "--synced_samples", 2, "--repeat_paras",
                         "--num_paraphrases", 3, "--max_samples", 3))
    for uuid, paras in question_lists(3):
        random.seed(uuid)
        picks = random.sample([[i] * 3 for i in range(len(paras))], k=2)
        rows = got[got.uuid == uuid]
        assert [list(x) for x in rows.paraphrase_indices] == picks


def comparable(df):
    return df.drop(columns=[c for c in df.columns if c.startswith("margin")]).reset_index(drop=True)


def test_draws_do_not_depend_on_batch_threads_or_resume(tmp_path):
    args = ["--method", "flex_attention", "--num_manual", "3", "--num_auto", "4",
            "--num_samples", "4", "--seed", "3"]
    one = table(generate(tmp_path / "a", *args, "--max_samples", K, "--batch_size", 1,
                         "--threads", 1))
    many = table(generate(tmp_path / "b", *args, "--max_samples", K, "--batch_size", 8))
    generate(tmp_path / "c", *args, "--max_samples", 5)  # then extended: a resumed file
    resumed = table(generate(tmp_path / "c", *args, "--max_samples", K))
    pd.testing.assert_frame_equal(comparable(one), comparable(many))
    pd.testing.assert_frame_equal(comparable(one), comparable(resumed))


@pytest.mark.parametrize("method", ["avg", "flex_attention"])
def test_first_order_m5a0_is_the_first_n_run(tmp_path, method):
    n = 3
    pooled = table(generate(tmp_path, "--method", method, "--num_manual", 5, "--num_auto", 0,
                            "--num_samples", n, "--pool_order", "first", "--max_samples", K))
    first = table(generate(tmp_path, "--method", method, "--num_paraphrases", n,
                           "--max_samples", K))
    assert [list(x) for x in pooled.paraphrase_indices] == [list(range(n))] * K
    cols = ["uuid", "answers", "paraphrases", "prompts", "prediction", "generation"]
    pd.testing.assert_frame_equal(pooled[cols], first[cols])


def test_short_pools(tmp_path):
    r = generate(tmp_path, "--method", "avg", "--num_manual", 0, "--num_auto", 15,
                 "--num_samples", 1, "--max_samples", 2, check=False)
    assert r.returncode == 2
    uuid = question_lists(1)[0][0]
    assert f"question {uuid} has 5 manual and" in r.stderr
    assert "--allow_short_pools" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    got = table(generate(tmp_path, "--method", "avg", "--num_manual", 0, "--num_auto", 15,
                         "--num_samples", 3, "--allow_short_pools", "--max_samples", 2))
    for (uuid, paras), row in zip(question_lists(2), got.itertuples()):
        assert len(row.paraphrase_indices) == 3
        assert all(5 <= i < len(paras) for i in row.paraphrase_indices)


@pytest.mark.parametrize("args,message", [
    (["--num_manual", "2", "--num_auto", "1", "--num_samples", "4"],
     "--num_samples (4) cannot exceed --num_manual + --num_auto (3)"),
    (["--num_manual", "-1"], "must be non-negative"),
    (["--pool_order", "first"], "--pool_order applies to paraphrase pools"),
    (["--synced_samples", "2", "--num_samples", "2"], "cannot be combined"),
    (["--pool_order", "random", "--num_samples", "2"], "--pool_order: unknown value 'random'"),
])
def test_bad_sizes_are_one_line_errors(tmp_path, args, message):
    r = generate(tmp_path, "--method", "avg", "--max_samples", 2, *args, check=False)
    assert r.returncode == 2, r.stderr
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_pools_need_templates(tmp_path):
    r = subprocess.run([CLI, "generate", "--quiet", "--model", TINY, "--dataset", "demo",
                        "--method", "avg", "--num_samples", "2", "--output-dir", str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert "data set 'demo' has no manual/auto templates" in r.stderr


def test_python_api_takes_the_grid_options(tmp_path):
    import selfens
    model = selfens.Model(TINY, device="cpu")
    opts = dict(method="avg", num_manual=2, num_auto=3, num_samples=4, seed=5, max_samples=4,
                max_new_tokens=2, data_dir=DATA, quiet=True)
    api = model.generate("myriadlama", **opts)
    cli = table(generate(tmp_path, "--method", "avg", "--num_manual", 2, "--num_auto", 3,
                         "--num_samples", 4, "--seed", 5, "--max_samples", 4))
    pd.testing.assert_frame_equal(comparable(api), comparable(cli))
    causal = model.generate("myriadlama", method="flex_attention", synced_samples=2,
                            num_paraphrases=2, paraphrase_attention="causal", max_samples=2,
                            max_new_tokens=2, data_dir=DATA, quiet=True)
    assert list(causal.sample_index) == [0, 1, 0, 1]
    m = selfens.mask("flex_attention", 3, paraphrase_attention="causal")
    q2 = [i for i, l in enumerate(m.labels) if l == "Q2"]
    q1 = [i for i, l in enumerate(m.labels) if l == "Q1"]
    assert m[q2[0], q1].all()  # Q2 sees Q1: no isolation
