"""Checks of the numeric options of training (epochs, learning rate, weight decay, ...).

Each check returns the value as a Python ``int`` or ``float`` or raises a
:class:`~signnet.errors.SignnetError` with one sentence that names the option,
the value and the fix. Numpy integers and floats are accepted wherever Python
ones are; booleans are refused.
"""

from __future__ import annotations

import math
import numbers

from signnet.errors import SignnetError


def _show(value) -> str:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return str(value.item() if hasattr(value, "item") else value)
    return repr(value)


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def positive_int(value, name: str, hint: str, *, allow_none: bool = False) -> int | None:
    """``value`` as an ``int >= 1`` (or ``None`` when ``allow_none``)."""
    if value is None and allow_none:
        return None
    if not _is_int(value) or value < 1:
        kind = "a positive integer or None" if allow_none else "a positive integer"
        raise SignnetError(f"{name} must be {kind}, got {_show(value)}; {hint}.")
    return int(value)


def integer(value, name: str, hint: str) -> int:
    """``value`` as an ``int`` (any sign)."""
    if not _is_int(value):
        raise SignnetError(f"{name} must be an integer, got {_show(value)}; {hint}.")
    return int(value)


def seed_value(value, name: str = "seed") -> int:
    """``value`` as a seed torch's generators take: an integer in ``-2**63 .. 2**64 - 1``."""
    value = integer(value, name, "pass e.g. seed=0")
    if not -2**63 <= value < 2**64:
        raise SignnetError(f"{name} {value} is outside -2**63 .. 2**64 - 1, the seeds torch takes; pass e.g. seed=0.")
    return value


FLOAT32_MAX = 3.4028234663852886e38  # torch multiplies float32 tensors by rates and decays: larger ones overflow


def positive_number(value, name: str, hint: str) -> float:
    """``value`` as a finite ``float > 0``, at most the largest float32."""
    if not _is_real(value) or not math.isfinite(float(value)) or not value > 0:
        raise SignnetError(f"{name} {_show(value)} must be positive and finite; {hint}.")
    if value > FLOAT32_MAX:
        raise SignnetError(f"{name} {_show(value)} is beyond the largest float32 ({FLOAT32_MAX:.3g}); {hint}.")
    return float(value)


def non_negative_number(value, name: str, hint: str) -> float:
    """``value`` as a finite ``float >= 0``."""
    if not _is_real(value) or math.isnan(float(value)):
        raise SignnetError(f"{name} {_show(value)} must be a number >= 0; {hint}.")
    if value < 0:
        raise SignnetError(f"{name} {_show(value)} must be >= 0; {hint}.")
    if not math.isfinite(float(value)):
        raise SignnetError(f"{name} {_show(value)} must be finite; {hint}.")
    if value > FLOAT32_MAX:
        raise SignnetError(f"{name} {_show(value)} is beyond the largest float32 ({FLOAT32_MAX:.3g}); {hint}.")
    return float(value)
