r"""Forcing a regression network's outputs to be non-negative: penalty, Lagrange multipliers, transforms.

The question (Q&A seed 003, "How to optimize the weights and bias in your neural
network in order to get as results only positive values?") asks how to make the
outputs of a network non-negative without putting a ReLU on the last layer. The
answer (K. Frank) lists three options:

1. **A penalty** added to the loss, ``loss + alpha * (relu(-pred)**2).sum()``:
   it "will not force the elements of pred to be positive, but it will
   encourage them to be positive" (:mod:`.methods`).
2. **An exact constrained problem** with slack variables ``pred - slack**2 == 0``
   and Lagrange multipliers, solved by descent on the weights and *ascent* on the
   multipliers; "the Lagrange-multiplier technique will not force pred to be
   non-negative during the training process; only after the optimization has
   converged" (:mod:`.lagrangian`, with cooper-optim, in the slack form and in
   the inequality form).
3. **An output transform**, ``relu()`` or "perhaps better" ``exp()`` (:mod:`.methods`).

This module trains every method on one censored regression task whose
unconstrained least-squares fit predicts negative values, measures them and
computes the verdicts (:mod:`.verdicts`); it returns a
:class:`~.results.PositiveOutputResults` and writes no HTML. The report
(figures, ``results.json``, ``index.html``) is :mod:`.report`.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from signnet.experiments.positive_output.lagrangian import train_lagrangian
from signnet.experiments.positive_output.methods import (
    CHECKPOINTS,
    CONFIG,
    DIAGNOSTIC,
    FIELDS,
    FORMS,
    LAGRANGIANS,
    METHODS,
    PENALTIES,
    QUICK,
    TASK,
    TOL,
    TRANSFORMS,
    make_data,
    train_direct,
)
from signnet.experiments.positive_output.report import FIGURES, section_html, write_report
from signnet.experiments.positive_output.results import (
    Convergence,
    Diagnostic,
    Feasibility,
    MethodDetails,
    MethodRow,
    PositiveOutputResults,
    Summary,
    TransformCost,
)
from signnet.experiments.positive_output.verdicts import verdicts
from signnet.experiments.runner import run_study

SOURCE = ("Q&A seed 003: \u201cHow to optimize the weights and bias in your neural network in order to get as "
          "results only positive values?\u201d")

__all__ = ["FIELDS", "FIGURES", "LAGRANGIANS", "METHODS", "PENALTIES", "TOL", "TRANSFORMS", "compute",
           "make_data", "run_positive_output", "section_html"]


def run_positive_output(out: Path, *, seed: int = 0, quick: bool = False, progress: bool = True) -> dict:
    """Train every method, write ``results.json``, the figures and ``index.html`` into ``out``; return the results.

    Args:
        out: output folder (created if missing; an existing file is refused).
        seed: seeds the data and the (shared) initial weights.
        quick: fewer training points and epochs (a smoke run for tests).
        progress: a progress bar on stderr.

    Returns the dictionary written to ``results.json``: ``results["methods"]``
    maps each name of :data:`METHODS` to exactly ``train_negative_fraction``,
    ``test_negative_fraction``, ``min_train_prediction``, ``test_mse`` and
    ``seconds``; ``results["details"]`` holds the rest, ``results["verdicts"]``
    the claims checked against these numbers (schema: :mod:`.results`).
    """
    def run(out_: Path, seed_: int, quick_: bool, progress_: bool) -> dict:
        return write_report(compute(seed=seed_, quick=quick_, progress=progress_), out_)

    return run_study(run, out, seed=seed, quick=quick, progress=progress)


def compute(*, seed: int = 0, quick: bool = False, progress: bool = False) -> PositiveOutputResults:
    """Train every method of :data:`METHODS` (and the plain slack diagnostic), measure them, check the verdicts."""
    start, cpu_start = time.perf_counter(), time.process_time()
    cfg = dict(QUICK if quick else CONFIG)
    data = make_data(cfg["n_train"], cfg["n_test"], cfg["noise"], seed)
    # the first torch optimizer imports torch._dynamo (about 2 s): do it here, so no method's time includes it
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])
    methods, details, histories, predictions, diagnostics = {}, {}, {}, {}, {}
    bar = tqdm([*METHODS, DIAGNOSTIC], desc="positive-output", disable=not progress, leave=False)
    for name in bar:
        bar.set_postfix_str(name, refresh=True)
        t0 = time.perf_counter()
        if name == DIAGNOSTIC:
            predict, rec, info = train_lagrangian("lagrangian_slack", data, cfg, seed, plain_slack=True)
        elif name in LAGRANGIANS:
            predict, rec, info = train_lagrangian(name, data, cfg, seed)
        else:
            predict, rec, info = train_direct(name, data, cfg, seed)
        seconds = round(time.perf_counter() - t0, 3)
        hist = histories[name] = rec.arrays()
        main, extra, preds = evaluate(predict, data)
        if name == DIAGNOSTIC:
            conv = convergence(hist) if len(hist.get("min_prediction", [])) else None
            diagnostics[name] = Diagnostic(**_finite({**main, **extra, **info, "seconds": seconds}), convergence=conv)
            continue
        methods[name] = MethodRow(**main, seconds=seconds)
        details[name] = MethodDetails(**extra, **info, convergence=convergence(hist),
                                      history=thin(hist, cfg["history_points"]))
        predictions[name] = preds
    bar.close()

    summary = summarise(methods, details, diagnostics, data)
    config = {**cfg, "quick": quick, "methods": list(METHODS), "task": TASK}
    return PositiveOutputResults(
        study="positive_output", source=SOURCE, quick=quick, tolerance=TOL, methods=methods, details=details,
        diagnostics=diagnostics, summary=summary, verdicts=verdicts(methods, details, diagnostics, summary),
        figures=list(FIGURES), config=config, seed=seed,
        elapsed_seconds=round(time.perf_counter() - start, 2), cpu_seconds=round(time.process_time() - cpu_start, 2),
        histories=histories, predictions=predictions, y_test=data["y_test"])


# --------------------------------------------------------------------------- measurements
def evaluate(predict, data: dict) -> tuple[dict, dict, dict]:
    """The table row, the details and the predictions (``(n_train,)``, ``(n_test,)``) of a trained method."""
    p_tr, p_te = predict(data["X_train"]), predict(data["X_test"])
    y_tr, y_te = data["y_train"], data["y_test"]
    main = {
        "train_negative_fraction": float((p_tr < 0).float().mean()),
        "test_negative_fraction": float((p_te < 0).float().mean()),
        "min_train_prediction": float(p_tr.min()),
        "test_mse": float(F.mse_loss(p_te, y_te)),
    }
    extra = {
        "train_mse": float(F.mse_loss(p_tr, y_tr)),
        "min_test_prediction": float(p_te.min()),
        "train_below_tol_fraction": float((p_tr < -TOL).float().mean()),
        "test_below_tol_fraction": float((p_te < -TOL).float().mean()),
        "exact_zero_train_fraction": float((p_tr == 0).float().mean()),
        "exact_zero_test_fraction": float((p_te == 0).float().mean()),
        "dead_train_fraction": float(((p_tr == 0) & (y_tr > 0)).float().mean()),
    }
    return main, extra, {"train": p_tr, "test": p_te}


def _snapshot(curve: np.ndarray, frac: float) -> float | None:
    idx = max(0, min(len(curve) - 1, int(round(frac * len(curve))) - 1))
    value = float(curve[idx])
    return value if math.isfinite(value) else None


def _snapshots(curve: np.ndarray) -> dict[str, float | None]:
    return {name: _snapshot(curve, f) for name, f in CHECKPOINTS}


def convergence(hist: dict[str, np.ndarray]) -> Convergence:
    """Violation ``max(0, -min yhat)`` and negative fraction at 10 %, 50 % and the end; when it became feasible."""
    viol = np.maximum(0.0, -hist["min_prediction"])
    bad = np.nonzero(hist["min_prediction"] < -TOL)[0]
    last_bad = int(bad[-1]) + 1 if len(bad) else 0
    recorded = int(len(viol))
    return Convergence(
        max_violation=_snapshots(viol), negative_fraction=_snapshots(hist["negative_fraction"]),
        largest_violation_during_training=_finite({"v": float(viol.max())})["v"],
        last_epoch_with_prediction_below_tol=last_bad,
        feasible_from_epoch=last_bad + 1 if last_bad < recorded else None, epochs_recorded=recorded,
        **{key: _snapshots(hist[key]) for key in ("multiplier_mean", "multiplier_max", "max_abs_residual")
           if key in hist})


def thin(hist: dict[str, np.ndarray], points: int) -> dict[str, list[float]]:
    """The per-epoch curves at ``points`` evenly spaced epochs (with their 1-based ``epoch``)."""
    n = len(next(iter(hist.values())))
    idx = np.unique(np.linspace(0, n - 1, min(points, n)).round().astype(int))
    return {"epoch": (idx + 1).tolist(), **{k: [float(v[i]) for i in idx] for k, v in hist.items()}}


def _finite(obj: dict) -> dict:
    """Replace non-finite floats (a diverged diagnostic run) by ``None`` so the JSON stays valid."""
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in obj.items()}


def summarise(methods: dict[str, MethodRow], details: dict[str, MethodDetails], diagnostics: dict[str, Diagnostic],
              data: dict) -> Summary:
    """The numbers behind the verdicts, gathered from the measured methods."""
    penalty_neg = [methods[p].train_negative_fraction for p in PENALTIES]
    others = [m for m in METHODS if m not in TRANSFORMS]
    best = min(others, key=lambda m: methods[m].test_mse)
    cost = {t: TransformCost(test_mse=methods[t].test_mse, best_other_method=best,
                             best_other_test_mse=methods[best].test_mse,
                             ratio_to_best_other=methods[t].test_mse / methods[best].test_mse,
                             ratio_to_none=methods[t].test_mse / methods["none"].test_mse) for t in TRANSFORMS}
    feasibility = {m: Feasibility(form=FORMS[m], epochs=details[m].epochs,
                                  last_epoch_with_prediction_below_tol=details[m].convergence
                                  .last_epoch_with_prediction_below_tol,
                                  feasible_from_epoch=details[m].convergence.feasible_from_epoch,
                                  largest_violation_during_training=details[m].convergence
                                  .largest_violation_during_training,
                                  min_train_prediction_at_end=methods[m].min_train_prediction) for m in LAGRANGIANS}
    return Summary(
        transforms_never_negative=all(methods[t].train_negative_fraction == 0.0
                                      and methods[t].test_negative_fraction == 0.0 for t in TRANSFORMS),
        penalty_negatives_non_increasing=bool(all(b <= a for a, b in zip(penalty_neg, penalty_neg[1:], strict=False))),
        penalty_largest_alpha_fewer_negatives=bool(penalty_neg[-1] < penalty_neg[0]),
        penalty_train_negative_fractions=dict(zip(PENALTIES, penalty_neg, strict=True)),
        lagrangian_feasible_at_end={m: bool(methods[m].min_train_prediction >= -TOL) for m in LAGRANGIANS},
        lagrangian_violated_during_training={
            m: bool(details[m].convergence.largest_violation_during_training > TOL) for m in LAGRANGIANS},
        penalty_any_below_tol={p: bool(details[p].train_below_tol_fraction > 0) for p in PENALTIES},
        none_train_negative_fraction=methods["none"].train_negative_fraction,
        zero_target_fraction_train=float((data["y_train"] == 0).float().mean()),
        relu_exact_zero_train_fraction=details["relu"].exact_zero_train_fraction,
        relu_dead_train_fraction=details["relu"].dead_train_fraction,
        slack_plain_lagrangian_min_train_prediction=diagnostics[DIAGNOSTIC].min_train_prediction,
        test_target_variance=float(data["y_test"].var(unbiased=False)),
        transform_cost=cost, lagrangian_feasibility=feasibility)
