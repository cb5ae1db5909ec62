"""What :class:`MonotoneRegressor`, :class:`MonotoneClassifier` and :class:`MonotoneOrdinalClassifier` share: parameters, validation,
standardisation, the validation splits, training and the fitted ``module_``.

The fitted model is one plain ``nn.Sequential`` from raw float32 ``X`` ``(n, d)`` to the raw
output ``(n, 1)`` (a prediction in ``y``'s units, the binary logit, or the ordinal latent score), so that
:func:`signnet.certify` reads the whole chain::

    module_ = Sequential(
        standardise: Linear(d, d)   weight diag(1 / s_j) with s_j > 0, bias -m_j / s_j
        network:     one signnet.MonotoneMLP on standardised inputs: the exact average of the
                     n_networks trained networks (signnet.nn.merge.average_networks)
        output:      Linear(1, 1)   weight y_std > 0, bias y_mean          (regression)
                     Linear(1, 1)   weight 1, bias -theta_1                (ordinal: thresholds_[0] = 0)
    )

The means and scales are those of all the rows given to ``fit``, shared by every network.

Every scale is positive, so each map keeps the direction of every input: the chain is monotone
in exactly the directions in which the network is (Lemma 1.1 of Wang et al.: a composition of
maps that preserve the order preserves it).
"""

from __future__ import annotations

import copy
import math
import warnings
from collections import OrderedDict
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from signnet.errors import SignnetError
from signnet.estimators._cst import check_monotonic_cst
from signnet.estimators._train import ARCHITECTURES, NetworkFit, make_network, train_groups
from signnet.estimators._validation import check_validation_data, draw_validation_rows, validation_score
from signnet.estimators._weights import check_sample_weight
from signnet.nn import ACTIVATIONS
from signnet.nn.merge import average_networks
from signnet.train.autograd import with_gradients
from signnet.train.checks import FLOAT32_MAX
from signnet.validation import check_sizes, first_beyond

MONOTONE_ACTIVATIONS = tuple(name for name, info in ACTIVATIONS.items() if info.monotone)
DEVICES = ("cpu", "cuda", "auto")
# batch_size="auto": about AUTO_STEPS minibatches per epoch, each of AUTO_BATCH_MIN..AUTO_BATCH_MAX rows (full batches
# below AUTO_BATCH_MIN rows). A step of a (32, 32) network costs about the same for 64 and 512 rows on a CPU
# (per-call overhead dominates), so a few large minibatches per epoch converge in the fewest seconds.
AUTO_STEPS = 10
AUTO_BATCH_MIN, AUTO_BATCH_MAX = 64, 1024
# a column (or target) is taken as constant, and gets scale 1, when all its values are equal, when its standard
# deviation is below _TINY_SCALE (1 / scale must stay a float32), or when it is below _RELATIVE_SCALE times its
# mean's size: a spread of a few thousand float64 steps around the mean, of the size of the rounding of the mean
# itself. X and y are standardised in float64 (fit and predict alike), so a spread float32 cannot resolve around a
# large mean (timestamps, years * 1e4) is still information.
_TINY_SCALE = 1e-30
_RELATIVE_SCALE = 2.0 ** -40


def _constant(values: np.ndarray, std, mean):
    """Where a column of ``values`` ``(n, d)`` (or a target ``(n,)``) is constant for the network (see above)."""
    return (np.ptp(values, axis=0) == 0) | (std < _TINY_SCALE) | (std <= _RELATIVE_SCALE * np.abs(mean))


def _check_float32_range(X: np.ndarray, est, what: str = "X") -> None:
    """The fitted network reads X in float32: a finite value beyond its range would become inf (NaN predictions)."""
    beyond = first_beyond(X, FLOAT32_MAX)
    if beyond is not None:
        row, col = beyond
        names = getattr(est, "feature_names_in_", None)
        name = repr(str(names[col])) if names is not None else str(col)
        raise SignnetError(f"{what} holds {float(X[row, col]):.3g} in feature {name}, beyond float32's range "
                           f"(+-{FLOAT32_MAX:.3g}) in which the network reads its inputs; rescale that feature.")


