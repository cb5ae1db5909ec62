"""Validation at the boundary: one place that checks what users pass in.

Every check raises :class:`~signnet.errors.SignnetError` with one sentence that
names the value and says what it must be. Integers may be Python or numpy
integers (``np.int64(3)`` is accepted wherever ``3`` is); booleans are never
numbers. Each check returns the value as a plain Python ``int``/``float``/``Path``.

==========================  ===================================================
check                       accepts
==========================  ===================================================
:func:`check_int`           an integer, optionally within ``[minimum, maximum]``
:func:`check_size`          an integer >= 1 (a width, a count of points)
:func:`check_count`         an integer >= 0
:func:`check_seed`          an integer in ``0 .. 2**32 - 1`` (numpy, torch and scikit-learn all take it)
:func:`check_sizes`         a sequence of integers >= 1 (hidden widths)
:func:`check_float`         a finite number, optionally within bounds
:func:`check_positive`      a finite number > 0 (a learning rate)
:func:`check_non_negative`  a finite number >= 0 (weight decay, a penalty strength)
:func:`check_fraction`      a finite number in ``[0, 1]`` (or ``(0, 1)``)
:func:`check_choice`        one of a fixed set of names
:func:`check_split`         labels that a stratified train/test split can divide
:func:`check_device`        ``None``, ``"auto"``, a device name or a ``torch.device``
:func:`check_out_folder`    a path where a folder of results may be written
:func:`check_output_file`   a path where one file (a checkpoint) may be written
:func:`check_checkpoint_path`  an existing, non-empty file to read a checkpoint from
:func:`read_csv`            a CSV file with a header row, read into features and labels (:mod:`signnet.csvfile`)
==========================  ===================================================
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from signnet.csvfile import read_csv
from signnet.errors import SignnetError, choice_error
from signnet.report.manifest import refuse_foreign

if TYPE_CHECKING:  # torch is imported where a tensor is built, not at import time
    import torch

SEED_MAX = 2**32 - 1


# ---------------------------------------------------------------- numbers
def is_integer(value) -> bool:
    """True for Python and numpy integers, False for booleans and everything else."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_int(value, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an ``int`` if it is an integer within ``[minimum, maximum]``.

    Example: ``check_int(0, "--epochs", minimum=1)`` raises
    "--epochs must be an integer >= 1, got 0."
    """
    if minimum is not None and maximum is not None:
        want = f"an integer in {minimum}..{maximum}"
    elif minimum is not None:
        want = f"an integer >= {minimum}"
    elif maximum is not None:
        want = f"an integer <= {maximum}"
    else:
        want = "an integer"
    if not is_integer(value) or (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise SignnetError(f"{name} must be {want}, got {value!r}.")
    return int(value)


def check_size(value, name: str) -> int:
    """An integer >= 1: a layer width, a number of points, epochs, restarts."""
    return check_int(value, name, minimum=1)


def check_count(value, name: str) -> int:
    """An integer >= 0."""
    return check_int(value, name, minimum=0)


def check_seed(seed, name: str = "seed") -> int:
    """A seed: an integer in ``0 .. 2**32 - 1``, the range numpy, torch and scikit-learn all accept."""
    return check_int(seed, name, minimum=0, maximum=SEED_MAX)


def check_sizes(values, name: str) -> tuple[int, ...]:
    """A sequence of integers >= 1 (hidden widths); an empty sequence is allowed."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise SignnetError(f"{name} must be a sequence of integers >= 1, e.g. (16, 16), got {values!r}.")
    values = list(values)
    bad = [v for v in values if not is_integer(v) or v < 1]
    if bad:
        raise SignnetError(f"{name} must hold integers >= 1, got {bad[0]!r} in {values!r}.")
    return tuple(int(v) for v in values)


