"""Measurement 2 of the zig-zag study: gradient descent of a two-weight linear neuron (Q&A seed 002).

A linear neuron ``w . x`` with no bias regresses ``y = w* . x`` with
``x ~ U(0, 1)^2`` (positive) or the same points minus their mean (centred). The
loss ``L(w) = mean (w.x - y)^2 / 2`` has Hessian ``H = mean x x^T``. Positive
inputs add ``mu mu^T`` to ``H``: one large eigenvalue along the mean ``mu``
(near ``(1, 1)``) and a small one across it (near ``(1, -1)``).

Two optima are measured, because the step counts depend on where the optimum
lies relative to those eigenvectors:

* ``w* = (1, -1)``, weights of opposite signs (the zig-zag case): the direction
  the optimum needs is the flat one, and positive inputs slow descent;
* ``w* = (1, 1)``, weights of one sign: the direction lies near the steep
  eigenvector, so positive inputs slow descent less than toward ``(1, -1)``, but
  they still slow it (the small flat component of the error sets the step count:
  measured 22 steps against 5 centred, where ``(1, -1)`` took 44 against 4).

Gradient descent starts at ``w0 = 0`` with ``lr = lr_fraction * 2 / L_max``
(``L_max`` the largest eigenvalue of ``H``; the same rule for both input
distributions), and counts steps until ``||w - w*|| <= tol``. Per-example SGD
(step ``1 / max_n ||x_n||^2``) shows the zig-zag itself: with positive inputs
every update is a multiple of some ``x_n``, so it lies in the first or third
quadrant and can never point toward ``(+, -)``.

Both descents run through :func:`signnet.train.train_loop` (``torch.optim.SGD``
on a float64 ``nn.Linear(2, 1, bias=False)``; full batch for GD, one example per
step for SGD), with hooks that record the path and stop at ``tol``. The further
data draws only need GD's step count, which for a quadratic has a closed form
(:func:`gd_steps`): the error's component along eigenvector ``i`` of ``H``
shrinks by ``(1 - lr lambda_i)`` per step. Seeds: the main draw is
``default_rng(seed)``; the SGD order and the further draws come from
:mod:`.seeds`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn.utils import skip_init

from signnet.experiments.zigzag.results import Descent, InputSetting, Optimum, Trajectory
from signnet.experiments.zigzag.seeds import DRAW_STREAM, SGD_STREAM, derived_seed
from signnet.train.loop import train_loop

OPTIMA = (("opposite signs", (1.0, -1.0)), ("same signs", (1.0, 1.0)))
INPUTS = ("positive", "centered")
GD_MAX_STEPS, SGD_MAX_STEPS, PATH_KEEP = 100_000, 200_000, 400


def _half_mse(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``mean (w.x - y)^2 / 2``: its gradient is ``mean (w.x - y) x``, the Hessian ``mean x x^T``."""
    return 0.5 * ((out[:, 0] - y) ** 2).mean()


def descend(X: np.ndarray, w_star, w0, lr: float, tol: float, max_steps: int, *, per_example: bool = False,
            order_seed: int = 0) -> dict:
    """Gradient descent (full batch, or one example per step) on ``mean (w.x - y)^2 / 2`` with ``y = X w*``.

    Returns ``{"steps", "path", "same_sign_update_fraction"}``: the steps taken
    until ``||w - w*|| <= tol`` (``None`` if not within ``max_steps``), the
    iterates ``(steps + 1, 2)`` from ``w0``, and the share of updates whose two
    coordinates have one sign. Per-example SGD visits the examples in epochs of
    random order drawn from ``order_seed``.
    """
    Xt = torch.as_tensor(X, dtype=torch.float64)
    target = torch.as_tensor(np.asarray(w_star, dtype=np.float64))
    model = skip_init(nn.Linear, 2, 1, bias=False, dtype=torch.float64)  # no draw from the global RNG
    with torch.no_grad():
        model.weight.copy_(torch.as_tensor(np.asarray(w0, dtype=np.float64))[None])
    path, state = [model.weight.detach()[0].clone()], {"same_sign": 0, "steps": None}

    def on_grad(step) -> None:
        g = model.weight.grad[0]
        state["same_sign"] += int(g[0] * g[1] > 0)

    def on_step(step) -> bool:
        path.append(model.weight.detach()[0].clone())
        if torch.linalg.vector_norm(path[-1] - target) <= tol:
            state["steps"] = step.index + 1
            return True
        return step.index + 1 >= max_steps

    epochs = -(-max_steps // len(X)) if per_example else max_steps
    train_loop(model, Xt, Xt @ target, epochs=epochs, optimizer=torch.optim.SGD(model.parameters(), lr=lr),
               loss=_half_mse, batch_size=1 if per_example else None, generator=order_seed, on_grad=on_grad,
               on_step=on_step)
    taken = len(path) - 1
    return {"steps": state["steps"], "path": torch.stack(path).numpy(),
            "same_sign_update_fraction": state["same_sign"] / max(taken, 1)}


def gd_steps(X: np.ndarray, w_star, w0, lr: float, tol: float, max_steps: int) -> int | None:
    """GD's step count in closed form: the first ``k`` with ``||(I - lr H)^k (w0 - w*)|| <= tol``, or ``None``.

    In the eigenbasis of ``H = X^T X / n`` the error has components ``c_i`` that
    shrink by ``(1 - lr lambda_i)`` per step.
    """
    lam, vecs = np.linalg.eigh(X.T @ X / len(X))
    c = vecs.T @ (np.asarray(w0, dtype=float) - np.asarray(w_star, dtype=float))
    for lo in range(1, max_steps + 1, 256):  # in chunks of 256 steps: most runs end in the first
        k = np.arange(lo, min(lo + 256, max_steps + 1))[:, None]
        hit = np.flatnonzero(np.sqrt(((c * (1 - lr * lam) ** k) ** 2).sum(1)) <= tol)
        if len(hit):
            return lo + int(hit[0])
    return None


def _inputs(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    X = rng.uniform(0.0, 1.0, size=(n, 2))
    return {"positive": X, "centered": X - X.mean(0)}


def _gd_lr(X: np.ndarray, lr_fraction: float) -> float:
    return float(lr_fraction * 2.0 / np.linalg.eigvalsh(X.T @ X / len(X))[-1])


def _ratio(a: int | None, b: int | None) -> float | None:
    return a / b if a and b else None


def _draw_ratios(seed: int, draws: int, n: int, tol: float, lr_fraction: float) -> list[list[float | None]]:
    """GD step ratios (positive / centred) per optimum (rows) on ``draws`` further data draws (columns)."""
    out = [[] for _ in OPTIMA]
    for i in range(draws):
        X = _inputs(np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(DRAW_STREAM, i))), n)
        lrs = {k: _gd_lr(X[k], lr_fraction) for k in INPUTS}
        for row, (_, w_star) in zip(out, OPTIMA, strict=True):
            row.append(_ratio(*[gd_steps(X[k], w_star, (0.0, 0.0), lrs[k], tol, GD_MAX_STEPS) for k in INPUTS]))
    return out


