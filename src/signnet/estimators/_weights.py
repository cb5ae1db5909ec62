"""Sample weights of the estimators' ``fit(X, y, sample_weight=...)``: their validation and weighted moments.

A weight scales a row's term in every loss the fit computes: the training loss of each minibatch
(a weighted mean over the network's rows in it), the validation loss that early stopping watches
and the validation score it records (weighted R^2 or accuracy), as ``HistGradientBoosting*`` and
``MLP*`` take ``sample_weight``. The standardisation of ``X`` and of a regression target uses the
weighted mean and standard deviation, and validation rows are drawn among the rows of positive
weight only, so a row of weight 0 enters no loss and no statistic. It still takes a place in the
minibatches (whose order is drawn over all rows), so the fit is not the same, bit for bit, as the
fit without that row.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from signnet.errors import SignnetError


def check_sample_weight(sample_weight, n: int) -> np.ndarray | None:
    """``None`` (every row weighs the same), or float64 weights ``(n,)`` >= 0 scaled to mean 1.

    A number stands for that weight on every row. The scaling leaves every weighted mean as it is
    and keeps the loss in the units of the unweighted fit (so ``tol`` means the same); weights that
    are all equal give exactly 1.0 on every row, the unweighted fit.
    """
    if sample_weight is None:
        return None
    if isinstance(sample_weight, Real) and not isinstance(sample_weight, bool):
        sample_weight = np.full(n, float(sample_weight))
    w = np.asarray(sample_weight)
    if w.dtype.kind not in "biuf" or w.dtype.kind == "b":
        raise SignnetError(f"sample_weight must hold numbers, got values of type {w.dtype}; pass one number >= 0 "
                           "per row.")
    if w.ndim != 1 or w.shape[0] != n:
        raise SignnetError(f"sample_weight has shape {w.shape}, but X has {n} rows; pass one weight per row, "
                           f"shape ({n},).")
    w = w.astype(np.float64)
    bad = ~np.isfinite(w)
    if bad.any():
        raise SignnetError(f"sample_weight holds {int(bad.sum())} NaN or infinite values (first at row "
                           f"{int(np.argmax(bad))}); pass finite weights >= 0.")
    if (w < 0).any():
        row = int(np.argmax(w < 0))
        raise SignnetError(f"sample_weight holds {w[row]:g} at row {row}; weights must be >= 0 (0 leaves a row out).")
    with np.errstate(over="ignore"):  # an overflowing sum is refused below
        mean = w.mean()
    if not mean > 0:
        raise SignnetError("sample_weight is zero on every row; give some rows a positive weight.")
    if not np.isfinite(mean):
        raise SignnetError("sample_weight's sum overflows float64; rescale the weights (only their ratios matter).")
    return w / mean


def moments(values: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of ``values`` ``(n, ...)`` over the rows, weighted when ``weights`` ``(n,)`` is given."""
    if weights is None:
        return values.mean(axis=0), values.std(axis=0)
    mean = np.average(values, axis=0, weights=weights)
    return mean, np.sqrt(np.average((values - mean) ** 2, axis=0, weights=weights))
