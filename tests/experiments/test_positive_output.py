"""The positive-output study (Q&A seed 003): penalty, Lagrange multipliers and output transforms."""

from __future__ import annotations

import json
import math
import re

import pytest
import torch

from signnet.cli.main import main
from signnet.errors import SignnetError
from signnet.experiments.positive_output.methods import initial_model
from signnet.experiments.positive_output.results import PROVENANCE, PositiveOutputResults
from signnet.experiments.positive_output.run import (
    FIELDS,
    FIGURES,
    LAGRANGIANS,
    METHODS,
    PENALTIES,
    TOL,
    TRANSFORMS,
    make_data,
    run_positive_output,
    section_html,
)
from signnet.experiments.results import check_verdict_dict, schema_lines

EXPECTED = {"none", "penalty_0.1", "penalty_1", "penalty_10", "penalty_100", "lagrangian_slack",
            "lagrangian_inequality", "relu", "softplus", "exp"}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("positive_output")
    before = torch.random.get_rng_state()
    results = run_positive_output(out, seed=0, quick=True, progress=False)
    after = torch.random.get_rng_state()
    assert torch.equal(before, after), "the study changed the caller's torch random state"
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
    assert results["summary"]["penalty_train_negative_fractions"] == dict(zip(PENALTIES, fractions, strict=True))
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


def test_initial_weights_repeat_and_leave_the_callers_rng_alone():
    cfg = {"hidden": [8], "activation": "relu"}
    torch.manual_seed(123)
    expected_draw = torch.rand(3)
    torch.manual_seed(123)
    a, b = initial_model(cfg, seed=5), initial_model(cfg, seed=5)
    assert torch.equal(torch.rand(3), expected_draw)  # the caller's stream goes on as if nothing had been drawn
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    c = initial_model(cfg, seed=6)
    assert not torch.equal(next(a.parameters()), next(c.parameters()))


def test_every_verdict_agrees_with_its_numbers_and_shows_in_the_page(quick_run):
    from markupsafe import escape

    out, results = quick_run
    on_disk = json.loads((out / "results.json").read_text(encoding="utf-8"))
    verdicts = on_disk["verdicts"]
    assert len(verdicts) >= 12 and len({v["key"] for v in verdicts}) == len(verdicts)
    page = (out / "index.html").read_text(encoding="utf-8")
    for v in verdicts:
        check_verdict_dict(v)
        row = re.search(re.escape(str(escape(v["claim"]))) + r'(?:<br><span class="note">[^<]*</span>)?</td>\s*'
                        r'<td><span class="(\w+)">(\w+)</span>', page)
        assert row is not None, v["key"]
        assert row.group(1) == row.group(2) == v["status"], v["key"]
        assert escape(v["evidence"]) in page, v["key"]


def _schema_paths(obj, schema: set[str], prefix: str = ""):
    """The dotted keys of ``obj``, with the names of ``dict[str, X]`` entries written ``<key>`` as the schema does."""
    keyed = any(s.startswith(prefix + "<key>.") for s in schema)
    for key, value in obj.items():
        name = prefix + "<key>" if keyed else prefix + key
        if not keyed:
            yield name
        if isinstance(value, dict) and any(s.startswith(name + ".") for s in schema):
            yield from _schema_paths(value, schema, name + ".")


def test_schema_from_the_dataclasses_matches_results_json(quick_run):
    out, _ = quick_run
    on_disk = json.loads((out / "results.json").read_text(encoding="utf-8"))
    schema = {key for key, _ in schema_lines(PositiveOutputResults)}
    assert all(text for _, text in schema_lines(PositiveOutputResults)), "every field has a description"
    assert set(_schema_paths(on_disk, schema)) == schema | set(PROVENANCE)
    for name in METHODS:  # every method's row and details are complete, not only the first one seen
        assert {f"methods.<key>.{k}" for k in on_disk["methods"][name]} <= schema
        assert {f"details.<key>.{k}" for k in on_disk["details"][name]} <= schema