def _beats(mine: float | None, other: float | None) -> bool:
    return mine is not None and (other is None or mine > other)


def trajectory_study(seed: int, *, n: int = 200, tol: float = 1e-3, lr_fraction: float = 0.5,
                     draws: int = 50) -> Trajectory:
    """Steps to reach ``tol`` of each optimum with positive versus centred inputs (module docstring).

    Args:
        seed: the main draw is ``default_rng(seed)``; the SGD order and the
            ``draws`` further draws come from :mod:`.seeds`.
        n: data points per draw.  tol: convergence radius.
        lr_fraction: GD step as a fraction of ``2 / L_max``.  draws: further data draws.
    """
    X = _inputs(np.random.default_rng(seed), n)
    w0 = np.zeros(2)
    settings, lrs, sgd_lrs = {}, {}, {}
    for name in INPUTS:
        H = X[name].T @ X[name] / n
        eig = np.linalg.eigvalsh(H)
        lrs[name] = float(lr_fraction * 2.0 / eig[-1])
        sgd_lrs[name] = 1.0 / float((X[name] ** 2).sum(1).max())
        settings[name] = {"hessian": H.tolist(), "eigenvalues": eig.tolist(),
                          "condition_number": float(eig[-1] / eig[0]), "input_mean": X[name].mean(0).tolist(),
                          "lr": lrs[name], "sgd_lr": sgd_lrs[name]}
    ratios = _draw_ratios(seed, draws, n, tol, lr_fraction)
    optima = []
    for j, (label, w_star) in enumerate(OPTIMA):
        descents = {}
        for name in INPUTS:
            gd = descend(X[name], w_star, w0, lrs[name], tol, GD_MAX_STEPS)
            sgd = descend(X[name], w_star, w0, sgd_lrs[name], tol, SGD_MAX_STEPS, per_example=True,
                          order_seed=derived_seed(seed, SGD_STREAM))
            descents[name] = Descent(
                steps=gd["steps"], gd_same_sign_update_fraction=gd["same_sign_update_fraction"],
                gd_path=gd["path"].tolist(), sgd_steps=sgd["steps"],
                sgd_same_sign_update_fraction=sgd["same_sign_update_fraction"],
                sgd_path=sgd["path"][:PATH_KEEP].tolist())
        other = ratios[1 - j]
        optima.append(Optimum(
            name=label, w_star=list(w_star), steps_positive=descents["positive"].steps,
            steps_centered=descents["centered"].steps,
            steps_ratio=_ratio(descents["positive"].steps, descents["centered"].steps),
            sgd_steps_positive=descents["positive"].sgd_steps, sgd_steps_centered=descents["centered"].sgd_steps,
            descents=descents, draw_ratios=ratios[j],
            draws_centred_faster=sum(r is not None and r > 1 for r in ratios[j]),
            draws_gap_larger_here=sum(_beats(a, b) for a, b in zip(ratios[j], other, strict=True))))
    main = optima[0]  # w* = (1, -1): the top-level keys of results.json refer to it
    for name in INPUTS:
        d = main.descents[name]
        settings[name] = InputSetting(**settings[name], steps=d.steps,
                                      gd_same_sign_update_fraction=d.gd_same_sign_update_fraction,
                                      sgd_steps=d.sgd_steps,
                                      sgd_same_sign_update_fraction=d.sgd_same_sign_update_fraction)
    return Trajectory(n=n, tol=tol, w_star=main.w_star, w0=w0.tolist(), lr_fraction_of_2_over_L_max=lr_fraction,
                      draws=draws, settings=settings, steps_positive=main.steps_positive,
                      steps_centered=main.steps_centered, steps_ratio=main.steps_ratio,
                      sgd_steps_positive=main.sgd_steps_positive, sgd_steps_centered=main.sgd_steps_centered,
                      optima=optima)