def check_float(value, name: str, *, minimum: float | None = None, maximum: float | None = None,
                inclusive: bool = True) -> float:
    """Return ``value`` as a ``float`` if it is a finite number within the bounds.

    ``inclusive`` says whether the bounds themselves are allowed (both, or neither).
    Example: ``check_float(-1.0, "--weight-decay", minimum=0)`` raises
    "--weight-decay must be a finite number >= 0, got -1.0."
    """
    if minimum is not None and maximum is not None:
        want = f"in [{minimum:g}, {maximum:g}]" if inclusive else f"strictly between {minimum:g} and {maximum:g}"
    elif minimum is not None:
        want = f"{'>=' if inclusive else '>'} {minimum:g}"
    elif maximum is not None:
        want = f"{'<=' if inclusive else '<'} {maximum:g}"
    else:
        want = ""
    message = f"{name} must be a finite number{' ' + want if want else ''}, got {value!r}."
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, (bool, np.bool_)):
        raise SignnetError(message)
    v = float(value)
    if not math.isfinite(v):
        raise SignnetError(message)
    if minimum is not None and (v < minimum or (not inclusive and v == minimum)):
        raise SignnetError(message)
    if maximum is not None and (v > maximum or (not inclusive and v == maximum)):
        raise SignnetError(message)
    return v


def check_positive(value, name: str) -> float:
    """A finite number > 0 (a learning rate, a step size)."""
    return check_float(value, name, minimum=0.0, inclusive=False)


def check_non_negative(value, name: str) -> float:
    """A finite number >= 0 (weight decay, a penalty strength)."""
    return check_float(value, name, minimum=0.0)


def check_fraction(value, name: str, *, inclusive: bool = True) -> float:
    """A share of something: a finite number in ``[0, 1]``, or ``(0, 1)`` if not ``inclusive``."""
    return check_float(value, name, minimum=0.0, maximum=1.0, inclusive=inclusive)


def check_choice(value, what: str, choices) -> str:
    """``value`` if it is one of ``choices``, else "Unknown <what> <value>; choose one of: ..."."""
    if not isinstance(value, str) or value not in choices:
        raise choice_error(what, value, choices)
    return value


def check_device(device, name: str = "device"):
    """A ``torch.device`` from ``None`` (returned as ``None``), ``"auto"``, a name such as ``"cpu"``/``"cuda:0"``,
    or a ``torch.device``.

    ``"auto"`` is ``cuda`` when ``torch.cuda.is_available()``, else ``cpu``. A CUDA device
    is refused with one sentence when torch sees none.
    """
    import torch

    if device is None:
        return None
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, (str, torch.device)):
        raise SignnetError(f"{name} must be 'auto', a device name such as 'cpu' or 'cuda', or a torch.device, "
                           f"got {device!r}.")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError):
        raise SignnetError(f"{name} {device!r} is not a torch device; pass 'auto', 'cpu', 'cuda' or e.g. 'cuda:0'.") from None
    if dev.type not in ("cpu", "cuda", "mps"):
        raise SignnetError(f"{name} {device!r} is not supported; pass 'auto', 'cpu', 'cuda' (or 'cuda:N') or 'mps'.")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise SignnetError(f"{name} {device!r} asks for MPS but torch sees no MPS device here; pass 'auto' or 'cpu'.")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise SignnetError(f"{name} {device!r} asks for CUDA but torch sees no CUDA device here; pass 'auto' or 'cpu'.")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise SignnetError(f"{name} {device!r} names CUDA device {dev.index} but torch sees "
                           f"{torch.cuda.device_count()}; pass 'cuda' or 'auto'.")
    return dev


def check_split(y, test_size: float, *, what: str, fix: str) -> None:
    """Check that labels ``y`` can be split, stratified, into a training and a test part.

    The test part gets ``ceil(test_size * n)`` points (as in scikit-learn's
    ``train_test_split``); both parts must hold every class, every class needs
    two points, and there must be two classes at least.

    Args:
        y: the labels, shape ``(n,)``.
        test_size: the share held out, in ``(0, 1)``.
        what: the data in words, e.g. "the 3 points of xor (--n 3)".
        fix: what the user should change, e.g. "use a larger --n (e.g. 100)".
    """
    classes, counts = np.unique(np.asarray(y), return_counts=True)
    labels = [int(c) if isinstance(c, float) and c.is_integer() else c for c in classes.tolist()]
    n = int(counts.sum())
    if classes.size < 2:
        raise SignnetError(f"{what} hold one class only ({labels[0]!r}); a classifier needs two at least: {fix}.")
    n_test = math.ceil(test_size * n)
    if counts.min() < 2 or n_test < classes.size or n - n_test < classes.size:
        listed = ", ".join(f"{c!r}: {k}" for c, k in zip(labels, counts.tolist(), strict=True))
        raise SignnetError(f"{what} (per class {listed}) are too few to hold out {test_size:g} of them with every "
                           f"class in both parts: {fix}.")


