"""Saving and restoring networks: :func:`save` and :func:`load`.

A checkpoint is a ``torch.save`` file holding plain data only:
``{"format": "signnet.checkpoint", "version": 1, "config": model.config,
"state_dict": ..., "model": "MLP" | "MonotoneMLP"}``. :func:`load` reads it with
``weights_only=True``, so loading never runs code from the file, rebuilds the
:class:`~signnet.MLP` or :class:`~signnet.MonotoneMLP` from its config and loads
the weights (a checkpoint without ``"model"`` holds an MLP).
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
import torch

from signnet.errors import SignnetError
from signnet.nn._rng import forked_rng
from signnet.nn.monotone import MonotoneMLP
from signnet.nn.networks import MLP
from signnet.report.artifacts import atomic_write_bytes

FORMAT, VERSION = "signnet.checkpoint", 1
MODELS = {"MLP": MLP, "MonotoneMLP": MonotoneMLP}  # the classes a checkpoint can hold, by name


def save(model: MLP | MonotoneMLP, path: str | os.PathLike, extra: dict | None = None) -> Path:
    """Write ``model`` (config and state_dict) to ``path``, whole or not at all.

    Args:
        model: an :class:`~signnet.MLP` or a :class:`~signnet.MonotoneMLP`.
        path: the file to write; its folder is created if needed.
        extra: optional plain data stored beside the model (e.g. the training problem).
    """
    if type(model) not in MODELS.values():
        raise SignnetError(f"Only signnet.MLP and signnet.MonotoneMLP networks can be saved, got {type(model).__name__}.")
    state = model.state_dict()
    if any(t.device.type == "meta" for t in state.values() if isinstance(t, torch.Tensor)):
        raise SignnetError("The model's parameters are on the meta device (shapes without values); give them values "
                           "(model.to_empty(device='cpu') and load_state_dict) before saving it.")
    config, extra = _plain(model.config), _plain(extra or {})  # numpy scalars as Python numbers, e.g. strength
    payload = {"format": FORMAT, "version": VERSION, "config": config, "model": type(model).__name__,
               "state_dict": state, "extra": extra}
    data = _serialised(payload)
    if data is None:  # what load could not read: name it (each value tried alone only now)
        what, key, value = next(((w, k, v) for w, values in (("config", config), ("extra", extra))
                                 for k, v in values.items() if _serialised(v) is None), ("the model", "state_dict", state))
        raise SignnetError(f"Cannot save {what}[{key!r}] = {value!r} ({type(value).__name__}): a checkpoint "
                           "is read with torch.load(weights_only=True), which takes Python numbers, strings, "
                           "lists, dicts and tensors only; convert it (e.g. .tolist() or str()).")
    return atomic_write_bytes(path, data)


def _plain(value):
    """``value`` with numpy scalars turned into Python numbers and strings, through dicts, lists and tuples."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)  # a namedtuple becomes a plain tuple (weights_only reads those)
    return value


def _serialised(value) -> bytes | None:
    """``torch.save``'s bytes of ``value``, or ``None`` when ``torch.load(weights_only=True)`` cannot read them back."""
    buf = io.BytesIO()
    try:
        torch.save(value, buf)
        buf.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.load(buf, weights_only=True)
    except Exception:
        return None
    return buf.getvalue()


def read_checkpoint(path: str | os.PathLike) -> dict:
    """Read and validate a checkpoint's payload (``format``, ``config``, ``state_dict``, ``extra``)."""
    path = Path(path)
    if not path.is_file():
        raise SignnetError(f"Checkpoint {str(path)!r} does not exist; give the path written by `signnet train --save`.")
    try:
        with warnings.catch_warnings():  # torch warns about plain pickles before failing: the error below says it
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for a damaged file
        raise SignnetError(f"Checkpoint {str(path)!r} is corrupt or not a torch file ({type(exc).__name__}); save it again.") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise SignnetError(f"File {str(path)!r} is not a signnet checkpoint (no '{FORMAT}' marker); save models with signnet.save.")
    if payload.get("version") != VERSION:
        raise SignnetError(f"Checkpoint {str(path)!r} has version {payload.get('version')!r}; this signnet reads version {VERSION}.")
    return payload


def load(path: str | os.PathLike) -> MLP | MonotoneMLP:
    """Restore the :class:`~signnet.MLP` or :class:`~signnet.MonotoneMLP` saved at ``path`` by :func:`save` (in eval mode,
    on the CPU, in the dtype it was saved in)."""
    payload = read_checkpoint(path)
    config, kind = payload.get("config"), payload.get("model", "MLP")
    if not isinstance(config, dict) or not isinstance(payload.get("state_dict"), dict):
        raise SignnetError(f"Checkpoint {str(path)!r} has no config and state_dict dictionaries; save the model "
                           "again with signnet.save or `signnet train --save`.")
    config = dict(config)
    if not isinstance(kind, str) or kind not in MODELS:
        raise SignnetError(f"Checkpoint {str(path)!r} holds a {kind!r}; this signnet loads {', '.join(MODELS)}.")
    try:
        # the initialisation is overwritten: leave the caller's generator alone; the network was built (and any
        # warning about its configuration given) when it was saved
        with forked_rng(), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            if kind == "MonotoneMLP":
                model = MonotoneMLP.from_config(config)
            else:
                flips = config.pop("flips", None)
                model = MLP(config.pop("in_features"), config.pop("hidden"), config.pop("out_features"), **config,
                            flips=flips)
        dtype = next((t.dtype for t in payload["state_dict"].values()
                      if isinstance(t, torch.Tensor) and t.is_floating_point()), None)
        if dtype is not None:
            model.to(dtype)  # a float64 (or bfloat16) network comes back in its own precision, not float32
        model.load_state_dict(payload["state_dict"])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        detail = " ".join(str(exc).split())  # torch's message spans lines; the error is one
        detail = detail if len(detail) <= 300 else detail[:297] + "..."
        raise SignnetError(f"Checkpoint {str(path)!r} does not describe a network this signnet can build ({detail}); "
                           "save the model again with signnet.save or `signnet train --save`.") from exc
    return model.eval()
