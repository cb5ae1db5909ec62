"""Searching for a counterexample to monotonicity: :func:`find_violation` (see :mod:`signnet.theory.dominance`).

A torch model is searched by gradient ascent over pairs ``x`` preceding ``y`` inside a box; any
other fitted model by :func:`signnet.theory.blackbox.search_violation`, without gradients. The
definitions of the checked functions, the constraints and the rounding tolerance are those of
:mod:`signnet.theory.dominance`, whose helpers this module uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from signnet.errors import SignnetError
from signnet.theory._audit_inputs import as_bounds, as_inputs, as_target, resolve_cst
from signnet.theory._cst import precedes
from signnet.theory.blackbox import search_violation
from signnet.theory.dominance import _constrained, _copy, _functions, _module_device, _names, _positive_int, _run
from signnet.train.autograd import with_gradients
from signnet.train.fit import torch_threads

__all__ = ["Violation", "find_violation"]

@dataclass
class Violation:
    """A counterexample: ``x`` precedes ``y`` (``x <= y`` coordinate-wise without constraints) but
    ``F(x) - F(y) = gap > 0``.

    ``monotonic_cst`` is the constraint vector checked (``None``: none given, every input ``1``);
    ``x`` and ``y`` hold the free features' values, equal in both.
    """

    x: np.ndarray
    y: np.ndarray
    gap: float
    output: str
    f_x: float
    f_y: float
    monotonic_cst: list | None = None

    def to_dict(self) -> dict:
        out = {"x": self.x.tolist(), "y": self.y.tolist(), "gap": self.gap, "output": self.output,
               "f_x": self.f_x, "f_y": self.f_y}
        if self.monotonic_cst is not None:
            out["monotonic_cst"] = self.monotonic_cst
        return out



def _small(model: nn.Module, batch: int) -> bool:
    return sum(p.numel() for p in model.parameters()) * batch < 2_000_000


def _column(output, names: list[str]) -> int | None:
    n_out = len(names)
    if output is None:
        return None
    if isinstance(output, str):
        if output not in names:
            raise SignnetError(f"Unknown output {output!r}; choose one of: {', '.join(names)}.")
        return names.index(output)
    if isinstance(output, bool) or not isinstance(output, (int, np.integer)) or not 0 <= output < n_out:
        raise SignnetError(f"output {output!r} must be an index in 0..{n_out - 1}, a name or None.")
    return int(output)


def _beyond_rounding(gaps: torch.Tensor, fx: torch.Tensor, fy: torch.Tensor, tol: float) -> torch.Tensor:
    """``gaps`` where they exceed ``tol * max(1, |F(x)|, |F(y)|)`` (and 0), ``-inf`` elsewhere."""
    scale = torch.clamp(torch.maximum(fx.abs(), fy.abs()), min=1.0)
    return torch.where((gaps > tol * scale) & (gaps > 0), gaps, -math.inf)


@with_gradients
def find_violation(model, bounds, n_starts: int = 64, steps: int = 200, seed: int = 0,
                   output: int | str | None = 0, *, lr: float = 0.05, tol: float = 1e-6, monotonic_cst=None,
                   X=None, device=None) -> Violation | None:
    """Search the box ``bounds`` for ``x`` preceding ``y`` with ``F(x) > F(y)``.

    A torch model is searched by gradient ascent: ``x = low + (high - low) * sigmoid(a)``
    and ``y = x + (high - x) * sigmoid(b)`` (a non-negative step that stays in the
    box; with ``monotonic_cst``, ``y_i = x_i - (x_i - low_i) * sigmoid(b_i)`` for ``-1``
    features and ``y_i = x_i`` for free ones, whose shared value is searched too),
    and Adam maximises ``F(x) - F(y)`` over ``(a, b)`` from ``n_starts`` random starts
    at once (one batch; single-threaded on a CPU when the batch is small, where threads
    only cost). A DNN+ with a single-logit or regression head never yields one (Theorem
    1.1; a softmax DNN+'s logit differences can); a network trained on XOR does in well
    under a second. Any other fitted model (a black box) is searched without
    gradients by :func:`signnet.theory.blackbox.search_violation`: grid sweeps of each
    constrained feature from ``n_starts`` base points (``steps`` points each) and
    ``n_starts * steps`` random pairs; ``lr`` is unused there.

    Args:
        model: a torch network (evaluated in float64 on a copy), a fitted signnet
            estimator (its ``module_`` and ``monotonic_cst_``), or any fitted object with
            ``decision_function`` / ``predict_proba`` / ``predict`` (see :func:`dominance_violations`).
        bounds: ``(low, high)``: two numbers, or two arrays of the input's shape.
        n_starts: parallel random starts (black box: base points).
        steps: Adam steps (black box: grid points per constrained feature).
        seed: seed of the starts.
        output: index or name of the checked function (module docstring), or
            ``None`` for the largest gap over all of them.
        lr: Adam's learning rate.
        tol: relative tolerance; smaller gaps are rounding, not violations.
        monotonic_cst: ``-1``/``0``/``1`` per input (flattened) or a dict keyed by feature name;
            ``None``: the estimator's own (``monotonic_cst_``, or a
            :class:`signnet.MonotoneMLP`'s, or the one a :class:`signnet.MLP` was built
            with), else every input ``1``.
        X: data ``(n, *shape)``, optional: fixes the input width; a black-box search also
            starts from its rows and sweeps each feature through its values.
        device: where a torch model runs (as in :func:`dominance_violations`); black boxes ignore it.

    Returns:
        The best :class:`Violation` found (recomputed: ``x`` precedes ``y`` and the gap
        exceeds the tolerance), or ``None``.
    """
    n_starts, steps = _positive_int("n_starts", n_starts), _positive_int("steps", steps)
    if isinstance(tol, bool) or not isinstance(tol, (int, float, np.number)) or not 0 <= tol < math.inf:
        raise SignnetError(f"tol {tol!r} must be a finite number >= 0 (a relative tolerance, e.g. 1e-6).")
    target = as_target(model, "find_violation")
    data = None if X is None else as_inputs(X, target)
    if data is not None and target.width is None:
        target.width = int(np.prod(data.shape[1:])) if data.ndim == 2 else None
    low_np, high_np = as_bounds(bounds, target, monotonic_cst)
    c = resolve_cst(target, monotonic_cst, low_np.size).reshape(low_np.shape)
    _constrained(c)
    reported = None if monotonic_cst is None and target.declared is None else c.reshape(-1).tolist()
    if target.box is not None:
        box = target.box
        box(low_np.reshape(1, -1))
        col = _column(output, box.names)
        found = search_violation(box, low_np.reshape(-1), high_np.reshape(-1), c.reshape(-1),
                                 X=None if data is None else data.reshape(len(data), -1),
                                 n_starts=n_starts, steps=steps, seed=seed, col=col, tol=tol)
        if found is None:
            return None
        x, y, fx, fy, j = found
        return Violation(x=x.reshape(low_np.shape), y=y.reshape(low_np.shape), gap=fx - fy, output=box.names[j],
                         f_x=fx, f_y=fy, monotonic_cst=reported)
    dev = _module_device(target, device)
    low, high = torch.from_numpy(low_np).to(dev), torch.from_numpy(high_np).to(dev)
    m64, head = _copy(target.module, dev), target.head
    for p in m64.parameters():
        p.requires_grad_(False)
    names = _names(m64, low.unsqueeze(0), head)
    col = _column(output, names)
    plain = bool((c == 1).all())
    dirs = torch.from_numpy(c.astype(np.float64)).to(dev)
    gen = torch.Generator().manual_seed(seed)
    a = (torch.randn((n_starts, *low.shape), generator=gen, dtype=torch.float64) * 1.5).to(dev).requires_grad_()
    b = (torch.randn((n_starts, *low.shape), generator=gen, dtype=torch.float64) - 1.0).to(dev).requires_grad_()
    best = (-math.inf, None, None)
    with torch_threads(1 if dev.type == "cpu" and _small(m64, n_starts) else torch.get_num_threads()):
        moments = [(torch.zeros_like(a), torch.zeros_like(a)), (torch.zeros_like(b), torch.zeros_like(b))]
        for t in range(1, steps + 2):
            x = low + (high - low) * torch.sigmoid(a)
            if plain:
                y = torch.minimum(torch.maximum(x + (high - x) * torch.sigmoid(b), x), high)
            else:
                room = torch.where(dirs > 0, high - x, x - low)
                y = torch.minimum(torch.maximum(x + dirs * room * torch.sigmoid(b), low), high)
            f = _run(m64, torch.cat([x, y]), head)
            gaps = f[:n_starts] - f[n_starts:]
            gap = gaps.amax(dim=1) if col is None else gaps[:, col]
            with torch.no_grad():  # the largest gap among those beyond rounding (tol), as the result is accepted
                kept = _beyond_rounding(gaps, f[:n_starts], f[n_starts:], tol)
                kept = kept.amax(dim=1) if col is None else kept[:, col]
                k = int(kept.argmax())
                if float(kept[k]) > best[0]:
                    best = (float(kept[k]), x[k].detach().clone(), y[k].detach().clone())
            if t > steps:
                break
            grads = torch.autograd.grad(gap.sum(), [a, b])
            with torch.no_grad():  # Adam ascent step (betas 0.9, 0.999), written out to stay light
                for p, g, (m, v) in zip((a, b), grads, moments, strict=True):
                    m.mul_(0.9).add_(g, alpha=0.1)
                    v.mul_(0.999).addcmul_(g, g, value=0.001)
                    p.add_(lr * (m / (1 - 0.9**t)) / ((v / (1 - 0.999**t)).sqrt() + 1e-8))
    if best[1] is None:
        return None
    x, y = best[1], best[2]
    with torch.no_grad():
        fx, fy = _functions(m64, torch.stack([x, y]), head)
    gaps = fx - fy
    # the largest gap beyond rounding: a large output's rounding does not hide another output's violation
    j = int(_beyond_rounding(gaps, fx, fy, tol).argmax()) if col is None else col
    scale = max(1.0, abs(float(fx[j])), abs(float(fy[j])))
    x, y = x.cpu().numpy(), y.cpu().numpy()
    if not float(gaps[j]) > max(tol * scale, 0.0) or not precedes(x, y, c):
        return None
    return Violation(x=x, y=y, gap=float(gaps[j]), output=names[j], f_x=float(fx[j]), f_y=float(fy[j]),
                     monotonic_cst=reported)
