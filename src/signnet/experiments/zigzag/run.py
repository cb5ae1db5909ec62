"""Zig-zag: all-positive inputs give same-sign gradients.

The question (Q&A seed 002, "What is the problem with training Neural Networks
with back propagation with activation functions that only output positive
values?") quotes CS231n: when the input ``x`` of a neuron ``f = w.x + b`` is
always positive, the gradient on ``w`` is "always all positive or all
negative", updates zig-zag, and zero-centred data and activations help.

The exact reason. For one example, ``dL/dw = (dL/dz) * a``: the upstream
scalar ``dL/dz`` times the input vector ``a``. If ``a >= 0`` element-wise,
every non-zero coordinate of the gradient has the sign of ``dL/dz``. This is a
statement about *per-example* gradients; a minibatch average
``mean_n (dL/dz_n) a_n`` mixes upstream scalars of both signs and need not be
sign-coherent.

Three measurements:

1. *Sign coherence.* A gradient vector is **coherent** when all its non-zero
   coordinates share one sign; a vector with no non-zero coordinate (a dead
   ReLU, an underflowed softmax error) is left out and counted separately.
   Per-example gradients are exact: a hook keeps the layer's input ``a`` and
   the autograd gradient on its pre-activation ``z``, and
   ``dL_n/dW = dz_n (outer) a_n`` (checked against ``torch.func.vmap(grad)`` in
   the tests). MLPs 64 -> d -> 10 (d = 4) are trained on the bundled digits with
   plain SGD; at every step we count, for every unit of the measured layer,
   coherent per-example gradients and coherent minibatch-mean gradients. The
   output layer is fed by the d hidden units: sigmoid (inputs strictly
   positive), ReLU (non-negative) or tanh (roughly zero-centred); the first
   layer is fed by raw pixels (non-negative) or standardised pixels. For
   independent zero-centred symmetric inputs the chance that d coordinates
   share a sign is ``2 / 2**d``.
2. *Trajectories.* A linear neuron with two weights and no bias regresses
   ``y = x1 - x2`` (optimum ``w* = (1, -1)``, weights of opposite signs), with
   ``x ~ U(0, 1)^2`` (positive) or the same points minus their mean (centred).
   The loss ``L(w) = mean (w.x - y)^2 / 2`` has Hessian ``H = mean x x^T``.
   Gradient descent starts at ``w = 0`` with step ``lr = 1 / L_max`` (half the
   stability limit ``2 / L_max``, ``L_max`` the largest eigenvalue of ``H``),
   the same rule for both, and we count steps until ``||w - w*|| <= 1e-3``.
   Positive inputs add ``mu mu^T`` to ``H``: one large eigenvalue along the
   mean and a small one along ``(1, -1)``, the very direction the optimum needs.
   Per-example SGD (step ``1 / max_n ||x_n||^2``, again the same rule) shows the
   zig-zag itself: with positive inputs every update is a multiple of some
   ``x_n``, so it lies in the first or third quadrant and can never point
   toward ``(+, -)``.
3. *Training curves.* A 64 -> 32 -> 10 MLP on digits with sigmoid, centred
   sigmoid (``sigmoid(x) - 1/2``: the same slope, zero-centred output) or tanh
   hidden units, with uncentred (pixels / 16, in [0, 1]) or centred (minus the
   training mean, same scale) inputs; plain SGD; epochs until the training
   loss first falls below a threshold, and until it stays below it.

Figures and the HTML section: :mod:`signnet.studies.zigzag_report`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from signnet.report.artifacts import atomic_write_json, atomic_write_text, run_metadata
from signnet.data.datasets import load_dataset
from signnet.nn.networks import MLP
from signnet.report.html import html_page
from signnet.experiments.runner import run_study
from signnet.experiments.zigzag.report import ACT_LABELS, CLAIM, FIGURES, SOURCE, _plot, html_section, section_html  # noqa: F401

D_HIDDEN = 4  # width d of the hidden layer whose outputs feed the measured layer


# --------------------------------------------------------------------------- gradients and coherence

def per_example_weight_grads(a: torch.Tensor, dz: torch.Tensor) -> torch.Tensor:
    """Exact per-example weight gradients of a linear layer ``z = a W^T + b``.

    ``dL_n/dW[k, i] = dz[n, k] * a[n, i]``: the upstream scalar of unit ``k``
    times the layer's input vector.

    Shape:
        - a: ``(B, d)``, dz: ``(B, units)``.  - Output: ``(B, units, d)``.
    """
    return dz[:, :, None] * a[:, None, :]


def coherence_counts(g: torch.Tensor) -> dict[str, int]:
    """Count sign-coherent gradient vectors along the last dimension.

    A vector is coherent when all its non-zero coordinates share one sign.
    Vectors with no non-zero coordinate are not judged; they are counted in
    ``"all_zero"``. Returns ``{"coherent", "judged", "all_zero"}``.
    """
    pos = (g > 0).any(-1)
    neg = (g < 0).any(-1)
    judged = pos | neg
    return {"coherent": int((judged & ~(pos & neg)).sum()), "judged": int(judged.sum()),
            "all_zero": int((~judged).sum())}


def _forward_probed(model: nn.Sequential, x: torch.Tensor, probes) -> tuple[torch.Tensor, dict]:
    """Run ``model`` keeping, for each probed layer index, its input and (grad-retaining) output."""
    captured, h = {}, x
    for i, module in enumerate(model):
        if i in probes:
            a = h
            h = module(h)
            h.retain_grad()
            captured[i] = (a.detach(), h)
        else:
            h = module(h)
    return h, captured


def _coherence_cases(seed: int, quick: bool, bar=None) -> list[dict]:
    """Train the probe networks and count coherent per-example and minibatch gradients."""
    raw = load_dataset("digits", seed=seed, standardize=False)
    std = load_dataset("digits", seed=seed, standardize=True)
    inputs = {"raw": torch.tensor(raw.X_train / 16.0), "standardised": torch.tensor(std.X_train)}
    y = torch.tensor(raw.y_train)
    epochs, lr, batch = (1, 0.5, 64) if quick else (3, 0.5, 64)
    # (activation, inputs, [(layer index, case name, kind of inputs, d)])
    nets = [
        ("sigmoid", "standardised", [(2, "sigmoid hidden units \u2192 output layer", "positive", D_HIDDEN),
                                     (0, "standardised pixels \u2192 first layer", "centered", 64)]),
        ("relu", "standardised", [(2, "ReLU hidden units \u2192 output layer", "non-negative", D_HIDDEN)]),
        ("tanh", "standardised", [(2, "tanh hidden units \u2192 output layer", "centered", D_HIDDEN)]),
        ("tanh", "raw", [(0, "raw pixels in [0, 1] \u2192 first layer", "non-negative", 64)]),
    ]
    cases = []
    for k, (act, data, probes) in enumerate(nets):
        torch.manual_seed(seed * 100 + k)
        model = MLP(64, (D_HIDDEN,), 10, activation=act, head="softmax")
        opt = torch.optim.SGD(model.parameters(), lr=lr)
        gen = torch.Generator().manual_seed(seed * 100 + k)
        X = inputs[data]
        counts = {i: {"per_example": [0, 0, 0], "minibatch": [0, 0, 0], "in_sum": 0.0, "in_neg": 0, "in_n": 0}
                  for i, *_ in probes}
        for _ in range(epochs):
            order = torch.randperm(len(X), generator=gen)
            for lo in range(0, len(X), batch):
                idx = order[lo:lo + batch]
                out, cap = _forward_probed(model, X[idx], {i for i, *_ in probes})
                loss = F.cross_entropy(out, y[idx])  # mean: dz is dL_n/dz_n / B, same signs
                opt.zero_grad(set_to_none=True)
                loss.backward()
                for i, *_ in probes:
                    a, z = cap[i]
                    c = counts[i]
                    pe = coherence_counts(per_example_weight_grads(a, z.grad))  # (B, units, d)
                    mb = coherence_counts(model[i].weight.grad)  # (units, d): the minibatch mean
                    for key, cc in (("per_example", pe), ("minibatch", mb)):
                        c[key][0] += cc["coherent"]
                        c[key][1] += cc["judged"]
                        c[key][2] += cc["all_zero"]
                    c["in_sum"] += float(a.sum())
                    c["in_neg"] += int((a < 0).sum())
                    c["in_n"] += a.numel()
                opt.step()
        if bar is not None:
            bar.update()
        for i, name, kind, d in probes:
            c = counts[i]
            cases.append({
                "case": name, "activation": act, "data": data, "layer_index": i, "inputs": kind, "d": d,
                "per_example": c["per_example"][0] / max(c["per_example"][1], 1),
                "minibatch": c["minibatch"][0] / max(c["minibatch"][1], 1),
                "n_per_example": c["per_example"][1], "n_minibatch": c["minibatch"][1],
                "n_all_zero_per_example": c["per_example"][2], "n_all_zero_minibatch": c["minibatch"][2],
                "theory_per_example": 1.0 if kind in ("positive", "non-negative") else 2.0 / 2 ** d,
                "input_mean": c["in_sum"] / c["in_n"], "input_negative_fraction": c["in_neg"] / c["in_n"],
            })
    return cases


# --------------------------------------------------------------------------- trajectories

def _descend(X: np.ndarray, w_star: np.ndarray, w0: np.ndarray, lr: float, tol: float, max_steps: int,
             *, per_example: bool = False, rng=None):
    """Gradient descent (full batch, or one example per step) on ``mean (w.x - y)^2 / 2``."""
    y = X @ w_star
    w = w0.copy()
    path = [w.copy()]
    same_sign, steps = 0, None
    order = np.array([], dtype=int)
    for t in range(1, max_steps + 1):
        if per_example:
            if not len(order):
                order = rng.permutation(len(X))
            n, order = order[0], order[1:]
            g = (X[n] @ w - y[n]) * X[n]
        else:
            g = X.T @ (X @ w - y) / len(X)
        same_sign += int(g[0] * g[1] > 0)
        w = w - lr * g
        path.append(w.copy())
        if np.linalg.norm(w - w_star) <= tol:
            steps = t
            break
    taken = len(path) - 1
    return {"steps": steps, "path": np.array(path), "same_sign_update_fraction": same_sign / max(taken, 1)}


def trajectory_study(seed: int, *, n: int = 200, tol: float = 1e-3, lr_fraction: float = 0.5) -> dict:
    """Steps to reach ``tol`` of the optimum with positive versus centred inputs (see the module docstring)."""
    rng = np.random.default_rng(seed)
    X_pos = rng.uniform(0.0, 1.0, size=(n, 2))
    settings = {"positive": X_pos, "centered": X_pos - X_pos.mean(0)}
    w_star, w0 = np.array([1.0, -1.0]), np.zeros(2)
    out = {"n": n, "tol": tol, "w_star": w_star.tolist(), "w0": w0.tolist(), "lr_fraction_of_2_over_L_max": lr_fraction,
           "settings": {}}
    for name, X in settings.items():
        H = X.T @ X / n
        eig = np.linalg.eigvalsh(H)
        lr = lr_fraction * 2.0 / eig[-1]
        gd = _descend(X, w_star, w0, lr, tol, 100_000)
        lr_sgd = 1.0 / float((X ** 2).sum(1).max())
        sgd = _descend(X, w_star, w0, lr_sgd, tol, 200_000, per_example=True, rng=np.random.default_rng(seed + 1))
        out["settings"][name] = {
            "hessian": H.tolist(), "eigenvalues": eig.tolist(), "condition_number": float(eig[-1] / eig[0]),
            "input_mean": X.mean(0).tolist(), "lr": float(lr), "steps": gd["steps"],
            "gd_same_sign_update_fraction": gd["same_sign_update_fraction"],
            "gd_path": gd["path"].tolist(), "sgd_lr": lr_sgd, "sgd_steps": sgd["steps"],
            "sgd_same_sign_update_fraction": sgd["same_sign_update_fraction"],
            "sgd_path": sgd["path"][:400].tolist(),
        }
    s = out["settings"]
    out["steps_positive"], out["steps_centered"] = s["positive"]["steps"], s["centered"]["steps"]
    out["steps_ratio"] = (out["steps_positive"] / out["steps_centered"]
                          if out["steps_positive"] and out["steps_centered"] else None)
    out["sgd_steps_positive"], out["sgd_steps_centered"] = s["positive"]["sgd_steps"], s["centered"]["sgd_steps"]
    return out


# --------------------------------------------------------------------------- training curves

class CenteredSigmoid(nn.Module):
    """``sigmoid(x) - 1/2``: the slope of a sigmoid with a zero-centred output."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(x) - 0.5


