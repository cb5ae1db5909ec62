"""Auditing a model that is not a torch module: queries only, no gradients.

Any fitted object with ``decision_function``, ``predict_proba`` or ``predict``
(tried in that order) can be audited for monotonicity, e.g. scikit-learn's
``HistGradientBoostingClassifier``. :class:`BlackBox` turns it into the checked
functions of :mod:`signnet.theory.outputs`:

* ``decision_function``: one column (a binary classifier's log-odds) is ``out0``;
  ``K`` columns are logits of a softmax, checked as differences ``logit{l}-logit{k}``;
* ``predict_proba``: two columns give ``out0`` = the probability of class 1; ``K > 2``
  columns are checked as log-probability differences (the log-odds of a higher
  class against a lower one);
* ``predict``: each column of the prediction (a regressor's value).

An ordinal model's ``latent_score`` (:class:`signnet.MonotoneOrdinalClassifier` with three or more
classes, which has no ``decision_function``), also as the last step of a ``Pipeline``, is queried
before ``predict_proba``: one column, the score its classes are cut from.

:func:`search_violation` looks for ``x`` preceding ``y`` (see :mod:`signnet.theory._cst`)
with ``F(x) > F(y)`` without derivatives (a tree ensemble has none): from random base
points in the box (and data rows when given), each constrained feature is swept
along a grid between the bounds (plus the data's values of that feature) with the
others held fixed, and every later grid value is compared with the largest
earlier one; then random pairs ``y = x + c * u`` with ``u >= 0`` on a random
subset of the constrained features. It is a search: finding nothing proves nothing.
"""

from __future__ import annotations

import numpy as np
import torch

from signnet.errors import SignnetError
from signnet.theory.outputs import checked_functions, output_names

__all__ = ["BlackBox", "search_violation"]

METHODS = ("decision_function", "predict_proba", "predict")
_CHUNK = 65536


class BlackBox:
    """A fitted non-torch model, queried on float64 arrays ``(n, d)``.

    Attributes:
        estimator: the wrapped object.
        method: the method queried: the first of :data:`METHODS` it has, or ``"latent_score"`` for an
            ordinal model without ``decision_function`` (also as a ``Pipeline``'s last step).
        n_features: ``estimator.n_features_in_`` when set, else ``None``.
        feature_names: ``estimator.feature_names_in_`` when set (queries are then
            DataFrames with these columns), else ``None``.
    """

    def __init__(self, estimator):
        self.estimator = estimator
        self.method = next(m for m in METHODS if callable(getattr(estimator, m, None)))
        steps = getattr(estimator, "steps", None)
        self._final = steps[-1][1] if isinstance(steps, list) and steps else estimator
        if self.method != "decision_function" and callable(getattr(self._final, "latent_score", None)):
            self.method = "latent_score"
        n = getattr(estimator, "n_features_in_", None)
        self.n_features = int(n) if n is not None else None
        names = getattr(estimator, "feature_names_in_", None)
        self.feature_names = None if names is None else [str(f) for f in names]
        self.head = None
        self.names: list[str] | None = None

    @property
    def name(self) -> str:
        return type(self.estimator).__name__

    def _raw(self, X: np.ndarray) -> np.ndarray:
        if self.feature_names is not None and len(self.feature_names) == X.shape[1]:
            import pandas as pd

            X = pd.DataFrame(X, columns=self.feature_names)
        if self.method == "latent_score" and self._final is not self.estimator:  # a Pipeline: its transforms first
            out = self._final.latent_score(self.estimator[:-1].transform(X) if len(self.estimator.steps) > 1 else X)
        else:
            out = getattr(self.estimator, self.method)(X)
        per_output = isinstance(out, list) and len(out) > 0 and np.ndim(out[0]) >= 2  # one (n, k) array per output
        if per_output or (hasattr(out, "ndim") and out.ndim > 2):  # e.g. MultiOutputClassifier.predict_proba
            raise SignnetError(f"{self.name}.{self.method} returns one array per output (a list, or shape "
                               f"{np.shape(out)}), not one row per sample; audit each output's estimator (e.g. "
                               "model.estimators_[k]) on its own.")
        out = np.asarray(out)
        if out.shape[:1] != (X.shape[0],):
            raise SignnetError(f"{self.name}.{self.method} returned shape {out.shape} for {X.shape[0]} rows; the "
                               "audit needs one row of outputs per sample.")
        if out.dtype.kind == "O":  # numbers in an object array read as before; labels such as strings do not
            try:
                out = out.astype(np.float64)
            except (TypeError, ValueError):
                pass
        if out.dtype.kind not in "biuf":
            raise SignnetError(f"{self.name}.{self.method} returns {out.dtype} values such as {out.flat[0]!r}, which "
                               "have no order to check; audit a model with decision_function or predict_proba, or "
                               "encode the classes as numbers.")
        out = out.astype(np.float64)
        return out.reshape(out.shape[0], -1)

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """The checked functions at the rows of ``X``: shape ``(n, n_checked)``, float64."""
        parts = []
        for i in range(0, X.shape[0], _CHUNK):
            raw = self._raw(X[i:i + _CHUNK])
            if self.method == "predict_proba":
                if raw.shape[1] == 2:
                    raw = raw[:, 1:]
                else:
                    raw, self.head = np.log(np.clip(raw, 1e-300, None)), "softmax"
            elif self.method == "decision_function" and raw.shape[1] > 1:
                self.head = "softmax"
            parts.append(checked_functions(torch.from_numpy(raw), self.head).numpy())
            if self.names is None:
                self.names = output_names(raw.shape[1], self.head)
        return np.concatenate(parts)


