"""One protocol for every model: seeded splits, validation carved from training, test scores, audit, ceiling.

Per split ``s`` of a data set (seeds from ``numpy.random.SeedSequence(seed, spawn_key=(stream, s))``):

1. the rows are split into training (80 %) and test (20 %), stratified for binary labels; the
   training rows into fitting (80 %) and validation (20 %) rows, stratified likewise. The test rows
   are used only for the scores below, never for a choice.
2. a ``StandardScaler`` is fitted on the fitting rows and applied to all rows; every model gets the
   same scaled arrays and the same model seed, and makes its choices on the validation rows.
3. on the test rows: the metric (RMSE for regression, accuracy for binary labels), a second score
   (R^2; ROC AUC), the fit time, the parameter count and the audit: sampled pairs ``x <= x'`` in the
   order of ``monotonic_cst`` (free features equal) with ``F(x) > F(x')`` (:func:`audit`), and a search
   for one witness ``x <= y`` with ``F(x) > F(y)`` anywhere in the box spanned by the test rows
   (:func:`signnet.find_violation`, :func:`witness`).
4. binary labels: the exact monotone ceiling of the test rows under the same ``monotonic_cst``
   (:func:`signnet.monotone_ceiling` with ``directions = monotonic_cst``): the best accuracy any
   classifier monotone in those features can reach on those rows. In its order a row is below another
   when every +1 feature is <=, every -1 feature is >= and every free feature is equal, so the ceiling
   is the sum over groups of rows with identical free features of each group's ceiling, over n.
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import accuracy_score, r2_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from signnet.experiments.benchmark.models import MODELS, Unavailable, parameter_count
from signnet.theory import dominance_violations, find_violation, monotone_ceiling

SPLIT_STREAM, MODEL_STREAM, AUDIT_STREAM, WITNESS_STREAM = 1, 2, 3, 5  # 4: the row subset (run.py)
TEST_FRACTION = 0.2  # of all rows
VAL_FRACTION = 0.2  # of the training rows
# signnet's defaults were chosen (bench/tune_defaults.py) on the validation rows of splits 0..TUNING_SPLITS-1 of seed
# TUNING_SEED of these data sets; the benchmark counts its test rows among them (run.py, DatasetResult.tuning_overlap)
TUNING_SEED, TUNING_SPLITS = 0, 3
AUDIT_TOL = 1e-6  # a gap counts when F(x) - F(x') > AUDIT_TOL * max(1, |F(x)|, |F(x')|)


def derived_seed(seed: int, stream: int, split: int) -> int:
    """A 32-bit seed for one stream (splits, models, audit) and one split."""
    return int(np.random.SeedSequence(seed, spawn_key=(stream, split)).generate_state(1)[0])


def split_indices(y: np.ndarray, task: str, *, seed: int, split: int, test_fraction: float = TEST_FRACTION,
                  val_fraction: float = VAL_FRACTION) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row indices ``(fit, validation, test)`` of split ``split``: disjoint, sorted, covering every row.

    Binary labels are stratified in both cuts. The same ``(seed, split)`` always gives the same rows.
    """
    rs = derived_seed(seed, SPLIT_STREAM, split)
    idx = np.arange(len(y))
    strat = y if task == "binary" else None
    train, test = train_test_split(idx, test_size=test_fraction, random_state=rs, stratify=strat)
    strat = y[train] if task == "binary" else None
    fit, val = train_test_split(train, test_size=val_fraction, random_state=rs, stratify=strat)
    return np.sort(fit), np.sort(val), np.sort(test)


def score_function(est):
    """The continuous output audited: P(y = 1) for a classifier, the prediction for a regressor."""
    if hasattr(est, "predict_proba") and hasattr(est, "classes_"):
        return lambda X: est.predict_proba(X)[:, 1]
    return est.predict


def sampled_violations(est, X: np.ndarray, cst: np.ndarray, *, n_pairs: int, seed: int) -> int:
    """Violating pairs among ``n_pairs`` sampled comparable pairs ``x <= x'`` (the fallback audit).

    ``x`` is a row of ``X``; ``x'`` moves a random non-empty subset of the constrained features by
    ``u * span / 2`` (``u ~ U(0, 1)``, span over ``X``) in their direction (+1 up, -1 down) and keeps the
    free features, so ``x <= x'`` in the order of ``cst``; the pair violates when ``F(x) - F(x') > tol``.
    """
    rng = np.random.default_rng(seed)
    on = np.flatnonzero(cst)
    rows = X[rng.integers(0, len(X), n_pairs)]
    mask = np.zeros((n_pairs, X.shape[1]))
    pick = rng.random((n_pairs, on.size)) < 0.5
    pick[np.arange(n_pairs), rng.integers(0, on.size, n_pairs)] = True  # at least one feature moves
    mask[:, on] = pick
    span = X.max(axis=0) - X.min(axis=0)
    step = np.where(span > 0, span / 2, 1.0) * rng.random((n_pairs, X.shape[1])) * mask * cst
    f = score_function(est)
    lo, hi = f(rows), f(rows + step)
    gap = lo - hi
    return int(np.count_nonzero(gap > AUDIT_TOL * np.maximum(1.0, np.maximum(np.abs(lo), np.abs(hi)))))