def _curve_model(activation: str) -> nn.Module:
    if activation == "sigmoid_centered":
        model = MLP(64, (32,), 10, activation="sigmoid", head="softmax")
        model[1] = CenteredSigmoid()
        return model
    return MLP(64, (32,), 10, activation=activation, head="softmax")


def _first_below(loss: list[float], threshold: float):
    return next((e for e, v in enumerate(loss) if v <= threshold), None)


def _stays_below(loss: list[float], threshold: float):
    e = None
    for i in range(len(loss) - 1, -1, -1):
        if loss[i] > threshold:
            break
        e = i
    return e


def _largest_rise(loss: list[float]) -> float:
    """The largest amount by which the loss climbs above its best value so far (0 for a monotone curve)."""
    best, rise = loss[0], 0.0
    for v in loss[1:]:
        rise, best = max(rise, v - best), min(best, v)
    return rise


def training_curves(seed: int, quick: bool, bar=None) -> dict:
    """Training loss per epoch for each activation x input centring, over several seeds."""
    raw = load_dataset("digits", seed=seed, standardize=False)
    X_unc = torch.tensor(raw.X_train / 16.0)  # (N, 64) in [0, 1]
    X_te_unc = torch.tensor(raw.X_test / 16.0)
    mu = X_unc.mean(0)
    y, y_te = torch.tensor(raw.y_train), torch.tensor(raw.y_test)
    epochs, n_seeds, lr, batch, threshold = (5, 1, 0.5, 64, 0.3) if quick else (30, 3, 0.5, 64, 0.3)
    conditions = [(a, c) for a in ("sigmoid", "sigmoid_centered", "tanh") for c in (False, True)]
    result = {"lr": lr, "optimizer": "sgd", "batch_size": batch, "epochs": epochs, "seeds": n_seeds,
              "threshold": threshold, "hidden": [32], "conditions": []}
    for act, centered in conditions:
        X, X_te = (X_unc - mu, X_te_unc - mu) if centered else (X_unc, X_te_unc)
        curves, accs = [], []
        for s in range(n_seeds):
            torch.manual_seed(seed * 100 + s)
            model = _curve_model(act)
            opt = torch.optim.SGD(model.parameters(), lr=lr)
            gen = torch.Generator().manual_seed(seed * 100 + s)
            with torch.no_grad():
                loss = [float(F.cross_entropy(model(X), y))]
            for _ in range(epochs):
                order = torch.randperm(len(X), generator=gen)
                for lo in range(0, len(X), batch):
                    idx = order[lo:lo + batch]
                    step_loss = F.cross_entropy(model(X[idx]), y[idx])
                    opt.zero_grad(set_to_none=True)
                    step_loss.backward()
                    opt.step()
                with torch.no_grad():
                    loss.append(float(F.cross_entropy(model(X), y)))
            if not all(np.isfinite(loss)):
                loss = [v if np.isfinite(v) else 1e6 for v in loss]  # keep the JSON valid; marks divergence
            with torch.no_grad():
                accs.append(float((model(X_te).argmax(1) == y_te).float().mean()))
            curves.append(loss)
            if bar is not None:
                bar.update()
        first = [_first_below(c, threshold) for c in curves]
        stay = [_stays_below(c, threshold) for c in curves]
        result["conditions"].append({
            "activation": act, "centered": centered,
            "label": f"{ACT_LABELS[act]}, {'centred' if centered else 'uncentred'} inputs",
            "loss": curves, "test_accuracy": accs,
            "epochs_to_threshold": first, "epochs_to_stay_below": stay,
            "median_epochs_to_threshold": None if None in first else float(np.median(first)),
            "median_epochs_to_stay_below": None if None in stay else float(np.median(stay)),
            "final_loss_mean": float(np.mean([c[-1] for c in curves])),
            "largest_rise": float(max(_largest_rise(c) for c in curves)),
        })
    return result


