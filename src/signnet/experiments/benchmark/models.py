"""The models of the benchmark behind one small interface: name -> factory(task, cst, seed).

Every model is a scikit-learn-style estimator. The harness standardises the features (a
``StandardScaler`` fitted on the fitting rows; a positive rescaling, so every monotonicity
direction is kept) and calls ``spec.fit(estimator, X_fit, y_fit, X_val, y_val, max_epochs)``: the
validation rows (carved from the training split, never from the test rows) are where every
model makes its choices (the stopping epoch, the restored weights).

=================  ==============================================================================
``signnet``        ``signnet.MonotoneRegressor`` / ``MonotoneClassifier`` with their defaults and
                   ``monotonic_cst``; used when :mod:`signnet.estimators` provides them
``hgb_monotone``   ``HistGradientBoosting*`` with ``monotonic_cst``, early stopping on the validation rows
``mlp_free``       an unconstrained ``MLPRegressor`` / ``MLPClassifier`` of the same widths, trained epoch
                   by epoch (``partial_fit``); the weights of the epoch with the lowest validation loss
                   are kept (regression targets standardised, the output layer mapped back exactly)
``lmn``            ``monotonicnetworks`` (Kitouni, Nolte & Williams, Expressive Monotonic Neural Networks,
                   ICLR 2023; :mod:`.peers`) when it is importable (``pip install signnet[peers]``), else
                   skipped with a note
=================  ==============================================================================
"""

from __future__ import annotations

import copy
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from signnet.errors import SignnetError

HIDDEN = (32, 32)  # widths shared by every network of the benchmark
MAX_EPOCHS = 200  # the most epochs of the networks trained here (early stopping usually ends them sooner)
PATIENCE = 20  # epochs without a validation improvement before a network trained here stops


@dataclass(frozen=True)
class ModelSpec:
    """One model of the benchmark.

    Attributes:
        name: the key in results.json.
        label: a short label for tables and plots.
        constrained: whether the model is monotone in ``monotonic_cst`` by construction.
        factory: ``factory(task, cst, seed, max_epochs)`` -> an unfitted estimator; ``cst`` is an (d,) int
            array of -1/0/+1; ``max_epochs`` None means the defaults (:data:`MAX_EPOCHS` for the networks
            trained here); raises :class:`Unavailable` when a package is missing.
        fit: ``fit(estimator, X_fit, y_fit, X_val, y_val, max_epochs)`` -> the fitted estimator (``max_epochs``
            bounds the networks trained here; the others keep their own).
        validation: how the validation rows are used, in words (shown in the report).
        describe: optional ``describe(fitted estimator)`` -> the same sentence, when it depends on the estimator.
    """

    name: str
    label: str
    constrained: bool
    factory: Callable
    fit: Callable
    validation: str
    describe: Callable | None = None

    def note(self, est) -> str:
        """How this fitted estimator used the validation rows, in words."""
        return self.describe(est) if self.describe is not None else self.validation


class Unavailable(Exception):
    """A model whose package is not importable; the message says why (shown in the table)."""


# ------------------------------------------------------------------ signnet's estimators
def _signnet_factory(task, cst, seed, max_epochs):
    try:
        estimators = importlib.import_module("signnet.estimators")
        cls = getattr(estimators, "MonotoneClassifier" if task == "binary" else "MonotoneRegressor")
    except (ImportError, AttributeError):
        raise Unavailable("signnet.MonotoneRegressor / MonotoneClassifier are not in this installation") from None
    est = cls(monotonic_cst=[int(c) for c in cst], random_state=seed)
    if max_epochs is not None and "max_iter" in est.get_params():  # --quick only; otherwise its defaults
        est.set_params(max_iter=max_epochs)
    return est


def _signnet_takes_validation(est) -> str | None:
    params = inspect.signature(est.fit).parameters
    return next((p for p in ("X_val", "validation") if p in params), None)


def _signnet_fit(est, X_fit, y_fit, X_val, y_val, max_epochs):
    how = _signnet_takes_validation(est)
    if how == "X_val":
        return est.fit(X_fit, y_fit, X_val=X_val, y_val=y_val)
    if how == "validation":
        return est.fit(X_fit, y_fit, validation=(X_val, y_val))
    # its own validation_fraction, carved from the same training split (fit + validation rows)
    return est.fit(np.concatenate([X_fit, X_val]), np.concatenate([y_fit, y_val]))


def _signnet_note(est) -> str:
    params = est.get_params()
    fraction, networks = params.get("validation_fraction"), params.get("n_networks", 1)
    if _signnet_takes_validation(est):
        each = f"the average of {networks} networks, each" if networks > 1 else "one network"
        return (f"fit on the fitting rows, {each} stopping early on the validation rows (X_val, y_val) and restoring "
                "its best weights")
    if networks > 1:
        return (f"fit(X, y) on the whole training split (fitting + validation rows); the average of {networks} "
                f"networks, each holding out its own validation_fraction={fraction} of them for early stopping and "
                f"restoring its best weights")
    return (f"fit(X, y) on the whole training split (fitting + validation rows); its own early stopping holds out "
            f"validation_fraction={fraction} of them and restores the best weights")


# ------------------------------------------------------------------ HistGradientBoosting
def _hgb_factory(task, cst, seed, max_epochs):
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    cls = HistGradientBoostingClassifier if task == "binary" else HistGradientBoostingRegressor
    return cls(monotonic_cst=[int(c) for c in cst], early_stopping=True, random_state=seed)


def _hgb_fit(est, X_fit, y_fit, X_val, y_val, max_epochs):
    return est.fit(X_fit, y_fit, X_val=X_val, y_val=y_val)


