"""Activations, with the two properties the theory needs.

* ``monotone``: non-decreasing, the premise of the paper's Theorem 1.1. relu,
  leaky_relu, elu, softplus, sigmoid, tanh and identity qualify. gelu and silu
  dip below zero before rising, so they are *not* monotone: allowed in networks,
  but flagged, and no certificate is proved through them.
* ``convex``: convex as well as non-decreasing (relu, leaky_relu, elu with
  alpha <= 1, softplus, identity). A DNN+ built only from these is *convex* in
  its input, because a non-negative combination of convex functions is convex
  and a convex non-decreasing function of a convex function is convex. Then
  ``{x : P(x) <= c}``, the class-0 region of a thresholded DNN+, is a convex
  set that is also closed downward.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from signnet.errors import choice_error


@dataclass(frozen=True)
class ActivationInfo:
    """What signnet knows about an activation."""

    factory: Callable[[], nn.Module]  # builds the module
    monotone: bool  # non-decreasing on the whole real line
    convex: bool  # convex on the whole real line
    concave: bool = False  # concave on the whole real line


ACTIVATIONS: dict[str, ActivationInfo] = {
    "relu": ActivationInfo(nn.ReLU, monotone=True, convex=True),
    "leaky_relu": ActivationInfo(nn.LeakyReLU, monotone=True, convex=True),
    "elu": ActivationInfo(nn.ELU, monotone=True, convex=True),
    "softplus": ActivationInfo(nn.Softplus, monotone=True, convex=True),
    "sigmoid": ActivationInfo(nn.Sigmoid, monotone=True, convex=False),
    "tanh": ActivationInfo(nn.Tanh, monotone=True, convex=False),
    "identity": ActivationInfo(nn.Identity, monotone=True, convex=True, concave=True),
    "gelu": ActivationInfo(nn.GELU, monotone=False, convex=False),
    "silu": ActivationInfo(nn.SiLU, monotone=False, convex=False),
}

# module type -> name, for looking up a module found inside a model
_BY_TYPE = {info.factory: name for name, info in ACTIVATIONS.items()}


def make_activation(name: str) -> nn.Module:
    """Build the activation module called ``name`` (a key of :data:`ACTIVATIONS`)."""
    if name not in ACTIVATIONS:
        raise choice_error("activation", name, ACTIVATIONS)
    return ACTIVATIONS[name].factory()


def activation_info(module: nn.Module) -> ActivationInfo | None:
    """The :class:`ActivationInfo` of an activation module, or ``None`` if unknown.

    Parameters that change the shape are reported honestly: ``LeakyReLU`` with a
    negative slope is not monotone and with a slope above 1 is concave, ``ELU``
    with ``alpha`` outside [0, 1] is not convex (and not monotone if negative),
    ``Softplus`` with a negative ``beta`` is concave.
    """
    name = _BY_TYPE.get(type(module))
    if name is None:
        return None
    info = ACTIVATIONS[name]
    if isinstance(module, nn.LeakyReLU) and module.negative_slope < 0:
        return ActivationInfo(info.factory, monotone=False, convex=False)
    if isinstance(module, nn.LeakyReLU) and module.negative_slope > 1:
        return ActivationInfo(info.factory, monotone=True, convex=False, concave=True)
    if isinstance(module, nn.ELU) and not 0 <= module.alpha <= 1:
        return ActivationInfo(info.factory, monotone=module.alpha >= 0, convex=False)
    if isinstance(module, nn.Softplus) and module.beta < 0:
        return ActivationInfo(info.factory, monotone=True, convex=False, concave=True)
    return info