def test_transform_cost_is_stored_as_ratios_to_the_best_other_method(quick_run):
    _, results = quick_run
    m, cost = results["methods"], results["summary"]["transform_cost"]
    others = [name for name in METHODS if name not in TRANSFORMS]
    best = min(others, key=lambda name: m[name]["test_mse"])
    assert set(cost) == set(TRANSFORMS)
    for t, c in cost.items():
        assert c["best_other_method"] == best and c["best_other_test_mse"] == m[best]["test_mse"]
        assert c["ratio_to_best_other"] == pytest.approx(m[t]["test_mse"] / m[best]["test_mse"], rel=1e-12)
        assert c["ratio_to_none"] == pytest.approx(m[t]["test_mse"] / m["none"]["test_mse"], rel=1e-12)
    verdict = next(v for v in results["verdicts"] if v["key"] == "transforms.cost_test_error")
    assert [c["left_value"] for c in verdict["comparisons"]] == [cost[t]["ratio_to_best_other"] for t in TRANSFORMS]
    expected = "holds" if all(cost[t]["ratio_to_best_other"] > 1 for t in TRANSFORMS) else "fails"
    assert verdict["status"] == expected


def test_feasibility_epochs_per_lagrangian_form_follow_the_recorded_curve(quick_run):
    _, results = quick_run
    for name in LAGRANGIANS:
        conv, feas = results["details"][name]["convergence"], results["summary"]["lagrangian_feasibility"][name]
        last = conv["last_epoch_with_prediction_below_tol"]
        assert feas["last_epoch_with_prediction_below_tol"] == last and feas["epochs"] == conv["epochs_recorded"]
        assert feas["feasible_from_epoch"] == conv["feasible_from_epoch"] == last + 1
        hist = results["details"][name]["history"]  # thinned, but every recorded point after `last` is feasible
        assert all(low >= -TOL for epoch, low in zip(hist["epoch"], hist["min_prediction"], strict=True)
                   if epoch > last)
        assert conv["largest_violation_during_training"] > TOL and last > 0
        verdict = next(v for v in results["verdicts"] if v["key"] == f"{name}.feasible_only_once_converged")
        assert verdict["comparisons"][0]["left_value"] == last
        assert verdict["comparisons"][0]["right_value"] == feas["epochs"] / 2


def _typed(results: dict):
    """The stored numbers back in the dataclasses :func:`verdicts` reads (a round trip of ``to_dict``)."""
    from signnet.experiments.positive_output.results import (
        Convergence,
        Diagnostic,
        Feasibility,
        MethodDetails,
        MethodRow,
        Summary,
        TransformCost,
    )

    def conv(d):
        return None if d is None else Convergence(**d)

    s = results["summary"]
    return (
        {k: MethodRow(**v) for k, v in results["methods"].items()},
        {k: MethodDetails(**{**v, "convergence": conv(v["convergence"])}) for k, v in results["details"].items()},
        {k: Diagnostic(**{**v, "convergence": conv(v["convergence"])}) for k, v in results["diagnostics"].items()},
        Summary(**{**s, "transform_cost": {k: TransformCost(**v) for k, v in s["transform_cost"].items()},
                   "lagrangian_feasibility": {k: Feasibility(**v) for k, v in s["lagrangian_feasibility"].items()}}),
    )


def _statuses(verdict_list) -> dict[str, str]:
    return {v.key: v.status for v in verdict_list}


def test_stored_verdicts_are_recomputed_from_the_stored_numbers(quick_run):
    from signnet.experiments.positive_output.verdicts import verdicts

    _, results = quick_run
    assert [v.to_dict() for v in verdicts(*_typed(results))] == results["verdicts"]


def test_untrained_networks_make_training_verdicts_inconclusive(quick_run):
    import dataclasses

    from signnet.experiments.positive_output.verdicts import verdicts

    _, results = quick_run
    methods, details, diagnostics, summary = _typed(results)
    summary = dataclasses.replace(summary, test_target_variance=methods["none"].test_mse / 2)  # worse than a constant
    after = verdicts(methods, details, diagnostics, summary)
    before = _statuses(verdicts(*_typed(results)))
    for v in after:
        guarded = any(c.left.startswith("unconstrained (none) test MSE") for c in v.requires)
        assert v.status == ("inconclusive" if guarded else before[v.key]), v.key
    assert sum(v.status == "inconclusive" for v in after) >= 9


