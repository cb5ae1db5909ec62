"""``monotonic_cst`` as scikit-learn's ``HistGradientBoosting*`` take it, validated once in ``fit``.

An array of -1/0/+1, one entry per feature (+1: the prediction must not decrease when the
feature grows, -1: must not increase, 0: unconstrained), or a dict keyed by feature names
(``feature_names_in_``, i.e. fitted on a DataFrame) whose missing names mean 0. Parsing is
signnet's one parser, :func:`signnet.theory.as_monotonic_cst` (``default=0``, scikit-learn's
meaning of ``None``), whose messages repeat scikit-learn's wording
(``sklearn.utils.validation._check_monotonic_cst``); the one message that names the estimator
(a dict without feature names) is raised here, worded as scikit-learn words it, with a hint for pipelines added.
Unknown names get scikit-learn's sentence too, followed by the features' names (and the likely meant
``"<step>__<name>"`` where a ``ColumnTransformer`` renamed a column).
"""

from __future__ import annotations

import numpy as np

from signnet.errors import SignnetError
from signnet.theory import as_monotonic_cst


def check_monotonic_cst(estimator, monotonic_cst) -> np.ndarray:
    """The constraints of an estimator being fitted, as an ``int8`` array of shape ``(n_features_in_,)``.

    Args:
        estimator: has ``n_features_in_`` and, when fitted on named columns, ``feature_names_in_``.
        monotonic_cst: ``None`` (all 0), an array-like of -1/0/1 of length ``n_features_in_``, or a
            dict ``{feature name: -1/0/1}``.

    Raises:
        SignnetError: a dict without feature names, unknown names (sorted, at most five listed),
            a value outside {-1, 0, 1}, or an array of the wrong length.
    """
    names = getattr(estimator, "feature_names_in_", None)
    if isinstance(monotonic_cst, dict) and names is None:
        raise SignnetError(f"{type(estimator).__name__} was not fitted on data with feature names. "
                           "Pass monotonic_cst as an integer array instead (or, in a Pipeline, call "
                           "pipe.set_output(transform='pandas') so that its steps pass on named columns).")
    return as_monotonic_cst(monotonic_cst, estimator.n_features_in_, names, default=0)
