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

:class:`MixedActivation` (Runje & Shankaranarayana, ICML 2023) applies a convex
activation to some units, its point reflection to others and a saturated blend
of both to the rest: with sign-constrained weights this gives monotone networks
that are not limited to convex functions (see :mod:`signnet.nn.monotone`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from signnet.errors import SignnetError, choice_error
from signnet.validation import is_integer


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


# Softplus reverts to the identity above its threshold, a step down of log1p(exp(-t)): torch's default t = 20
# steps by 2e-9, below float32's rounding of 20 but not float64's; at t = 40 the step (4e-18) is below both, so
# signnet's softplus is monotone in float32 and float64 arithmetic alike
SOFTPLUS_THRESHOLD = 40.0


def make_activation(name: str) -> nn.Module:
    """Build the activation module called ``name`` (a key of :data:`ACTIVATIONS`); softplus with ``threshold=40``."""
    if name not in ACTIVATIONS:
        raise choice_error("activation", name, ACTIVATIONS)
    if name == "softplus":
        return nn.Softplus(threshold=SOFTPLUS_THRESHOLD)
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


# the convex non-decreasing activations a MixedActivation is built from, as functions with the
# defaults of their modules (LeakyReLU slope 0.01, ELU alpha 1, Softplus beta 1) and make_activation's softplus
# threshold (SOFTPLUS_THRESHOLD)
CONVEX_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": F.relu, "leaky_relu": F.leaky_relu, "elu": F.elu,
    "softplus": lambda x: F.softplus(x, threshold=SOFTPLUS_THRESHOLD), "identity": lambda x: x,
}


def mixed_counts(n_units: int, split: Sequence[float]) -> tuple[int, int, int]:
    """Share ``n_units`` among (convex, concave, saturated) in the ratio ``split``.

    Largest remainders: each part gets ``floor(n * w / sum(w))`` units and the
    units left go to the largest fractional parts (the first on ties), so a part
    of weight 0 gets no unit. Example: ``mixed_counts(10, (2, 2, 1)) == (4, 4, 2)``.
    """
    if not is_integer(n_units) or n_units <= 0:
        raise SignnetError(f"`n_units` must be a positive integer, got {n_units!r}.")
    try:
        weights = [float(w) for w in split]
    except (TypeError, ValueError):
        weights = []
    if len(weights) != 3 or not all(math.isfinite(w) and w >= 0 for w in weights) or sum(weights) <= 0:
        raise SignnetError(f"`split` must be three finite numbers >= 0 with a positive sum (convex, concave, "
                           f"saturated), got {split!r}: pass e.g. (2, 2, 1).")
    total = sum(weights)
    exact = [n_units * w / total for w in weights]
    counts = [math.floor(e) for e in exact]
    order = sorted(range(3), key=lambda k: (-(exact[k] - counts[k]), k))
    for k in order[:n_units - sum(counts)]:
        counts[k] += 1
    return counts[0], counts[1], counts[2]


