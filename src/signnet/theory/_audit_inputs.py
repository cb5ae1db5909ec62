"""What the audit tools are given: the model (a module, a signnet estimator, a black box), X, bounds, constraints.

The input width is never guessed. It comes from ``X`` or array bounds when
given, else from ``model.config["in_features"]`` (signnet's networks), a black
box's ``n_features_in_`` or the length of an explicit ``monotonic_cst``, else
from the first layer only when the model is one certify admits (a plain
``nn.Sequential``, whose leaves run in order, or a known leaf) and its first
leaf other than element-wise maps is an ``nn.Linear``; otherwise the tools ask
for arrays.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from signnet.errors import SignnetError
from signnet.nn.layers import SignedLinear
from signnet.theory._certificate_checks import Refusal, admitted_leaves
from signnet.theory._certificate_stages import build_stage, leaf_type
from signnet.theory._cst import as_monotonic_cst
from signnet.theory.blackbox import METHODS, BlackBox


@dataclass
class Target:
    """The audited model: a torch ``module`` (gradient search) or a black ``box``."""

    module: nn.Module | None
    box: BlackBox | None
    head: str | None
    declared: object  # the estimator's own constraints (monotonic_cst_ / monotonic_cst), unresolved
    feature_names: list | None
    width: int | None  # the input width when known for sure


def expected_features(model: nn.Module) -> int | None:
    """The input width of ``model`` when it is known for sure, else ``None`` (module docstring)."""
    config = getattr(model, "config", None)
    if isinstance(config, dict) and "in_features" in config:
        return int(config["in_features"])
    try:
        with torch.no_grad():
            for i, (name, leaf) in enumerate(admitted_leaves(model)):
                stage = build_stage(i, name, leaf)
                if stage.kind != "act":  # element-wise maps keep the width: look past them
                    break
            else:
                return None
    except (Refusal, SignnetError):
        return None
    if stage.kind == "linear" and leaf_type(name, leaf) in (nn.Linear, SignedLinear):
        return int(leaf.weight.shape[1])  # what F.linear uses
    return None


def own_cst(module: nn.Module):
    """The constraints a network was built for, else None.

    A :class:`signnet.MonotoneMLP`'s ``monotonic_cst`` (its construction guarantees it), or the
    ``monotonic_cst`` a :class:`signnet.MLP` was built with (its first layer's signs; flips or later
    layers given by hand may break it, which is what the audit is for).
    """
    from signnet.nn.monotone import MonotoneMLP
    from signnet.nn.networks import MLP

    if isinstance(module, MonotoneMLP):
        return module.monotonic_cst
    config = getattr(module, "config", None)
    if isinstance(module, MLP) and isinstance(config, dict):
        return config.get("monotonic_cst")
    return None


def is_signnet_estimator(model) -> bool:
    """``model`` is exactly one of signnet's estimators, whose predictions are a function of its ``module_``.

    A subclass (or any other object with a ``module_``) may predict with something else, so the audit treats it
    as a black box and :func:`~signnet.certify` refuses it.
    """
    from signnet.estimators import MonotoneClassifier, MonotoneOrdinalClassifier, MonotoneRegressor

    return type(model) in (MonotoneRegressor, MonotoneClassifier, MonotoneOrdinalClassifier)


def as_target(model, what: str) -> Target:
    """Sort ``model`` into a module, a fitted signnet estimator (``module_``) or a black box."""
    if isinstance(model, nn.Module):
        return Target(model, None, getattr(model, "head", None), own_cst(model), None, expected_features(model))
    if is_signnet_estimator(model) and not hasattr(model, "module_"):
        raise SignnetError(f"This {type(model).__name__} is not fitted yet; call fit(X, y) before {what}.")
    module = getattr(model, "module_", None)
    if isinstance(module, nn.Module) and hasattr(model, "monotonic_cst_") and is_signnet_estimator(model):
        from signnet.estimators._base import audit_module

        module = audit_module(model)  # predict's map: module_ with its standardisation in float64
        names = getattr(model, "feature_names_in_", None)
        width = getattr(model, "n_features_in_", None)
        return Target(module, None, None, np.asarray(model.monotonic_cst_),
                      None if names is None else [str(f) for f in names],
                      int(width) if width is not None else expected_features(module))
    if any(callable(getattr(model, m, None)) for m in METHODS):
        box = BlackBox(model)
        return Target(None, box, None, getattr(model, "monotonic_cst", None), box.feature_names, box.n_features)
    raise SignnetError(f"{what} needs a torch.nn.Module or a fitted estimator with decision_function, predict_proba "
                       f"or predict; got a {type(model).__name__}.")


def resolve_cst(target: Target, cst, n_features: int) -> np.ndarray:
    """The constraints checked: ``cst`` when given, else the model's own (:func:`own_cst`, ``monotonic_cst_``), else all ``1``."""
    if cst is None and target.declared is not None:
        return as_monotonic_cst(target.declared, n_features, target.feature_names, name="the estimator's monotonic_cst")
    if cst is None and target.box is not None:  # e.g. a Pipeline, which declares no constraints of its own
        warnings.warn(f"{target.box.name} declares no monotonic_cst, so every feature is checked as "
                      "increasing; pass monotonic_cst=... (a list, or a dict by feature name) to check what it "
                      "should guarantee.", UserWarning, stacklevel=3)
    return as_monotonic_cst(cst, n_features, target.feature_names)