# ---------------------------------------------------------------- paths
def _nearest_existing(path: Path) -> Path:
    for parent in [path, *path.parents]:
        if os.path.lexists(parent):
            return parent
    return Path(".")


def _check_parents(path: Path, name: str, what: str) -> None:
    parent = path.parent
    existing = _nearest_existing(parent)
    if not existing.is_dir():
        raise SignnetError(f"{name} {str(path)!r} lies inside {str(existing)!r}, which is a file, not a folder; "
                           f"give a {what} path in a folder.")


def check_out_folder(path, name: str = "--out") -> Path:
    """A path where a folder of results may be written (created, or replaced whole).

    Refuses an existing file, a path below a file, the current folder or one of its
    parents (replacing it would pull the ground from under the shell), and an
    existing folder that holds any file signnet did not write: every file must be
    listed by the ``.signnet-output`` manifest that :func:`signnet.report.artifacts.staged_folder`
    writes into each output folder (or by the manifest of a folder above it, for a report
    inside ``reproduce --all``'s root). Nothing is created here.
    """
    if not isinstance(path, (str, os.PathLike)) or str(path) == "":
        raise SignnetError(f"{name} must be a folder path, got {path!r}.")
    out = Path(path)
    if os.path.lexists(out) and not out.is_dir():
        raise SignnetError(f"{name} {str(out)!r} is an existing file; give a folder path.")
    if out.is_symlink():
        raise SignnetError(f"{name} {str(out)!r} is a symbolic link; give the folder it points to.")
    _check_parents(out, name, "folder")
    if out.exists():
        here, target = Path.cwd().resolve(), out.resolve()
        if here == target or target in here.parents:
            raise SignnetError(f"{name} {str(out)!r} holds the current folder; give a folder below it, "
                               "e.g. reports/run1 (signnet replaces the whole output folder).")
        refuse_foreign(out, name)
    return out


def check_output_file(path, name: str) -> Path:
    """A path where one file may be written: not an existing folder or other non-regular file, not below a file."""
    if not isinstance(path, (str, os.PathLike)) or str(path) == "":
        raise SignnetError(f"{name} must be a file path, got {path!r}.")
    out = Path(path)
    if out.is_dir():
        raise SignnetError(f"{name} {str(out)!r} is an existing folder; give a file path, "
                           f"e.g. {str(out / 'model.pt')!r}.")
    if os.path.lexists(out) and not out.is_file():  # a pipe, a device, a socket, a dangling link
        raise SignnetError(f"{name} {str(out)!r} exists and is not a regular file; give the path of a new file.")
    _check_parents(out, name, "file")
    _check_writable(_nearest_existing(out.parent), out, name)
    return out


def _check_writable(folder: Path, out: Path, name: str) -> None:
    """Refuse, before any work, a folder that takes no new file (permissions, a read-only or immutable folder).

    The probe is an unnamed temporary file (``O_TMPFILE`` on Linux), closed at once: nothing appears in the folder.
    """
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise SignnetError(f"{name} {str(out)!r} cannot be written: {str(folder)!r} takes no new file "
                           f"({exc.strerror or exc}); give a path in a folder you can write to.") from None


def check_checkpoint_path(path, name: str = "checkpoint") -> Path:
    """An existing, non-empty file (whether it holds a checkpoint is for the loader to say)."""
    if str(path) == "":
        raise SignnetError(f"The {name} path is empty; give the path written by `signnet train --save`.")
    p = Path(path)
    if not p.exists():
        raise SignnetError(f"The {name} {str(p)!r} does not exist; give the path written by `signnet train --save`.")
    if not p.is_file():
        raise SignnetError(f"The {name} {str(p)!r} is not a file; give the path written by `signnet train --save`.")
    if p.stat().st_size == 0:
        raise SignnetError(f"The {name} {str(p)!r} is empty; save the model again with `signnet train --save`.")
    return p


# ---------------------------------------------------------------- arrays
def _to_numpy(x) -> np.ndarray:
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor
        return np.asarray(x.detach().cpu().numpy())
    return np.asarray(x)


