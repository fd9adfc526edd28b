"""`selfens analyze`'s paraphrase figures (per-paraphrase accuracy, oracle
curves, agreement, new and lost facts) and `--export`, checked against an
independent computation with pandas on the same files. The result files are
written here with pandas (Feather, the columns selfens writes), with
predictions chosen so that every figure has something to count."""
import itertools
import json
import os
import random
import subprocess

import pandas as pd
import pytest

import selfens

CLI = os.environ.get("SELFENS_CLI", "build/selfens")
N = 3
ANSWERS = ["Paris", "Rome", "Berlin", "Madrid", "Lisbon", "Vienna", "Oslo", "Athens"]


def write_results(folder):
    rng = random.Random(7)
    questions = [(f"q{i:03d}", ANSWERS[i % len(ANSWERS)]) for i in range(60)]
    wrong = ["London", "the city", "Prague"]
    guess = lambda gold: gold if rng.random() < 0.45 else rng.choice(wrong)
    rows = {"origin": [], "per_prompt": [], "ensemble_avg-3": [], "flex_attention-3": []}
    for uuid, gold in questions:
        answers = [gold, gold.lower()]
        paras = [f"Capital {k} of {uuid}?" for k in range(N)]
        preds = [guess(gold) for _ in range(N)]
        for k in range(N):
            rows["per_prompt"].append(dict(uuid=uuid, answers=answers, paraphrases=[paras[k]],
                                           prompts=[paras[k]], prediction=preds[k],
                                           generation=preds[k], paraphrase_index=k))
        rows["origin"].append(dict(uuid=uuid, answers=answers, paraphrases=paras[:1],
                                   prompts=paras[:1], prediction=preds[0], generation=preds[0]))
        for name in ("ensemble_avg-3", "flex_attention-3"):
            p = guess(gold)
            rows[name].append(dict(uuid=uuid, answers=answers, paraphrases=paras, prompts=paras,
                                   prediction=p, generation=p))
    conf = [dict(uuid=r["uuid"], paraphrase=r["paraphrases"][0],
                 greedy_lemma=selfens.lemmatize(r["prediction"]),
                 answer_lemmas=[selfens.lemmatize(a) for a in r["answers"]],
                 confidence=rng.choice([0.0, 0.2, 0.4, 0.6, 0.8, 1.0]))
            for r in rows["per_prompt"]]
    os.makedirs(folder, exist_ok=True)
    pd.DataFrame(conf).to_feather(os.path.join(folder, "confidence.feather"))
    for name, r in rows.items():
        pd.DataFrame(r).to_feather(os.path.join(folder, name + ".feather"))


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("analyses")
    write_results(os.path.join(root, "demo", "m"))
    export = os.path.join(root, "rows.feather")
    r = subprocess.run([CLI, "analyze", "--dataset", "demo", "--model", "m", "--output-dir",
                        str(root), "--json", "--export", export], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return root, json.loads(r.stdout), pd.read_feather(export)


def frames(root):
    folder = os.path.join(root, "demo", "m")
    read = lambda name: pd.read_feather(os.path.join(folder, name + ".feather"))
    pp = read("per_prompt")
    pp["right"] = [selfens.match(p, list(a)) for p, a in zip(pp.prediction, pp.answers)]
    pp["lemmas"] = [tuple(selfens.lemmatize(p)) for p in pp.prediction]
    fused = {}
    for name, label in (("ensemble_avg-3", "avg-3"), ("flex_attention-3", "flex_attention-3")):
        f = read(name)
        fused[label] = dict(zip(f.uuid, (selfens.match(p, list(a)) for p, a in zip(f.prediction, f.answers))))
    o = read("origin")
    origin = dict(zip(o.uuid, (selfens.match(p, list(a)) for p, a in zip(o.prediction, o.answers))))
    return pp, fused, origin


def test_per_paraphrase_oracle_and_gains(results):
    root, got, _ = results
    p = got["paraphrases"]
    assert p["present"] and p["n"] == N
    pp, fused, origin = frames(root)
    per_index = pp.groupby("paraphrase_index").right.mean()
    assert p["per_index"] == pytest.approx(list(per_index))
    assert p["mean"] == pytest.approx(per_index.mean())
    assert (p["min"], p["max"]) == pytest.approx((per_index.min(), per_index.max()))
    assert p["origin"] == pytest.approx(sum(origin.values()) / len(origin))
    table = pp.pivot(index="uuid", columns="paraphrase_index", values="right")
    for point in p["oracle"]:
        first = table[list(range(point["n"]))]
        assert point["any_right"] == pytest.approx(first.any(axis=1).mean())
        assert point["all_right"] == pytest.approx(first.all(axis=1).mean())
    for gain in p["gains"]:
        acc = sum(fused[gain["label"]].values()) / len(fused[gain["label"]])
        assert gain["accuracy"] == pytest.approx(acc)
        assert gain["over_mean"] == pytest.approx(acc - per_index.mean())
        assert gain["over_best"] == pytest.approx(acc - per_index.max())


def test_agreement_and_facts(results):
    root, got, _ = results
    p = got["paraphrases"]
    pp, fused, _ = frames(root)
    by_q = pp.sort_values("paraphrase_index").groupby("uuid")
    lemmas = by_q.lemmas.apply(list)
    largest = lemmas.apply(lambda ls: max(ls.count(x) for x in ls))
    assert p["consistency"] == pytest.approx((largest == N).mean())
    pairs = lambda ls: list(itertools.combinations(ls, 2))
    agree = lemmas.apply(lambda ls: sum(a == b for a, b in pairs(ls)) / len(pairs(ls)))
    assert p["pairwise_agreement"] == pytest.approx(agree.mean())

    def jaccard(a, b):
        a, b = set(a), set(b)
        return 0.0 if not a and not b else 1 - len(a & b) / len(a | b)
    dist = lemmas.apply(lambda ls: sum(jaccard(a, b) for a, b in pairs(ls)) / len(pairs(ls)))
    assert p["diversity"] == pytest.approx(dist.mean())
    rights = by_q.right.sum()
    for bucket in p["buckets"]:
        qs = largest[largest == bucket["agreeing"]].index
        assert bucket["questions"] == len(qs)
        assert bucket["single_accuracy"] == pytest.approx((rights[qs] / N).mean())
        for label, acc in bucket["fused"].items():
            assert acc == pytest.approx(sum(fused[label][q] for q in qs) / len(qs))
    for fact in p["facts"]:
        f = fused[fact["label"]]
        assert fact["new_facts"] == sum(f[q] and rights[q] == 0 for q in rights.index)
        assert fact["lost_facts"] == sum(not f[q] and 2 * rights[q] > N for q in rights.index)
    assert sum(f["new_facts"] + f["lost_facts"] for f in p["facts"]) > 0, "nothing was counted"


def test_calibration(results):
    root, got, _ = results
    c = got["calibration"]
    conf = pd.read_feather(os.path.join(root, "demo", "m", "confidence.feather"))
    conf["right"] = [any(_contains(list(g), list(a)) for a in ans)
                     for g, ans in zip(conf.greedy_lemma, conf.answer_lemmas)]
    conf["bin"] = (conf.confidence * 10).astype(int).clip(0, 9)
    assert c["present"] and c["rows"] == len(conf)
    assert c["accuracy"] == pytest.approx(conf.right.mean())
    ece = 0.0
    for b, part in conf.groupby("bin"):
        got_bin = c["bins"][b]
        assert got_bin["rows"] == len(part)
        assert got_bin["accuracy"] == pytest.approx(part.right.mean())
        assert got_bin["confidence"] == pytest.approx(part.confidence.mean())
        ece += len(part) / len(conf) * abs(part.right.mean() - part.confidence.mean())
    assert c["ece"] == pytest.approx(ece)
    assert 0 < conf.right.sum() < len(conf)


def _contains(pred, answer):
    """The original's partial match: the answer's lemmas as a contiguous run of the prediction's."""
    n = len(answer)
    return n > 0 and any(pred[i:i + n] == answer for i in range(len(pred) - n + 1))


def test_export_rows(results):
    root, _, rows = results
    pp, fused, origin = frames(root)
    assert sorted(rows.method.unique()) == ["avg-3", "flex_attention-3", "origin", "per_prompt"]
    assert len(rows) == len(pp) + 3 * len(origin)
    for label, truth in [("origin", origin)] + list(fused.items()):
        part = rows[rows.method == label]
        assert dict(zip(part.uuid, part.correct)) == truth
    row = rows[(rows.method == "avg-3")].iloc[0]
    want = list(pp[pp.uuid == row.uuid].sort_values("paraphrase_index").prediction)
    assert list(row.paraphrase_predictions) == want
    assert (rows[rows.method == "per_prompt"].paraphrase_index >= 0).all()


def test_missing_per_prompt_says_which_command(tmp_path):
    folder = tmp_path / "demo" / "m"
    write_results(str(folder))
    os.remove(folder / "per_prompt.feather")
    r = subprocess.run([CLI, "analyze", "--dataset", "demo", "--model", "m", "--output-dir",
                        str(tmp_path), "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    p = json.loads(r.stdout)["paraphrases"]
    assert not p["present"] and "--method per_prompt" in p["missing"]


def test_models_side_by_side(tmp_path):
    for model in ("m1", "m2"):
        write_results(str(tmp_path / "demo" / model))
    os.remove(tmp_path / "demo" / "m2" / "flex_attention-3.feather")
    run = lambda *extra: subprocess.run(
        [CLI, "analyze", "--dataset", "demo", "--model", "m1,m2", "--output-dir", str(tmp_path), *extra],
        capture_output=True, text=True)
    r = run("--json", "--html", str(tmp_path / "models.html"))
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert [m["model"] for m in got["models"]] == ["m1", "m2"]
    for report in got["models"]:
        for row in report["comparison"]:
            if row["present"]:
                label = row["method"] + (f"-{row['n']}" if row["n"] else "")
                assert got["side_by_side"][label][report["model"]] == pytest.approx(row["accuracy"])
    assert got["side_by_side"]["flex_attention-3"]["m2"] is None
    assert 'id="models"' in (tmp_path / "models.html").read_text()
    text = run().stdout
    assert "2 models side by side" in text and "m2" in text


def test_pool_grid_and_synced_samples(tmp_path):
    """The original's grid: pool files scored on the questions they all
    answer, synced-sample files over all their rows and by sample index."""
    folder = tmp_path / "myriadlama" / "m"
    os.makedirs(folder)
    rng = random.Random(11)
    questions = [(f"q{i:03d}", ANSWERS[i % len(ANSWERS)]) for i in range(40)]
    pools = {"ensemble_avg-m1a0s1": 40, "ensemble_avg-m5a5s3": 40, "ensemble_avg-m5a5s2": 30,
             "flex_attention-m5a5s3": 40, "ensemble_max-m0a15s3": 40}
    for name, count in pools.items():
        rows = []
        for uuid, gold in questions[:count]:
            p = gold if rng.random() < 0.5 else "London"
            rows.append(dict(uuid=uuid, answers=[gold], paraphrases=["x"], prompts=["x"],
                             paraphrase_indices=[0], prediction=p, generation=p))
        pd.DataFrame(rows).to_feather(folder / f"{name}.feather")
    synced = []
    for uuid, gold in questions[:20]:
        for k in range(3):
            p = gold if rng.random() < 0.6 else "Prague"
            synced.append(dict(uuid=uuid, sample_index=k, answers=[gold], paraphrases=["a", "b"],
                               prompts=["a", "b"], paraphrase_indices=[0, 1], prediction=p,
                               generation=p))
    pd.DataFrame(synced).to_feather(folder / "syncedsample_ensemble_avg-2paras-3samples.feather")
    html = tmp_path / "grid.html"
    r = subprocess.run([CLI, "analyze", "--dataset", "myriadlama", "--model", "m", "--output-dir",
                        str(tmp_path), "--json", "--html", str(html)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)["pools"]

    frames = {n: pd.read_feather(folder / f"{n}.feather") for n in pools}
    shared = set.intersection(*(set(f.uuid) for f in frames.values()))
    assert got["shared_questions"] == len(shared) == 30 and got["mismatched_sets"]
    labels = {c["file"][:-len(".feather")]: c for c in got["pools"]}
    assert set(labels) == set(pools)
    for name, f in frames.items():
        f = f[f.uuid.isin(shared)]
        right = [selfens.match(p, list(a)) for p, a in zip(f.prediction, f.answers)]
        assert labels[name]["questions"] == len(f)
        assert labels[name]["accuracy"] == pytest.approx(sum(right) / len(right))
        assert labels[name]["own_questions"] == pools[name]
    assert [c["label"] for c in got["pools"]][:3] == ["avg-m1a0s1", "avg-m5a5s2", "avg-m5a5s3"]

    s = pd.DataFrame(synced)
    s["right"] = [selfens.match(p, list(a)) for p, a in zip(s.prediction, s.answers)]
    (row,) = got["synced"]
    assert (row["n"], row["samples"], row["rows"], row["questions"]) == (2, 3, 60, 20)
    assert row["accuracy"] == pytest.approx(s.right.mean())
    assert row["by_sample"] == pytest.approx(list(s.groupby("sample_index").right.mean()))
    per_q = s.groupby("uuid").right.agg(["min", "max"])
    assert row["order_sensitive"] == int((per_q["min"] != per_q["max"]).sum())
    page = html.read_text()
    assert 'id="pools"' in page and 'id="pool-heat-0"' in page and 'id="synced"' in page
    assert "not run" not in page  # grid files alone: no empty method sections
    text = subprocess.run([CLI, "analyze", "--dataset", "myriadlama", "--model", "m", "--output-dir",
                           str(tmp_path)], capture_output=True, text=True).stdout
    assert "the original's grid" in text and "avg-m5a5s3" in text and "not run" not in text
