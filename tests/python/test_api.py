"""The Python API against the CLI: the same files and predictions, the CLI's
errors as InputError, Ctrl+C keeping the finished rows. Run by CTest
(Python.Api) with PYTHONPATH at the build's python/ folder; SELFENS_CLI is
the selfens binary of the same build."""
import os
import signal
import subprocess
import threading

import numpy as np
import pandas as pd
import pytest

import selfens

CLI = os.environ.get("SELFENS_CLI", "build/selfens")
MODEL = os.path.expanduser(os.environ.get(
    "SELFENS_TEST_MODEL", "~/.cache/selfens/models/SmolLM2-135M-Instruct.Q4_1.gguf"))
TINY = os.path.join(os.path.dirname(__file__), "..", "fixtures", "models", "tiny-llama3")


@pytest.fixture(scope="module")
def model():
    return selfens.Model(MODEL, device="cpu")


def cli(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True)


def test_generate_equals_the_cli_file(model, tmp_path):
    for method in ("origin", "avg", "flex_attention"):
        frame = model.generate("demo", method=method, num_paraphrases=3, max_samples=6,
                               output_dir=tmp_path / "py", quiet=True)
        r = cli("generate", "--model", MODEL, "--dataset", "demo", "--method", method,
                "--num_paraphrases", "3", "--max_samples", "6", "--device", "cpu",
                "--output-dir", str(tmp_path / "cli"), "--quiet")
        assert r.returncode == 0, r.stderr
        name = {"origin": "origin.feather", "avg": "ensemble_avg-3.feather",
                "flex_attention": "flex_attention-3.feather"}[method]
        ref = pd.read_feather(tmp_path / "cli" / "demo" / os.path.basename(MODEL)[:-5] / name)
        assert list(frame.columns) == list(ref.columns)
        assert frame["prediction"].tolist() == ref["prediction"].tolist(), method
        assert frame["generation"].tolist() == ref["generation"].tolist(), method
        assert frame.attrs["selfens"]["selfens.method"] == method


def test_a_call_resumes_and_skips_like_the_cli(model, tmp_path):
    first = model.generate("demo", method="origin", max_samples=3, output_dir=tmp_path, quiet=True)
    again = model.generate("demo", method="origin", max_samples=5, output_dir=tmp_path, quiet=True)
    assert len(first) == 3 and len(again) == 5
    assert again["prediction"].tolist()[:3] == first["prediction"].tolist()


def test_rows_as_a_dataframe_and_no_file_without_output_dir(model):
    rows = pd.DataFrame([
        {"uuid": "a", "question": "What is the capital of France?",
         "paraphrases": ["What is the capital of France?", "France's capital city is?"],
         "answers": ["Paris"]},
        {"uuid": "b", "question": "Who wrote Hamlet?",
         "paraphrases": ["Who wrote Hamlet?", "Hamlet was written by whom?"],
         "answers": ["Shakespeare", "William Shakespeare"]},
    ])
    frame = model.generate(rows, method="max", num_paraphrases=2, quiet=True)
    assert frame["uuid"].tolist() == ["a", "b"]
    assert frame.attrs["path"] is None


