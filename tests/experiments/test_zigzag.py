"""Tests of the zig-zag study (Q&A seed 002: all-positive inputs give same-sign gradients)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from markupsafe import escape
from torch.func import functional_call, grad, vmap

from signnet.cli.main import main
from signnet.experiments.results import check_verdict_dict, iter_verdicts, schema_lines
from signnet.experiments.zigzag.gradients import Probe, coherence_counts, per_example_weight_grads
from signnet.experiments.zigzag.results import ZigzagResults
from signnet.experiments.zigzag.run import FIGURES, _largest_rise, _stays_below, derived_seed, run_zigzag, section_html
from signnet.experiments.zigzag.trajectory import OPTIMA, gd_steps, trajectory_study
from signnet.nn.networks import MLP
from signnet.report.artifacts import run_metadata


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("zigzag")
    before = torch.random.get_rng_state()
    results = run_zigzag(out, seed=0, quick=True, progress=False)
    return out, results, torch.equal(before, torch.random.get_rng_state())


def test_results_json_has_required_keys(quick_run):
    out, _, _ = quick_run
    data = json.loads((out / "results.json").read_text())
    assert data["seed"] == 0 and data["config"]["quick"] is True and "numpy" in data["versions"]
    coh = data["coherence"]
    for key in ("positive_inputs", "centered_inputs"):
        assert {"per_example", "minibatch", "d"} <= set(coh[key])
        assert coh[key]["d"] == coh["d"] == 4
    assert coh["theory_centered"] == 2 / 2 ** 4
    traj = data["trajectory"]
    assert traj["steps_ratio"] == traj["steps_positive"] / traj["steps_centered"]
    # the top-level step counts are those of the zig-zag optimum (1, -1), the first of the two optima
    assert [o["w_star"] for o in traj["optima"]] == [[1.0, -1.0], [1.0, 1.0]] == [list(w) for _, w in OPTIMA]
    assert traj["w_star"] == traj["optima"][0]["w_star"]
    assert traj["steps_positive"] == traj["optima"][0]["steps_positive"] == traj["settings"]["positive"]["steps"]
    for o in traj["optima"]:
        assert o["steps_ratio"] == o["steps_positive"] / o["steps_centered"]
        assert len(o["draw_ratios"]) == traj["draws"] == 50
        assert o["draws_centred_faster"] == sum(r > 1 for r in o["draw_ratios"])
    assert data["training"]["conditions"] and all(len(c["loss"]) == data["training"]["seeds"]
                                                  for c in data["training"]["conditions"])


def test_coherence_positive_is_exactly_one_and_centred_well_below(quick_run):
    _, results, _ = quick_run
    coh = results["coherence"]
    assert coh["positive_inputs"]["per_example"] == 1.0
    assert coh["positive_inputs"]["input_negative_fraction"] == 0.0
    assert coh["centered_inputs"]["per_example"] < 0.3
    assert coh["centered_inputs"]["input_negative_fraction"] > 0.2
    for case in coh["cases"]:
        if case["inputs"] in ("positive", "non-negative"):
            assert case["per_example"] == 1.0, case["case"]
        assert case["n_per_example"] > 0
    # the per-example claim does not carry over to minibatch means
    assert coh["positive_inputs"]["minibatch"] < 1.0


def test_centred_inputs_reach_both_optima_in_fewer_steps(quick_run):
    _, results, _ = quick_run
    traj = results["trajectory"]
    assert traj["settings"]["positive"]["condition_number"] > 3 * traj["settings"]["centered"]["condition_number"]
    opposite, same = traj["optima"]
    for o in (opposite, same):
        assert o["steps_positive"] > o["steps_centered"]
        # per-example SGD with positive inputs: every update lies in the first or third quadrant
        assert o["descents"]["positive"]["sgd_same_sign_update_fraction"] == 1.0
        assert o["descents"]["centered"]["sgd_same_sign_update_fraction"] < 0.8
    # the gap depends on the optimum: largest when the weights must have opposite signs
    assert opposite["steps_ratio"] > same["steps_ratio"]
    assert opposite["draws_centred_faster"] == traj["draws"] > same["draws_centred_faster"]


@pytest.mark.parametrize("w_star", [(1.0, -1.0), (1.0, 1.0)])
def test_trajectory_steps_match_the_eigen_decomposition(w_star):
    """GD on a quadratic from w0 contracts the error's component along eigenvector i by (1 - lr * lambda_i) per step.

    The step count of the iteration must equal the first k at which the closed form is within tol.
    """
    traj = trajectory_study(3, draws=2)
    opt = next(o for o in traj.optima if tuple(o.w_star) == w_star)
    for name in ("positive", "centered"):
        s = traj.settings[name]
        lam, vecs = np.linalg.eigh(np.array(s.hessian))
        c = vecs.T @ (np.array(traj.w0) - np.array(w_star))
        dist = [np.linalg.norm(c * (1 - s.lr * lam) ** k) for k in range(1, 1000)]
        expected = next(k for k, d in enumerate(dist, start=1) if d <= traj.tol)
        assert abs(opt.descents[name].steps - expected) <= 1, (name, opt.descents[name].steps, expected)
        X = np.random.default_rng(3).uniform(0.0, 1.0, size=(traj.n, 2))  # the main draw of seed 3
        X = X - X.mean(0) if name == "centered" else X
        np.testing.assert_allclose(X.T @ X / traj.n, s.hessian)
        assert gd_steps(X, w_star, traj.w0, s.lr, traj.tol, 10_000) == expected


def test_per_example_gradients_match_torch_func():
    """Reference: torch.func.vmap(grad) of each example's loss, an independent implementation."""
    gen = torch.Generator().manual_seed(0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = MLP(6, (4,), 3, activation="sigmoid", head="softmax")
    x, y = torch.randn(7, 6, generator=gen), torch.randint(0, 3, (7,), generator=gen)
    with Probe(model, {0, 2}) as probe:
        loss = F.cross_entropy(model(x), y, reduction="sum")
    caps = [probe.captured[i] for i in (0, 2)]
    dzs = torch.autograd.grad(loss, [z for _, z in caps] + [model[0].weight, model[2].weight])
    params = {k: v.detach() for k, v in model.named_parameters()}

    def loss_one(p, xi, yi):
        return F.cross_entropy(functional_call(model, p, (xi[None],)), yi[None])

    ref = vmap(grad(loss_one), in_dims=(None, 0, 0))(params, x, y)
    for j, i in enumerate((0, 2)):
        a, _ = caps[j]
        mine = per_example_weight_grads(a, dzs[j])
        torch.testing.assert_close(mine, ref[f"{i}.weight"], rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(mine.sum(0), dzs[2 + j], rtol=1e-5, atol=1e-6)
    a, _ = caps[1]
    assert (a > 0).all()  # sigmoid outputs
    assert coherence_counts(per_example_weight_grads(a, dzs[1]))["coherent"] == 7 * 3
    assert not model[0]._forward_hooks and not model[2]._forward_hooks  # the probe removed its hooks


def test_coherence_counts_by_hand_and_the_two_over_two_to_the_d_law():
    g = torch.tensor([[1.0, 0.0, 2.0], [1.0, -1.0, 0.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -0.5]])
    assert coherence_counts(g) == {"coherent": 2, "judged": 3, "all_zero": 1}
    gen = torch.Generator().manual_seed(0)
    for d in (2, 3, 4):
        a = torch.randn(40_000, d, generator=gen)
        dz = torch.randn(40_000, 1, generator=gen)
        c = coherence_counts(per_example_weight_grads(a, dz))
        assert abs(c["coherent"] / c["judged"] - 2 / 2 ** d) < 0.015


def test_curve_helpers():
    assert _stays_below([3.0, 0.2, 0.5, 0.1, 0.1], 0.3) == 3
    assert _stays_below([3.0, 0.5], 0.3) is None
    assert _largest_rise([3.0, 1.0, 2.5, 0.5]) == 1.5
    assert _largest_rise([3.0, 2.0, 1.0]) == 0.0


def test_seeds_are_derived_and_the_global_rng_untouched(quick_run):
    _, _, rng_untouched = quick_run
    assert rng_untouched
    # streams of --seed 0 and --seed 1 never coincide, nor two streams of one run
    seeds = {derived_seed(s, stream, k, which) for s in (0, 1) for stream in (0, 1) for k in range(4)
             for which in (0, 1)}
    assert len(seeds) == 2 * 2 * 4 * 2
    assert derived_seed(0, 1, 0, 0) == derived_seed(0, 1, 0, 0) < 2 ** 63


def test_report_is_self_contained(quick_run, check_report):
    out, _, _ = quick_run
    check_report(out, FIGURES)
    sec = section_html(out)
    assert sec.startswith("<section") and "data:image/png;base64," in sec


def test_cli_json(tmp_path, capsys):
    assert main(["zigzag", "--quick", "--out", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["report"] == str(tmp_path / "index.html")
    assert data["coherence"]["positive_inputs"]["per_example"] == 1.0
    assert (tmp_path / "results.json").exists() and (tmp_path / "index.html").exists()


def test_cli_bad_out_exits_2_with_one_line(tmp_path, capsys):
    bad = tmp_path / "a_file"
    bad.write_text("x")
    assert main(["zigzag", "--quick", "--out", str(bad)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "existing file" in err
    assert main(["zigzag", "--quick", "--out", str(bad / "sub")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


# --------------------------------------------------------------------------- verdicts and schema

def test_every_verdict_agrees_with_its_numbers_and_the_page_shows_it(quick_run):
    out, _, _ = quick_run
    data = json.loads((out / "results.json").read_text())
    verdicts = list(iter_verdicts(data))
    assert len(verdicts) == len(data["checks"]) == 13
    page = (out / "index.html").read_text(encoding="utf-8")
    for v in verdicts:
        check_verdict_dict(v)
        # the verdict's row on the page: its claim, then its status
        claim = str(escape(v["claim"]))
        assert claim in page, v["key"]
        row = page[page.index(claim):].split("</tr>")[0]
        assert f'<span class="{v["status"]}">{v["status"]}</span>' in row, v["key"]
        assert str(escape(v["evidence"])) in row, v["key"]
    status = {v["key"]: v["status"] for v in verdicts}
    # quick mode trains one seed for 5 epochs: the training-curve claims cannot be judged
    assert {status[k] for k in status if k.startswith("training.")} == {"inconclusive"}
    assert data["summary"]["centering_helps"] is None
    # exact claims measured in any run
    assert status["coherence.per_example_one_sign"] == "holds"
    assert status["trajectory.sgd_updates_one_sign"] == "holds"


def test_schema_from_the_dataclasses_matches_results_json(quick_run):
    out, _, _ = quick_run
    data = json.loads((out / "results.json").read_text())
    schema = {name for name, _ in schema_lines(ZigzagResults)}
    assert all(description for _, description in schema_lines(ZigzagResults))
    provenance = set(run_metadata({}, 0))
    assert set(data) == {n for n in schema if "." not in n} | provenance

    def paths(obj, prefix):
        """Dotted key paths of obj, as schema_lines writes them (<key> for dicts of records, [] for lists)."""
        found = set()
        if isinstance(obj, dict) and any(s.startswith(prefix + ".<key>.") for s in schema):
            for v in obj.values():
                found |= paths(v, prefix + ".<key>")
        elif isinstance(obj, dict) and any(s.startswith(prefix + ".") for s in schema):
            for k, v in obj.items():
                found.add(f"{prefix}.{k}")
                found |= paths(v, f"{prefix}.{k}")
        elif isinstance(obj, list) and obj and any(s.startswith(prefix + "[].") for s in schema):
            for v in obj:
                found |= paths(v, prefix + "[]")
        return found

    written = set()
    for key in data:
        if key in schema:
            written |= {key} | paths(data[key], key)
    assert written == schema
