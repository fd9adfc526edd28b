"""MyriadLAMA's default paraphrase order against CPython's own random: the
original's loader takes the manual templates, then
random.seed(uuid); random.sample(auto, k). selfens generate (tiny model,
first 40 questions) must ask exactly those first N paraphrases. The data is
read from the data folder ($SELFENS_DATA_DIR or ../shared/data)."""
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
N, K = 5, 40


@pytest.mark.skipif(not os.path.exists(os.path.join(DATA, "myriadlama", "test.jsonl")),
                    reason="no MyriadLAMA data folder")
def test_default_order_is_cpythons_draw(tmp_path):
    r = subprocess.run([CLI, "generate", "--quiet", "--model", TINY, "--dataset", "myriadlama",
                        "--data-dir", DATA, "--method", "avg", "--num_paraphrases", str(N),
                        "--max_samples", str(K), "--max_new_tokens", "2", "--output-dir",
                        str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    got = pd.read_feather(r.stdout.strip().splitlines()[-1])
    with open(os.path.join(DATA, "myriadlama", "test.jsonl"), encoding="utf-8") as f:
        records = [json.loads(line) for line, _ in zip(f, range(K))]
    changed = 0
    for rec, row in zip(records, got.itertuples()):
        random.seed(rec["uuid"])
        want = (rec["manual"] + random.sample(rec["auto"], len(rec["auto"])))[:N]
        assert row.uuid == rec["uuid"]
        assert list(row.paraphrases) == want
        changed += want != (rec["manual"] + rec["auto"])[:N]
    assert changed > 0, "no question among the first K has its order changed by the draw"
