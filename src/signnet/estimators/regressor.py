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
    ``sklearn.neural_network.MLPRegressor(early_stopping=True)``. With ``n_networks > 1`` that
    many networks are trained, each from its own initial weights and with its own validation
    rows, and the prediction is their mean (in standardised units), computed by ONE network:
    :func:`signnet.average_networks` merges them exactly (block-diagonal weights, zeros between
    the networks), so an average of networks monotone in the same directions is certified like
    one.

    Parameters:
        monotonic_cst: ``None``, an array-like of -1/0/+1 with one entry per feature, or a dict
            ``{feature name: -1/0/+1}`` (fitted on a DataFrame; absent names are 0), exactly as
            ``HistGradientBoostingRegressor(monotonic_cst=...)``: +1 non-decreasing, -1
            non-increasing, 0 unconstrained.
        hidden_layer_sizes: widths of the hidden layers of each network, default ``(32, 32)``.
        n_networks: how many networks are averaged (an integer >= 1, default 8, chosen with
            ``bench/tune_defaults.py`` on validation rows, measured with ReLU and ``alpha=1e-4``: the
            average of 8 had the best mean rank of 16 settings, 3.25; one network the worst, 14.0). Each holds out
            its own ``ceil(validation_fraction * n)`` rows for early stopping: disjoint sets
            when ``n_networks * ceil(validation_fraction * n) <= n`` (so together they train on
            every row), otherwise an independent random draw each. They train together in one
            batched computation (:mod:`signnet.estimators._train`; ``bench/estimators.py``: the
            default fit on all of COMPAS took 8.6 s wall on the shared 2-core machine at load
            average 2.1); ``module_.network`` has widths ``n_networks * hidden_layer_sizes``.
        architecture: one of :data:`signnet.MONOTONE_ARCHITECTURES`: ``"mixed"`` (default; Runje &
            Shankaranarayana, ICML 2023, universal for monotone functions), ``"alternating"``
            (Sartor et al., ICML 2025, also universal) or ``"dnn+"`` (the paper's DNN+; with a
            convex activation, the default ELU included, a convex function only). On the bundled
            tabular sets the three scored within one standard deviation of each other with ReLU
            (README, ``MonotoneMLP``; not measured with ELU).
        activation: a non-decreasing activation of :data:`signnet.ACTIVATIONS` (default ``"elu"``;
            ``"mixed"`` needs a convex one: relu, leaky_relu, elu, softplus, identity). ELU and
            ``alpha=1e-3`` were chosen together in ``bench/tune_defaults.py``'s third round on
            validation rows (mean rank 3.08 of 6 against 4.75 for ReLU with ``alpha=1e-4``); the
            round's first, widths (64, 64) with both, fitted COMPAS in 14 s, over issue 9's 10 s.
        alpha: L2 penalty (Adam's weight decay), default 1e-3 (see ``activation``).
        batch_size: ``"auto"``: about ten minibatches per epoch of 64 to 1,024 rows
            (``clip(ceil(n_train / 10), 64, 1024)`` with ``n_train`` one network's training rows;
            full batches when that covers every row), or an integer. Minibatches are drawn from
            all the rows; each network learns from its own training rows of each.
        learning_rate_init: Adam's learning rate, default 0.01.
        max_iter: the most epochs, default 500.
        early_stopping: hold out ``validation_fraction`` of the rows and stop after
            ``n_iter_no_change`` epochs without a validation-loss improvement larger than ``tol``,
            restoring the best epoch's weights; ``False`` trains on every row and stops after
            ``n_iter_no_change`` epochs without a training-loss improvement larger than ``tol``.
        validation_fraction: share of the rows each network holds out, in (0, 1), default 0.1.
        n_iter_no_change: patience in epochs, default 20.
        tol: the improvement of the loss (standardised units) that counts, default 1e-4.
        random_state: ``None``, an integer or a ``np.random.RandomState``; draws the validation
            rows, each network's initial weights (under ``torch.random.fork_rng``, which restores
            torch's global RNG) and the minibatch order (shared by the networks). The same integer
            gives identical predictions.
        device: ``"cpu"`` (default), ``"cuda"``, ``"auto"`` (CUDA if available) or a
            ``torch.device`` to train on; ``module_`` is moved to the CPU afterwards.
        n_jobs: how many groups of networks train at once on the CPU, one Python thread each
            with torch on one thread. The networks are split into groups of at most 4 by
            ``n_networks`` alone (``signnet.estimators._train.member_groups``), so the default 8
            make 2 groups. ``None`` (default) or ``-1``: as many as torch's thread count
            (``torch.get_num_threads()``; unlike joblib's ``None``, which means 1: these threads
            are like the OpenMP threads ``HistGradientBoosting*`` uses by default), ``-2`` one
            fewer, ``1`` one group after the other. Groups of 100,000 parameters or more always
            train one after the other, each on all of torch's threads. The predictions do not
            depend on ``n_jobs`` or on the number of cores.
        verbose: show a progress bar while training.

    Attributes:
        module_: ``nn.Sequential`` from raw float32 ``X`` ``(n, d)`` to the prediction ``(n, 1)``:
            ``standardise`` (diagonal ``Linear``, positive scales from all rows given to ``fit``; a
            constant column gets scale 1), ``network`` (one :class:`signnet.MonotoneMLP`, the exact
            mean of the ``n_networks`` networks), ``output`` (``Linear(1, 1)``, weight the target's
            standard deviation > 0, bias its mean). ``predict`` applies the same map with the
            standardisation and the output in float64, as ``fit`` standardised, and ``certify``,
            ``dominance_violations`` and ``find_violation`` read that float64 map. ``module_`` itself, in
            float32, agrees with it to float32 rounding except on a column whose spread float32 cannot
            resolve around its mean (relative spread below about 1e-7, e.g. unix timestamps over
            minutes): there ``module_`` alone can be far off.
        monotonic_cst_: ``np.ndarray`` of int8, ``(n_features_in_,)``.
        n_features_in_, feature_names_in_: as in scikit-learn (the latter for a DataFrame only).
        n_iter_: the most epochs any network ran.
        fits_: one ``NetworkFit`` per network, in order, with ``seed`` (of its initial weights),
            ``validation_rows`` (indices into the rows given to ``fit``; ``None`` without early
            stopping), ``loss_curve`` (training loss per epoch: mean squared error of the
            standardised target), ``validation_loss_curve`` (the early-stopping criterion),
            ``validation_scores`` (R^2 on its validation rows per epoch), ``best_epoch`` (index of
            the epoch whose weights were restored), ``best_validation_score`` and ``n_iter``.
            The validation lists are empty and ``best_epoch`` is ``None`` without early stopping;
            ``best_epoch`` is ``None`` too when the validation loss was never finite (the network then
            keeps its last weights, with a warning).
        loss_curve_: per epoch, the mean over the networks still training of their training
            loss (as ``MLPRegressor``'s ``loss_curve_``; per network in ``fits_``).
        validation_scores_: per epoch, the mean over the networks still training of their score on
            their own validation rows; ``None`` without early stopping.
        best_validation_score_: the mean, over the networks whose validation loss was ever finite,
            of the validation score of the epoch whose weights each kept; ``None`` without early
            stopping or without such a network.

    Examples:
        >>> from signnet import MonotoneRegressor
        >>> model = MonotoneRegressor(monotonic_cst=[1, -1, 0], random_state=0).fit(X, y)
        >>> model.predict(X[:2]).shape
        (2,)
    """

    _head = "regression"

    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
        """Fit on ``X`` ``(n, d)`` and real targets ``y`` ``(n,)``; returns ``self``.

        ``sample_weight``: ``None`` or ``(n,)`` numbers >= 0 (or one number), as
        ``HistGradientBoostingRegressor.fit``: each row's term in the training loss, the validation loss
        and score is scaled by its weight; rows of weight 0 are left out of every loss and statistic
        (:mod:`signnet.estimators._weights`).

        ``X_val``, ``y_val``, ``sample_weight_val``: validation rows given explicitly, as
        ``HistGradientBoosting*.fit`` takes them (needs ``early_stopping=True``): every network then
        trains on all the rows of ``X`` and stops on these (``validation_fraction`` is unused); they
        are standardised with ``X``'s statistics and enter no statistic of the fit. In a ``Pipeline``,
        pass ``transform_input=["X_val"]`` so that ``X_val`` goes through the same transforms as ``X``.
        """
        return self._fit(X, y, sample_weight, X_val, y_val, sample_weight_val)

    def predict(self, X) -> np.ndarray:
        """Predictions ``(n,)`` in ``y``'s units."""
        return self._raw_output(X)

    def _encode_targets(self, y: np.ndarray) -> np.ndarray:
        return np.asarray(y, dtype=np.float64)
