"""`--shard K/N` and `selfens merge`: the merged file of N shard runs holds
the same columns, row for row, as the unsharded run (generate: per_prompt,
a fused method, synced samples; confidence), a shard resumes as a single run
does, and merge refuses an incomplete set with one line and exit 2."""
import os
import subprocess

import pandas as pd
import pytest

CLI = os.environ.get("SELFENS_CLI", "build/selfens")
ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
TINY = os.path.join(ROOT, "tests", "fixtures", "models", "tiny-llama3")
DATA = os.environ.get("SELFENS_DATA_DIR", os.path.join(ROOT, "..", "shared", "data"))


def run(*args, check=True):
    r = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def sharded_equals_unsharded(tmp_path, command, args, n=3):
    for k in range(1, n + 1):
        run(command, *args, "--output-dir", tmp_path / "sharded", "--shard", f"{k}/{n}")
    merged = run("merge", "--quiet", tmp_path / "sharded" / args[args.index("--dataset") + 1]
                 / "tiny-llama3").stdout.split()
    whole = run(command, *args, "--output-dir", tmp_path / "whole").stdout.split()[-1]
    assert len(merged) == 1 and os.path.basename(merged[0]) == os.path.basename(whole)
    a, b = pd.read_feather(merged[0]), pd.read_feather(whole)
    pd.testing.assert_frame_equal(a, b)
    return a


@pytest.mark.parametrize("method", ["per_prompt", "flex_attention", "avg"])
def test_generate_shards_merge_into_the_unsharded_file(tmp_path, method):
    args = ["generate", "--quiet", "--model", TINY, "--dataset", "demo", "--method", method,
            "--num_paraphrases", 3, "--max_samples", 10, "--max_new_tokens", 3]
    df = sharded_equals_unsharded(tmp_path, args[0], args[1:])
    assert df.uuid.nunique() == 10


@pytest.mark.skipif(not os.path.exists(os.path.join(DATA, "myriadlama", "test.jsonl")),
                    reason="no MyriadLAMA data folder")
def test_synced_sample_shards(tmp_path):
    args = ["--quiet", "--model", TINY, "--dataset", "myriadlama", "--data-dir", DATA,
            "--method", "max", "--synced_samples", 2, "--num_paraphrases", 2, "--max_samples", 7,
            "--max_new_tokens", 2]
    df = sharded_equals_unsharded(tmp_path, "generate", args, n=2)
    assert len(df) == 14


def test_confidence_shards(tmp_path):
    args = ["--quiet", "--model", TINY, "--dataset", "demo", "--max_samples", 5,
            "--num_samples", 3, "--max_new_tokens", 3, "--num_paraphrases", 2]
    sharded_equals_unsharded(tmp_path, "confidence", args, n=2)


def test_incomplete_set_is_refused_and_a_shard_resumes(tmp_path):
    args = ["generate", "--quiet", "--model", TINY, "--method", "origin", "--max_new_tokens", 2,
            "--output-dir", tmp_path]
    run(*args, "--max_samples", 6, "--shard", "1/2")
    r = run("merge", tmp_path / "demo" / "tiny-llama3" / "origin.feather", check=False)
    assert r.returncode == 2
    assert "shard 2 of 2 is missing" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    run(*args, "--max_samples", 3, "--shard", "2/2")   # one question of shard 2 ...
    run(*args, "--max_samples", 6, "--shard", "2/2")   # ... then the rest: resumed
    r = run("merge", tmp_path / "demo" / "tiny-llama3" / "origin.feather", check=False)
    assert r.returncode == 0, r.stderr
    whole = run("generate", "--quiet", "--model", TINY, "--method", "origin", "--max_new_tokens", 2,
                "--output-dir", tmp_path / "whole", "--max_samples", 6).stdout.strip()
    pd.testing.assert_frame_equal(pd.read_feather(r.stdout.strip()), pd.read_feather(whole))
    assert run("merge", tmp_path / "demo" / "tiny-llama3", check=False).returncode == 2  # exists


@pytest.mark.parametrize("method", ["per_prompt", "avg", "flex_attention"])
def test_devices_deal_questions_and_keep_the_rows(tmp_path, method):
    """--devices: one engine per entry (on the CPU, engines sharing the
    cores), questions dealt out; the file equals the one-engine file."""
    args = ["generate", "--quiet", "--model", TINY, "--method", method, "--num_paraphrases", 3,
            "--max_samples", 9, "--max_new_tokens", 3, "--device", "cpu", "--margins"]
    one = run(*args, "--output-dir", tmp_path / "one").stdout.strip()
    three = run(*args, "--output-dir", tmp_path / "three", "--devices", "0,0,0").stdout.strip()
    a, b = pd.read_feather(one), pd.read_feather(three)
    # Margins are float gaps: the batch an engine forms changes the summation
    # order (1e-5), as --batch_size does on one engine; the rows are the same.
    pd.testing.assert_frame_equal(a.drop(columns="margin"), b.drop(columns="margin"))
    assert (a.margin - b.margin).abs().max() < 1e-4
    r = run(*args, "--output-dir", tmp_path / "bad", "--devices", "x", check=False)
    assert r.returncode == 2 and "--devices" in r.stderr


@pytest.mark.parametrize("method", ["per_prompt", "flex_attention"])
def test_split_layers_writes_the_one_backend_file(tmp_path, method):
    """--split layers --devices 0,0: one model copy whose layers are held by
    two backends (on the CPU, sharing the cores), the residual stream passed
    between them: the same ops in the same order, so the same file, margins
    included."""
    args = ["generate", "--quiet", "--model", TINY, "--method", method, "--num_paraphrases", 3,
            "--max_samples", 6, "--max_new_tokens", 3, "--device", "cpu", "--margins"]
    one = run(*args, "--output-dir", tmp_path / "one").stdout.strip()
    r = run(*args, "--output-dir", tmp_path / "split", "--split", "layers", "--devices", "0,0")
    pd.testing.assert_frame_equal(pd.read_feather(one), pd.read_feather(r.stdout.strip()))
    bad = run(*args, "--output-dir", tmp_path / "bad", "--split", "rows", check=False)
    assert bad.returncode == 2 and "--split: expected layers or none, got 'rows'" in bad.stderr
    many = run(*args, "--output-dir", tmp_path / "bad", "--split", "layers", "--devices",
               ",".join(["0"] * 9), check=False)
    assert many.returncode == 2 and "cannot be split over 9 devices" in many.stderr


def test_weighted_run_names_the_merge_its_confidence_shards_need(tmp_path):
    run("confidence", "--quiet", "--model", TINY, "--max_samples", 2, "--num_samples", 2,
        "--max_new_tokens", 2, "--output-dir", tmp_path, "--shard", "1/2")
    r = run("generate", "--quiet", "--model", TINY, "--method", "weighted_avg", "--max_samples", 2,
            "--output-dir", tmp_path, check=False)
    assert r.returncode == 2
    assert "its shards are there: run `selfens merge" in r.stderr
