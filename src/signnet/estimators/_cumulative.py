"""The cumulative-link (proportional-odds) likelihood of McCullagh (1980) for ``R`` networks at once.

McCullagh, "Regression models for ordinal data", JRSS-B 42 (1980): with a latent score ``f(x)``
and cut points ``theta_1 < ... < theta_{K-1}``, ``P(y <= k | x) = sigmoid(theta_k - f(x))``, so
``P(y = k | x) = sigmoid(theta_k - f) - sigmoid(theta_{k-1} - f)`` with ``theta_0 = -inf`` and
``theta_K = +inf``. Writing ``a = theta_{k-1} - f``, ``b = theta_k - f``,

    sigmoid(b) - sigmoid(a) = sigmoid(b) * sigmoid(-a) * (1 - exp(-(b - a))),

so ``-log P(y = k | x) = softplus(f - theta_k) + softplus(theta_{k-1} - f) - log(-expm1(-(theta_k - theta_{k-1})))``
(the first term absent for ``k = K-1``, the last two for ``k = 0``): every term is finite for
finite inputs, and the gap ``theta_k - theta_{k-1}`` does not depend on ``f``.

:class:`CutPoints` holds member ``r``'s cut points as ``theta_{r,1} = raw_{r,0}`` and
``theta_{r,k+1} = theta_{r,k} + MIN_GAP + softplus(raw_{r,k})``: strictly increasing for every
value of ``raw``, hence after every optimiser step. ``MIN_GAP`` keeps them apart in float32 too
(``softplus`` of a very negative ``raw`` rounds away next to a threshold of order 1); a class between
cut points ``MIN_GAP`` apart has probability at most ``tanh(MIN_GAP / 4) ~ 2.5e-4``, so the bound
binds only for a class the fit gives almost no probability anywhere. Private to the estimators.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

MIN_GAP = 1e-3  # the least distance between consecutive cut points


def cumulative_nll(f: torch.Tensor, labels: torch.Tensor, thresholds: torch.Tensor) -> torch.Tensor:
    """``-log P(y = labels | f)`` of the cumulative logit model, per row and member.

    Shape:
        ``f``: ``(B, R)`` latent scores; ``labels``: ``(B,)`` or ``(B, 1)`` class indices ``0..K-1``
        (any dtype holding integers); ``thresholds``: ``(R, K-1)`` increasing per row. Result ``(B, R)``.
    """
    k = labels.reshape(-1).long()  # (B,)
    n_cuts = thresholds.shape[1]
    upper = thresholds[:, k.clamp(max=n_cuts - 1)].T  # (B, R) theta_k (unused for the top class)
    lower = thresholds[:, (k - 1).clamp(min=0)].T  # (B, R) theta_{k-1} (unused for the bottom class)
    has_upper = (k < n_cuts)[:, None]  # (B, 1)
    has_lower = (k > 0)[:, None]
    zero = f.new_zeros(())
    loss = torch.where(has_upper, F.softplus(f - upper), zero)
    loss = loss + torch.where(has_lower, F.softplus(lower - f), zero)
    both = has_upper & has_lower
    gap = torch.where(both, upper - lower, f.new_ones(()))  # 1 where unused: keeps the log finite
    return loss - torch.where(both, torch.log(-torch.expm1(-gap)), zero)


def _raw_from_thresholds(thresholds: np.ndarray) -> np.ndarray:
    """The ``raw`` parameters ``(K-1,)`` giving ``thresholds`` ``(K-1,)`` whose gaps exceed ``MIN_GAP``."""
    gaps = np.diff(thresholds) - MIN_GAP
    return np.concatenate([thresholds[:1], gaps + np.log(-np.expm1(-gaps))])  # softplus^{-1}(g) = log(expm1(g))


class CutPoints(nn.Module):
    """The cut points of ``R`` members, ``(R, K-1)``, strictly increasing in each row (module docstring).

    Initialised for every member at ``theta_k = logit(share of labels <= k)`` (shares of ``weights``
    ``(n,)`` when given, the sample weights), the maximum-likelihood
    cut points of the model with ``f = 0``. :meth:`keep_` records member ``r``'s current cut points
    as its best (the early-stopping epoch); :meth:`kept` returns them in float64.
    """

    def __init__(self, labels: np.ndarray, n_classes: int, n_members: int, weights: np.ndarray | None = None):
        super().__init__()
        counts = np.bincount(labels.astype(np.int64), weights=None if weights is None else weights.astype(np.float64),
                             minlength=n_classes).astype(np.float64)
        share = np.clip(np.cumsum(counts)[:-1] / counts.sum(), 1e-6, 1 - 1e-6)  # (K-1,) P(y <= k)
        start = np.log(share) - np.log1p(-share)
        start = np.maximum.accumulate(start) + 2 * MIN_GAP * np.arange(start.size)  # gaps > MIN_GAP, even if clipped
        raw = torch.as_tensor(np.tile(_raw_from_thresholds(start), (n_members, 1)), dtype=torch.float32)
        self.raw = nn.Parameter(raw)  # (R, K-1)
        self.register_buffer("best", raw.clone())

    @staticmethod
    def _thresholds(raw: torch.Tensor) -> torch.Tensor:
        steps = torch.cat([raw[:, :1], MIN_GAP + F.softplus(raw[:, 1:])], dim=1)
        return torch.cumsum(steps, dim=1)

    def thresholds(self) -> torch.Tensor:
        """The current cut points ``(R, K-1)``, differentiable."""
        return self._thresholds(self.raw)

    def losses(self, f: torch.Tensor, labels: torch.Tensor, members: slice = slice(None)) -> torch.Tensor:
        """:func:`cumulative_nll` of ``f`` ``(B, r)`` for the ``members`` (a slice of ``0..R-1``) it holds."""
        return cumulative_nll(f, labels, self.thresholds()[members])

    @torch.no_grad()
    def predict(self, f: torch.Tensor, r: int) -> torch.Tensor:
        """Member ``r``'s median class of ``f`` ``(m,)``: how many of its cut points lie below ``f``."""
        return (f[:, None] > self.thresholds()[r][None, :]).sum(dim=1)

    @torch.no_grad()
    def keep_(self, r: int) -> None:
        """Record member ``r``'s current cut points as its best."""
        self.best[r] = self.raw[r]

    @torch.no_grad()
    def restore_(self, r: int) -> None:
        """Put member ``r``'s best cut points back (a stopped member stays at its best epoch)."""
        self.raw[r] = self.best[r]

    def part(self, members: list[int]) -> CutPoints:
        """A copy holding only ``members``' cut points (current and kept), to train a group of them alone."""
        sub = copy.deepcopy(self)
        sub.raw = nn.Parameter(self.raw.detach()[members].clone())
        sub.best = self.best[members].clone()
        return sub

    @torch.no_grad()
    def absorb_(self, members: list[int], part: CutPoints) -> None:
        """Write back what :meth:`part` gave out for ``members``, after its group has trained."""
        self.raw[members] = part.raw.to(self.raw.device)
        self.best[members] = part.best.to(self.best.device)

    def kept(self) -> np.ndarray:
        """The kept cut points ``(R, K-1)`` in float64, computed from the kept ``raw`` in float64."""
        return self._thresholds(self.best.detach().cpu().double()).numpy()