def first_beyond(arr: np.ndarray, top: float) -> tuple[int, ...] | None:
    """The index of the first entry of ``arr`` with ``|value| > top`` (e.g. a dtype's largest), or ``None``."""
    if arr.dtype.kind != "f" or float(np.finfo(arr.dtype).max) <= top:  # nothing in arr's own dtype can exceed it
        return None
    big = np.abs(arr) > top
    return tuple(int(i[0]) for i in np.nonzero(big)) if big.any() else None


def as_features(X, n_features: int | None = None, name: str = "X", dtype=None) -> torch.Tensor:
    """Validate a feature matrix and return it as a tensor of shape ``(n, d)`` in ``dtype`` (default float32)."""
    import torch

    dtype = torch.float32 if dtype is None else dtype

    arr = _to_numpy(X)
    if arr.dtype.kind not in "biuf":
        raise SignnetError(f"{name} must be numeric, got values of type {arr.dtype}; convert the columns to numbers.")
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise SignnetError(f"{name} must be a non-empty 2-D array (n_samples, n_features), got shape {arr.shape}.")
    if not np.isfinite(arr).all():
        bad = int((~np.isfinite(arr)).sum())
        raise SignnetError(f"{name} contains {bad} NaN or infinite values; remove or impute them first.")
    if n_features is not None and arr.shape[1] != n_features:
        raise SignnetError(f"{name} has {arr.shape[1]} features but the model expects {n_features}.")
    top = torch.finfo(dtype).max
    beyond = first_beyond(arr, top)
    if beyond is not None:
        row, col = beyond
        kind = str(dtype).replace("torch.", "")
        raise SignnetError(f"{name}[{row}, {col}] is {float(arr[row, col]):.3g}, beyond {kind}'s range "
                           f"(+-{top:.3g}) in which the model computes; rescale that feature.")
    return torch.as_tensor(arr, dtype=dtype)


def as_targets(y, n: int, head: str, n_outputs: int, dtype=None, name: str = "y") -> torch.Tensor:
    """Validate targets for ``head`` and return them as a tensor of length ``n``.

    Classification labels must be integers in ``[0, n_classes)``: {0, 1} for
    ``"binary"``, ``[0, n_outputs)`` for ``"softmax"``. ``name`` is what messages call ``y``
    (``"y_val"`` for validation targets, whose rows are those of ``X_val``).
    """
    import torch

    arr = _to_numpy(y)
    if arr.shape[:1] != (n,):
        rows = "X_val" if name == "y_val" else "X"
        raise SignnetError(f"{name} has {arr.shape[0] if arr.ndim else 0} entries but {rows} has {n} rows; "
                           "give one target per row.")
    if arr.dtype.kind not in "biuf" or not np.isfinite(arr.astype(float)).all():
        raise SignnetError(f"{name} must hold finite numbers; remove NaN, infinite or non-numeric targets.")
    if head == "regression":
        t = torch.as_tensor(arr, dtype=torch.float32 if dtype is None else dtype)
        t = t.reshape(n, -1) if t.dim() > 1 else t.reshape(n, 1)
        if t.shape[1] != n_outputs:
            raise SignnetError(f"{name} gives {t.shape[1]} target(s) per row (shape {arr.shape}) but the model has "
                               f"{n_outputs} output(s); give {name} of shape (n,) for one output or (n, {n_outputs}).")
        return t
    labels = "Labels" if name == "y" else f"Labels in {name}"
    if arr.ndim != 1 or not np.all(arr == np.round(arr)):
        raise SignnetError(f"{labels} must be whole numbers in a 1-D array for a {head} head; "
                           f"got {arr.dtype} values of shape {arr.shape}.")
    classes = 2 if head == "binary" else n_outputs
    if arr.min() < 0 or arr.max() >= classes:
        raise SignnetError(
            f"{labels} must lie in 0..{classes - 1} for a {head} head with {n_outputs} output(s); "
            f"found values {sorted(set(arr.astype(int).tolist()))[:10]}."
        )
    return torch.as_tensor(arr.astype(np.int64))


__all__ = ["SEED_MAX", "as_features", "as_targets", "check_checkpoint_path", "check_choice", "check_count", "check_device",
           "check_float", "check_fraction", "check_int", "check_non_negative", "check_out_folder",
           "check_output_file", "check_positive", "check_seed", "check_size", "check_sizes", "check_split",
           "first_beyond", "is_integer", "read_csv"]
