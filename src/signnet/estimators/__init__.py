"""scikit-learn estimators whose predictions are monotone in chosen features by construction.

:class:`MonotoneRegressor`, :class:`MonotoneClassifier` (binary) and
:class:`MonotoneOrdinalClassifier` (ordered classes, cumulative-link model) take ``monotonic_cst`` as
scikit-learn's ``HistGradientBoosting*`` do and fit a signed network (Theorem 1.1 of Wang et
al.) whose fitted ``module_`` :func:`signnet.certify` proves monotone::

    MonotoneRegressor(monotonic_cst={"age": 1, "priors": -1}).fit(X, y).predict(X)
"""

from signnet.estimators._train import NetworkFit
from signnet.estimators.classifier import MonotoneClassifier
from signnet.estimators.ordinal import MonotoneOrdinalClassifier
from signnet.estimators.regressor import MonotoneRegressor

__all__ = ["MonotoneClassifier", "MonotoneRegressor", "NetworkFit"]
__all__ += ["MonotoneOrdinalClassifier"]
