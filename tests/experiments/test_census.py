"""Tests of the census study (Q&A seed 000: do ReLU networks end up with negative weights?)."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
import torch
from markupsafe import escape

from signnet.cli.main import main
from signnet.experiments.census import run as census
from signnet.experiments.census.results import FIGURES, CensusConfig, CensusResults, CensusSummary
from signnet.experiments.census.run import (
    SmallCNN,
    StepFlipCounter,
    layer_stats,
    section_html,
    strict_sign_flips,
    train_census_run,
)
from signnet.experiments.census.verdicts import census_verdicts, claim_refuted
from signnet.experiments.results import check_verdict_dict, schema_lines

PROVENANCE = {"versions", "platform", "argv"}  # added by run_metadata; config and seed are dataclass fields too


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One ``signnet census --quick`` run through the CLI: its folder, stdout and results.json."""
    out = tmp_path_factory.mktemp("census")
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["census", "--quick", "--out", str(out), "--seed", "0"]) == 0
    return out, buf.getvalue(), json.loads((out / "results.json").read_text())


def test_results_json_has_required_keys(quick_run):
    out, _, data = quick_run
    assert data["seed"] == 0 and data["config"]["quick"] is True and "torch" in data["versions"]
    assert data["config"]["optimizer"] == "adam" and "coupled L2" in data["config"]["weight_decay_form"]
    runs = data["runs"]
    assert len(runs) == len(census.variants()) == 20
    assert {r["model"] for r in runs} == {"cnn", "mlp", "dnn_plus"}
    for r in runs:
        assert list(r["final_negative_fraction"]) == r["layers"] and len(r["layers"]) == 3
        assert 0.0 <= r["test_accuracy"] <= 1.0
        n_epochs = data["config"]["epochs"]
        assert r["steps"] == n_epochs * -(-data["config"]["n_train"] // data["config"]["batch_size"])
        for name in r["layers"]:
            assert len(r["history"]["layers"][name]["negative_fraction"]) == n_epochs + 1  # epoch 0 = init
            assert r["history"]["layers"][name]["negative_fraction"][-1] == r["final_negative_fraction"][name]
            assert 0 <= r["step_sign_flips"][name] <= r["n_weights"][name] * r["steps"]
    grid = {(r["architecture"], r["sign"], r["weight_decay"], r["activation"], r["centered"])
            for r in runs if r["init"] == "default"}
    assert len(grid) == 2 * 2 * 2 * 2 + 2  # the free grid and the two DNN+ twins


def test_schema_matches_results_json(quick_run):
    """The schema from the dataclasses (``schema_lines``) is exactly the set of keys written to results.json."""
    _, _, data = quick_run
    schema = dict(schema_lines(CensusResults))
    assert all(schema.values()), [k for k, v in schema.items() if not v]  # every field is described
    seen = set()

    def walk(obj, prefix):
        for key, value in obj.items():
            path = f"{prefix}{key}"
            assert path in schema, f"results.json has {path!r}, the schema does not"
            seen.add(path)
            if any(k.startswith(path + ".<key>.") for k in schema):
                for inner in value.values():
                    walk(inner, path + ".<key>.")
            elif any(k.startswith(path + "[].") for k in schema):
                for inner in value:
                    walk(inner, path + "[].")
            elif any(k.startswith(path + ".") for k in schema):
                walk(value, path + ".")

    assert PROVENANCE <= data.keys()
    walk({k: v for k, v in data.items() if k not in PROVENANCE}, "")
    assert seen == set(schema), f"in the schema, not in results.json: {sorted(set(schema) - seen)}"


def test_every_verdict_agrees_with_its_numbers_and_is_shown(quick_run):
    out, stdout, data = quick_run
    page = (out / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td>(.*?)</tr>", page, flags=re.S)
    assert len(data["verdicts"]) == 5
    for v in data["verdicts"]:
        check_verdict_dict(v)
        row = [r for r in rows if r.startswith(str(escape(v["claim"])))]
        assert len(row) == 1, v["key"]
        assert f'<span class="{v["status"]}">{v["status"]}</span>' in row[0]
        assert str(escape(v["evidence"])) in row[0]
        assert f"{v['key'].removeprefix('census.')} {v['status']}" in stdout


def test_quick_run_verdicts_are_inconclusive_not_green(quick_run):
    """2 epochs on 300 images do not train the networks: every claim about training is inconclusive."""
    out, stdout, data = quick_run
    status = {v["key"]: v["status"] for v in data["verdicts"]}
    assert max(data["summary"]["min_test_accuracy"].values()) < data["config"]["trained_accuracy"]
    for v in data["verdicts"]:
        assert status[v["key"]] == ("inconclusive" if v["kind"] == "training" else "holds"), v["key"]
    assert data["summary"]["claim_refuted"] is None and "claim not decided" in stdout
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "never flips" not in page and "not a multiplication" in page


def test_dnn_plus_twin_exactly_nonnegative_and_free_nets_negative_after_first_layer(quick_run):
    _, _, data = quick_run
    twins = [r for r in data["runs"] if r["model"] == "dnn_plus"]
    assert len(twins) == 2
    for r in twins:
        for name in r["layers"]:
            assert all(f == 0.0 for f in r["history"]["layers"][name]["negative_fraction"])
            assert r["step_sign_flips"][name] == 0
    free = [r for r in data["runs"] if r["model"] != "dnn_plus"]
    for r in free:
        assert all(r["final_negative_fraction"][name] > 0 for name in r["layers"][1:]), r["label"]
    starts = [r for r in free if r["init"] == "nonneg"]
    assert len(starts) == 2
    for r in starts:
        assert all(r["initial_negative_fraction"][name] == 0.0 for name in r["layers"])
        assert all(r["sign_changed_fraction"][name] > 0 for name in r["layers"][1:])
    assert data["summary"]["dnn_plus_max_negative_fraction"] == 0.0


def test_summary_flip_counts_add_up(quick_run):
    _, _, data = quick_run
    free = [r for r in data["runs"] if r["sign"] == "free" and r["init"] == "default"]
    for wd, count in data["summary"]["step_sign_flips_later_layers_by_weight_decay"].items():
        chosen = [r for r in free if f"{r['weight_decay']:g}" == wd]
        assert count == sum(r["step_sign_flips"][n] for r in chosen for n in r["layers"][1:])
        total = sum(r["n_weights"][n] * r["steps"] for r in chosen for n in r["layers"][1:])
        assert data["summary"]["step_sign_flip_rate_later_layers_by_weight_decay"][wd] == pytest.approx(count / total)


def _trained_summary(data: dict) -> tuple[CensusSummary, CensusConfig]:
    summary = CensusSummary(**data["summary"])
    summary.min_test_accuracy = dict.fromkeys(summary.min_test_accuracy, 0.95)
    return summary, CensusConfig(**data["config"])


def test_verdicts_hold_or_fail_with_the_numbers(quick_run):
    """Trained networks: the verdicts follow the numbers; a layer with no negative weight makes them fail."""
    summary, config = _trained_summary(quick_run[2])
    verdicts = census_verdicts(summary, config)
    assert all(v.status == "holds" for v in verdicts) and claim_refuted(verdicts) is True
    summary.relu_later_layers_min_negative_fraction = 0.0
    summary.nonneg_start_later_layers_negative_fraction["cnn"]["linear"] = 0.0
    summary.dnn_plus_max_negative_fraction = 1 / 2560
    status = {v.key: v.status for v in census_verdicts(summary, config)}
    assert status["census.relu_later_layers_negative"] == "fails"
    assert status["census.nonneg_start_acquires_negatives"] == "fails"
    assert status["census.dnn_plus_exactly_nonnegative"] == "fails"
    assert claim_refuted(census_verdicts(summary, config)) is False
    summary.step_sign_flips_later_layers_by_weight_decay["0.001"] = 0
    assert {v.key: v.status for v in census_verdicts(summary, config)}["census.steps_flip_signs"] == "fails"


def test_report_is_self_contained(quick_run, check_report):
    out, _, _ = quick_run
    check_report(out, FIGURES)
    sec = section_html(out)
    assert sec.startswith("<section") and sec.endswith("</section>") and "data:image/png;base64," in sec


def test_layer_stats_by_hand():
    stats = layer_stats(torch.tensor([[-2.0, -1.0, 0.0], [1.0, 3.0, 0.0]]))
    assert stats == pytest.approx({"negative_fraction": 2 / 6, "zero_fraction": 2 / 6, "positive_mean": 2.0,
                                   "negative_mean": -1.5})
    assert layer_stats(torch.ones(3))["negative_mean"] == 0.0


def test_strict_sign_flips_and_step_counter_by_hand():
    before = torch.tensor([1.0, -1.0, 0.5, 0.0, -2.0, 3.0])
    after = torch.tensor([-1.0, 2.0, 0.0, -1.0, -1.0, 1.0])  # two strict flips; to/from 0 is not a flip
    assert strict_sign_flips(before, after) == 2
    layer = torch.nn.Linear(3, 2, bias=False)
    with torch.no_grad():
        layer.weight.copy_(before.reshape(2, 3))
    counter = StepFlipCounter({"a": layer})
    with torch.no_grad():
        layer.weight.copy_(after.reshape(2, 3))
    counter()
    with torch.no_grad():
        layer.weight.neg_()  # every non-zero weight flips: 5
    counter()
    assert counter.flips == {"a": 7} and counter.steps == 2


def _tiny_run(seed: int):
    g = torch.Generator().manual_seed(5)
    X, y = torch.rand(40, 64, generator=g), torch.randint(0, 10, (40,), generator=g)
    spec = {"model_kind": "mlp", "weight_decay": 1e-3, "activation": "relu", "centered": False, "sign": "free",
            "init": "default", "label": "tiny"}
    return train_census_run(spec, X, y, X, y, epochs=2, lr=3e-3, batch_size=16, seed=seed)


def test_training_leaves_the_callers_rng_alone_and_repeats():
    torch.manual_seed(123)
    state = torch.get_rng_state()
    first = _tiny_run(7)
    assert torch.equal(torch.get_rng_state(), state)
    torch.manual_seed(999)  # a different global state must not change the run
    second = _tiny_run(7)
    a, b = dataclasses.asdict(first), dataclasses.asdict(second)
    a.pop("seconds"), b.pop("seconds")
    assert a == b and first.steps == 2 * 3
    assert dataclasses.asdict(_tiny_run(8))["final_negative_fraction"] != a["final_negative_fraction"]


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
