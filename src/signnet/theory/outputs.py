"""Which functions of a network's outputs the theory talks about.

Theorem 1.1 of Wang et al. ("Why do networks need negative weights?") is a
statement about a function ``F``. For a ``"binary"`` or ``"regression"`` head
(or a model without ``head``), ``F`` is each raw output ``out{j}``; the binary
logit ``P(x)`` is monotone exactly when ``sigmoid(P(x))`` is. A ``"softmax"``
head depends only on logit differences, so its functions are
``logit{l} - logit{k}`` for ``l > k`` (``"logit{l}-logit{k}"``): the log-odds of a
higher class against a lower one. Both :func:`signnet.theory.certificate.certify`
(a proof) and :mod:`signnet.theory.dominance` (a search) use these definitions.
"""

from __future__ import annotations

import torch

__all__ = ["checked_functions", "logit_pairs", "output_names"]


def logit_pairs(n_logits: int) -> list[tuple[int, int]]:
    """The pairs ``(l, k)``, ``l > k``, of a softmax head's logit differences ``z_l - z_k``.

    Ordered by ``l`` then ``k``: ``[(1, 0), (2, 0), (2, 1), ...]``, ``K (K - 1) / 2`` of them.

    Examples:
        >>> logit_pairs(3)
        [(1, 0), (2, 0), (2, 1)]
    """
    return [(high, low) for high in range(n_logits) for low in range(high)]


def output_names(n_outputs: int, head: str | None) -> list[str]:
    """Names of the checked functions: ``out{j}``, or ``logit{l}-logit{k}`` (``l > k``) for softmax.

    Args:
        n_outputs: the network's number of raw outputs (logits for softmax).
        head: ``"binary"``, ``"softmax"``, ``"regression"`` or ``None``.

    Examples:
        >>> output_names(3, "softmax")
        ['logit1-logit0', 'logit2-logit0', 'logit2-logit1']
        >>> output_names(2, "regression")
        ['out0', 'out1']
    """
    if head == "softmax":
        return [f"logit{high}-logit{low}" for high, low in logit_pairs(n_outputs)]
    return [f"out{j}" for j in range(n_outputs)]


def checked_functions(out: torch.Tensor, head: str | None) -> torch.Tensor:
    """The checked functions of a batch of raw outputs, in the order of :func:`output_names`.

    Shape:
        ``out``: ``(N, n_outputs)``; result ``(N, n_outputs)``, or ``(N, K (K - 1) / 2)``
        for a ``"softmax"`` head with ``K = n_outputs`` logits (zero columns when ``K == 1``).
    """
    if head != "softmax":
        return out
    pairs = logit_pairs(out.shape[1])
    hi, lo = [high for high, _ in pairs], [low for _, low in pairs]
    return out[:, hi] - out[:, lo]
