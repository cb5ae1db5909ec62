"""``monotonic_cst`` as scikit-learn's ``HistGradientBoosting*`` takes it, validated once in ``fit``.

An array of -1/0/+1, one entry per feature (+1: the prediction must not decrease when the
feature grows, -1: must not increase, 0: unconstrained), or a dict keyed by feature names
(``feature_names_in_``, i.e. fitted on a DataFrame) whose missing names mean 0. The error
messages repeat scikit-learn's wording (``sklearn.utils.validation._check_monotonic_cst``,
scikit-learn 1.2+), so a user of ``HistGradientBoostingRegressor`` recognises them; they are
raised as :class:`~signnet.errors.SignnetError`, a ``ValueError`` like scikit-learn's.

Note: the audit work plans a shared parser in :mod:`signnet.theory`; once it lands this module
should defer to it, keeping these messages.
"""

from __future__ import annotations

import numpy as np

from signnet.errors import SignnetError

_ALLOWED = (-1, 0, 1)


def check_monotonic_cst(estimator, monotonic_cst) -> np.ndarray:
    """The constraints of a fitted-in-progress ``estimator`` as an ``int8`` array of shape ``(n_features_in_,)``.

    Args:
        estimator: has ``n_features_in_`` and, when fitted on named columns, ``feature_names_in_``.
        monotonic_cst: ``None`` (all 0), an array-like of -1/0/1 of length ``n_features_in_``, or a
            dict ``{feature name: -1/0/1}``.

    Raises:
        SignnetError: a dict without feature names, unknown names (sorted, at most five listed),
            a value outside {-1, 0, 1}, or an array of the wrong length.
    """
    n_features = estimator.n_features_in_
    cst = np.zeros(n_features, dtype=np.int8)
    if monotonic_cst is None:
        return cst
    if isinstance(monotonic_cst, dict):
        names = getattr(estimator, "feature_names_in_", None)
        if names is None:
            raise SignnetError(f"{type(estimator).__name__} was not fitted on data with feature names. "
                               "Pass monotonic_cst as an integer array instead.")
        unknown = sorted(set(monotonic_cst) - set(names))
        if unknown:
            shown = unknown[:5] + (["..."] if len(unknown) > 5 else [])
            raise SignnetError(f"monotonic_cst contains {len(unknown)} unexpected feature names: {shown}.")
        for j, name in enumerate(names):
            if name in monotonic_cst:
                value = monotonic_cst[name]
                if value not in _ALLOWED:
                    raise SignnetError(f"monotonic_cst['{name}'] must be either -1, 0 or 1. Got {value!r}.")
                cst[j] = int(value)
        return cst
    values = np.asarray(monotonic_cst)
    if values.ndim != 1 or values.dtype.kind not in "biuf":
        raise SignnetError(f"monotonic_cst must be an array-like of -1, 0 or 1, or a dict keyed by feature name, "
                           f"got {monotonic_cst!r}.")
    unexpected = np.setdiff1d(values, _ALLOWED)
    if unexpected.shape[0]:
        raise SignnetError(f"monotonic_cst must be an array-like of -1, 0 or 1. Observed values: {unexpected.tolist()}.")
    if values.shape[0] != n_features:
        raise SignnetError(f"monotonic_cst has shape {values.shape} but the input data X has {n_features} features.")
    return values.astype(np.int8)

