"""A scikit-learn binary classifier whose logit is monotone in chosen features by construction."""

from __future__ import annotations

import numpy as np
from scipy.special import expit
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets

from signnet.errors import SignnetError
from signnet.estimators._base import MonotoneBase


class MonotoneClassifier(ClassifierMixin, MonotoneBase):
    """A binary neural network classifier, monotone in the features ``monotonic_cst`` names.

    The logit ``P(x)`` (``decision_function``) is non-decreasing in every +1 feature and
    non-increasing in every -1 feature, for every value of the unconstrained features, by
    construction (Theorem 1.1 and Lemma 1.1 of Wang et al.); so are the probability of
    ``classes_[1]``, ``sigmoid(P(x))``, and the decision ``P(x) > 0``. ``signnet.certify(clf)``
    proves it from the weights of ``module_``.

    Only two classes: a softmax over K >= 3 logits depends only on the logits' differences, so
    sign constraints on the weights make no class's decision monotone (README, "Softmax is not
    covered"). For ordered classes use :class:`~signnet.estimators.MonotoneOrdinalClassifier`
    (a cumulative-link model whose predicted class is monotone).

    Training minimises the binary cross-entropy with Adam, with early stopping on a stratified
    held-out split per network and the best validation epoch's weights restored. Parameters are
    those of :class:`~signnet.estimators.MonotoneRegressor`; with ``n_networks > 1`` the logit is
    the mean of the networks' logits (one merged network, :func:`signnet.average_networks`), each
    network's validation rows stratified by class. In ``fits_``, ``validation_scores`` hold each
    network's validation accuracy per epoch, as ``MLPClassifier``'s ``validation_scores_`` does,
    and ``loss_curve`` its training cross-entropy.

    Attributes:
        classes_: the two labels, sorted; ``classes_[1]`` is the positive class.
        module_: ``nn.Sequential`` from raw float32 ``X`` ``(n, d)`` to the logit ``(n, 1)``:
            ``standardise`` (diagonal ``Linear``, positive scales) and ``network``; ``predict`` and the audits
            read it with the standardisation in float64 (see :class:`~signnet.estimators.MonotoneRegressor`).
        monotonic_cst_, n_features_in_, feature_names_in_, n_iter_, fits_, loss_curve_,
        validation_scores_, best_validation_score_:
            as in :class:`~signnet.estimators.MonotoneRegressor`.

    Examples:
        >>> from signnet import MonotoneClassifier
        >>> clf = MonotoneClassifier(monotonic_cst={"priors_count": 1}, random_state=0).fit(X, y)
        >>> clf.predict_proba(X[:2]).shape
        (2, 2)
    """

    _head = "binary"

    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
        """Fit on ``X`` ``(n, d)`` and labels ``y`` ``(n,)`` of two classes (any labels); returns ``self``.

        ``sample_weight``: ``None`` or ``(n,)`` numbers >= 0 (or one number), as
        ``HistGradientBoostingClassifier.fit`` (e.g. to weigh a rare class up): each row's term in the
        training loss, the validation loss and accuracy is scaled by its weight; rows of weight 0 are
        left out of every loss and statistic (:mod:`signnet.estimators._weights`).

        ``X_val``, ``y_val``, ``sample_weight_val``: validation rows given explicitly, as
        ``HistGradientBoosting*.fit`` takes them (needs ``early_stopping=True``): every network then
        trains on all the rows of ``X`` and stops on these (``validation_fraction`` is unused); they
        are standardised with ``X``'s statistics and enter no statistic of the fit. In a ``Pipeline``,
        pass ``transform_input=["X_val"]`` so that ``X_val`` goes through the same transforms as ``X``.
        """
        return self._fit(X, y, sample_weight, X_val, y_val, sample_weight_val)

    def decision_function(self, X) -> np.ndarray:
        """The logit ``P(x)`` ``(n,)``: positive means ``classes_[1]``."""
        return self._raw_output(X)

    def predict_proba(self, X) -> np.ndarray:
        """``[1 - p, p]`` ``(n, 2)`` with ``p = sigmoid(P(x))``, the probability of ``classes_[1]``."""
        logit = self._raw_output(X)
        p = expit(logit)  # the logistic sigmoid, without overflow for large |logit|
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        """``classes_[1]`` where the logit is positive, else ``classes_[0]``; shape ``(n,)``."""
        positive = self._raw_output(X) > 0
        return self.classes_[positive.astype(np.int64)]

    def _encode_targets(self, y: np.ndarray) -> np.ndarray:
        check_classification_targets(y)
        classes, encoded = np.unique(y, return_inverse=True)
        name = type(self).__name__
        if classes.size < 2:
            raise SignnetError(f"{name} needs two classes in y, got one class only ({classes.tolist()[0]!r}): "
                               "pass labels of both classes.")
        if classes.size > 2:
            raise SignnetError(f"Only binary classification is supported. {name} got {classes.size} classes "
                               f"{classes.tolist()[:10]}, and a softmax over K >= 3 logits depends only on the logits' "
                               f"differences, so sign constraints on the weights make no class's decision monotone; "
                               f"for ordered classes use signnet.MonotoneOrdinalClassifier, whose predicted class "
                               f"is monotone.")
        self.classes_ = classes
        return encoded.astype(np.int64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags
