"""Exact per-example weight gradients and their sign coherence (Q&A seed 002).

For one example and a linear unit ``z = w . a + b``, ``dL/dw = (dL/dz) a``: the
upstream scalar times the input vector. If ``a >= 0`` element-wise, every
non-zero coordinate of the gradient has the sign of ``dL/dz``: the gradient is
*coherent*. This is a statement about per-example gradients; a minibatch mean
``mean_n (dL/dz_n) a_n`` mixes upstream scalars of both signs and need not be
coherent. For ``d`` independent zero-centred symmetric inputs the chance that
the ``d`` coordinates share a sign is ``2 / 2**d``.

:class:`Probe` keeps, during a forward pass, the input ``a`` of chosen linear
layers and their output ``z`` with its gradient retained, so that after the
backward pass ``dL_n/dW = dz_n (outer) a_n`` (:func:`per_example_weight_grads`)
is exact (checked against ``torch.func.vmap(grad)`` in the tests).
"""

from __future__ import annotations

import torch
from torch import nn


def per_example_weight_grads(a: torch.Tensor, dz: torch.Tensor) -> torch.Tensor:
    """Exact per-example weight gradients of a linear layer ``z = a W^T + b``.

    ``dL_n/dW[k, i] = dz[n, k] * a[n, i]``: the upstream scalar of unit ``k``
    times the layer's input vector.

    Shape:
        - a: ``(B, d)``, dz: ``(B, units)``.  - Output: ``(B, units, d)``.
    """
    return dz[:, :, None] * a[:, None, :]


def coherence_counts(g: torch.Tensor) -> dict[str, int]:
    """Count sign-coherent gradient vectors along the last dimension.

    A vector is coherent when all its non-zero coordinates share one sign.
    Vectors with no non-zero coordinate are not judged; they are counted in
    ``"all_zero"``. Returns ``{"coherent", "judged", "all_zero"}``.
    """
    pos = (g > 0).any(-1)
    neg = (g < 0).any(-1)
    judged = pos | neg
    return {"coherent": int((judged & ~(pos & neg)).sum()), "judged": int(judged.sum()),
            "all_zero": int((~judged).sum())}


class Probe:
    """Keep the input and the gradient-retaining output of layers ``model[i]`` for ``i`` in ``indices``.

    After a forward pass with gradients enabled, ``probe.captured[i]`` is
    ``(a, z)``: the layer's input (detached) and output; after the backward pass
    ``z.grad`` holds ``dL/dz``. Call :meth:`remove` (or use ``with``) to detach
    the hooks from the model.

    Example:
        >>> with Probe(model, {2}) as probe:
        ...     loss = F.cross_entropy(model(x), y)
        ...     a, z = probe.captured[2]
    """

    def __init__(self, model: nn.Sequential, indices) -> None:
        self.captured: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        self._handles = [model[i].register_forward_hook(self._hook(i)) for i in sorted(indices)]

    def _hook(self, i: int):
        def keep(module, inputs, output):
            if output.requires_grad:
                output.retain_grad()
            self.captured[i] = (inputs[0].detach(), output)
        return keep

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self) -> Probe:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
