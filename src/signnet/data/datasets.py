"""scikit-learn's bundled data sets, standardised and split, ready for a network.

Nothing is downloaded: ``breast_cancer``, ``wine``, ``digits`` and ``diabetes``
ship inside scikit-learn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sklearn import datasets as skdatasets
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from signnet.errors import SignnetError
from signnet.validation import check_choice, check_fraction, check_seed, check_split

_LOADERS = {
    "breast_cancer": (skdatasets.load_breast_cancer, "classification"),
    "wine": (skdatasets.load_wine, "classification"),
    "digits": (skdatasets.load_digits, "classification"),
    "diabetes": (skdatasets.load_diabetes, "regression"),
}
DATASETS = tuple(_LOADERS)


@dataclass(frozen=True)
class Dataset:
    """A split data set: ``X_*`` (n, d) float32; ``y_*`` (n,) int64 (classification) or float32."""

    name: str
    task: str  # "classification" or "regression"
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    feature_names: tuple[str, ...]


def load_dataset(name: str, *, test_size: float = 0.25, seed: int = 0, standardize: bool = True) -> Dataset:
    """Load a bundled scikit-learn data set, split it and standardise the features.

    The scaler is fitted on the training part only. Classification splits are stratified.

    Args:
        name: ``"breast_cancer"``, ``"wine"``, ``"digits"`` or ``"diabetes"``.
        test_size: fraction of rows held out, in (0, 1); both parts must hold every class.
        seed: seed of the split, in ``0 .. 2**32 - 1``.
        standardize: centre and scale each feature (on by default).
    """
    check_choice(name, "data set", DATASETS)
    test_size = check_fraction(test_size, "test_size", inclusive=False)
    seed = check_seed(seed)
    loader, task = _LOADERS[name]
    bunch = loader()
    X, y = bunch.data.astype(np.float64), bunch.target
    stratify = y if task == "classification" else None
    if task == "classification":
        check_split(y, test_size, what=f"The {len(y)} rows of {name}", fix="choose a test_size nearer 0.5")
    elif min(math.ceil(test_size * len(y)), len(y) - math.ceil(test_size * len(y))) < 1:
        raise SignnetError(f"test_size {test_size!r} leaves one part of the {len(y)} rows of {name} empty; "
                           "choose a test_size nearer 0.5.")
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size, random_state=seed, stratify=stratify)
    if standardize:
        scaler = StandardScaler().fit(X_tr)
        X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    ytype = np.int64 if task == "classification" else np.float32
    names = tuple(str(f) for f in getattr(bunch, "feature_names", [f"x{i}" for i in range(X.shape[1])]))
    return Dataset(name, task, X_tr.astype(np.float32), X_te.astype(np.float32),
                   y_tr.astype(ytype), y_te.astype(ytype), names)