def audit(est, X: np.ndarray, cst: np.ndarray, *, n_pairs: int, seed: int) -> tuple[int, int, str]:
    """``(violating pairs, pairs checked, method)`` on the rows ``X`` (scaled as the model sees them).

    Uses :func:`signnet.dominance_violations` when it accepts ``monotonic_cst=`` and estimators,
    else :func:`sampled_violations`.
    """
    if "monotonic_cst" in inspect.signature(dominance_violations).parameters:
        try:
            report = dominance_violations(est, X.astype(np.float32), n_pairs=n_pairs, seed=seed,
                                          monotonic_cst=[int(c) for c in cst])
            return int(report.violations), int(report.n_pairs), "signnet.dominance_violations"
        except (TypeError, AttributeError):  # an installation whose audit does not take estimators yet
            pass
    return sampled_violations(est, X, cst, n_pairs=n_pairs, seed=seed), n_pairs, "sampled pairs (benchmark)"


def witness(est, X: np.ndarray, cst: np.ndarray, *, n_starts: int, steps: int, seed: int) -> float | None:
    """The gap ``F(x) - F(y) > 0`` of the witness :func:`signnet.find_violation` finds, or ``None``.

    The search box is ``(X.min(axis=0), X.max(axis=0))`` (the test rows, scaled as the model sees
    them), the order is ``cst`` (``x <= y``: +1 features up, -1 features down, free features equal)
    and ``X`` is passed as data (a black box starts from its rows). A torch-backed estimator
    (``module_``) is searched by gradient ascent (``n_starts`` starts, ``steps`` Adam steps) on its
    output (the logit of a classifier); any other by queries (``n_starts`` base points, ``steps``
    grid points per constrained feature, ``n_starts * steps`` random pairs) on ``decision_function``,
    else P(y = 1), else the prediction. Finding none proves nothing; finding one is a counterexample.
    """
    found = find_violation(est, (X.min(axis=0), X.max(axis=0)), n_starts=n_starts, steps=steps, seed=seed,
                           monotonic_cst=[int(c) for c in cst], X=X)
    return None if found is None else float(found.gap)


@dataclass
class SplitRun:
    """What one model did on one split (``fitted``: the estimator and its scaler, kept for plots)."""

    metric: float
    second: float
    fit_seconds: float
    parameters: int | None
    violations: int
    pairs: int
    audit_method: str
    witness_gap: float | None = None
    fitted: object = field(default=None, repr=False)


def run_model(name: str, task: str, cst: np.ndarray, X: np.ndarray, y: np.ndarray, rows, *, seed: int, split: int,
              max_epochs: int | None, n_pairs: int, witness_budget: tuple[int, int] = (16, 100)) -> SplitRun:
    """Fit model ``name`` on the fitting rows (choices on the validation rows), score it on the test rows.

    ``witness_budget`` is ``(n_starts, steps)`` of the witness search (:func:`witness`).

    Raises:
        Unavailable: the model's package is not importable.
    """
    fit, val, test = rows
    scaler = StandardScaler().fit(X[fit])
    Xs = scaler.transform(X)
    spec = MODELS[name]
    est = spec.factory(task, cst, derived_seed(seed, MODEL_STREAM, split), max_epochs)
    start = time.perf_counter()
    est = spec.fit(est, Xs[fit], y[fit], Xs[val], y[val], max_epochs)
    seconds = time.perf_counter() - start
    pred = np.asarray(est.predict(Xs[test]))
    if task == "binary":
        metric = float(accuracy_score(y[test], pred))
        second = float(roc_auc_score(y[test], score_function(est)(Xs[test])))
    else:
        metric = float(np.sqrt(np.mean((pred - y[test]) ** 2)))
        second = float(r2_score(y[test], pred))
    violations, pairs, method = audit(est, Xs[test], cst, n_pairs=n_pairs, seed=derived_seed(seed, AUDIT_STREAM, split))
    gap = witness(est, Xs[test], cst, n_starts=witness_budget[0], steps=witness_budget[1],
                  seed=derived_seed(seed, WITNESS_STREAM, split))
    return SplitRun(metric, second, round(seconds, 3), parameter_count(est), violations, pairs, method, gap, (scaler, est))


def ceiling_of(X: np.ndarray, y: np.ndarray, cst: np.ndarray) -> float:
    """Exact monotone ceiling of ``(X, y)`` under ``cst`` (free features must be equal; -1 reverses)."""
    return float(monotone_ceiling(X, y, directions=cst).accuracy)


__all__ = ["SplitRun", "Unavailable", "audit", "derived_seed", "run_model", "sampled_violations", "split_indices",
           "ceiling_of", "witness"]
