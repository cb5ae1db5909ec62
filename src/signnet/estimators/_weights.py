"""Sample weights of the estimators' ``fit(X, y, sample_weight=...)``: their validation.

A weight scales a row's term in every loss the fit computes: the training loss of each minibatch
(a weighted mean over the network's rows in it), the validation loss that early stopping watches
and the validation score it records (weighted R^2 or accuracy), as ``HistGradientBoosting*`` and
``MLP*`` take ``sample_weight``; the ordinal cut points start from the weighted class shares.
Validation rows are drawn among the rows of positive weight only. A row of weight 0 is left out of
every loss and of the standardisation (its inputs and target are replaced by 0 before training, so
even a sentinel such as 1e30 on it changes nothing) and of the minibatches, which are drawn from
the rows some network trains on.

The standardisation is the unweighted mean and standard deviation of the rows of positive weight:
weighting it would give a column that varies mostly across light rows a small scale, and those rows
would reach the network far outside the range it trains on.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from signnet.errors import SignnetError


def _as_floats(sample_weight, n: int, name: str = "sample_weight") -> np.ndarray:
    if isinstance(sample_weight, Real) and not isinstance(sample_weight, bool):
        return np.full(n, float(sample_weight))
    w = np.asarray(sample_weight)
    if w.dtype.kind == "b" or w.dtype.kind in "USc":
        first = w.flat[0] if w.size else w
        kind = "complex numbers" if w.dtype.kind == "c" else f"values such as {first!r}"
        raise SignnetError(f"{name} must hold real numbers, got {kind}; pass one number >= 0 per row "
                           "(e.g. sklearn.utils.class_weight.compute_sample_weight('balanced', y)).")
    if w.dtype.kind == "O":  # numbers held in an object array (Decimal, Fraction) are weights; None is not
        bad = [v for v in w.ravel() if not _is_number(v)][:1]  # None too
        if bad:
            bad = bad[0]
            raise SignnetError(f"{name} holds {bad!r}, which is not a number; pass one number >= 0 per row.")
    return np.asarray(w, dtype=np.float64)


def _is_number(value) -> bool:
    if isinstance(value, (bool, np.bool_, complex, np.complexfloating, str, bytes)):  # "1" is text, not a weight
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def check_sample_weight(sample_weight, n: int, name: str = "sample_weight", rows: str = "X") -> np.ndarray | None:
    """``None`` (every row weighs the same), or float32 weights ``(n,)`` >= 0 scaled to mean 1.

    A number stands for that weight on every row. Weights that are all equal give ``None``: the
    unweighted fit, bit for bit. The scaling leaves every weighted mean as it is and keeps the loss
    in the units of the unweighted fit (so ``tol`` means the same). The weights are returned in
    float32, the precision the network trains in; ratios float32 cannot hold are refused.
    """
    if sample_weight is None:
        return None
    w = _as_floats(sample_weight, n, name)
    if w.ndim != 1:
        raise SignnetError(f"{name} is {w.ndim}-D, shape {w.shape}; pass a 1-D array of {n} weights, one "
                           "per row (w.ravel(), or a DataFrame's column df['weight']).")
    if w.shape[0] != n:
        raise SignnetError(f"{name} has {w.shape[0]} weights, but {rows} has {n} rows; pass one weight per row.")
    for test, what in ((np.isnan, "NaN"), (np.isinf, "infinite")):
        bad = test(w)
        if bad.any():
            raise SignnetError(f"{name} holds {int(bad.sum())} {what} value{'s' if bad.sum() > 1 else ''} "
                               f"(first at row {int(np.argmax(bad))}); pass finite weights >= 0.")
    if (w < 0).any():
        row = int(np.argmax(w < 0))
        where = "" if np.ptp(w) == 0 else f" at row {row}"
        raise SignnetError(f"{name} holds {w[row]:g}{where}; weights must be >= 0 (0 leaves a row out).")
    top = w.max()
    if top == 0:
        raise SignnetError(f"{name} is zero on every row; give some rows a positive weight.")
    if np.ptp(w) == 0:
        return None  # all equal: exactly the unweighted fit
    w = w / top  # in (0, 1]: the mean below cannot overflow
    w32 = (w / w.mean()).astype(np.float32)
    lost = (w > 0) & (w32 == 0)
    if lost.any():
        row = int(np.argmax(lost))
        raise SignnetError(f"{name}'s ratio of largest to smallest positive weight ({1 / w[w > 0].min():.3g}, "
                           f"smallest at row {row}) is beyond float32, in which the networks train; clip the "
                           "smallest weights up, or set them to 0 to leave those rows out.")
    return w32
