"""``R`` :class:`signnet.MonotoneMLP` of one configuration as one module with batched layers, for training.

Member ``r``'s first layer is rows ``r*h_1 .. (r+1)*h_1 - 1`` of one ``(R h_1, d)`` weight (every member
reads every input); each later layer ``l`` is a ``(R, h_l, h_{l-1})`` stack applied with one batched
product (``torch.baddbmm``) to activations kept as ``(R, B, h)``, so no member reads another's
units and the arithmetic is ``R`` times that of one member (a block-diagonal matrix of width
``R h`` would cost ``R^2`` times). The activation of each layer is the members' own module
(a :class:`~signnet.nn.activations.MixedActivation` acts on the last dimension, as here).

:meth:`Stacked.project_` clamps every weight to its member's sign mask (the Euclidean
projection of ``method="project"``); :meth:`Stacked.copy_member_` writes member ``r``'s weights
back into its ``MonotoneMLP``. Private to the estimators (:mod:`signnet.estimators._train`).
"""

from __future__ import annotations

import torch
from torch import nn

from signnet.errors import SignnetError
from signnet.nn import MonotoneMLP, SignedLinear


class Stacked(nn.Module):
    """``(B, d) -> (B, R * out)``: column block ``r`` is member ``r``'s output."""

    def __init__(self, nets: list[MonotoneMLP]):
        super().__init__()
        if any(net.config != nets[0].config for net in nets) or any(
                layer.method != "project" for net in nets for layer in net.linear_layers):
            raise SignnetError("internal: Stacked needs members of one configuration with method='project'.")
        self.n = len(nets)
        per_member = [net.linear_layers for net in nets]
        first = [layers[0] for layers in per_member]
        self.w0 = nn.Parameter(torch.cat([layer.weight.detach() for layer in first]).clone())
        self.b0 = nn.Parameter(torch.cat([layer.bias.detach() for layer in first]).clone())
        self.register_buffer("s0", torch.cat([layer.sign_mask for layer in first]).clone())
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for i in range(1, len(per_member[0])):
            self.weights.append(nn.Parameter(torch.stack([layers[i].weight.detach() for layers in per_member]).clone()))
            self.biases.append(nn.Parameter(torch.stack([layers[i].bias.detach() for layers in per_member])[:, None, :]
                                            .clone()))
            self.register_buffer(f"s{i}", torch.stack([layers[i].sign_mask for layers in per_member]).clone())
        self.acts = nn.ModuleList([m for m in nets[0] if not isinstance(m, SignedLinear)])
        self.width = first[0].weight.shape[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.addmm(self.b0, x, self.w0.T)  # (B, R h_1)
        h = h.reshape(x.shape[0], self.n, self.width).transpose(0, 1)  # (R, B, h_1)
        for act, w, b in zip(self.acts, self.weights, self.biases, strict=True):
            h = torch.baddbmm(b, act(h), w.transpose(1, 2))  # (R, B, h_next)
        return h.transpose(0, 1).reshape(x.shape[0], -1)  # (B, R * out)

    def forward_members(self, xs: torch.Tensor) -> torch.Tensor:
        """``(R, m, d) -> (R, m, out)``: member ``r`` on its own rows ``xs[r]`` (e.g. its validation rows)."""
        w0 = self.w0.reshape(self.n, self.width, -1)
        h = torch.baddbmm(self.b0.reshape(self.n, 1, self.width), xs, w0.transpose(1, 2))  # (R, m, h_1)
        for act, w, b in zip(self.acts, self.weights, self.biases, strict=True):
            h = torch.baddbmm(b, act(h), w.transpose(1, 2))
        return h

    @torch.no_grad()
    def project_(self) -> None:
        """Zero every weight on the wrong side of its sign (free entries, mask 0, are left as they are)."""
        self.w0.masked_fill_(self.s0 * self.w0 < 0, 0.0)
        for i, w in enumerate(self.weights, start=1):
            w.masked_fill_(getattr(self, f"s{i}") * w < 0, 0.0)

    @torch.no_grad()
    def copy_member_(self, r: int, net: MonotoneMLP) -> None:
        """Write member ``r``'s current weights into ``net`` (its own ``MonotoneMLP``)."""
        layers = net.linear_layers
        rows = slice(r * self.width, (r + 1) * self.width)
        layers[0].weight.copy_(self.w0[rows])
        layers[0].bias.copy_(self.b0[rows])
        for layer, w, b in zip(layers[1:], self.weights, self.biases, strict=True):
            layer.weight.copy_(w[r])
            layer.bias.copy_(b[r, 0])

    @torch.no_grad()
    def load_member_(self, r: int, net: MonotoneMLP) -> None:
        """Write ``net``'s weights into member ``r`` (the inverse of :meth:`copy_member_`)."""
        layers = net.linear_layers
        rows = slice(r * self.width, (r + 1) * self.width)
        self.w0[rows] = layers[0].weight
        self.b0[rows] = layers[0].bias
        for layer, w, b in zip(layers[1:], self.weights, self.biases, strict=True):
            w[r] = layer.weight
            b[r, 0] = layer.bias
