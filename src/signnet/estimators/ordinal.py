"""A scikit-learn classifier for ordered classes whose predicted class is monotone in chosen features.

The cumulative-link (proportional-odds) model of McCullagh, "Regression models for ordinal data",
JRSS-B 42 (1980), with the latent score a signed network (:mod:`signnet.estimators._cumulative`
holds the likelihood and the cut points).
"""

from __future__ import annotations

import functools
import types

import numpy as np
from scipy.special import expit
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets

from signnet.errors import SignnetError
from signnet.estimators._base import MonotoneBase
from signnet.estimators._cumulative import CutPoints


class _TwoClassesOnly:
    """``decision_function`` for two classes only; with more, reading it raises AttributeError saying why (so
    ``hasattr`` is False and scikit-learn's tools use ``predict_proba``). Unfitted, it is there."""

    def __init__(self, method):
        self.method = method
        functools.update_wrapper(self, method)

    def __get__(self, est, owner=None):
        if est is None:
            return self.method
        if hasattr(est, "classes_") and len(est.classes_) > 2:
            raise AttributeError(f"decision_function is for two classes; this model has {len(est.classes_)}, and "
                                 "scikit-learn reads decision_function as one column per class: use latent_score(X) "
                                 "for the latent score f(x), predict_proba(X) for the class probabilities.")
        return types.MethodType(self.method, est)


