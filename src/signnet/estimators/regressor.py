"""A scikit-learn regressor that is monotone in chosen features by construction."""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin

from signnet.estimators._base import MonotoneBase


class MonotoneRegressor(RegressorMixin, MonotoneBase):
    """A neural network regressor, non-decreasing / non-increasing in the features ``monotonic_cst`` names.

    The constraint holds by construction, for every input and not only on the data: the network
    is a :class:`signnet.MonotoneMLP`, whose first layer's weights carry the sign of
    ``monotonic_cst`` (free for 0) and whose later layers have fixed signs with non-decreasing
    activations, so every path from a constrained input has that input's sign (Theorem 1.1 and
    Lemma 1.1 of Wang et al., *Why do networks need negative weights?*): for every value of the
    unconstrained features the prediction never decreases in a +1 feature and never increases in
    a -1 feature. ``signnet.certify(model)`` proves it from the weights of ``module_``.

    Inputs are standardised inside with positive scales (directions are kept) and so is the
    target; training is Adam on the mean squared error with early stopping on a held-out
    validation split, the weights of the best validation epoch restored, as
    ``sklearn.neural_network.MLPRegressor(early_stopping=True)``.

    Parameters:
        monotonic_cst: ``None``, an array-like of -1/0/+1 with one entry per feature, or a dict
            ``{feature name: -1/0/+1}`` (fitted on a DataFrame; absent names are 0), exactly as
            ``HistGradientBoostingRegressor(monotonic_cst=...)``: +1 non-decreasing, -1
            non-increasing, 0 unconstrained.
        hidden_layer_sizes: widths of the hidden layers, default ``(32, 32)``.
        architecture: one of :data:`signnet.MONOTONE_ARCHITECTURES`: ``"mixed"`` (default; Runje &
            Shankaranarayana, ICML 2023, universal for monotone functions), ``"alternating"``
            (Sartor et al., ICML 2025, also universal) or ``"dnn+"`` (the paper's DNN+; with ReLU
            a convex function only). On the bundled tabular sets the three score within one
            standard deviation of each other (README, ``MonotoneMLP``).
        activation: a non-decreasing activation of :data:`signnet.ACTIVATIONS` (default ``"relu"``;
            ``"mixed"`` needs a convex one: relu, leaky_relu, elu, softplus, identity).
        alpha: L2 penalty (Adam's weight decay), default 0.
        batch_size: ``"auto"``: about ten minibatches per epoch of 64 to 1,024 rows
            (``clip(ceil(n_train / 10), 64, 1024)``, full batches below 64 rows), or an integer.
        learning_rate_init: Adam's learning rate, default 0.01.
        max_iter: the most epochs, default 500.
        early_stopping: hold out ``validation_fraction`` of the rows and stop after
            ``n_iter_no_change`` epochs without a validation-loss improvement larger than ``tol``,
            restoring the best epoch's weights; ``False`` trains on every row and stops after
            ``n_iter_no_change`` epochs without a training-loss improvement larger than ``tol``.
        validation_fraction: share of the rows held out, in (0, 1), default 0.1.
        n_iter_no_change: patience in epochs, default 20.
        tol: the improvement of the loss (standardised units) that counts, default 1e-4.
        random_state: ``None``, an integer or a ``np.random.RandomState``; draws the validation
            split, the initial weights (under ``torch.random.fork_rng``, which restores torch's
            global RNG) and the minibatch order. The same integer gives identical predictions.
        device: ``"cpu"`` (default), ``"cuda"``, ``"auto"`` (CUDA if available) or a
            ``torch.device`` to train on; ``module_`` is moved to the CPU afterwards.
        verbose: show a progress bar while training.

    Attributes:
        module_: ``nn.Sequential`` from raw float32 ``X`` ``(n, d)`` to the prediction ``(n, 1)``:
            ``standardise`` (diagonal ``Linear``, positive scales; a constant column gets scale 1),
            ``network``, ``output`` (``Linear(1, 1)``, weight the target's standard deviation > 0,
            bias its mean).
        monotonic_cst_: ``np.ndarray`` of int8, ``(n_features_in_,)``.
        n_features_in_, feature_names_in_: as in scikit-learn (the latter for a DataFrame only).
        n_iter_: epochs run.
        loss_curve_: training loss per epoch (mean squared error of the standardised target).
        validation_scores_: R^2 on the validation split per epoch (``None`` without early stopping).
        validation_loss_curve_: validation loss per epoch, the early-stopping criterion.
        best_epoch_: index into ``loss_curve_`` of the epoch whose weights were restored.
        best_validation_score_: ``validation_scores_[best_epoch_]``.

    Examples:
        >>> from signnet import MonotoneRegressor
        >>> model = MonotoneRegressor(monotonic_cst=[1, -1, 0], random_state=0).fit(X, y)
        >>> model.predict(X[:2]).shape
        (2,)
    """

    _head = "regression"

    def fit(self, X, y):
        """Fit on ``X`` ``(n, d)`` and real targets ``y`` ``(n,)``; returns ``self``."""
        return self._fit(X, y)

    def predict(self, X) -> np.ndarray:
        """Predictions ``(n,)`` in ``y``'s units."""
        return self._raw_output(X)

    def _encode_targets(self, y: np.ndarray) -> np.ndarray:
        return np.asarray(y, dtype=np.float64)
