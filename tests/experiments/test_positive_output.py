"""The positive-output study (Q&A seed 003): penalty, Lagrange multipliers and output transforms."""

from __future__ import annotations

import json
import math
import re

import pytest

from signnet.cli.main import main
from signnet.errors import SignnetError
from signnet.experiments.positive_output.run import (
    FIELDS, FIGURES, LAGRANGIANS, METHODS, PENALTIES, TOL, TRANSFORMS, make_data, run_positive_output, section_html,
)

EXPECTED = {"none", "penalty_0.1", "penalty_1", "penalty_10", "penalty_100", "lagrangian_slack",
            "lagrangian_inequality", "relu", "softplus", "exp"}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("positive_output")
    results = run_positive_output(out, seed=0, quick=True, progress=False)
    return out, results


def test_results_json_has_every_method_and_field(quick_run):
    out, results = quick_run
    on_disk = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert set(METHODS) == EXPECTED
    assert set(on_disk["methods"]) == EXPECTED
    for name, row in on_disk["methods"].items():
        assert set(row) == set(FIELDS), name
        assert all(isinstance(v, float) and math.isfinite(v) for v in row.values()), name
        assert 0.0 <= row["train_negative_fraction"] <= 1.0 and 0.0 <= row["test_negative_fraction"] <= 1.0
        assert row["test_mse"] >= 0.0 and row["seconds"] > 0.0
    assert on_disk["seed"] == 0 and on_disk["config"]["quick"] is True
    assert {"torch", "cooper-optim", "signnet"} <= set(on_disk["versions"])
    assert on_disk["methods"] == results["methods"]


def test_unconstrained_fit_predicts_negative_values(quick_run):
    _, results = quick_run
    none = results["methods"]["none"]
    assert none["train_negative_fraction"] > 0.1
    assert none["min_train_prediction"] < -TOL
    assert results["summary"]["zero_target_fraction_train"] > 0.4


def test_transforms_never_predict_a_negative_value(quick_run):
    _, results = quick_run
    for name in TRANSFORMS:
        row = results["methods"][name]
        assert row["train_negative_fraction"] == 0.0, name
        assert row["test_negative_fraction"] == 0.0, name
        assert row["min_train_prediction"] >= 0.0, name
        assert results["details"][name]["min_test_prediction"] >= 0.0, name


def test_larger_penalty_gives_fewer_negatives(quick_run):
    _, results = quick_run
    fractions = [results["methods"][p]["train_negative_fraction"] for p in PENALTIES]
    # alpha = 0.1, 1, 10, 100: the strongest penalty leaves the fewest negatives, and clearly fewer than the weakest
    assert fractions[-1] == min(fractions), fractions
    assert fractions[-1] < 0.5 * fractions[0] and fractions[2] < fractions[0], fractions
    assert results["summary"]["penalty_train_negative_fractions"] == dict(zip(PENALTIES, fractions))
    # the penalty encourages, it does not force: even alpha = 100 leaves some negative prediction
    assert results["methods"]["penalty_100"]["min_train_prediction"] < 0.0


def test_lagrangian_methods_end_feasible_but_were_violated_during_training(quick_run):
    _, results = quick_run
    for name in LAGRANGIANS:
        assert results["methods"][name]["min_train_prediction"] >= -TOL, name
        conv = results["details"][name]["convergence"]
        assert conv["largest_violation_during_training"] > TOL, name
        assert conv["max_violation"]["end"] <= TOL, name
        mult = results["details"][name]
        assert mult["final_multiplier_max"] > 0.0, name
    assert results["details"]["lagrangian_slack"]["formulation"].startswith("AugmentedLagrangian")
    assert results["details"]["lagrangian_inequality"]["formulation"] == "Lagrangian"


def test_relu_transform_reports_exact_zeros(quick_run):
    _, results = quick_run
    relu = results["details"]["relu"]
    assert relu["exact_zero_train_fraction"] > 0.0
    assert 0.0 <= relu["dead_train_fraction"] <= relu["exact_zero_train_fraction"]
    assert results["details"]["softplus"]["exact_zero_train_fraction"] < relu["exact_zero_train_fraction"]


def test_index_html_is_self_contained(quick_run, check_report):
    out, _ = quick_run
    page = check_report(out, FIGURES)
    for name in FIGURES:
        assert (out / name).stat().st_size > 1000
    assert not re.search(r'(src|href)="(?!data:|#)', page)
    for name in METHODS:
        assert name in page


def test_section_html_reads_back_from_the_folder(quick_run):
    out, _ = quick_run
    html = section_html(out)
    assert html.startswith("<section") and html.endswith("</section>")
    assert html.count("data:image/png;base64,") == len(FIGURES)
    assert "lagrangian_inequality" in html


def test_data_is_censored_and_split():
    data = make_data(50, 20, 0.1, seed=3)
    assert data["X_train"].shape == (50, 4) and data["X_test"].shape == (20, 4)
    assert float(data["y_train"].min()) == 0.0 and float(data["y_test"].min()) >= 0.0
    again = make_data(50, 20, 0.1, seed=3)
    assert bool((again["y_train"] == data["y_train"]).all())


def test_bad_seed_is_refused(tmp_path):
    with pytest.raises(SignnetError, match="seed"):
        run_positive_output(tmp_path / "x", seed=-1, quick=True, progress=False)


def test_cli_json(tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["positive-output", "--quick", "--out", str(out), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload["methods"]) == EXPECTED
    assert payload["report"] == str(out / "index.html")
    assert (out / "index.html").exists() and (out / "results.json").exists()


def test_cli_refuses_an_existing_file_as_out(tmp_path, capsys):
    target = tmp_path / "taken.txt"
    target.write_text("not a folder")
    assert main(["positive-output", "--quick", "--out", str(target)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "existing file" in err and "positive-output" in err
    assert target.read_text() == "not a folder"