class MonotoneOrdinalClassifier(ClassifierMixin, MonotoneBase):
    """An ordinal neural network classifier whose predicted class is monotone in the features ``monotonic_cst`` names.

    The model (McCullagh 1980, the cumulative-link or proportional-odds model): a latent score
    ``f(x)`` (:meth:`latent_score`; ``decision_function`` too for two classes) and cut points ``theta_1 < ... < theta_{K-1}``
    (``thresholds_``), with

        P(y <= classes_[k] | x) = sigmoid(theta_{k+1} - f(x)),   k = 0 .. K-2.

    ``f`` is a :class:`signnet.MonotoneMLP` on standardised inputs, as in
    :class:`~signnet.estimators.MonotoneRegressor`: non-decreasing in every +1 feature and
    non-increasing in every -1 feature for every value of the free ones (Theorem 1.1 and
    Lemma 1.1 of Wang et al.); ``signnet.certify(clf)`` proves it from ``module_``, and
    ``dominance_violations`` / ``find_violation`` audit ``f`` (they read ``module_``).

    **The order of the classes** is ``classes_ = np.unique(y)``, sorted: integers 0 < 1 < 2 are
    ordered as numbers, but strings sort alphabetically (``'high' < 'low' < 'mid'``). Encode ordered
    labels as integers first, e.g. ``y.map({"low": 0, "mid": 1, "high": 2})`` or the ``codes`` of a
    ``pd.Categorical(y, categories=["low", "mid", "high"], ordered=True)``.

    **Why ``predict`` is monotone.** ``predict`` returns the median class of the fitted
    distribution, the smallest ``k`` with ``P(y <= classes_[k] | x) >= 1/2``, i.e. the number of
    cut points strictly below ``f(x)``: a non-decreasing step function of ``f``, so the predicted
    class never decreases along a +1 feature and never increases along a -1 feature. The argmax of
    ``predict_proba`` is not used: it is another decision (the probability of a middle class rises
    and then falls as ``f`` grows, and a class between close cut points is never the argmax), and
    the median is the one whose monotonicity follows from the cut points alone.
    ``P(y > classes_[k] | x)`` is non-decreasing in ``f`` for every ``k`` (first-order stochastic
    dominance). A softmax over ``K >= 3`` logits has no such property (README, "Softmax is not
    covered"), which is why :class:`MonotoneClassifier` takes two classes only.

    **Normalisation.** Adding one constant to ``f`` and to every cut point leaves the model
    unchanged; the fitted one has ``thresholds_[0] == 0``, so ``decision_function(x)`` is the
    log-odds that ``y`` is above ``classes_[0]``. With ``K = 2`` this is the logistic model of
    :class:`MonotoneClassifier` (``predict`` is ``classes_[1]`` exactly where ``f(x) > 0``).

    Training minimises the mean negative log-likelihood of the cumulative model with Adam (no weight
    decay on the cut points, which are parametrised as ``theta_1 + cumsum(1e-3 + softplus(.))`` so
    their order holds after every step, in float32 too), with early stopping on each network's own validation rows
    (stratified by class when every class allows it), the weights and cut points of its epoch of
    lowest validation loss restored. With ``n_networks = R > 1`` each network ``r`` has its own
    ``f_r`` and ``theta_r``; the fitted model is ``f = (1/R) sum_r f_r`` (one merged network,
    :func:`signnet.average_networks`) and ``theta = (1/R) sum_r theta_r`` (a mean of increasing
    sequences is increasing), as :class:`MonotoneClassifier` averages logits. Parameters are those of
    :class:`~signnet.estimators.MonotoneRegressor`.

    Attributes:
        classes_: the ``K >= 2`` labels, sorted: their order is the order of the classes.
        thresholds_: ``(K-1,)`` float64, strictly increasing, ``thresholds_[0] == 0``.
        module_: ``nn.Sequential`` from raw float32 ``X`` ``(n, d)`` to ``f(x)`` ``(n, 1)``:
            ``standardise`` (diagonal ``Linear``, positive scales), ``network`` (the merged
            ``MonotoneMLP``) and ``output`` (``Linear(1, 1)``, weight 1, bias the shift that sets
            ``thresholds_[0]`` to 0); ``predict`` and the audits read it with the standardisation and the
            shift in float64 (see :class:`~signnet.estimators.MonotoneRegressor`).
        monotonic_cst_, n_features_in_, feature_names_in_, n_iter_, loss_curve_, validation_scores_,
            best_validation_score_: as in :class:`~signnet.estimators.MonotoneRegressor` (the loss is the
            negative log-likelihood, the score the accuracy of the median class).
        fits_: as there, with ``loss_curve`` the training negative log-likelihood per row,
            ``validation_scores`` the accuracy of the network's own median class, and ``thresholds``
            its own cut points ``theta_r`` (before the shift: ``thresholds_`` is their mean minus
            the mean's first entry).

    Examples:
        >>> from signnet import MonotoneOrdinalClassifier
        >>> clf = MonotoneOrdinalClassifier(monotonic_cst=[1, -1, 0], random_state=0).fit(X, y)  # y in {0, 1, 2}
        >>> clf.predict_proba(X[:2]).shape, clf.thresholds_.shape
        ((2, 3), (2,))
    """

    _head = "ordinal"

    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
        """Fit on ``X`` ``(n, d)`` and ordered labels ``y`` ``(n,)`` of ``K >= 2`` classes; returns ``self``.

        ``sample_weight``: ``None`` or ``(n,)`` numbers >= 0, as for :class:`MonotoneClassifier`
        (the cut points start from the weighted class shares).

        The order of the classes is their sorted order, except for an *ordered* pandas Categorical
        ``y``, whose own order of categories is kept (``low < mid < high``, not alphabetical).

        ``X_val``, ``y_val``, ``sample_weight_val``: validation rows given explicitly, as
        ``HistGradientBoosting*.fit`` takes them (needs ``early_stopping=True``): every network then
        trains on all the rows of ``X`` and stops on these (``validation_fraction`` is unused); they
        are standardised with ``X``'s statistics and enter no statistic of the fit. In a ``Pipeline``,
        pass ``transform_input=["X_val"]`` so that ``X_val`` goes through the same transforms as ``X``.
        """
        dtype = getattr(y, "dtype", None)
        ordered = bool(getattr(dtype, "ordered", False)) and hasattr(dtype, "categories")
        self._category_order = list(dtype.categories) if ordered else None
        return self._fit(X, y, sample_weight, X_val, y_val, sample_weight_val)

    def latent_score(self, X) -> np.ndarray:
        """The latent score ``f(x)`` ``(n,)``, monotone in ``monotonic_cst``: the log-odds that ``y`` is above
        ``classes_[0]``; ``P(y <= classes_[k] | x) = sigmoid(thresholds_[k] - f(x))``."""
        return self._raw_output(X)

    @_TwoClassesOnly
    def decision_function(self, X) -> np.ndarray:
        """Two classes only: the latent score ``f(x)`` ``(n,)``, positive for ``classes_[1]`` (a logistic model).

        With ``K >= 3`` classes scikit-learn reads ``decision_function`` as ``(n, K)``, one column per class
        (``CalibratedClassifierCV``, ``top_k_accuracy``), which one score cannot be; the method is then
        absent, so those tools use ``predict_proba``; the score is :meth:`latent_score`.
        """
        return self._raw_output(X)

    def predict_proba(self, X) -> np.ndarray:
        """``P(y = classes_[k] | x)`` ``(n, K)`` of the cumulative model; rows sum to 1."""
        f = self._raw_output(X)
        cumulative = expit(self.thresholds_[None, :] - f[:, None])  # (n, K-1) P(y <= k), increasing in k
        n = f.shape[0]
        cumulative = np.hstack([np.zeros((n, 1)), cumulative, np.ones((n, 1))])  # (n, K+1)
        return np.diff(cumulative, axis=1)

    def predict(self, X) -> np.ndarray:
        """The median class ``(n,)``: ``classes_[j]`` with ``j`` the number of ``thresholds_`` below ``f(x)``."""
        f = self._raw_output(X)
        return self.classes_[np.searchsorted(self.thresholds_, f, side="left")]

    def _encode_targets(self, y: np.ndarray) -> np.ndarray:
        check_classification_targets(y)
        order = getattr(self, "_category_order", None)
        if order is None:
            classes, encoded = np.unique(y, return_inverse=True)
        else:  # an ordered Categorical: its categories' order, those present in y
            present = set(y.tolist())
            classes = np.array([c for c in order if c in present], dtype=y.dtype)
            rank = {c: k for k, c in enumerate(classes.tolist())}
            encoded = np.array([rank[v] for v in y.tolist()])
        if classes.size < 2:
            raise SignnetError(f"{type(self).__name__} needs at least two classes in y, got one class only "
                               f"({classes.tolist()[0]!r}): pass labels of at least two ordered classes.")
        self.classes_ = classes
        return encoded.astype(np.int64)

    def _init_cut_points(self, target: np.ndarray, n_networks: int, weights: np.ndarray | None) -> CutPoints:
        return CutPoints(target, self.classes_.size, n_networks, weights)

    def _output_shift(self, cut_points: CutPoints, fits: list) -> float:
        """Sets ``thresholds_``; returns the float32 shift ``s ~ theta_1`` subtracted from ``f`` in ``module_``.

        ``thresholds_ = mean_r theta_r - s`` with its first entry then set to exactly 0 (it differed
        from 0 by the float32 rounding of ``s``, at most ``6e-8 |theta_1|``).
        """
        members = cut_points.kept()  # (R, K-1) float64, each row strictly increasing
        for fit, own in zip(fits, members, strict=True):
            fit.thresholds = own
        theta = members.mean(axis=0)  # (K-1,), strictly increasing
        shift = float(np.float32(theta[0]))  # exactly the bias module_ stores
        thresholds = theta - shift
        thresholds[0] = 0.0
        self.thresholds_ = thresholds
        return shift

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags
