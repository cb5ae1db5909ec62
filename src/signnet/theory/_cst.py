"""Monotonicity constraints per feature (scikit-learn's ``monotonic_cst``), read in one place.

``monotonic_cst[i]`` is ``1`` (the output must not decrease as feature ``i``
rises), ``-1`` (must not increase) or ``0`` (free: no constraint; the audit
holds it fixed). The same convention as scikit-learn's
``HistGradientBoostingClassifier(monotonic_cst=...)``, and errors worded as its
own, so users recognise them.

Dominance under a constraint vector ``c``: ``x`` *precedes* ``y`` when
``x_i <= y_i`` for ``c_i = 1``, ``x_i >= y_i`` for ``c_i = -1`` and
``x_i == y_i`` for ``c_i = 0``. A function satisfies ``c`` exactly when
``x`` precedes ``y`` implies ``F(x) <= F(y)``; with every ``c_i = 1`` this is
element-wise dominance (Theorem 1.1 of Wang et al.).
"""

from __future__ import annotations

import numpy as np

from signnet.errors import SignnetError

__all__ = ["as_monotonic_cst", "precedes"]


def as_monotonic_cst(cst, n_features: int, feature_names=None, *, default: int = 1, name: str = "monotonic_cst",
                     width_of: str = "the input data X") -> np.ndarray:
    """The constraints as an ``int8`` array of ``n_features`` entries in ``{-1, 0, 1}``.

    Args:
        cst: a sequence of -1/0/1 (one per feature), a dict ``{feature name: -1/0/1}``
            (features not named are free), or ``None`` (every feature ``default``).
        n_features: the number of features the constraints are for.
        feature_names: the feature names (e.g. an estimator's ``feature_names_in_``);
            needed for a dict.
        name: how error messages call the parameter (``"--monotonic-cst"`` on the command line).
        default: what ``None`` means for every feature: ``1`` for the audit (element-wise
            dominance, Theorem 1.1), ``0`` as in scikit-learn (no constraint).
        width_of: what has ``n_features`` features, in the message for a wrong length.

    Returns:
        ``np.ndarray`` of shape ``(n_features,)``, dtype ``int8``.

    Raises:
        SignnetError: values outside {-1, 0, 1}, a wrong length, a dict without
            feature names or with names that are not features.

    Examples:
        >>> as_monotonic_cst([1, -1, 0], 3).tolist()
        [1, -1, 0]
        >>> as_monotonic_cst({"age": -1}, 2, ["age", "income"]).tolist()
        [-1, 0]
    """
    if cst is None:
        return np.full(n_features, default, dtype=np.int8)
    if isinstance(cst, dict):
        if feature_names is None:
            raise SignnetError(f"{name} is a dict keyed by feature name but the features have no names; "
                               f"pass {name} as an integer array instead.")
        names = [str(f) for f in feature_names]
        unexpected = sorted(set(map(str, cst)) - set(names))
        if unexpected:
            shown = unexpected[:5] + (["..."] if len(unexpected) > 5 else [])
            raise SignnetError(f"{name} contains {len(unexpected)} unexpected feature names: {shown}. "
                               + _name_hint(unexpected, names))
        out = np.zeros(len(names), dtype=np.int8)
        for i, feature in enumerate(names):
            if feature in cst:
                value = cst[feature]
                if isinstance(value, (bool, np.bool_)) or value not in (-1, 0, 1):
                    raise SignnetError(f"{name}['{feature}'] must be either -1, 0 or 1. Got {value!r}.")
                out[i] = value
        cst = out
    if isinstance(cst, (str, bytes)):
        raise SignnetError(f"{name} must be an array-like of -1, 0 or 1, got the string {cst!r}.")
    try:
        arr = np.asarray(cst)
    except (TypeError, ValueError):
        arr = np.asarray([None])
    if arr.ndim != 1 or arr.dtype.kind not in "biuf":
        raise SignnetError(f"{name} must be an array-like of -1, 0 or 1, one per feature; got {cst!r}.")
    unexpected = np.unique(arr) if arr.dtype.kind == "b" else np.setdiff1d(arr, [-1, 0, 1])
    if unexpected.shape[0]:
        raise SignnetError(f"{name} must be an array-like of -1, 0 or 1. Observed values: {unexpected.tolist()}.")
    if arr.shape[0] != n_features:
        raise SignnetError(f"{name} has shape {arr.shape} but {width_of} has {n_features} features.")
    return arr.astype(np.int8)


def precedes(x: np.ndarray, y: np.ndarray, cst: np.ndarray) -> bool:
    """Does ``x`` precede ``y`` under ``cst`` (module docstring)? ``x``, ``y``, ``cst`` of one shape, flat or not."""
    x, y, c = (np.asarray(v).reshape(-1) for v in (x, y, cst))
    return bool(((c != 1) | (x <= y)).all() and ((c != -1) | (x >= y)).all() and ((c != 0) | (x == y)).all())


def _name_hint(unexpected: list[str], names: list[str]) -> str:
    """What the features are called, and the likely meant name where a transformer renamed a column.

    A ``ColumnTransformer`` in a ``Pipeline`` names its outputs ``"<transformer>__<column>"``
    (``num__debt``): a name that matches such a suffix is suggested.
    """
    meant = {u: [n for n in names if n.endswith("__" + u)] for u in unexpected}
    guesses = [f"{n!r}" for u in unexpected for n in meant[u][:1]]
    listed = names[:8] + (["..."] if len(names) > 8 else [])
    hint = f"The features are named {listed}"
    return hint + (f"; did you mean {', '.join(guesses)}?" if guesses else ".")