def test_only_once_converged_is_judged_per_form_from_its_epochs(quick_run):
    import dataclasses

    from signnet.experiments.positive_output.verdicts import verdicts

    _, results = quick_run
    methods, details, diagnostics, summary = _typed(results)
    feas = dict(summary.lagrangian_feasibility)
    slack, ineq = feas["lagrangian_slack"], feas["lagrangian_inequality"]
    feas["lagrangian_slack"] = dataclasses.replace(slack, last_epoch_with_prediction_below_tol=slack.epochs // 2 + 1)
    feas["lagrangian_inequality"] = dataclasses.replace(ineq, last_epoch_with_prediction_below_tol=ineq.epochs // 2)
    got = _statuses(verdicts(methods, details, diagnostics, dataclasses.replace(summary, lagrangian_feasibility=feas)))
    assert got["lagrangian_slack.feasible_only_once_converged"] == "holds"
    assert got["lagrangian_inequality.feasible_only_once_converged"] == "fails"


def test_page_words_follow_the_verdicts(quick_run):
    import dataclasses

    from signnet.experiments.positive_output.report import html_section
    from signnet.experiments.positive_output.verdicts import verdicts

    out, results = quick_run
    page = html_section(results, out)
    status = {v["key"]: v["status"] for v in results["verdicts"]}
    assert ("they are not free" in page) == (status["transforms.cost_test_error"] == "holds")
    assert "at no extra cost" not in page
    for name in LAGRANGIANS:
        f = results["summary"]["lagrangian_feasibility"][name]
        assert f"from epoch {f['feasible_from_epoch']} of {f['epochs']} on" in " ".join(page.split())
    # a transform cheaper than the best other method turns the verdict and the sentence
    methods, details, diagnostics, summary = _typed(results)
    cost = dict(summary.transform_cost)
    cost["relu"] = dataclasses.replace(cost["relu"], ratio_to_best_other=0.9)
    changed = verdicts(methods, details, diagnostics, dataclasses.replace(summary, transform_cost=cost))
    assert _statuses(changed)["transforms.cost_test_error"] == "fails"
    edited = {**results, "verdicts": [v.to_dict() for v in changed],
              "summary": {**results["summary"], "transform_cost": {
                  **results["summary"]["transform_cost"],
                  "relu": {**results["summary"]["transform_cost"]["relu"], "ratio_to_best_other": 0.9}}}}
    page = html_section(edited, out)
    assert "not every transform costs test error here" in page and "they are not free" not in page
    assert "relu 0.90×" in page


@pytest.mark.parametrize("method", ["none", "penalty_1", "lagrangian_inequality"])
def test_a_diverging_method_is_named_with_its_epoch(method):
    from signnet.experiments.positive_output.lagrangian import train_lagrangian
    from signnet.experiments.positive_output.methods import QUICK, train_direct

    cfg = {**QUICK, "hidden": [8], "epochs": 20, "lagrangian_epochs": 20, "lr": 1e30}
    data = make_data(50, 10, 0.1, seed=0)
    train = train_lagrangian if method.startswith("lagrangian") else train_direct
    with pytest.raises(SignnetError, match=rf"{re.escape(method)} diverged at epoch 2 \(loss inf\)"):
        train(method, data, cfg, 0)


def test_the_plain_slack_diagnostic_stops_where_it_diverges_and_records_until_then():
    from signnet.experiments.positive_output.lagrangian import train_lagrangian
    from signnet.experiments.positive_output.methods import QUICK

    cfg = {**QUICK, "hidden": [8], "lagrangian_epochs": 20, "lr": 1e30}
    _, rec, info = train_lagrangian("lagrangian_slack", make_data(50, 10, 0.1, seed=0), cfg, 0, plain_slack=True)
    assert info["diverged_at_epoch"] == 2 and info["formulation"] == "Lagrangian"
    assert len(rec.arrays()["min_prediction"]) == info["diverged_at_epoch"] - 1


def test_the_section_marks_a_quick_run_and_words_the_penalty_trend_as_its_verdict(quick_run):
    # the section is what `reproduce --all` shows, without the page footer that said "quick run"
    from signnet.experiments.positive_output.report import html_section

    out, results = quick_run
    note = "Quick mode: 200 training points, 250 epochs (800 for the Lagrangian methods); numbers are indicative only."
    assert note in " ".join(html_section(results, out).split())
    assert "Quick mode" not in html_section({**results, "quick": False}, out)
    holds = [{**v, "status": "holds"} if v["key"] == "penalty.fewer_negatives_as_alpha_grows" else v
             for v in results["verdicts"]]
    page = " ".join(html_section({**results, "verdicts": holds}, out).split())
    assert "The penalty leaves no more negatives as α grows (the fraction never rises over the α tried)" in page
    assert "fewer negatives as α grows" not in page  # the verdict tests non-increasing, not decreasing