def as_inputs(X, target: Target) -> np.ndarray:
    """``X`` as a finite float64 array ``(n, *shape)``, checked against the width when known.

    A DataFrame's columns are matched to the model's feature names by name (reordered when they
    come in another order; other names are refused), as scikit-learn's ``predict`` requires.
    """
    if hasattr(X, "to_numpy") and hasattr(X, "columns"):  # a DataFrame: its columns name the features
        columns = [str(c) for c in X.columns]
        names = target.feature_names
        if names is None:
            target.feature_names = columns
        elif columns != names:  # the model reads features by position: put the frame's columns in its order
            if sorted(columns) != sorted(names) or len(set(columns)) != len(columns):
                raise SignnetError(f"X's columns ({', '.join(columns)}) are not the features the model was fitted on "
                                   f"({', '.join(names)}); pass X with those columns.")
            X = X.iloc[:, [columns.index(n) for n in names]]
        X = X.to_numpy()
    arr = np.asarray(X.detach().cpu().numpy() if hasattr(X, "detach") else X)
    if arr.dtype.kind not in "biuf":
        fix = "convert the columns to numbers"
        if target.box is not None and hasattr(target.box.estimator, "steps"):  # a Pipeline that encodes its inputs
            fix = ("the audit moves numeric inputs, so audit the pipeline's last step on the encoded rows: "
                   "pass pipe[-1] and pipe[:-1].transform(X)")
        raise SignnetError(f"X must be numeric, got values of type {arr.dtype}; {fix}.")
    if arr.ndim < 2 or arr.shape[0] == 0:
        raise SignnetError(f"X must be a non-empty array (n_samples, n_features, ...), got shape {arr.shape}.")
    if not np.isfinite(arr).all():
        raise SignnetError(f"X contains {int((~np.isfinite(arr)).sum())} NaN or infinite values; remove them first.")
    d = target.width
    if d is not None and arr.ndim == 2 and arr.shape[1] != d:
        raise SignnetError(f"X has {arr.shape[1]} features but the model expects {d}.")
    return arr.astype(np.float64)


def _by_name(bound, target: Target):
    """A bound keyed by feature name (a pandas Series such as ``X.min()``, or a dict) in the model's feature order.

    ``X.min()`` of a frame whose columns come in another order than the model's is matched by
    name, as :func:`as_inputs` matches the frame itself (by position it gave each feature
    another's range).
    """
    series = hasattr(bound, "index") and hasattr(bound, "to_numpy") and getattr(bound, "ndim", 0) == 1
    if not (isinstance(bound, dict) or series):
        return bound
    if series and _positional(bound.index):  # a Series without names (0, 1, ...): by position, as an array
        return bound.to_numpy()
    keyed = {str(k): v for k, v in bound.items()}
    names = target.feature_names
    if names is None:
        if isinstance(bound, dict):
            raise SignnetError("bounds are keyed by feature name but the model's features have no names; give "
                               "them as arrays in the order of the model's inputs.")
        return bound.to_numpy()
    if sorted(keyed) != sorted(names):
        raise SignnetError(f"bounds name the features {', '.join(keyed)}, not the model's ({', '.join(names)}); "
                           "give bounds for exactly those features (e.g. X.min() and X.max() of its data).")
    return [keyed[n] for n in names]


def _positional(index) -> bool:
    """An index that numbers the entries ``0..n-1`` (a default ``RangeIndex``), naming no feature."""
    return [str(k) for k in index] == [str(k) for k in range(len(index))]


def as_bounds(bounds, target: Target, cst) -> tuple[np.ndarray, np.ndarray]:
    """``(low, high)`` as float64 arrays of the input's shape; two numbers need a known width.

    Bounds keyed by feature name (``X.min()``, a dict) are put in the model's feature order.
    """
    try:
        low, high = bounds
    except (TypeError, ValueError):
        raise SignnetError(f"bounds {bounds!r} must be a pair (low, high) of numbers or arrays.") from None
    low, high = _by_name(low, target), _by_name(high, target)
    try:
        low, high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
    except (TypeError, ValueError):
        raise SignnetError(f"bounds {bounds!r} must be a pair (low, high) of numbers or arrays.") from None
    if low.ndim == 0 and high.ndim == 0:
        d = target.width
        if d is None and cst is not None and not isinstance(cst, dict):
            d = len(np.asarray(cst).reshape(-1))
        if d is None:
            raise SignnetError("bounds are two numbers but the model's input size is unknown; give bounds as two "
                               "arrays of one input's shape, e.g. (np.zeros(3), np.ones(3)).")
        low, high = np.full(d, float(low)), np.full(d, float(high))
    low, high = np.broadcast_arrays(low, high)
    if not (np.isfinite(low).all() and np.isfinite(high).all()) or (low > high).any():
        raise SignnetError(f"bounds must be finite with low <= high everywhere; "
                           f"got low={low.tolist()}, high={high.tolist()}.")
    d = target.width
    if d is not None and low.ndim == 1 and low.shape[0] != d:
        raise SignnetError(f"bounds have {low.shape[0]} features but the model expects {d}.")
    return low.copy(), high.copy()
