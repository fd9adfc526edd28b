"""scripts/slurm/ on a real Slurm: a sharded sweep through a job array and
its merge job, and the same inside one allocation with srun job steps; the
merged files equal unsharded runs made here. Needs a running cluster
(tools/slurm/start_local_slurm.sh starts a single-node one; .ci/run does,
and sets SELFENS_REQUIRE_SLURM=1 so that a missing cluster fails the test
instead of skipping it)."""
import os
import shutil
import subprocess

import pandas as pd
import pytest

CLI = os.path.abspath(os.environ.get("SELFENS_CLI", "build/selfens"))
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TINY = os.path.join(ROOT, "tests", "fixtures", "models", "tiny-llama3")


def cluster_up():
    if not shutil.which("sinfo"):
        return False
    r = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    return r.returncode == 0 and any(s in r.stdout for s in ("idle", "mix", "alloc"))


pytestmark = pytest.mark.skipif(
    not cluster_up() and os.environ.get("SELFENS_REQUIRE_SLURM") != "1",
    reason="no Slurm cluster (tools/slurm/start_local_slurm.sh starts one)")

GENERATE = ["--max_samples", "6", "--max_new_tokens", "2"]


def unsharded(tmp_path, method, n=None):
    args = [CLI, "generate", "--quiet", "--model", TINY, "--method", method, *GENERATE,
            "--output-dir", str(tmp_path / "whole")]
    if n:
        args += ["--num_paraphrases", str(n)]
    r = subprocess.run(args, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return pd.read_feather(r.stdout.strip())


def test_cluster_is_up():
    assert cluster_up(), "SELFENS_REQUIRE_SLURM=1 but sinfo shows no usable node"


def test_job_array_sweep_merges_into_the_unsharded_files(tmp_path):
    out = tmp_path / "sweep"
    r = subprocess.run([os.path.join(ROOT, "scripts", "slurm", "sweep.sh"), "--models", TINY,
                        "--methods", "origin flex_attention", "--n", "2 3", "--shards", "2",
                        "--dataset", "demo", "--output-dir", str(out), "--wait", "--", *GENERATE],
                       capture_output=True, text=True, env={**os.environ, "SELFENS": CLI},
                       timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    folder = out / "demo" / "tiny-llama3"
    for name, method, n in (("origin", "origin", None), ("flex_attention-2", "flex_attention", 2),
                            ("flex_attention-3", "flex_attention", 3)):
        merged = pd.read_feather(folder / f"{name}.feather")
        pd.testing.assert_frame_equal(merged, unsharded(tmp_path, method, n))


def test_srun_steps_in_one_allocation(tmp_path):
    out = tmp_path / "srun"
    out.mkdir()
    r = subprocess.run(["sbatch", "--wait", "-N1", "-n2", "-o", str(out / "job-%j.log"),
                        os.path.join(ROOT, "scripts", "slurm", "sweep_srun.sh"), "--models", TINY,
                        "--methods", "per_prompt", "--shards", "3", "--dataset", "demo",
                        "--output-dir", str(out), "--", *GENERATE, "--num_paraphrases", "2"],
                       capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "SELFENS": CLI}, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr + "".join(p.read_text() for p in out.glob("*.log"))
    merged = pd.read_feather(out / "demo" / "tiny-llama3" / "per_prompt.feather")
    pd.testing.assert_frame_equal(merged, unsharded(tmp_path, "per_prompt", 2))


def test_a_failing_shard_cancels_the_merge(tmp_path):
    r = subprocess.run([os.path.join(ROOT, "scripts", "slurm", "sweep.sh"), "--models", TINY,
                        "--methods", "flex_attention", "--n", "2", "--shards", "2", "--dataset",
                        "no-such-set", "--output-dir", str(tmp_path / "bad"), "--wait", "--",
                        *GENERATE], capture_output=True, text=True,
                       env={**os.environ, "SELFENS": CLI}, timeout=600)
    assert r.returncode != 0
    assert "did not complete" in r.stderr