class MonotoneBase(BaseEstimator):
    """Shared parameters and fitting; see :class:`~signnet.estimators.MonotoneRegressor` for their meaning."""

    _head: str  # "regression", "binary" or "ordinal": the loss (the network's head; "ordinal" uses a "regression" one)

    _parameter_constraints: dict = {
        "monotonic_cst": ["array-like", dict, None],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "n_networks": [Interval(Integral, 1, None, closed="left")],
        "architecture": [StrOptions(set(ARCHITECTURES))],
        "activation": [StrOptions(set(MONOTONE_ACTIVATIONS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "device": [StrOptions(set(DEVICES)), torch.device],
        "n_jobs": [Interval(Integral, 1, None, closed="left"), Interval(Integral, None, -1, closed="right"), None],
        "verbose": ["verbose"],
    }

    def __init__(self, *, monotonic_cst=None, hidden_layer_sizes=(32, 32), n_networks=8, architecture="mixed",
                 activation="elu", alpha=1e-3, batch_size="auto", learning_rate_init=1e-2, max_iter=500,
                 early_stopping=True, validation_fraction=0.1, n_iter_no_change=20, tol=1e-4, random_state=None,
                 device="cpu", n_jobs=None, verbose=False):
        self.monotonic_cst = monotonic_cst
        self.hidden_layer_sizes = hidden_layer_sizes
        self.n_networks = n_networks
        self.architecture = architecture
        self.activation = activation
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state
        self.device = device
        self.n_jobs = n_jobs
        self.verbose = verbose

    # ------------------------------------------------------------------ hooks of the subclasses
    def _encode_targets(self, y: np.ndarray) -> np.ndarray:
        """``y`` ``(n,)`` as the network's target: floats (regression) or labels ``0..K-1`` (classifiers)."""
        raise NotImplementedError

    def _init_cut_points(self, target: np.ndarray, n_networks: int, weights: np.ndarray | None):
        """The members' cut points trained beside the networks (ordinal only), else ``None``."""
        return None

    def _output_shift(self, cut_points, fits: list[NetworkFit]) -> float | None:
        """After training: the constant subtracted from the network's output in ``module_`` (ordinal only)."""
        return None

    # ------------------------------------------------------------------ fitting
    @with_gradients
    def _fit(self, X, y, sample_weight=None, X_val=None, y_val=None, sample_weight_val=None):
        self._check_params()
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], y_numeric=self._head == "regression")
        weights = check_sample_weight(sample_weight, X.shape[0])  # None, or float32 (n,) >= 0 with mean 1
        counted = slice(None) if weights is None else weights > 0  # the rows that enter the statistics
        _check_float32_range(X[counted], self)  # a placeholder on a row of weight 0 is never read
        target = self._encode_targets(y)
        given = None  # validation rows given to fit: (X_val, its targets, its weights)
        if X_val is not None or y_val is not None or sample_weight_val is not None:
            given = check_validation_data(self, X_val, y_val, sample_weight_val)
            _check_float32_range(given[0], self, "X_val")
        self.monotonic_cst_ = check_monotonic_cst(self, self.monotonic_cst)
        hidden = self._hidden()
        device = self._device()
        n_networks = int(self.n_networks)
        rng = check_random_state(self.random_state)
        split_seed, order_seed, *init_seeds = (int(s) for s in rng.randint(0, 2**31 - 1, size=2 + n_networks))

        n = X.shape[0]
        if given is None:
            val_rows = self._validation_rows(target, n_networks, split_seed,
                                             None if weights is None else np.flatnonzero(counted))
        else:  # every network stops on the given rows, placed after X's
            val_rows = [np.arange(n, n + given[0].shape[0])] * n_networks
        cut_points = self._init_cut_points(target, n_networks, weights)  # from X's rows alone
        X64 = X.astype(np.float64)
        kept = X64[counted]  # with sample weights, the rows of positive weight (unweighted moments: _weights.py)
        mean, scale = kept.mean(axis=0), kept.std(axis=0)
        scale[_constant(kept, scale, mean)] = 1.0
        y_mean, y_scale = 0.0, 1.0
        if self._head == "regression":
            kept_y = np.asarray(target, dtype=np.float64)[counted]
            if np.abs(kept_y).max() > FLOAT32_MAX:  # name the largest
                raise SignnetError(f"y holds {float(kept_y[np.argmax(np.abs(kept_y))]):.3g}, beyond float32's range "
                                   f"(+-{FLOAT32_MAX:.3g}) in which the fitted model stores the target's scale; "
                                   "rescale y.")
            y_mean, y_scale = float(kept_y.mean()), float(kept_y.std())
            if _constant(kept_y, y_scale, y_mean):
                y_scale = 1.0
        if given is not None:  # standardised with X's statistics, as predict will
            X64, target = np.concatenate([X64, given[0]]), np.concatenate([target, given[1]])
            if weights is not None or given[2] is not None:
                weights = np.concatenate([np.ones(n, np.float32) if weights is None else weights,
                                          np.ones(len(given[1]), np.float32) if given[2] is None else given[2]])
                counted = weights > 0
        if self._head == "regression":
            y_t = torch.as_tensor((target - y_mean) / y_scale, dtype=torch.float32).reshape(-1, 1)
        else:
            y_t = torch.as_tensor(target, dtype=torch.int64)
        # clipped into float32's range as predict clips (only a given X_val can reach beyond it)
        X_t = torch.as_tensor(np.clip((X64 - mean) / scale, -FLOAT32_MAX, FLOAT32_MAX), dtype=torch.float32)
        train_mask = torch.ones(X64.shape[0], n_networks)
        for r, rows in enumerate(val_rows or ()):
            train_mask[rows, r] = 0.0
        row_weights = None if weights is None else torch.from_numpy(weights)
        if row_weights is not None:
            train_mask *= row_weights[:, None]  # each row's term in a network's loss is scaled by its weight
            dropped = torch.as_tensor(~counted)  # rows of weight 0: values that cannot reach a loss as inf * 0 = NaN
            X_t[dropped] = 0.0
            y_t[dropped] = 0
        n_train = int((train_mask[:, 0] > 0).sum())  # one network's training rows (of positive weight)
        n_rows = int((train_mask.sum(dim=1) > 0).sum())  # rows some network trains on: the minibatches' rows
        network_head = "regression" if self._head == "ordinal" else self._head  # ordinal: one latent score f
        nets = [make_network(self.monotonic_cst_, hidden, architecture=self.architecture, activation=self.activation,
                             head=network_head, seed=s) for s in init_seeds]
        fits = [NetworkFit(seed=s, validation_rows=None if val_rows is None else val_rows[r])
                for r, s in enumerate(init_seeds)]
        train_groups(nets, X_t, y_t, n_jobs=self.n_jobs, head=self._head, train_mask=train_mask,
                      validation_rows=None if val_rows is None else [torch.as_tensor(v) for v in val_rows],
                      score=self._validation_score(), fits=fits, epochs=self.max_iter,
                      lr=float(self.learning_rate_init), weight_decay=float(self.alpha),
                      batch_size=self._batch_size(n_rows, n_train), patience=self.n_iter_no_change, tol=float(self.tol),
                      seed=order_seed, device=device, verbose=bool(self.verbose), cut_points=cut_points,
                      row_weights=row_weights)

        output = (y_mean, y_scale) if self._head == "regression" else None
        shift = self._output_shift(cut_points, fits)
        if shift is not None:
            output = (-shift, 1.0)
        self.module_ = _chain(average_networks(nets), mean, scale, output)
        # what predict applies around module_.network, in float64, as fit did (module_ holds them in float32)
        self._standardise, self._output = (mean, scale), output
        self.fits_ = fits
        self.n_iter_ = max(f.n_iter for f in fits)
        self.loss_curve_ = _mean_curve([f.loss_curve for f in fits])
        if val_rows is None:
            self.validation_scores_ = self.best_validation_score_ = None
        else:
            self.validation_scores_ = _mean_curve([f.validation_scores for f in fits])
            scored = [f.best_validation_score for f in fits if f.best_epoch is not None]
            self.best_validation_score_ = float(np.mean(scored)) if scored else None
            if len(scored) < len(fits):
                warnings.warn(f"The validation loss of {len(fits) - len(scored)} of {len(fits)} networks was never "
                              "finite, so they keep their last weights; is a validation row far outside the range of "
                              "X and y?", UserWarning, stacklevel=4)
        return self

    def _check_params(self) -> None:
        try:
            self._validate_params()
        except InvalidParameterError as exc:
            raise SignnetError(str(exc)) from None

    def _hidden(self) -> tuple[int, ...]:
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, Integral):
            sizes = (sizes,)
        return check_sizes(sizes, "hidden_layer_sizes")

    def _device(self) -> torch.device:
        device = self.device
        if device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        device = torch.device(device)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise SignnetError(f"device={self.device!r} but torch sees no CUDA device; pass device='cpu' or 'auto'.")
        return device

    def _batch_size(self, n: int, n_train: int) -> int | None:
        """Minibatch size over the ``n`` rows the minibatches draw from (each network uses its ``n_train``
        training rows of each); None: full batches."""
        size = self.batch_size
        if size == "auto":
            size = min(AUTO_BATCH_MAX, max(AUTO_BATCH_MIN, math.ceil(n_train / AUTO_STEPS)))
        return None if size >= n else int(size)

    def _validation_rows(self, target: np.ndarray, n_networks: int, seed: int,
                         eligible: np.ndarray | None = None) -> list[np.ndarray] | None:
        """Each network's validation rows, ``None`` without early stopping (:func:`._validation.draw_validation_rows`)."""
        return draw_validation_rows(self, target, n_networks, seed, eligible)

    def _validation_score(self):
        """``score(output (m,), y_val, w=None)`` (:func:`._validation.validation_score`)."""
        return validation_score(self._head)

    # ------------------------------------------------------------------ prediction
    def _raw_output(self, X) -> np.ndarray:
        """``module_``'s map on ``X``: ``(n,)`` float64, the prediction (regression), logit (binary) or latent score
        (ordinal).

        The network sees exactly what it saw in ``fit``: ``X`` standardised in float64 with the
        fitted means and scales, then rounded to float32. Its float32 weights are evaluated in
        float64, and the output is mapped back (target mean and scale, or the ordinal shift) in
        float64. ``module_`` computes the same map in float32 from raw float32 ``X``: it agrees to
        float32 rounding except on a column whose spread float32 cannot resolve around its mean
        (e.g. unix timestamps over minutes), which only this float64 path reads exactly. How the rows
        are batched can still change the last bits of float64 (about 1e-16 relative).
        """
        check_is_fitted(self, "module_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        _check_float32_range(X, self)
        module = audit_module(self)
        standardise = getattr(self, "_standardise", None)
        if standardise is None:  # fitted by signnet 0.1.0 before the float64 path: module_ on float32 X
            X = np.asarray(X, dtype=np.float32).astype(np.float64)
            with torch.no_grad():
                return module(torch.from_numpy(X))[:, 0].numpy()
        mean, scale = standardise
        Z = (np.asarray(X, dtype=np.float64) - mean) / scale
        # clipped into float32's range, as float32 rounds (a non-decreasing step): 1e37 on a feature of scale 0.01 would
        # become inf, and 0 * inf = NaN in the network (where zero weights and the averaged blocks meet it)
        Z = np.clip(Z, -FLOAT32_MAX, FLOAT32_MAX).astype(np.float32).astype(np.float64)
        with torch.no_grad():  # the network and the output map, after the standardisation done here
            return module[1:](torch.from_numpy(Z))[:, 0].numpy()


def audit_module(est) -> nn.Sequential:
    """The map ``predict`` computes, as one float64 ``nn.Sequential`` that the audits read.

    ``module_`` with its standardisation and output written in float64 from the fitted float64
    means, scales and target scaling (``module_`` holds them in float32, which cannot resolve a
    column whose spread is tiny beside its mean, e.g. unix timestamps over minutes). ``predict``
    also clips the standardised inputs to float32's range and rounds them to float32 before the network,
    as ``fit`` fed them: non-decreasing steps, so every certificate of this module holds for ``predict`` too. An
    estimator fitted before the float64 path gets its ``module_`` in float64.
    """
    module = copy.deepcopy(est.module_).to(torch.float64)
    standardise = getattr(est, "_standardise", None)
    if standardise is None:
        return module
    mean, scale = standardise
    with torch.no_grad():
        module.standardise.weight.copy_(torch.diag(torch.as_tensor(1.0 / scale, dtype=torch.float64)))
        module.standardise.bias.copy_(torch.as_tensor(-mean / scale, dtype=torch.float64))
        if est._output is not None:
            shift, factor = est._output
            module.output.weight.fill_(factor)
            module.output.bias.fill_(shift)
    return module


def _mean_curve(curves: list[list[float]]) -> list[float]:
    """Per epoch, the mean of the curves that reach it (networks stop at different epochs)."""
    return [float(np.mean([c[e] for c in curves if len(c) > e])) for e in range(max(map(len, curves)))]


def _chain(net: nn.Module, mean: np.ndarray, scale: np.ndarray, target_scale: tuple[float, float] | None) -> nn.Sequential:
    """``module_``: standardise X with positive scales, the network, then undo the target scaling."""
    d = mean.shape[0]
    standardise = torch.nn.utils.skip_init(nn.Linear, d, d)  # no draw from torch's global RNG
    with torch.no_grad():
        standardise.weight.copy_(torch.diag(torch.as_tensor(1.0 / scale, dtype=torch.float32)))
        standardise.bias.copy_(torch.as_tensor(-mean / scale, dtype=torch.float32))
    parts = [("standardise", standardise), ("network", net)]
    if target_scale is not None:
        y_mean, y_scale = target_scale
        output = torch.nn.utils.skip_init(nn.Linear, 1, 1)
        with torch.no_grad():
            output.weight.fill_(y_scale)
            output.bias.fill_(y_mean)
        parts.append(("output", output))
    for _, part in parts:
        if part is not net:
            part.requires_grad_(False)  # constants of the chain, not trained
    return nn.Sequential(OrderedDict(parts)).eval()