def _centering_helps(conditions: list[dict]) -> bool:
    """Centring never slows the loss to stay below the threshold (inputs, per activation; and activations).

    Compares medians over seeds of ``epochs_to_stay_below``; "not reached" counts as infinitely many.
    """
    med = {(c["activation"], c["centered"]): (np.inf if c["median_epochs_to_stay_below"] is None
                                              else c["median_epochs_to_stay_below"]) for c in conditions}
    inputs = all(med[(a, True)] <= med[(a, False)] for a in ACT_LABELS)
    activations = all(med[("sigmoid_centered", c)] <= med[("sigmoid", c)] for c in (False, True))
    return bool(inputs and activations and any(np.isfinite(v) for v in med.values()))


def run_zigzag(out: Path, *, seed: int = 0, quick: bool = False, progress: bool = True) -> dict:
    """Run the three zig-zag measurements; write ``results.json``, figures and ``index.html`` into ``out``.

    Args:
        out: output folder (created if missing).
        seed: seeds the data split, the initialisations, minibatch orders and the trajectory data.
        quick: one epoch for coherence, one seed of 5 epochs for the curves (tests, smoke runs).
        progress: a progress bar on stderr.
    """
    return run_study(_run, out, seed=seed, quick=quick, progress=progress)


def _run(out: Path, seed: int, quick: bool, progress: bool) -> dict:
    start = time.perf_counter()
    bar = tqdm(total=4 + 6 * (1 if quick else 3), desc="zigzag", disable=not progress, leave=False, file=sys.stderr)
    cases = _coherence_cases(seed, quick, bar)
    by_name = {c["case"]: c for c in cases}
    positive = by_name["sigmoid hidden units \u2192 output layer"]
    centered = by_name["tanh hidden units \u2192 output layer"]
    coherence = {"d": D_HIDDEN, "theory_centered": 2.0 / 2 ** D_HIDDEN,
                 "positive_inputs": positive, "centered_inputs": centered, "cases": cases}
    trajectory = trajectory_study(seed)
    training = training_curves(seed, quick, bar)
    bar.close()
    nonneg = [c for c in cases if c["inputs"] in ("positive", "non-negative")]
    summary = {
        "per_example_claim_holds": all(c["per_example"] == 1.0 for c in nonneg),
        "minibatch_always_coherent": all(c["minibatch"] == 1.0 for c in nonneg),
        "trajectory_centered_faster": bool(trajectory["steps_ratio"] and trajectory["steps_ratio"] > 1),
        "median_epochs_to_threshold": {c["label"]: c["median_epochs_to_threshold"] for c in training["conditions"]},
        "median_epochs_to_stay_below": {c["label"]: c["median_epochs_to_stay_below"] for c in training["conditions"]},
        "centering_helps": _centering_helps(training["conditions"]),
    }
    config = {"study": "zigzag", "quick": quick, "d": D_HIDDEN, "dataset": "digits",
              "coherence": {"epochs": 1 if quick else 3, "lr": 0.5, "optimizer": "sgd", "batch_size": 64},
              "trajectory": {"n": trajectory["n"], "tol": trajectory["tol"],
                             "lr_rule": "0.5 * 2 / L_max (GD); 1 / max ||x_n||^2 (SGD)"},
              "training": {k: training[k] for k in ("lr", "optimizer", "batch_size", "epochs", "seeds",
                                                    "threshold", "hidden")}}
    results = {"study": "zigzag", "claim": CLAIM, "source": SOURCE, "coherence": coherence,
               "trajectory": trajectory, "training": training, "summary": summary}
    results.update(run_metadata(config, seed))
    results["elapsed_seconds"] = round(time.perf_counter() - start, 2)
    _plot(results, out)
    atomic_write_json(out / "results.json", results)
    atomic_write_text(out / "index.html", html_page("signnet zigzag: all-positive inputs and same-sign gradients",
                                                    [html_section(results, out)]))
    return results
