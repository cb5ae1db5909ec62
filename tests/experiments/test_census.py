"""Tests of the census study (Q&A seed 000: do ReLU networks end up with negative weights?)."""

from __future__ import annotations

import json

import pytest
import torch

from signnet.cli.main import main
from signnet.experiments.census import run as census
from signnet.experiments.census.run import FIGURES, SmallCNN, layer_stats, run_census, section_html


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("census")
    results = run_census(out, seed=0, quick=True, progress=False)
    return out, results


def test_results_json_has_required_keys(quick_run):
    out, results = quick_run
    data = json.loads((out / "results.json").read_text())
    assert data["seed"] == 0 and data["config"]["quick"] is True and "torch" in data["versions"]
    runs = data["runs"]
    assert len(runs) == len(census.variants()) == 20
    assert {r["model"] for r in runs} == {"cnn", "mlp", "dnn_plus"}
    for r in runs:
        for key in ("weight_decay", "activation", "centered", "final_negative_fraction", "sign_changed_fraction",
                    "test_accuracy", "history"):
            assert key in r, key
        assert list(r["final_negative_fraction"]) == r["layers"] and len(r["layers"]) == 3
        assert 0.0 <= r["test_accuracy"] <= 1.0
        n_epochs = data["config"]["epochs"]
        for name in r["layers"]:
            assert len(r["history"]["layers"][name]["negative_fraction"]) == n_epochs + 1  # epoch 0 = init
            assert r["history"]["layers"][name]["negative_fraction"][-1] == r["final_negative_fraction"][name]
    grid = {(r["architecture"], r["sign"], r["weight_decay"], r["activation"], r["centered"])
            for r in runs if r["init"] == "default"}
    assert len(grid) == 2 * 2 * 2 * 2 + 2  # the free grid and the two DNN+ twins


def test_dnn_plus_twin_exactly_nonnegative_and_free_nets_negative_after_first_layer(quick_run):
    _, results = quick_run
    twins = [r for r in results["runs"] if r["model"] == "dnn_plus"]
    assert len(twins) == 2
    for r in twins:
        for name in r["layers"]:
            assert all(f == 0.0 for f in r["history"]["layers"][name]["negative_fraction"])
    free = [r for r in results["runs"] if r["model"] != "dnn_plus"]
    for r in free:
        assert all(r["final_negative_fraction"][name] > 0 for name in r["layers"][1:]), r["label"]
    # the non-trivial case: every weight starts >= 0 and training alone creates negative weights after layer 1
    starts = [r for r in free if r["init"] == "nonneg"]
    assert len(starts) == 2
    for r in starts:
        assert all(r["initial_negative_fraction"][name] == 0.0 for name in r["layers"])
        assert all(r["final_negative_fraction"][name] > 0 for name in r["layers"][1:])
        assert all(r["sign_changed_fraction"][name] > 0 for name in r["layers"][1:])
    assert results["summary"]["claim_refuted"] is True
    assert results["summary"]["dnn_plus_max_negative_fraction"] == 0.0


def test_report_is_self_contained(quick_run, check_report):
    out, _ = quick_run
    check_report(out, FIGURES)
    sec = section_html(out)
    assert sec.startswith("<section") and sec.endswith("</section>") and "data:image/png;base64," in sec


def test_layer_stats_by_hand():
    stats = layer_stats(torch.tensor([[-2.0, -1.0, 0.0], [1.0, 3.0, 0.0]]))
    assert stats == pytest.approx({"negative_fraction": 2 / 6, "zero_fraction": 2 / 6, "positive_mean": 2.0,
                                   "negative_mean": -1.5})
    assert layer_stats(torch.ones(3))["negative_mean"] == 0.0


def test_cnn_shapes_and_dnn_plus_init():
    net = SmallCNN("relu", "nonneg")
    assert net(torch.rand(5, 64)).shape == (5, 10)
    assert all((layer.weight >= 0).all() for layer in census.signed_layers(net, "cnn").values())


def test_cli_bad_out_exits_2_with_one_line(tmp_path, capsys):
    bad = tmp_path / "a_file"
    bad.write_text("x")
    assert main(["census", "--quick", "--out", str(bad)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "existing file" in err
    assert main(["census", "--quick", "--seed", "-1", "--out", str(tmp_path / "x")]) == 2
    assert not (tmp_path / "x").exists()
