"""Where the audit tools compute: ``device="auto"``, ``"cpu"``, ``"cuda"`` or a ``torch.device``."""

from __future__ import annotations

import torch

from signnet.errors import SignnetError

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(device, default: torch.device | None = None, *, name: str = "device") -> torch.device:
    """The ``torch.device`` for ``device``.

    ``None`` gives ``default`` (the CPU when that is ``None``); ``"auto"`` CUDA when
    available, else the CPU; ``"cuda"`` (or ``"cuda:1"``) needs a CUDA device.

    Raises:
        SignnetError: an unknown name, or CUDA asked for where there is none.
    """
    if device is None:
        return default if default is not None else torch.device("cpu")
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = device if isinstance(device, torch.device) else torch.device(device)
    except (RuntimeError, TypeError):
        raise SignnetError(f"{name} {device!r} is not a device; use 'auto', 'cpu', 'cuda' or 'cuda:N' "
                           "(or a torch.device).") from None
    if dev.type not in ("cpu", "cuda"):
        raise SignnetError(f"{name} {device!r} is not supported; use 'auto', 'cpu' or 'cuda'.")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise SignnetError(f"{name} {device!r} needs CUDA, which this machine does not have; use 'cpu' or 'auto'.")
    return dev