# ------------------------------------------------------------------ unconstrained MLP
def _mlp_factory(task, cst, seed, max_epochs):
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    cls = MLPClassifier if task == "binary" else MLPRegressor
    return cls(hidden_layer_sizes=HIDDEN, learning_rate_init=1e-3, batch_size=64, random_state=seed)


def _mlp_val_loss(est, X, y) -> float:
    if hasattr(est, "predict_proba"):
        p = np.clip(est.predict_proba(X)[:, 1], 1e-12, 1 - 1e-12)
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    return float(np.mean((est.predict(X) - y) ** 2))


def _mlp_fit(est, X_fit, y_fit, X_val, y_val, max_epochs):
    """Epoch by epoch with ``partial_fit``; keep the weights of the lowest validation loss (tolerance 1e-6)."""
    classifier = hasattr(est, "predict_proba")
    mean, scale = (0.0, 1.0) if classifier else (float(np.mean(y_fit)), float(np.std(y_fit)) or 1.0)
    y_s, y_val_s = (y_fit - mean) / scale, (y_val - mean) / scale
    best, best_loss, best_epoch = None, np.inf, 0
    for epoch in range(1, (max_epochs or MAX_EPOCHS) + 1):
        if classifier:
            est.partial_fit(X_fit, y_fit, classes=np.array([0, 1]))
        else:
            est.partial_fit(X_fit, y_s)
        loss = _mlp_val_loss(est, X_val, y_val_s)
        if loss < best_loss - 1e-6:
            best, best_loss, best_epoch = (copy.deepcopy(est.coefs_), copy.deepcopy(est.intercepts_)), loss, epoch
        elif epoch - best_epoch >= PATIENCE:
            break
    est.coefs_, est.intercepts_ = best
    if not classifier:  # the identity output layer maps back to y's units exactly
        est.coefs_[-1] = est.coefs_[-1] * scale
        est.intercepts_[-1] = est.intercepts_[-1] * scale + mean
    return est


# ------------------------------------------------------------------ monotonicnetworks (peer)
def _lmn_factory(task, cst, seed, max_epochs):
    from signnet.experiments.benchmark.peers import LipschitzMonotone, lmn_available

    reason = lmn_available()
    if reason:
        raise Unavailable(reason)
    return LipschitzMonotone(task=task, monotonic_cst=cst, hidden=HIDDEN, seed=seed, max_epochs=max_epochs or MAX_EPOCHS,
                             patience=PATIENCE)


LMN_LIPSCHITZ = (1.0, 4.0)  # Lipschitz constants tried; the one with the lowest validation loss is kept


def _lmn_fit(est, X_fit, y_fit, X_val, y_val, max_epochs):
    from sklearn.base import clone

    fits = [clone(est).set_params(lipschitz_const=lam).fit(X_fit, y_fit, X_val=X_val, y_val=y_val)
            for lam in LMN_LIPSCHITZ]
    return min(fits, key=lambda e: e.best_val_loss_)


MODELS: dict[str, ModelSpec] = {
    "signnet": ModelSpec("signnet", "signnet (default)", True, _signnet_factory, _signnet_fit,
                         "early stopping on the validation rows if its fit takes them, else its own "
                         "validation_fraction of the training split", _signnet_note),
    "hgb_monotone": ModelSpec("hgb_monotone", "HGB monotone", True, _hgb_factory, _hgb_fit,
                              "early stopping on the validation rows (X_val, y_val)"),
    "mlp_free": ModelSpec("mlp_free", "MLP unconstrained", False, _mlp_factory, _mlp_fit,
                          "epoch with the lowest validation loss restored (patience 20)"),
    "lmn": ModelSpec("lmn", "monotonicnetworks (LMN)", True, _lmn_factory, _lmn_fit,
                     "Lipschitz constant 1 or 4 and the epoch with the lowest validation loss (patience 20)",
                     lambda est: f"Lipschitz constant {est.lipschitz_const:g} of (1, 4) and the epoch with the "
                                 f"lowest validation loss (patience 20)"),
}
MODEL_NAMES = tuple(MODELS)


def parameter_count(est) -> int | None:
    """Trainable numbers of a fitted model: network weights and biases, or tree nodes for gradient boosting.

    For gradient boosting the count is the nodes of all trees (each holds a split or a leaf value);
    for signnet's average of ``n_networks`` networks, ``n_networks`` times one network's weights and
    biases (the zeros between the networks in the merged ``module_`` are not trained);
    ``None`` when the model exposes neither.
    """
    module = getattr(est, "module_", None)
    if module is not None:
        networks = int(getattr(est, "n_networks", 1) or 1)
        config = getattr(getattr(module, "network", None), "config", None)
        if networks > 1 and config is not None:
            widths = [config["in_features"], *(h // networks for h in config["hidden"]), config["out_features"]]
            return networks * sum(a * b + b for a, b in zip(widths[:-1], widths[1:], strict=True))
        return int(sum(p.numel() for p in module.parameters() if p.requires_grad))  # not frozen scalers
    if hasattr(est, "coefs_"):
        return int(sum(w.size for w in est.coefs_) + sum(b.size for b in est.intercepts_))
    predictors = getattr(est, "_predictors", None)
    if predictors is not None:
        return int(sum(len(p.nodes) for it in predictors for p in it))
    count = getattr(est, "n_parameters_", None)
    return None if count is None else int(count)


def check_models(names) -> tuple[str, ...]:
    """The model names, in the order given; raises SignnetError for an unknown one."""
    names = tuple(names)
    for n in names:
        if n not in MODELS:
            raise SignnetError(f"Unknown benchmark model {n!r}; choose from: {', '.join(MODEL_NAMES)}.")
    return names
