"""Validation data of the estimators: each network's validation rows, the score recorded on them, and
validation rows given to ``fit`` (``X_val``, ``y_val``, ``sample_weight_val``, as
``HistGradientBoosting*.fit`` takes them).

Without ``X_val`` every network holds out its own ``validation_fraction`` of the rows
(:func:`draw_validation_rows`). With it every network trains on all the rows of ``X`` and stops
on the rows of ``X_val`` (:func:`check_validation_data`); ``validation_fraction`` is then unused.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_array, column_or_1d, validate_data

from signnet.errors import SignnetError
from signnet.estimators._weights import check_sample_weight


def draw_validation_rows(est, target: np.ndarray, n_networks: int, seed: int,
                         eligible: np.ndarray | None = None) -> list[np.ndarray] | None:
    """Each network's validation rows (sorted indices), ``None`` without early stopping.

    They are drawn among the ``eligible`` rows (sorted indices; ``None``: every row), with
    sample weights the rows of positive weight; ``n`` below counts those.

    Each network holds out ``ceil(validation_fraction * n)`` rows, stratified by class for a
    classifier's target when every class has two rows and each side of the split room for every
    class. When ``n_networks`` such sets fit in the rows
    (``n_networks * ceil(validation_fraction * n) <= n``) they are disjoint, drawn one after the
    other from the rows not yet held out; otherwise each is an independent random draw.
    """
    if not est.early_stopping:
        return None
    every = np.arange(target.shape[0]) if eligible is None else eligible
    n = every.size
    n_val = math.ceil(est.validation_fraction * n)
    if n - n_val < 1:
        counted = "" if eligible is None else " of positive weight"
        raise SignnetError(f"X has {n} sample{'s' if n != 1 else ''}{counted}, too few to hold out "
                           f"validation_fraction={est.validation_fraction!r} for early stopping and train on the "
                           f"rest: pass more samples or early_stopping=False.")
    disjoint = n_networks * n_val <= n
    seeds = np.random.RandomState(seed).randint(0, 2**31 - 1, size=n_networks)
    pool, held = every, []
    for r in range(n_networks):
        rows = pool if disjoint else every
        if n_val == rows.size:
            val = rows
        else:
            stratify = None
            if est._head != "regression":
                n_classes = int(target.max()) + 1
                counts = np.bincount(target[rows].astype(np.int64), minlength=max(n_classes, 2))
                if counts.min() >= 2 and n_val >= counts.size and rows.size - n_val >= counts.size:
                    stratify = target[rows]
            _, val = train_test_split(rows, test_size=n_val, random_state=int(seeds[r]), stratify=stratify)
        held.append(np.sort(val))
        if disjoint:
            pool = np.setdiff1d(pool, val)
    return held


def validation_score(head: str):
    """``score(output (m,), y_val, w=None)``: R^2 (regression) or accuracy (classifiers), as
    ``MLPRegressor``/``MLPClassifier``; weighted by the validation rows' sample weights ``w`` ``(m,)`` when given.

    The ordinal trainer passes a member's predicted classes as ``output`` (:func:`train_members`).
    """
    if head == "regression":
        def r2(out: torch.Tensor, y_val: torch.Tensor, w: torch.Tensor | None = None) -> float:
            y_val = y_val[:, 0]
            if w is None:
                total = float(((y_val - y_val.mean()) ** 2).sum())
                residual = float(((out - y_val) ** 2).sum())
            else:  # sklearn's r2_score(sample_weight=w)
                total = float((w * (y_val - (w * y_val).sum() / w.sum()) ** 2).sum())
                residual = float((w * (out - y_val) ** 2).sum())
            if total == 0.0:  # a constant validation target: sklearn's r2_score(force_finite=True)
                return 1.0 if residual == 0.0 else 0.0
            return 1.0 - residual / total
        return r2

    def accuracy(out: torch.Tensor, y_val: torch.Tensor, w: torch.Tensor | None = None) -> float:
        labels = out if head == "ordinal" else (out > 0).long()
        right = (labels == y_val).float()
        return float(right.mean()) if w is None else float((w * right).sum() / w.sum())
    return accuracy


def check_validation_data(est, X_val, y_val, sample_weight_val) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(X_val (m, d) float64, its targets encoded as fit encodes y (m,), weights (m,) float32 or None)``.

    Called in ``fit`` once ``X`` and ``y`` are checked (``n_features_in_``, ``feature_names_in_``
    and, for classifiers, ``classes_`` are set): ``X_val`` must have the same features, ``y_val``
    only classes seen in ``y``. Rows of ``sample_weight_val`` 0 are dropped (they weigh nothing in
    the validation loss and score).
    """
    if X_val is None and y_val is None:
        raise SignnetError("sample_weight_val is given without X_val and y_val; pass the validation rows and their "
                           "targets with it, or leave it out.")
    if X_val is None or y_val is None:
        given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
        raise SignnetError(f"{given} is given but {missing} is not; pass both, the validation rows and their targets.")
    if not est.early_stopping:
        raise SignnetError("X_val and y_val are given but early_stopping=False, and they serve only to stop early; "
                           "set early_stopping=True or leave them out.")
    try:
        X_val = validate_data(est, X_val, reset=False, dtype=[np.float64, np.float32])
    except (ValueError, TypeError) as error:  # scikit-learn's sentences name X: here they are about X_val
        text = " ".join(str(error).replace("Input X ", "X_val ").replace("X has ", "X_val has ")
                        .replace("passed for X,", "passed for X_val,").split())
        if text.startswith("X_val contains"):  # scikit-learn's paragraph on NaN, in one sentence
            text = f"{text.split('.')[0]}; drop or impute those rows of X_val."
        raise SignnetError(text if text.startswith("X_val") else f"X_val: {text}") from None
    m = X_val.shape[0]
    regression = est._head == "regression"
    try:
        y_val = column_or_1d(check_array(y_val, ensure_2d=False, dtype="numeric" if regression else None,
                                         ensure_all_finite=True), warn=True)
    except ValueError as error:
        raise SignnetError("y_val: " + " ".join(str(error).replace(".Convert", ". Convert").split())) from None
    if y_val.shape[0] != m:
        raise SignnetError(f"y_val has {y_val.shape[0]} entries but X_val has {m} rows; give one target per row.")
    if regression:
        target = y_val.astype(np.float64)
        big = np.abs(target) > np.finfo(np.float32).max
        if big.any():
            raise SignnetError(f"y_val holds {float(target[np.argmax(big)]):.3g}, beyond float32's range, in which "
                               "the networks compare it with their predictions; rescale y and y_val.")
    else:
        rank = {c: k for k, c in enumerate(est.classes_.tolist())}
        unknown = [v for v in dict.fromkeys(y_val.tolist()) if v not in rank]
        if unknown:
            raise SignnetError(f"y_val holds the label{'s' if len(unknown) > 1 else ''} "
                               f"{', '.join(repr(v) for v in unknown[:5])}, not among the classes of y "
                               f"{est.classes_.tolist()}; validation rows can only have classes the model is fitted to.")
        target = np.array([rank[v] for v in y_val.tolist()], dtype=np.int64)
    weights = check_sample_weight(sample_weight_val, m, name="sample_weight_val", rows="X_val")
    if weights is not None:
        kept = weights > 0
        X_val, target, weights = X_val[kept], target[kept], weights[kept] / weights[kept].mean()
    return X_val.astype(np.float64), target, weights
