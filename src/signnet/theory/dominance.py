"""Looking for broken dominance: does ``x <= y`` give ``F(x) <= F(y)``?

Theorem 1.1 of Wang et al. ("Why do networks need negative weights?"): a DNN+
(non-negative weights, non-decreasing activations) preserves element-wise
dominance. :func:`dominance_violations` tests the statement on sampled
comparable pairs; :func:`find_violation` searches for a counterexample with
gradient ascent. Neither proves anything (see :func:`signnet.theory.certificate.certify`
for a proof); on a DNN+ both must come back empty, on an ordinary network
trained on XOR both find violations at once.

What ``F`` is. For a ``"binary"`` or ``"regression"`` head (or a model without
``head``) every output ``out{j}`` is checked; the binary logit ``P(x)`` is
monotone exactly when ``sigmoid(P(x))`` is. For a ``"softmax"`` head the
decision depends only on logit differences, so the checked functions are
``logit{l} - logit{k}`` for ``l > k``: the log-odds of a higher class against a
lower one. All of them non-decreasing is the "monotone decision" for ordered
classes: raising the inputs never makes a higher class less likely relative to
a lower one. (Each logit of a softmax DNN+ rises, but their differences need not.)

Rounding. The model is evaluated in float64 on a CPU copy, and a gap counts only
when ``F(x) - F(y) > tol * max(1, |F(x)|, |F(y)|)`` (``tol = 1e-6``).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from signnet.errors import SignnetError
from signnet.theory.outputs import checked_functions, output_names
from signnet.train.fit import torch_threads

__all__ = ["DominanceReport", "Violation", "dominance_violations", "find_violation"]

_CHUNK = 8192


@dataclass
class DominanceReport:
    """Result of :func:`dominance_violations`.

    Attributes:
        n_pairs: comparable pairs checked (``x <= y`` coordinate-wise).
        violations: pairs with ``F(x) - F(y) > tol`` for at least one output.
        rate: ``violations / n_pairs``.
        worst_gap: the largest violating ``F(x) - F(y)``; 0 when there is none.
        witnesses: up to ``max_witnesses`` ``(x, y, gap)``, worst first (numpy arrays).
        outputs: names of the checked functions (``"out0"``, ``"logit1-logit0"``, ...).
        per_output: violations per output name.
        n_data_pairs: how many of the pairs were two data points (the rest are steps).
    """

    n_pairs: int
    violations: int
    rate: float
    worst_gap: float
    witnesses: list = field(default_factory=list)
    outputs: list = field(default_factory=list)
    per_output: dict = field(default_factory=dict)
    n_data_pairs: int = 0

    def to_dict(self) -> dict:
        """Plain data for JSON (witnesses as lists)."""
        return {"n_pairs": self.n_pairs, "violations": self.violations, "rate": self.rate,
                "worst_gap": self.worst_gap, "outputs": self.outputs, "per_output": self.per_output,
                "n_data_pairs": self.n_data_pairs,
                "witnesses": [{"x": x.tolist(), "y": y.tolist(), "gap": g} for x, y, g in self.witnesses]}


@dataclass
class Violation:
    """A counterexample to dominance: ``x <= y`` coordinate-wise but ``F(x) - F(y) = gap > 0``."""

    x: np.ndarray
    y: np.ndarray
    gap: float
    output: str
    f_x: float
    f_y: float

    def to_dict(self) -> dict:
        return {"x": self.x.tolist(), "y": self.y.tolist(), "gap": self.gap, "output": self.output,
                "f_x": self.f_x, "f_y": self.f_y}


def _float64(model: nn.Module) -> nn.Module:
    return copy.deepcopy(model).to("cpu", torch.float64).eval()


def _functions(model: nn.Module, X: torch.Tensor, head: str | None) -> torch.Tensor:
    """The checked functions on a batch: outputs, or logit differences for softmax. Shape (n, n_out)."""
    return checked_functions(model(X).reshape(X.shape[0], -1), head)


def _names(model: nn.Module, sample: torch.Tensor, head: str | None) -> list[str]:
    """Names of the checked functions, from one forward pass of ``sample`` (shape ``(1, *shape)``)."""
    with torch.no_grad():
        return output_names(model(sample).numel(), head)


def _evaluate(model: nn.Module, X: torch.Tensor, head: str | None) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([_functions(model, X[i:i + _CHUNK], head) for i in range(0, X.shape[0], _CHUNK)])


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise SignnetError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def _expected_features(model: nn.Module) -> int | None:
    config = getattr(model, "config", None)
    if isinstance(config, dict) and "in_features" in config:
        return int(config["in_features"])
    first = next((m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d))), None)
    return first.in_features if isinstance(first, nn.Linear) else None


def _as_inputs(X, model: nn.Module) -> np.ndarray:
    arr = np.asarray(X.detach().cpu().numpy() if isinstance(X, torch.Tensor) else X)
    if arr.dtype.kind not in "biuf":
        raise SignnetError(f"X must be numeric, got values of type {arr.dtype}; convert the columns to numbers.")
    if arr.ndim < 2 or arr.shape[0] == 0:
        raise SignnetError(f"X must be a non-empty array (n_samples, n_features, ...), got shape {arr.shape}.")
    if not np.isfinite(arr).all():
        raise SignnetError(f"X contains {int((~np.isfinite(arr)).sum())} NaN or infinite values; remove them first.")
    d = _expected_features(model)
    if d is not None and arr.ndim == 2 and arr.shape[1] != d:
        raise SignnetError(f"X has {arr.shape[1]} features but the model expects {d}.")
    return arr.astype(np.float64)


def dominance_violations(model: nn.Module, X, n_pairs: int = 10000, seed: int = 0, step=None, *,
                         tol: float = 1e-6, max_witnesses: int = 5) -> DominanceReport:
    """Count comparable pairs ``x <= y`` with ``F(x) > F(y)`` (empirical Theorem 1.1).

    Half the pairs are steps from data points: ``x`` a data point and
    ``y = x + step * u * m`` with ``u ~ U(0, 1)`` and ``m`` either one random
    coordinate or a random subset of coordinates. The other half are pairs of
    data points that happen to be comparable (rejection-sampled; fewer when
    the data hold few comparable pairs, e.g. in high dimension).

    Args:
        model: a network mapping ``(N, *shape)`` to ``(N, n_outputs)``; ``model.head``
            (if any) decides which functions are checked (module docstring).
        X: data, shape ``(n, *shape)``, finite.
        n_pairs: pairs to draw (positive).
        seed: seed of the sampling.
        step: largest step per coordinate: a float or an array of ``X``'s sample
            shape; default half of each feature's range over ``X`` (1 if constant).
        tol: relative tolerance for float rounding.
        max_witnesses: how many violating pairs to keep.

    Returns:
        A :class:`DominanceReport`; 0 violations for any DNN+ with non-decreasing activations.

    Shape:
        ``X``: ``(n, *shape)``; witnesses' ``x``, ``y``: ``shape``.
    """
    n_pairs = _positive_int("n_pairs", n_pairs)
    data = _as_inputs(X, model)
    if not tol >= 0:
        raise SignnetError(f"tol {tol!r} must be a number >= 0.")
    if isinstance(max_witnesses, bool) or not isinstance(max_witnesses, (int, np.integer)) or max_witnesses < 0:
        raise SignnetError(f"max_witnesses must be an integer >= 0, got {max_witnesses!r}.")
    n, shape = data.shape[0], data.shape[1:]
    flat = data.reshape(n, -1)
    d = flat.shape[1]
    if step is None:
        span = flat.max(axis=0) - flat.min(axis=0)
        step_v = np.where(span > 0, span / 2, 1.0)
    else:
        try:
            step_v = np.asarray(step, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            step_v = np.zeros(0)
        step_v = np.full(d, step_v[0]) if step_v.size == 1 else step_v
        if step_v.size != d or not np.isfinite(step_v).all() or (step_v <= 0).any():
            raise SignnetError(f"step {step!r} must be a positive number or one positive number per feature ({d}).")
    rng = np.random.default_rng(seed)
    n_step = n_pairs - n_pairs // 2
    xs = flat[rng.integers(0, n, n_step)]
    mask = rng.random((n_step, d)) < 0.5
    single = rng.random(n_step) < 0.5
    mask[single] = False
    mask[single, rng.integers(0, d, int(single.sum()))] = True
    ys = xs + step_v * rng.random((n_step, d)) * mask
    lo_x, hi_x = _comparable_data_pairs(flat, n_pairs // 2, rng)
    xa, ya = np.concatenate([xs, lo_x]), np.concatenate([ys, hi_x])
    m64 = _float64(model)
    head = getattr(model, "head", None)
    fa = _evaluate(m64, torch.from_numpy(np.concatenate([xa, ya]).reshape(-1, *shape)), head).numpy()
    fx, fy = fa[: len(xa)], fa[len(xa):]
    gaps = fx - fy
    bad = gaps > tol * np.maximum(1.0, np.maximum(np.abs(fx), np.abs(fy)))
    names = _names(m64, torch.from_numpy(flat[:1].reshape(1, *shape)), head)
    worst = np.where(bad, gaps, -np.inf).max(axis=1)
    hit = np.flatnonzero(bad.any(axis=1))
    order = hit[np.argsort(-worst[hit])][:max_witnesses]
    return DominanceReport(
        n_pairs=len(xa), violations=len(hit), rate=len(hit) / len(xa),
        worst_gap=float(worst[hit].max()) if len(hit) else 0.0,
        witnesses=[(xa[k].reshape(shape), ya[k].reshape(shape), float(worst[k])) for k in order],
        outputs=names, per_output={nm: int(bad[:, j].sum()) for j, nm in enumerate(names)},
        n_data_pairs=len(lo_x))


def _comparable_data_pairs(flat: np.ndarray, want: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``want`` distinct pairs of data rows ``(a, b)`` with ``a <= b``, ``a != b``.

    Up to 2000 rows every ordered pair is compared and the comparable ones are
    subsampled without replacement; beyond, pairs are rejection-sampled (distinct).
    """
    n, d = flat.shape
    if n < 2 or want == 0:
        return np.zeros((0, d)), np.zeros((0, d))
    if n <= 2000:
        found, chunk = [], max(1, 20_000_000 // (n * d))
        for lo in range(0, n, chunk):
            block = flat[lo:lo + chunk]
            le = (block[:, None, :] <= flat[None, :, :]).all(axis=2)
            le &= ~(block[:, None, :] == flat[None, :, :]).all(axis=2)  # equal points tell nothing
            i, j = np.nonzero(le)
            found.append(np.stack([i + lo, j], axis=1))
        pairs = np.concatenate(found)
        pairs = pairs[rng.permutation(len(pairs))[:want]]
    else:
        codes = np.zeros(0, np.int64)
        for _ in range(20):
            i, j = rng.integers(0, n, (2, 4 * want))
            le, eq = (flat[i] <= flat[j]).all(axis=1), (flat[i] == flat[j]).all(axis=1)
            ge = (flat[i] >= flat[j]).all(axis=1)
            lo_, hi_ = np.where(le, i, j)[(le | ge) & ~eq], np.where(le, j, i)[(le | ge) & ~eq]
            codes = np.unique(np.concatenate([codes, lo_ * n + hi_]))
            if len(codes) >= want:
                break
        codes = codes[rng.permutation(len(codes))[:want]]
        pairs = np.stack([codes // n, codes % n], axis=1)
    return flat[pairs[:, 0]], flat[pairs[:, 1]]


def _bounds(bounds, model: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    try:
        low, high = bounds
        low, high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
    except (TypeError, ValueError):
        raise SignnetError(f"bounds {bounds!r} must be a pair (low, high) of numbers or arrays.") from None
    if low.ndim == 0 and high.ndim == 0:
        d = _expected_features(model)
        if d is None:
            raise SignnetError("bounds are two numbers but the model's input size is unknown; "
                               "give arrays of its shape.")
        low, high = np.full(d, float(low)), np.full(d, float(high))
    low, high = np.broadcast_arrays(low, high)
    if not (np.isfinite(low).all() and np.isfinite(high).all()) or (low > high).any():
        raise SignnetError(f"bounds must be finite with low <= high everywhere; "
                           f"got low={low.tolist()}, high={high.tolist()}.")
    d = _expected_features(model)
    if d is not None and low.ndim == 1 and low.shape[0] != d:
        raise SignnetError(f"bounds have {low.shape[0]} features but the model expects {d}.")
    return torch.from_numpy(low.copy()), torch.from_numpy(high.copy())




def _small(model: nn.Module, batch: int) -> bool:
    return sum(p.numel() for p in model.parameters()) * batch < 2_000_000


def find_violation(model: nn.Module, bounds, n_starts: int = 64, steps: int = 200, seed: int = 0,
                   output: int | str | None = 0, *, lr: float = 0.05, tol: float = 1e-6) -> Violation | None:
    """Search the box ``bounds`` for ``x <= y`` with ``F(x) > F(y)`` by gradient ascent.

    ``x = low + (high - low) * sigmoid(a)`` and ``y = x + (high - x) * sigmoid(b)``
    (a non-negative step that stays in the box), and Adam maximises
    ``F(x) - F(y)`` over ``(a, b)`` from ``n_starts`` random starts at once
    (one batch; single-threaded when the batch is small, where threads only cost).
    A DNN+ never yields one (Theorem 1.1); a network trained on XOR does in well
    under a second.

    Args:
        model: the network (evaluated in float64 on a copy).
        bounds: ``(low, high)``: two numbers, or two arrays of the input's shape.
        n_starts: parallel random starts.
        steps: Adam steps.
        seed: seed of the starts.
        output: index or name of the checked function (module docstring), or
            ``None`` for the largest gap over all of them.
        lr: Adam's learning rate.
        tol: relative tolerance; smaller gaps are rounding, not violations.

    Returns:
        The best :class:`Violation` found, or ``None``.
    """
    n_starts, steps = _positive_int("n_starts", n_starts), _positive_int("steps", steps)
    low, high = _bounds(bounds, model)
    m64 = _float64(model)
    for p in m64.parameters():
        p.requires_grad_(False)
    head = getattr(model, "head", None)
    names = _names(m64, low.unsqueeze(0), head)
    n_out = len(names)
    if output is None:
        col = None
    elif isinstance(output, str):
        if output not in names:
            raise SignnetError(f"Unknown output {output!r}; choose one of: {', '.join(names)}.")
        col = names.index(output)
    elif isinstance(output, bool) or not isinstance(output, (int, np.integer)) or not 0 <= output < n_out:
        raise SignnetError(f"output {output!r} must be an index in 0..{n_out - 1}, a name or None.")
    else:
        col = int(output)
    gen = torch.Generator().manual_seed(seed)
    a = (torch.randn((n_starts, *low.shape), generator=gen, dtype=torch.float64) * 1.5).requires_grad_()
    b = (torch.randn((n_starts, *low.shape), generator=gen, dtype=torch.float64) - 1.0).requires_grad_()
    best = (-math.inf, None, None)
    with torch_threads(1 if _small(m64, n_starts) else torch.get_num_threads()):
        moments = [(torch.zeros_like(a), torch.zeros_like(a)), (torch.zeros_like(b), torch.zeros_like(b))]
        for t in range(1, steps + 2):
            x = low + (high - low) * torch.sigmoid(a)
            y = torch.minimum(torch.maximum(x + (high - x) * torch.sigmoid(b), x), high)
            f = _functions(m64, torch.cat([x, y]), head)
            gaps = f[:n_starts] - f[n_starts:]
            gap = gaps.amax(dim=1) if col is None else gaps[:, col]
            k = int(gap.detach().argmax())
            if float(gap[k].detach()) > best[0]:
                best = (float(gap[k].detach()), x[k].detach().clone(), y[k].detach().clone())
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
    j = int(gaps.argmax()) if col is None else col
    scale = max(1.0, abs(float(fx[j])), abs(float(fy[j])))
    if not float(gaps[j]) > tol * scale or not bool((x <= y).all()):
        return None
    return Violation(x=x.numpy(), y=y.numpy(), gap=float(gaps[j]), output=names[j], f_x=float(fx[j]), f_y=float(fy[j]))