def relu_bounds(counts: tuple[int, int, int], device=None, dtype=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-unit ``(lower, upper)`` clamp bounds of a ReLU MixedActivation: ``[0, inf)``, ``(-inf, 0]``, ``[-1, 1]``."""
    a, b, c = counts
    inf = float("inf")
    lower = torch.tensor([0.0] * a + [-inf] * b + [-1.0] * c, device=device, dtype=dtype)
    upper = torch.tensor([inf] * a + [0.0] * b + [1.0] * c, device=device, dtype=dtype)
    return lower, upper


class MixedActivation(nn.Module):
    r"""Element-wise activation mixing a convex ``rho``, its reflection and a saturated blend.

    Runje & Shankaranarayana, "Constrained Monotonic Neural Networks", ICML 2023
    (their Definition of :math:`\breve\rho, \hat\rho, \tilde\rho`): for a convex
    non-decreasing ``rho``,

    * the first ``a`` units get ``rho(x)`` (convex),
    * the next ``b`` units ``rho_hat(x) = -rho(-x)`` (concave),
    * the last ``c`` units ``rho_tilde(x) = rho(x + 1) - rho(1)`` for ``x < 0`` and
      ``rho_hat(x - 1) + rho(1)`` for ``x >= 0`` (bounded on both sides for ReLU:
      ``clamp(x, -1, 1)``).

    Every unit is continuous and non-decreasing, so with sign-constrained weights
    the network stays monotone (Theorem 1.1 of Wang et al. needs nothing more);
    with the concave and saturated units it is no longer limited to convex
    functions, and Runje & Shankaranarayana prove such networks approximate any
    continuous monotone function on a compact set.

    Args:
        activation: the convex non-decreasing ``rho``: ``"relu"``, ``"leaky_relu"``,
            ``"elu"``, ``"softplus"`` or ``"identity"`` (module defaults).
        n_units: the number of units ``H`` (the size of the last dimension).
        split: the ratio ``a : b : c`` (shared by :func:`mixed_counts`); default
            ``(2, 2, 1)``, the ratio of the example in the authors' documentation.

    For ReLU the three maps are clamps, ``max(x, 0)``, ``min(x, 0)`` and ``clamp(x, -1, 1)``,
    and the forward pass is one ``torch.clamp`` with per-unit bounds (:func:`relu_bounds`):
    exact, where the general formula ``rho(x + 1) - rho(1)`` rounds ``x + 1``. Either way the
    forward pass depends only on its input and on ``activation`` and ``counts``, fixed at
    construction: the module holds no tensor, so nothing is lost by ``to_empty`` or left out of a
    ``state_dict`` (clamp bounds once kept as buffers outside the ``state_dict`` were garbage after
    ``to_empty`` + ``load_state_dict``).

    Shape:
        - Input: ``(N, *, H)``.  - Output: ``(N, *, H)``.

    Examples:
        >>> act = MixedActivation("relu", 5, split=(2, 2, 1))
        >>> act.counts
        (2, 2, 1)
        >>> act(torch.tensor([[-2.0, 2.0, -0.5, -3.0, 3.0]]))
        tensor([[ 0.0000,  2.0000, -0.5000, -3.0000,  1.0000]])
    """

    def __init__(self, activation: str = "relu", n_units: int = 1, split: Sequence[float] = (2, 2, 1), *,
                 device=None, dtype=None):
        super().__init__()
        if activation not in CONVEX_FUNCTIONS:
            raise SignnetError(f"`activation` of a MixedActivation must be convex and non-decreasing, got "
                               f"{activation!r}: choose one of {', '.join(CONVEX_FUNCTIONS)}.")
        self.activation = activation
        self.counts = mixed_counts(n_units, split)
        self.n_units = int(n_units)  # device and dtype: accepted as every module takes them; it holds no tensor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.n_units:
            raise SignnetError(f"MixedActivation has {self.n_units} units but got an input whose last dimension "
                               f"is {x.shape[-1]}; give inputs of shape (N, *, {self.n_units}).")
        if self.activation == "relu":
            return torch.clamp(x, *relu_bounds(self.counts, device=x.device, dtype=x.dtype))
        rho = CONVEX_FUNCTIONS[self.activation]
        sign, flipped, offset, shift = self._pattern(x.device, x.dtype)
        # every unit is k * (rho(offset + k x) - offset * rho(1)) with k = +-1: k = 1, offset 0 (convex);
        # k = -1, offset 0 (concave, -rho(-x)); offset 1 and k = 1 for x < 0, -1 for x >= 0 (saturated:
        # rho(x + 1) - rho(1), and rho(1) - rho(1 - x)). One call of rho instead of five; the values are
        # those of the three formulas (a product by +-1 and adding 0 are exact) and so is the gradient,
        # k^2 rho'(offset + k x) = rho'(offset + k x), with rho'(1) at x = 0 on the saturated units.
        k = torch.where(x >= 0, flipped, sign)
        return (rho(torch.addcmul(offset, k, x)) - shift) * k

    def _pattern(self, device, dtype) -> tuple[torch.Tensor, ...]:
        """Per-unit ``(H,)`` tensors built from ``activation`` and ``counts`` on every call (no cached state that
        could be altered behind ``certify``'s back): ``sign`` (k for x < 0), ``flipped`` (k for x >= 0),
        ``offset`` and ``shift = offset * rho(1)``."""
        a, b, c = self.counts
        sign = torch.tensor([1.0] * a + [-1.0] * b + [1.0] * c, device=device, dtype=dtype)
        flipped = torch.tensor([1.0] * a + [-1.0] * b + [-1.0] * c, device=device, dtype=dtype)
        offset = torch.tensor([0.0] * (a + b) + [1.0] * c, device=device, dtype=dtype)
        shift = offset * CONVEX_FUNCTIONS[self.activation](torch.ones((), device=device, dtype=dtype))
        return sign, flipped, offset, shift

    def properties(self) -> tuple[bool, bool, bool]:
        """``(monotone, convex, concave)`` of the whole map: convex (concave) only when every unit is.

        ``rho`` is convex and non-decreasing, so ``rho_hat`` is concave and ``rho_tilde``
        is neither unless ``rho`` is affine (``"identity"``, where all three are ``x``).
        """
        info = ACTIVATIONS[self.activation]
        a, b, c = self.counts
        convex = (a == 0 or info.convex) and (b == 0 or info.concave) and (c == 0 or (info.convex and info.concave))
        concave = (a == 0 or info.concave) and (b == 0 or info.convex) and (c == 0 or (info.convex and info.concave))
        return info.monotone, convex, concave

    def extra_repr(self) -> str:
        a, b, c = self.counts
        return f"activation={self.activation}, n_units={self.n_units}, convex={a}, concave={b}, saturated={c}"
