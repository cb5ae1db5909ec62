"""The monotone benchmark (signnet benchmark): protocol, audit, ceiling, verdicts, report, bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from signnet import load_tabular, monotone_ceiling
from signnet.cli.main import main
from signnet.experiments.benchmark import models as bench_models
from signnet.experiments.benchmark.models import MODELS, ModelSpec
from signnet.experiments.benchmark.protocol import ceiling_of, run_model, sampled_violations, split_indices, witness
from signnet.experiments.benchmark.run import compute_benchmark, paired_difference, parse_datasets
from signnet.experiments.registry import get
from signnet.experiments.results import check_verdict_dict


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """One small data set, one split, 30 epochs, through the command line."""
    out = tmp_path_factory.mktemp("bench") / "report"
    argv = ["benchmark", "--out", str(out), "--quick", "--datasets", "heart", "--splits", "1", "--seed", "3", "--json"]
    assert main(argv) == 0
    return out, json.loads((out / "results.json").read_text())


def test_a_tiny_run_writes_results_html_and_figures(tiny):
    out, r = tiny
    assert sorted(p.name for p in out.iterdir()) == [".signnet-output", "index.html", "pd_heart.png", "results.json"]
    assert (out / "pd_heart.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    html = (out / "index.html").read_text()
    assert "data:image/png;base64," in html and "Monotone models on real tabular data" in html
    assert r["study"] == "benchmark" and r["seed"] == 3 and r["splits"] == 1
    ds = r["datasets"]["heart"]
    assert ds["rows"] == 303 and ds["n_fit"] + ds["n_val"] + ds["n_test"] == 303
    assert ds["val_test_overlap"] == 0 and len(ds["ceiling"]) == 1 and 0 < ds["ceiling"][0] <= 1
    hgb, free = ds["models"]["hgb_monotone"], ds["models"]["mlp_free"]
    assert hgb["available"] and hgb["violations_total"] == 0 and 0 < hgb["pairs"][0] <= 500
    assert 0.5 < hgb["metric_mean"] <= 1 and hgb["metric_std"] == 0.0 and hgb["parameters"] > 0
    assert free["parameters"] == 17 * 32 + 32 + 32 * 32 + 32 + 32 + 1  # the same widths (32, 32), one output
    assert all(m["available"] or m["note"].startswith("skipped: ") for m in ds["models"].values())
    assert hgb["witnesses"] == [0] and hgb["witnesses_total"] == 0 and hgb["witness_gap_max"] is None
    assert r["config"]["witness_search"] == {"n_starts": 16, "steps": 100}
    assert "find_violation witnesses / splits" in html
    sig = ds["models"]["signnet"]
    if sig["available"]:  # the split-by-split difference is stored and shown
        assert ds["paired"]["diffs"] == pytest.approx([sig["metric"][0] - hgb["metric"][0]])
        assert "Split by split, signnet minus HGB monotone" in html


def test_a_results_json_from_before_the_paired_comparison_still_renders(tiny):
    from signnet.experiments.benchmark.report import html_section

    out, r = tiny
    old = {**r, "datasets": {k: {f: v for f, v in ds.items() if f != "paired"} for k, ds in r["datasets"].items()}}
    html = html_section(old, out)
    assert "Split by split" not in html and "heart" in html


def test_stored_verdicts_recompute_from_their_numbers(tiny):
    _, r = tiny
    assert r["checks"] and {v["key"] for v in r["checks"]} >= {"heart.no_violations.hgb_monotone",
                                                              "heart.below_ceiling.hgb_monotone",
                                                              "heart.no_witness.hgb_monotone"}
    for v in r["checks"]:
        check_verdict_dict(v)
    assert r["summary"] == {v["key"]: {"holds": True, "fails": False}.get(v["status"]) for v in r["checks"]}


@pytest.mark.parametrize("name, seed", [("heart", 0), ("auto_mpg", 5), ("compas", 1)])
def test_validation_rows_never_touch_the_test_rows(name, seed):
    data = load_tabular(name)
    for split in range(3):
        fit, val, test = split_indices(data.y, data.task, seed=seed, split=split)
        assert np.intersect1d(val, test).size == 0 and np.intersect1d(fit, test).size == 0
        assert np.intersect1d(fit, val).size == 0
        assert np.array_equal(np.sort(np.concatenate([fit, val, test])), np.arange(len(data.y)))
        assert len(test) == pytest.approx(0.2 * len(data.y), abs=1)
        again = split_indices(data.y, data.task, seed=seed, split=split)
        assert all(np.array_equal(a, b) for a, b in zip((fit, val, test), again, strict=True))
    other = split_indices(data.y, data.task, seed=seed, split=1)[2]
    assert not np.array_equal(other, split_indices(data.y, data.task, seed=seed, split=0)[2])
    if data.task == "binary":  # stratified: every part holds the overall share of 1s, to a row
        for part in split_indices(data.y, data.task, seed=seed, split=0):
            assert abs(data.y[part].mean() - data.y.mean()) < 2 / len(part) + 1e-9


def test_the_ceiling_is_the_sum_of_per_group_ceilings_with_decreasing_columns_flipped():
    data = load_tabular("auto_mpg")  # a regression set: label 'mpg above its median' as a binary problem
    X, y, cst = data.X.to_numpy(), (data.y > np.median(data.y)).astype(int), data.cst
    whole = ceiling_of(X, y, cst)
    free = X[:, cst == 0]
    _, group = np.unique(free, axis=0, return_inverse=True)
    right = 0
    for g in np.unique(group):
        rows = group.ravel() == g
        flipped = X[rows][:, cst != 0] * cst[cst != 0]  # -1 columns flipped: every direction +1
        right += monotone_ceiling(flipped, y[rows], method="dense").accuracy * rows.sum()
    assert whole == pytest.approx(right / len(y), abs=1e-12)
    assert whole < 1  # mpg above the median is not monotone in (weight, displacement, horsepower) within groups


class _Linear:
    """A stub estimator: P(y = 1) = sigmoid(0.05 * sign * cst . x), monotone (sign +1) or anti-monotone (-1)."""

    def __init__(self, cst, sign):
        self.w, self.classes_ = 0.05 * sign * np.asarray(cst, float), np.array([0, 1])  # small: no saturation

    def fit(self, X, y, *args, **kwargs):
        return self

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-(X @ self.w)))
        return np.stack([1 - p, p], axis=1)

    def predict(self, X):
        return (X @ self.w > 0).astype(int)


def _stub(sign: int) -> ModelSpec:
    return ModelSpec("stub", "stub", True, lambda task, cst, seed, max_epochs: _Linear(cst, sign),
                     lambda est, *a: est, "none")


def test_the_audit_counts_every_sampled_pair_of_an_anti_monotone_model_and_none_of_a_monotone_one():
    data = load_tabular("compas")
    X = data.X.to_numpy()
    assert sampled_violations(_Linear(data.cst, 1), X, data.cst, n_pairs=400, seed=0) == 0
    assert sampled_violations(_Linear(data.cst, -1), X, data.cst, n_pairs=400, seed=0) == 400


def test_a_stub_signnet_model_gets_its_verdicts(monkeypatch):
    monkeypatch.setitem(MODELS, "signnet", _stub(-1))  # declared monotone, but decreasing: the audit must say so
    results, plots = compute_benchmark(0, True, datasets=("heart",), splits=1, models=("signnet", "hgb_monotone"))
    checks = {v.key: v for v in results.checks}
    assert checks["heart.no_violations.signnet"].status == "fails"
    stub = results.datasets["heart"].models["signnet"]
    assert checks["heart.no_violations.signnet"].comparisons[0].left_value == stub.violations_total
    assert 0.5 * sum(stub.pairs) < stub.violations_total <= sum(stub.pairs)  # pairs with x == x' cannot violate
    assert checks["heart.signnet_vs_hgb"].comparisons[0].right_value == results.datasets["heart"].models[
        "hgb_monotone"].metric_mean
    assert set(plots["heart"][0]) == {"signnet", "hgb_monotone"}
    assert stub.witnesses == [1] and stub.witnesses_total == 1 and stub.witness_gap_max > 0
    assert checks["heart.no_witness.signnet"].status == "fails"
    assert checks["heart.no_witness.signnet"].comparisons[0].left_value == 1
    hgb = results.datasets["heart"].models["hgb_monotone"]
    assert hgb.witnesses == [0] and checks["heart.no_witness.hgb_monotone"].status == "holds"
    paired = results.datasets["heart"].paired  # one split: the difference, no interval
    assert paired["diffs"] == [stub.metric[0] - hgb.metric[0]] and paired["ci95"] is None and paired["splits"] == 1
    ds = results.datasets["heart"]
    assert paired["test_to_train"] == ds.n_test / (ds.n_fit + ds.n_val)
    assert paired["signnet_better"] == int(stub.metric[0] > hgb.metric[0])
    assert "signnet better on" in checks["heart.signnet_vs_hgb"].note


@pytest.mark.parametrize("higher", [True, False])
def test_the_paired_difference_matches_scipys_paired_t_test(higher):
    from scipy import stats

    a, b = [2.9, 2.7, 2.95, 2.8], [2.75, 2.72, 2.7, 2.78]
    plain = paired_difference(a, b, higher, 0.0)  # no correction: scipy's paired t interval
    assert plain["diffs"] == pytest.approx([0.15, -0.02, 0.25, 0.02]) and plain["mean"] == pytest.approx(0.1)
    ci = stats.ttest_rel(a, b).confidence_interval(0.95)
    assert plain["ci95"] == pytest.approx([ci.low, ci.high], rel=1e-12)
    assert plain["signnet_better"] == (3 if higher else 1) and plain["splits"] == 4
    p = paired_difference(a, b, higher, 0.25)  # Nadeau & Bengio: the half-width grows by sqrt((1/4 + 0.25) / (1/4))
    half = (ci.high - ci.low) / 2 * np.sqrt(2.0)
    assert p["ci95"] == pytest.approx([0.1 - half, 0.1 + half], rel=1e-12) and p["test_to_train"] == 0.25
    assert paired_difference([1.0], [0.5], higher, 0.25)["ci95"] is None


def test_the_paired_interval_decides_the_verdicts_words():
    from signnet.experiments.benchmark.verdicts import _paired_note

    class Ds:
        paired = {"mean": 0.1, "ci95": [-0.05, 0.25], "signnet_better": 1, "splits": 3}

    assert "do not tell the two apart" in _paired_note(Ds)
    Ds.paired = {**Ds.paired, "ci95": [0.02, 0.18]}
    assert "excluding 0" in _paired_note(Ds)
    Ds.paired = None
    assert _paired_note(Ds) == ""


@pytest.mark.parametrize("sign", [1, -1])
def test_find_violation_finds_a_witness_against_a_decreasing_stub_and_none_against_an_increasing_one(sign):
    data = load_tabular("compas")
    X = data.X.to_numpy()[:2000]
    stub = _Linear(data.cst, sign)
    gap = witness(stub, X, data.cst, n_starts=16, steps=100, seed=0)
    if sign > 0:
        assert gap is None
    else:  # F = sigmoid(w . x): no two points of the box differ by more than its range over the box
        z = np.maximum(stub.w * X.min(axis=0), stub.w * X.max(axis=0)).sum()
        z_low = np.minimum(stub.w * X.min(axis=0), stub.w * X.max(axis=0)).sum()
        assert 0 < gap <= 1 / (1 + np.exp(-z)) - 1 / (1 + np.exp(-z_low))


def test_a_missing_package_is_a_note_not_a_failure(monkeypatch):
    def missing(task, cst, seed, max_epochs):
        raise bench_models.Unavailable("monotonicnetworks is not installed (pip install signnet[peers])")

    monkeypatch.setitem(MODELS, "lmn", ModelSpec("lmn", "LMN", True, missing, lambda *a: None, "none"))
    results, _ = compute_benchmark(0, True, datasets=("heart",), splits=1, models=("lmn",))
    lmn = results.datasets["heart"].models["lmn"]
    assert not lmn.available and lmn.note == "skipped: monotonicnetworks is not installed (pip install signnet[peers])"
    assert lmn.metric == [] and results.checks == []


def test_hgb_scores_what_sklearn_scores_alone():
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.preprocessing import StandardScaler

    data = load_tabular("auto_mpg")
    X, y = data.X.to_numpy(), data.y
    rows = split_indices(y, "regression", seed=0, split=0)
    run = run_model("hgb_monotone", "regression", data.cst, X, y, rows, seed=0, split=0, max_epochs=None, n_pairs=50)
    fit, val, test = rows
    scaler = StandardScaler().fit(X[fit])
    est = run.fitted[1]
    ref = HistGradientBoostingRegressor(monotonic_cst=list(data.cst), early_stopping=True,
                                        random_state=est.random_state)
    ref.fit(scaler.transform(X[fit]), y[fit], X_val=scaler.transform(X[val]), y_val=y[val])
    rmse = np.sqrt(np.mean((ref.predict(scaler.transform(X[test])) - y[test]) ** 2))
    assert run.metric == pytest.approx(rmse, rel=1e-12) and run.violations == 0


def test_the_benchmark_is_not_part_of_reproduce_all():
    assert get("benchmark").in_all is False and get("zigzag").in_all is True


# ------------------------------------------------------------------ bad input
BAD = [
    (["--datasets", "mnist"], r"--datasets: unknown data set 'mnist'; choose from: auto_mpg, diabetes, breast_cancer, "
                              r"compas, adult, heart\."),
    (["--datasets", ""], r"--datasets '' must be comma-separated names, e\.g\. auto_mpg,heart; choose from: .*\."),
    (["--datasets", "heart,,compas"], r"--datasets 'heart,,compas' must be comma-separated names, .*\."),
    (["--datasets", "heart,heart"], r"--datasets 'heart,heart' names a data set twice; give each once\."),
    (["--splits", "0"], r"--splits must be an integer >= 1, got 0\."),
    (["--splits", "two"], r"argument --splits: invalid int value: 'two'; see `signnet benchmark --help`\."),
    (["--seed", "-1"], r"--seed must be an integer in 0\.\.4294967295, got -1\."),
]


def _snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize("args, message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_and_writes_nothing(args, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    before = _snapshot(tmp_path)
    assert main(["benchmark", "--out", "rep", *args]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].split(": error: ", 1)[0] in ("signnet benchmark", "signnet")
    assert __import__("re").fullmatch(message, err[0].split(": error: ", 1)[1]), err[0]
    assert _snapshot(tmp_path) == before


def test_parse_datasets():
    assert parse_datasets("heart, compas") == ("heart", "compas")


@pytest.mark.slow
def test_the_full_benchmark(tmp_path):
    """The default run (all six data sets, 3 splits); its verdicts recompute and the guaranteed models never violate."""
    out = tmp_path / "full"
    assert main(["benchmark", "--out", str(out), "--json"]) == 0
    r = json.loads((out / "results.json").read_text())
    assert set(r["datasets"]) == {"auto_mpg", "diabetes", "breast_cancer", "compas", "adult", "heart"}
    for v in r["checks"]:
        check_verdict_dict(v)
    for ds in r["datasets"].values():
        assert ds["val_test_overlap"] == 0
        assert ds["models"]["hgb_monotone"]["violations_total"] == 0
    assert os.path.getsize(out / "index.html") > 0