def _gap_scale(fx: np.ndarray, fy: np.ndarray) -> np.ndarray:
    return np.maximum(1.0, np.maximum(np.abs(fx), np.abs(fy)))


def _beyond_rounding(gaps: np.ndarray, fx: np.ndarray, fy: np.ndarray, tol: float) -> np.ndarray:
    """``gaps`` where they exceed ``tol * max(1, |F(x)|, |F(y)|)`` (and 0), ``-inf`` elsewhere."""
    return np.where((gaps > tol * _gap_scale(fx, fy)) & (gaps > 0), gaps, -np.inf)


def search_violation(box: BlackBox, low: np.ndarray, high: np.ndarray, cst: np.ndarray, *, X=None,
                     n_starts: int = 64, steps: int = 200, seed: int = 0, col: int | None = 0,
                     tol: float = 1e-6):
    """The largest violation found without gradients, as ``(x, y, f_x, f_y, j)``, or ``None``.

    Args:
        box: the model.
        low, high: the box, shape ``(d,)``.
        cst: ``(d,)`` of -1/0/1; free features (0) keep their base point's value.
        X: data rows ``(n, d)`` or ``None``: half the base points are rows (clipped to the box)
            and each feature's distinct values inside the box join its grid (at most ``steps`` of them,
            evenly spaced quantiles).
        n_starts: base points.
        steps: grid points per constrained feature; ``n_starts * steps`` random pairs besides.
        seed: seed of the base points and pairs (a numpy ``Generator``).
        col: checked function to compare, or ``None`` for the largest gap over all.
        tol: relative tolerance: gaps up to ``tol * max(1, |F(x)|, |F(y)|)`` are rounding.

    The cost is ``n_starts * steps * (2 + number of constrained features)`` model queries.
    """
    rng = np.random.default_rng(seed)
    d = low.shape[0]
    constrained = np.flatnonzero(cst != 0)
    span = high - low
    bases = low + span * rng.random((n_starts, d))
    if X is not None and len(X):
        rows = X[rng.integers(0, len(X), n_starts // 2)]
        bases[: len(rows)] = np.clip(rows, low, high)
    best = (-np.inf, None, None)

    def consider(xs: np.ndarray, ys: np.ndarray) -> None:
        nonlocal best
        f = box(np.concatenate([xs, ys]))
        fx, fy = f[: len(xs)], f[len(xs):]
        if col is not None:
            fx, fy = fx[:, col:col + 1], fy[:, col:col + 1]
        kept = _beyond_rounding(fx - fy, fx, fy, tol).max(axis=1)  # the largest gap beyond rounding
        k = int(np.argmax(kept))
        if kept[k] > best[0]:
            best = (float(kept[k]), xs[k].copy(), ys[k].copy())

    for i in constrained:
        grid = np.linspace(low[i], high[i], steps)
        if X is not None and len(X):
            seen = np.unique(X[:, i][(X[:, i] >= low[i]) & (X[:, i] <= high[i])])
            if len(seen) > steps:
                seen = np.quantile(seen, np.linspace(0, 1, steps), method="nearest")
            grid = np.unique(np.concatenate([grid, seen]))
        grid = grid if cst[i] > 0 else grid[::-1]  # in the direction the output must not fall
        pts = np.repeat(bases[:, None, :], len(grid), axis=1)  # (n_starts, g, d)
        pts[:, :, i] = grid
        f = box(pts.reshape(-1, d)).reshape(n_starts, len(grid), -1)
        fj = f if col is None else f[:, :, col:col + 1]
        run = np.maximum.accumulate(fj, axis=1)  # largest value so far along the sweep
        gap = run[:, :-1] - fj[:, 1:]  # (n_starts, g - 1, k): earlier (preceding) minus later
        if gap.size == 0:
            continue
        s, t, j = np.unravel_index(int(np.argmax(gap / _gap_scale(run[:, :-1], fj[:, 1:]))), gap.shape)
        earlier = int(np.argmax(fj[s, : t + 1, j]))
        consider(pts[s, earlier][None], pts[s, t + 1][None])
    n_pairs = n_starts * steps
    xs = low + span * rng.random((n_pairs, d))
    mask = np.zeros((n_pairs, d), bool)
    if constrained.size:
        mask[:, constrained] = rng.random((n_pairs, constrained.size)) < 0.5
        mask[np.arange(n_pairs), constrained[rng.integers(0, constrained.size, n_pairs)]] = True
        room = np.where(cst > 0, high - xs, xs - low)
        ys = xs + cst * room * rng.random((n_pairs, d)) * mask
        ys = np.clip(ys, low, high)
        consider(xs, ys)
    if best[1] is None:
        return None
    x, y = best[1], best[2]
    fx, fy = box(np.stack([x, y]))
    gaps = fx - fy
    j = int(np.argmax(_beyond_rounding(gaps, fx, fy, tol))) if col is None else col
    if not gaps[j] > max(tol * max(1.0, abs(fx[j]), abs(fy[j])), 0.0):
        return None
    return x, y, float(fx[j]), float(fy[j]), j
