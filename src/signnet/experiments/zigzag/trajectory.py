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
  eigenvector, which gradient descent crosses quickly.

Gradient descent starts at ``w0 = 0`` with ``lr = lr_fraction * 2 / L_max``
(``L_max`` the largest eigenvalue of ``H``; the same rule for both input
distributions), and counts steps until ``||w - w*|| <= tol``. Per-example SGD
(step ``1 / max_n ||x_n||^2``) shows the zig-zag itself: with positive inputs
every update is a multiple of some ``x_n``, so it lies in the first or third
quadrant and can never point toward ``(+, -)``.

The descent is the object measured (exact iterates of a quadratic, with the
analytic gradient), so it is written out in numpy here rather than run through
:mod:`signnet.train.loop`. Seeds: the main draw uses ``default_rng(seed)``; the
per-example order and the further draws use ``SeedSequence(seed, spawn_key=...)``
streams, which never coincide with another seed's streams.
"""

from __future__ import annotations

import numpy as np

from signnet.experiments.zigzag.results import Descent, InputSetting, Optimum, Trajectory

OPTIMA = (("opposite signs", (1.0, -1.0)), ("same signs", (1.0, 1.0)))
INPUTS = ("positive", "centered")
SGD_STREAM, DRAW_STREAM = 2, 3  # spawn keys of this measurement's random streams (see run.derived_seed)
GD_MAX_STEPS, SGD_MAX_STEPS, PATH_KEEP = 100_000, 200_000, 400


def descend(X: np.ndarray, w_star: np.ndarray, w0: np.ndarray, lr: float, tol: float, max_steps: int,
            *, per_example: bool = False, rng: np.random.Generator | None = None) -> dict:
    """Gradient descent (full batch, or one example per step) on ``mean (w.x - y)^2 / 2`` with ``y = X w*``.

    Returns ``{"steps", "path", "same_sign_update_fraction"}``: the steps taken
    until ``||w - w*|| <= tol`` (``None`` if not within ``max_steps``), the
    iterates ``(steps + 1, 2)`` from ``w0``, and the share of updates whose two
    coordinates have one sign. Per-example SGD visits the examples in epochs of
    random order drawn from ``rng``.
    """
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


def _inputs(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    X = rng.uniform(0.0, 1.0, size=(n, 2))
    return {"positive": X, "centered": X - X.mean(0)}


def _gd_lr(X: np.ndarray, lr_fraction: float) -> float:
    return float(lr_fraction * 2.0 / np.linalg.eigvalsh(X.T @ X / len(X))[-1])


def _ratio(a: int | None, b: int | None) -> float | None:
    return a / b if a and b else None


def _draw_ratios(seed: int, draws: int, n: int, tol: float, lr_fraction: float) -> list[list[float | None]]:
    """GD step ratios (positive / centred) per optimum (rows) on ``draws`` further data draws (columns)."""
    w0 = np.zeros(2)
    out = [[] for _ in OPTIMA]
    for i in range(draws):
        X = _inputs(np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(DRAW_STREAM, i))), n)
        lrs = {k: _gd_lr(X[k], lr_fraction) for k in INPUTS}
        for row, (_, w_star) in zip(out, OPTIMA, strict=True):
            steps = [descend(X[k], np.array(w_star), w0, lrs[k], tol, GD_MAX_STEPS)["steps"] for k in INPUTS]
            row.append(_ratio(*steps))
    return out


def _beats(mine: float | None, other: float | None) -> bool:
    return mine is not None and (other is None or mine > other)


def trajectory_study(seed: int, *, n: int = 200, tol: float = 1e-3, lr_fraction: float = 0.5,
                     draws: int = 50) -> Trajectory:
    """Steps to reach ``tol`` of each optimum with positive versus centred inputs (module docstring).

    Args:
        seed: the main draw is ``default_rng(seed)``; the SGD order and the
            ``draws`` further draws come from ``SeedSequence(seed, spawn_key=...)``.
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
            gd = descend(X[name], np.array(w_star), w0, lrs[name], tol, GD_MAX_STEPS)
            order = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(SGD_STREAM,)))
            sgd = descend(X[name], np.array(w_star), w0, sgd_lrs[name], tol, SGD_MAX_STEPS, per_example=True,
                          rng=order)
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
