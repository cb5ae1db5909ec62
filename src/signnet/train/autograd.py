"""Autograd on for the functions that train or search by gradients, whatever the caller's grad mode.

``torch.no_grad()`` and ``torch.inference_mode()`` are thread-local modes a caller may hold around
any code (an evaluation script, a notebook cell). Training (:func:`signnet.fit`, the estimators'
``fit``) and :func:`signnet.find_violation` need gradients, so they switch autograd on for their own
work and the caller's mode is back on return, as ``certify`` already does for its vector-Jacobian
products. (Without it they failed with torch's "element 0 of tensors does not require grad".)
"""

from __future__ import annotations

import functools

import torch


def with_gradients(func):
    """Decorate ``func`` to run under ``torch.inference_mode(False)`` and ``torch.enable_grad()``."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with torch.inference_mode(False), torch.enable_grad():
            return func(*args, **kwargs)

    return wrapper
