"""Validation at the boundary: one place that checks what users pass in.

Every check raises :class:`~signnet.errors.SignnetError` with one sentence that
names the value and says how to fix it. Integers may be Python or numpy integers
(``np.int64(3)`` is accepted wherever ``3`` is); booleans are never integers.
"""

from __future__ import annotations

import numpy as np
import torch

from signnet.errors import SignnetError


def as_features(X, n_features: int | None = None, name: str = "X") -> torch.Tensor:
    """Validate a feature matrix and return it as a float32 tensor of shape ``(n, d)``."""
    arr = np.asarray(X.detach().cpu().numpy() if isinstance(X, torch.Tensor) else X)
    if arr.dtype.kind not in "biuf":
        raise SignnetError(f"{name} must be numeric, got values of type {arr.dtype}; convert the columns to numbers.")
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise SignnetError(f"{name} must be a non-empty 2-D array (n_samples, n_features), got shape {arr.shape}.")
    if not np.isfinite(arr).all():
        bad = int((~np.isfinite(arr)).sum())
        raise SignnetError(f"{name} contains {bad} NaN or infinite values; remove or impute them first.")
    if n_features is not None and arr.shape[1] != n_features:
        raise SignnetError(f"{name} has {arr.shape[1]} features but the model expects {n_features}.")
    return torch.as_tensor(arr, dtype=torch.float32)


def as_targets(y, n: int, head: str, n_outputs: int) -> torch.Tensor:
    """Validate targets for ``head`` and return them as a tensor of length ``n``.

    Classification labels must be integers in ``[0, n_classes)``: {0, 1} for
    ``"binary"``, ``[0, n_outputs)`` for ``"softmax"``.
    """
    arr = np.asarray(y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else y)
    if arr.shape[:1] != (n,):
        raise SignnetError(f"y has {arr.shape[0] if arr.ndim else 0} entries but X has {n} rows; give one target per row.")
    if arr.dtype.kind not in "biuf" or not np.isfinite(arr.astype(float)).all():
        raise SignnetError("y must hold finite numbers; remove NaN, infinite or non-numeric targets.")
    if head == "regression":
        t = torch.as_tensor(arr, dtype=torch.float32)
        return t.reshape(n, -1) if t.dim() > 1 else t.reshape(n, 1)
    if arr.ndim != 1 or not np.all(arr == np.round(arr)):
        raise SignnetError(f"Labels must be whole numbers in a 1-D array for a {head} head; got {arr.dtype} values of shape {arr.shape}.")
    classes = 2 if head == "binary" else n_outputs
    if arr.min() < 0 or arr.max() >= classes:
        raise SignnetError(
            f"Labels must lie in 0..{classes - 1} for a {head} head with {n_outputs} output(s); "
            f"found values {sorted(set(arr.astype(int).tolist()))[:10]}."
        )
    return torch.as_tensor(arr.astype(np.int64))
