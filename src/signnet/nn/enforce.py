"""How a sign is enforced, apart from which sign is wanted (see :mod:`signnet.signs`).

Three methods, chosen per layer with ``method=``:

``"project"``
    The weight is an ordinary parameter; after every optimiser step the
    entries of the wrong sign are set to 0 (Euclidean projection onto the
    allowed orthant). Exact after each step and free in the forward pass.
    Trade-off: a weight clamped to 0 whose gradient keeps pushing it out of
    its orthant stays at 0; it has no way back through the clamp.
    Call :func:`project_` after ``optimizer.step()`` or attach it once with
    :func:`attach_projection`; :func:`signnet.fit` does it for you.

``"reparam"``
    ``torch.nn.utils.parametrize`` stores an unconstrained tensor ``v`` and
    the layer uses ``w = s * t(v)`` for constrained entries (``s`` the sign,
    ``t`` one of ``abs``, ``softplus``, ``exp``, ``square``). Exact by
    construction at every moment, also during training. Trade-offs: a little
    forward cost; ``exp`` and ``softplus`` never reach exactly 0, ``abs`` and
    ``square`` have a zero gradient at 0.

``"penalty"``
    The weight is free; :func:`sign_penalty` adds
    ``strength * sum(relu(-s * w) ** 2)`` to the loss. Soft: weights may end
    slightly on the wrong side. :func:`sign_violation` reports how far, so the
    result never pretends to be exact.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from signnet.errors import choice_error

METHODS = ("project", "reparam", "penalty")


def _inverse_softplus(y: torch.Tensor) -> torch.Tensor:
    y = y.clamp_min(1e-6)
    return y + torch.log(-torch.expm1(-y))


# name -> (t, a right inverse of t on [0, inf))
TRANSFORMS = {
    "abs": (torch.abs, lambda w: w),
    "softplus": (F.softplus, _inverse_softplus),
    "exp": (torch.exp, lambda w: torch.log(w.clamp_min(1e-6))),
    "square": (torch.square, torch.sqrt),
}


def check_method(method: str, transform: str = "softplus") -> None:
    """Raise a :class:`~signnet.errors.SignnetError` for an unknown method or transform."""
    if method not in METHODS:
        raise choice_error("enforcement method", method, METHODS)
    if transform not in TRANSFORMS:
        raise choice_error("reparametrisation transform", transform, TRANSFORMS)


class SignReparametrization(nn.Module):
    """``torch.nn.utils.parametrize`` transform: ``w = where(s == 0, v, s * t(v))``.

    Args:
        mask: sign mask of the weight's shape (entries +1, -1, 0).
        transform: ``"abs"``, ``"softplus"``, ``"exp"`` or ``"square"``; a
            map from the real line onto [0, inf) (onto (0, inf) for ``exp`` and
            ``softplus``).

    When every entry has the same non-zero sign the ``where`` is skipped.
    """

    def __init__(self, mask: torch.Tensor, transform: str = "softplus"):
        super().__init__()
        self.transform = transform
        self.register_buffer("mask", mask.clone())
        self._refresh()

    def _refresh(self) -> None:
        if self.mask.is_meta:  # no values yet (load_state_dict refreshes): the general, mask-reading path
            self.uniform = None
            return
        values = torch.unique(self.mask)
        self.uniform = float(values.item()) if values.numel() == 1 else None

    @torch.no_grad()
    def set_mask(self, mask: torch.Tensor) -> None:
        """Replace the sign mask (used by ``flip``)."""
        self.mask.copy_(mask)
        self._refresh()

    def _load_from_state_dict(self, *args, **kwargs):
        super()._load_from_state_dict(*args, **kwargs)
        self._refresh()

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        t = TRANSFORMS[self.transform][0]
        if self.uniform is not None:
            return v if self.uniform == 0 else (t(v) if self.uniform > 0 else -t(v))
        return torch.where(self.mask == 0, v, self.mask * t(v))

    def right_inverse(self, w: torch.Tensor) -> torch.Tensor:
        inv = TRANSFORMS[self.transform][1]
        return torch.where(self.mask == 0, w, inv((self.mask * w).clamp_min(0)))


def sign_layers(model: nn.Module):
    """The signed layers inside ``model`` (modules that carry a ``sign_mask``)."""
    return [m for m in model.modules() if hasattr(m, "sign_mask") and hasattr(m, "project_")]


@torch.no_grad()
def project_(model: nn.Module) -> nn.Module:
    """Project every ``method="project"`` layer of ``model`` onto its allowed signs, in place."""
    for layer in sign_layers(model):
        layer.project_()
    return model


def attach_projection(optimizer: torch.optim.Optimizer, model: nn.Module):
    """Run :func:`project_` on ``model`` after every ``optimizer.step()``.

    Returns the hook handle; call ``handle.remove()`` to detach.
    """
    return optimizer.register_step_post_hook(lambda *_: project_(model))


def sign_penalty(model: nn.Module) -> torch.Tensor:
    """Sum of ``strength * sum(relu(-s * w) ** 2)`` over the ``method="penalty"`` layers (a scalar)."""
    terms = [layer.penalty() for layer in sign_layers(model) if layer.method == "penalty"]
    if not terms:
        return torch.zeros(())
    return torch.stack(terms).sum()


@torch.no_grad()
def sign_violation(model: nn.Module) -> dict[str, float]:
    """How far the weights of ``model`` are from their allowed signs.

    Returns:
        ``{"max": largest |w| on the wrong side (0 when exact),
        "fraction": share of constrained weights on the wrong side,
        "count": how many}``.
    """
    worst, wrong, constrained = 0.0, 0, 0
    for layer in sign_layers(model):
        w, mask = layer.weight, layer.sign_mask
        bad = (mask * w).clamp_max(0).abs()
        worst = max(worst, float(bad.max()) if bad.numel() else 0.0)
        wrong += int((bad > 0).sum())
        constrained += int((mask != 0).sum())
    return {"max": worst, "fraction": wrong / constrained if constrained else 0.0, "count": wrong}
