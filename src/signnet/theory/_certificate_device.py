"""Running a certificate's sign propagation on another device (``certify(device=...)``).

The stages of ``_certificate_stages`` hold 0/1 sign indicators on the CPU. For
another device, :func:`move_stages` copies them there: ``Linear`` indicators as
they are, convolutions rebuilt from the same indicators around the module's own
``_conv_forward``; pooling operators are device-agnostic functions. Tensors the
propagation creates itself land on the device through ``with torch.device(dev)``
(:func:`on`). The 0/1 arithmetic is exact on any device, so the certificate is the same.
"""

from __future__ import annotations

import contextlib

import torch

from signnet.theory._certificate_stages import _CONV, LinearOp, Op, _sign_parts, leaf_type


def on(device: torch.device):
    """A context in which new tensors are created on ``device`` (nothing for the CPU)."""
    return contextlib.nullcontext() if device.type == "cpu" else torch.device(device)


def _conv(module, kernel: torch.Tensor):
    return lambda x: module._conv_forward(x, kernel, None)


def move_stages(stages: list, device: torch.device) -> None:
    """Copy every stage's sign indicators to ``device`` (in place; nothing for the CPU)."""
    if device.type == "cpu":
        return
    for st in stages:
        if isinstance(st.op, LinearOp):
            st.op.parts = {s: p.to(device) for s, p in st.op.parts.items()}
        elif st.kind == "linear" and leaf_type(st.name, st.module) in _CONV:
            parts = _sign_parts(st.index, st.name, st.module, True)
            st.op = Op({s: _conv(st.module, p.to(device)) for s, p in parts.items()})