def test_bad_input_is_an_input_error_with_the_cli_message(model, tmp_path):
    with pytest.raises(selfens.InputError, match="unknown method 'median'"):
        model.generate("demo", method="median", quiet=True)
    with pytest.raises(ValueError, match="--max_samples"):
        model.generate("demo", method="origin", max_samples=0, quiet=True)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"uuid":"a","question":"Q?","answers":["x"]}\n{oops\n')
    with pytest.raises(selfens.InputError, match="bad.jsonl:2"):
        model.generate(str(bad), method="origin", quiet=True)
    with pytest.raises(selfens.InputError, match="no_such_model"):
        selfens.Model("no_such_model", device="cpu")
    assert not list(tmp_path.rglob("*.feather"))


def test_interrupt_keeps_finished_rows_and_resumes(model, tmp_path):
    seen = []

    def interrupt_after_first_checkpoint():
        # SIGINT to ourselves once a partial file is on disk, as Ctrl+C would.
        target = tmp_path / "demo" / "SmolLM2-135M-Instruct.Q4_1" / "origin.feather"
        for _ in range(30000):
            if target.exists():
                os.kill(os.getpid(), signal.SIGINT)
                seen.append(True)
                return
            threading.Event().wait(0.01)

    t = threading.Thread(target=interrupt_after_first_checkpoint)
    t.start()
    with pytest.raises(KeyboardInterrupt, match="keeps them"):
        model.generate("demo", method="origin", max_samples=60, batch_size=1,
                       checkpoint_questions=3, checkpoint_seconds=0, output_dir=tmp_path,
                       quiet=True)
    t.join()
    assert seen
    path = tmp_path / "demo" / "SmolLM2-135M-Instruct.Q4_1" / "origin.feather"
    partial = pd.read_feather(path)
    assert 3 <= len(partial) < 60
    full = model.generate("demo", method="origin", max_samples=60, output_dir=tmp_path, quiet=True)
    assert len(full) == 60
    assert full["prediction"].tolist()[:len(partial)] == partial["prediction"].tolist()
    # Python's own Ctrl+C handling is back after the job: a SIGINT now is a
    # KeyboardInterrupt in Python (with the C++ handler or SIG_DFL left
    # installed, it would be swallowed or end the process).
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        threading.Event().wait(2)


def test_analyze_matches_the_cli_json(model, tmp_path):
    for method in ("origin", "flex_attention"):
        model.generate("demo", method=method, num_paraphrases=3, max_samples=8,
                       output_dir=tmp_path, quiet=True)
    got = selfens.analyze(tmp_path, dataset="demo", model=MODEL)
    r = cli("analyze", "--dataset", "demo", "--model", MODEL, "--output-dir", str(tmp_path),
            "--json")
    assert r.returncode == 0, r.stderr
    import json
    assert got == json.loads(r.stdout)


def test_lemmatize_match_and_mask():
    assert selfens.match("the United States", ["United States of America", "USA"]) in (True, False)
    assert selfens.match("Paris", "Paris")
    assert not selfens.match("Rome", ["Paris"])
    assert selfens.lemmatize("The cats were running") == ["the", "cat", "be", "run"]
    m = selfens.mask("flex_attention", 3, question_lens=[2, 3, 2], prefix_len=2, generated_len=2)
    assert m.shape == (9, 9) and m.dtype == bool  # each Qi gives its cue token "A:" to G
    assert m.labels[:2] == ["P", "P"] and m.labels[-1] == "G"
    q1, q2 = m.labels.index("Q1"), m.labels.index("Q2")
    assert not m[q2, q1], "paraphrases are isolated during encoding"
    assert m[-1, q1] and m[-1, q2], "the generated tokens see every paraphrase"
    assert m[q1, q1 - 1] and not m[q1 - 1, q1], "causal: the prefix does not see Q1"
    with pytest.raises(selfens.InputError, match="unknown method"):
        selfens.mask("median", 3)


def test_the_api_notebook_runs_end_to_end(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    path = os.path.join(os.path.dirname(__file__), "..", "..", "notebooks", "python_api.ipynb")
    nb = nbformat.read(path, as_version=4)
    summary = tmp_path / "summary.json"
    env = {"SELFENS_NB_MODEL": MODEL, "SELFENS_NB_OUT": str(tmp_path), "SELFENS_NB_MAX_SAMPLES": "6",
           "SELFENS_NB_SUMMARY": str(summary)}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        nbclient.NotebookClient(nb, timeout=600, kernel_name="python3").execute()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    import json
    got = json.loads(summary.read_text())
    assert got["rows"] == {"origin": 6, "avg": 6, "flex_attention": 6}
    want = selfens.analyze(tmp_path, dataset="demo", model=MODEL, num_paraphrases=5)
    assert got["accuracy"] == {r["method"]: r["accuracy"] for r in want["comparison"] if r["present"]}
    assert any(o.get("output_type") == "display_data" and "image/png" in o.get("data", {})
               for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def test_progress_reaches_python_from_start_to_end(model, tmp_path):
    calls = []
    selfens._selfens.generate(model._m, ["--dataset", "demo", "--method", "origin",
                                         "--max_samples", "5", "--output_dir", str(tmp_path)],
                              lambda label, done, total, final: calls.append((done, total, final)))
    assert calls[0] == (0, 5, False), "the bar starts with the job (true rates)"
    assert calls[-1] == (5, 5, True)
    assert all(a[0] <= b[0] for a, b in zip(calls, calls[1:]))


def test_an_engine_kept_across_calls_reports_each_calls_own_counts(model):
    first = model.generate("demo", method="origin", max_samples=4, quiet=True)
    again = model.generate("demo", method="origin", max_samples=4, quiet=True)
    for key in ("selfens.forward_calls", "selfens.forwarded_tokens", "selfens.generated_tokens"):
        assert first.attrs["selfens"][key] == again.attrs["selfens"][key], key
    assert first["prediction"].tolist() == again["prediction"].tolist()
