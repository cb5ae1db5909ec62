"""Tests of the zig-zag study (Q&A seed 002: all-positive inputs give same-sign gradients)."""

from __future__ import annotations

import json
import math

import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call, grad, vmap

from signnet.cli.main import main
from signnet.nn.networks import MLP
from signnet.experiments.zigzag.run import (FIGURES, _forward_probed, _largest_rise, _stays_below, coherence_counts,
                                    per_example_weight_grads, run_zigzag, section_html, trajectory_study)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("zigzag")
    return out, run_zigzag(out, seed=0, quick=True, progress=False)


def test_results_json_has_required_keys(quick_run):
    out, _ = quick_run
    data = json.loads((out / "results.json").read_text())
    assert data["seed"] == 0 and data["config"]["quick"] is True and "numpy" in data["versions"]
    coh = data["coherence"]
    for key in ("positive_inputs", "centered_inputs"):
        assert {"per_example", "minibatch", "d"} <= set(coh[key])
        assert coh[key]["d"] == coh["d"] == 4
    assert coh["theory_centered"] == 2 / 2 ** 4
    traj = data["trajectory"]
    assert traj["steps_ratio"] == traj["steps_positive"] / traj["steps_centered"]
    assert data["training"]["conditions"] and all(len(c["loss"]) == data["training"]["seeds"]
                                                  for c in data["training"]["conditions"])


def test_coherence_positive_is_exactly_one_and_centred_well_below(quick_run):
    _, results = quick_run
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


def test_centred_inputs_reach_the_optimum_in_fewer_steps(quick_run):
    _, results = quick_run
    traj = results["trajectory"]
    assert traj["steps_positive"] > traj["steps_centered"]
    pos = traj["settings"]["positive"]
    assert pos["condition_number"] > 3 * traj["settings"]["centered"]["condition_number"]
    # per-example SGD with positive inputs: every update lies in the first or third quadrant
    assert pos["sgd_same_sign_update_fraction"] == 1.0
    assert traj["settings"]["centered"]["sgd_same_sign_update_fraction"] < 0.8


def test_trajectory_steps_match_the_linear_convergence_rate():
    """GD on a quadratic from w = 0 contracts the error along each eigenvector by |1 - lr * lambda| per step."""
    traj = trajectory_study(3)
    s = traj["settings"]["positive"]
    lo, hi = s["eigenvalues"]
    rate = max(abs(1 - s["lr"] * lo), abs(1 - s["lr"] * hi))
    dist0 = 2 ** 0.5  # ||w0 - w*|| with w0 = 0, w* = (1, -1)
    # the smallest k with rate**k * dist0 <= tol bounds the steps from above
    bound = math.ceil(math.log(traj["tol"] / dist0) / math.log(rate))
    assert traj["steps_positive"] <= bound
    assert traj["steps_positive"] >= bound - 5


def test_per_example_gradients_match_torch_func():
    """Reference: torch.func.vmap(grad) of each example's loss, an independent implementation."""
    torch.manual_seed(0)
    model = MLP(6, (4,), 3, activation="sigmoid", head="softmax")
    x, y = torch.randn(7, 6), torch.randint(0, 3, (7,))
    out, cap = _forward_probed(model, x, {0, 2})
    F.cross_entropy(out, y, reduction="sum").backward()
    params = {k: v.detach() for k, v in model.named_parameters()}

    def loss_one(p, xi, yi):
        return F.cross_entropy(functional_call(model, p, (xi[None],)), yi[None])

    ref = vmap(grad(loss_one), in_dims=(None, 0, 0))(params, x, y)
    for i in (0, 2):
        a, z = cap[i]
        mine = per_example_weight_grads(a, z.grad)
        torch.testing.assert_close(mine, ref[f"{i}.weight"], rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(mine.sum(0), model[i].weight.grad, rtol=1e-5, atol=1e-6)
    a, z = cap[2]
    assert (a > 0).all()  # sigmoid outputs
    assert coherence_counts(per_example_weight_grads(a, z.grad))["coherent"] == 7 * 3


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


def test_report_is_self_contained(quick_run, check_report):
    out, _ = quick_run
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
