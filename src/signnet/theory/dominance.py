"""Looking for broken dominance: does ``x <= y`` give ``F(x) <= F(y)``?

Theorem 1.1 of Wang et al. ("Why do networks need negative weights?"): a DNN+
(non-negative weights, non-decreasing activations) preserves element-wise
dominance. :func:`dominance_violations` tests the statement on sampled
comparable pairs; :func:`find_violation` searches for a counterexample with
gradient ascent (:mod:`signnet.theory.search`). Neither proves anything (:func:`signnet.theory.certificate.certify`
does); on a one-logit or regression DNN+ both must come back empty (a softmax DNN+'s
logit differences, below, can fail), on a network trained on XOR both find violations.

What ``F`` is. For a ``"binary"`` or ``"regression"`` head (or a model without
``head``) every output ``out{j}`` is checked; the binary logit ``P(x)`` is
monotone exactly when ``sigmoid(P(x))`` is. For a ``"softmax"`` head the
decision depends only on logit differences, so the checked functions are
``logit{l} - logit{k}`` for ``l > k``: the log-odds of a higher class against a
lower one. All of them non-decreasing is the "monotone decision" for ordered
classes: raising the inputs never makes a higher class less likely relative to
a lower one. (Each logit of a softmax DNN+ rises, but their differences need not.)

Constraints. With ``monotonic_cst`` (-1/0/1 per input, :mod:`signnet.theory._cst`),
``x`` precedes ``y`` when ``x_i <= y_i`` on ``1`` inputs, ``x_i >= y_i`` on ``-1``
inputs and ``x_i == y_i`` on free (``0``) inputs, which are held fixed; without it
every input is ``1`` and the results are those of element-wise dominance.

Models. A torch module is evaluated in float64 on a copy, on ``device`` (default:
where its parameters are). A fitted signnet estimator is audited through its ``predict``
map (``module_`` standardised in float64) against its ``monotonic_cst_``; any other fitted object with
``decision_function`` / ``predict_proba`` / ``predict`` is a black box
(:mod:`signnet.theory.blackbox`), searched without gradients.

Rounding: a gap counts only when ``F(x) - F(y) > tol * max(1, |F(x)|, |F(y)|)`` (``tol = 1e-6``)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from signnet.errors import SignnetError
from signnet.theory._audit_inputs import as_inputs, as_target, resolve_cst
from signnet.theory._device import resolve_device
from signnet.theory._pairs import comparable_data_pairs
from signnet.theory.outputs import checked_functions, output_names

__all__ = ["DominanceReport", "dominance_violations"]

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
        monotonic_cst: the constraints checked (-1/0/1 per flattened input), or ``None`` when
            none was given (every input ``1``: element-wise dominance).
    """

    n_pairs: int
    violations: int
    rate: float
    worst_gap: float
    witnesses: list = field(default_factory=list)
    outputs: list = field(default_factory=list)
    per_output: dict = field(default_factory=dict)
    n_data_pairs: int = 0
    monotonic_cst: list | None = None

    def to_dict(self) -> dict:
        """Plain data for JSON (witnesses as lists; ``monotonic_cst`` only when given)."""
        out = {"n_pairs": self.n_pairs, "violations": self.violations, "rate": self.rate,
               "worst_gap": self.worst_gap, "outputs": self.outputs, "per_output": self.per_output,
               "n_data_pairs": self.n_data_pairs,
               "witnesses": [{"x": x.tolist(), "y": y.tolist(), "gap": g} for x, y, g in self.witnesses]}
        if self.monotonic_cst is not None:
            out["monotonic_cst"] = self.monotonic_cst
        return out


def _copy(model: nn.Module, device: torch.device) -> nn.Module:
    return copy.deepcopy(model).to(device, torch.float64).eval()


def _functions(model: nn.Module, X: torch.Tensor, head: str | None) -> torch.Tensor:
    """The checked functions on a batch: outputs, or logit differences for softmax. Shape (n, n_out)."""
    return checked_functions(model(X).reshape(X.shape[0], -1), head)


def _run(model: nn.Module, X: torch.Tensor, head: str | None) -> torch.Tensor:
    """:func:`_functions`, with a model that rejects inputs of this shape reported in one sentence."""
    try:
        return _functions(model, X, head)
    except RuntimeError as exc:
        why = str(exc).splitlines()[0].rstrip(".") if str(exc) else type(exc).__name__
        raise SignnetError(f"The model cannot be evaluated on inputs of shape {tuple(X.shape[1:])} ({why}); "
                           "give X or bounds of the model's input size.") from None


def _names(model: nn.Module, sample: torch.Tensor, head: str | None) -> list[str]:
    """Names of the checked functions, from one forward pass of ``sample`` (shape ``(1, *shape)``)."""
    with torch.no_grad():
        return output_names(_run(model, sample, None).numel(), head)


def _evaluate(model: nn.Module, X: torch.Tensor, head: str | None) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([_run(model, X[i:i + _CHUNK], head) for i in range(0, X.shape[0], _CHUNK)])


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise SignnetError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def _constrained(c: np.ndarray) -> np.ndarray:
    idx = np.flatnonzero(c.reshape(-1))
    if idx.size == 0:
        raise SignnetError("monotonic_cst constrains no feature (all 0), so there is nothing to check; "
                           "mark at least one feature 1 or -1.")
    return idx


def _module_device(target, device) -> torch.device:
    params = next(target.module.parameters(), None) if target.module is not None else None
    return resolve_device(device, params.device if params is not None else None)


def dominance_violations(model, X, n_pairs: int = 10000, seed: int = 0, step=None, *,
                         tol: float = 1e-6, max_witnesses: int = 5, monotonic_cst=None,
                         device=None) -> DominanceReport:
    """Count comparable pairs (``x`` precedes ``y``) with ``F(x) > F(y)`` (empirical Theorem 1.1).

    Without ``monotonic_cst``, ``x`` precedes ``y`` when ``x <= y`` element-wise. With it,
    ``x_i <= y_i`` for ``+1`` features, ``x_i >= y_i`` for ``-1`` features and ``x_i == y_i``
    for free (``0``) features (:mod:`signnet.theory._cst`).

    Half the pairs are steps from data points: ``x`` a data point and
    ``y = x + c * step * u * m`` with ``u ~ U(0, 1)``, ``c`` the constraints and ``m``
    either one random constrained coordinate or a random non-empty subset of them (free
    features are copied from ``x``). The other half are pairs of data points that
    happen to be comparable (rejection-sampled; fewer when the data hold few
    comparable pairs, e.g. in high dimension or with free features).

    Args:
        model: a network mapping ``(N, *shape)`` to ``(N, n_outputs)``; ``model.head``
            (if any) decides which functions are checked (module docstring). Or a fitted
            signnet estimator (its ``module_``; ``monotonic_cst`` defaults to its
            ``monotonic_cst_``), or any fitted object with ``decision_function`` /
            ``predict_proba`` / ``predict``, queried on float64 arrays
            (:class:`signnet.theory.blackbox.BlackBox`; its ``monotonic_cst`` param, when set, is
            the default constraint, checked rather than trusted).
        X: data, shape ``(n, *shape)`` (an array, tensor or DataFrame), finite.
        n_pairs: pairs to draw (positive).
        seed: seed of the sampling.
        step: largest step per coordinate: a float or an array of ``X``'s sample
            shape; default half of each feature's range over ``X`` (1 if constant).
        tol: relative tolerance for float rounding.
        max_witnesses: how many violating pairs to keep.
        monotonic_cst: ``-1``/``0``/``1`` per input (flattened), or a dict keyed by feature
            name; ``None``: the estimator's own (``monotonic_cst_``, or a
            :class:`signnet.MonotoneMLP`'s, or the one a :class:`signnet.MLP` was built
            with), else every input ``1``.
        device: where a torch model runs (``"auto"``, ``"cpu"``, ``"cuda"``, a ``torch.device``);
            ``None``: where its parameters are. The pairs are moved there once. Black boxes ignore it.

    Returns:
        A :class:`DominanceReport`; 0 violations for any one-logit or regression DNN+ with non-decreasing
        activations (Theorem 1.1); a softmax DNN+'s logit differences, which it does not cover, can fail.

    Shape:
        ``X``: ``(n, *shape)``; witnesses' ``x``, ``y``: ``shape``.
    """
    n_pairs = _positive_int("n_pairs", n_pairs)
    target = as_target(model, "dominance_violations")
    data = as_inputs(X, target)
    if not tol >= 0:
        raise SignnetError(f"tol {tol!r} must be a number >= 0.")
    if isinstance(max_witnesses, bool) or not isinstance(max_witnesses, (int, np.integer)) or max_witnesses < 0:
        raise SignnetError(f"max_witnesses must be an integer >= 0, got {max_witnesses!r}.")
    n, shape = data.shape[0], data.shape[1:]
    flat = data.reshape(n, -1)
    d = flat.shape[1]
    c = resolve_cst(target, monotonic_cst, d)
    constrained = _constrained(c)
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
    dev = None if target.box is not None else _module_device(target, device)
    rng = np.random.default_rng(seed)
    n_step = n_pairs - n_pairs // 2
    xs = flat[rng.integers(0, n, n_step)]
    mask = rng.random((n_step, d)) < 0.5
    single = rng.random(n_step) < 0.5
    mask[single] = False
    mask[single, constrained[rng.integers(0, constrained.size, int(single.sum()))]] = True
    mask[:, c == 0] = False  # free features stay at the base point's values
    # a subset that drew no constrained feature would give y == x, a pair that tells nothing: step one of them
    # (chosen by the row's index, so the draws of every other pair stay as they were)
    empty = np.flatnonzero(~mask[:, constrained].any(axis=1))
    mask[empty, constrained[empty % constrained.size]] = True
    ys = xs + (step_v * c) * rng.random((n_step, d)) * mask
    lo_x, hi_x = comparable_data_pairs(flat, n_pairs // 2, rng, c)
    xa, ya = np.concatenate([xs, lo_x]), np.concatenate([ys, hi_x])
    if target.box is not None:
        fa = target.box(np.concatenate([xa, ya]))
        names, head = target.box.names, target.box.head
    else:
        m64, head = _copy(target.module, dev), target.head
        fa = _evaluate(m64, torch.from_numpy(np.concatenate([xa, ya]).reshape(-1, *shape)).to(dev), head).cpu().numpy()
        names = _names(m64, torch.from_numpy(flat[:1].reshape(1, *shape)).to(dev), head)
    fx, fy = fa[: len(xa)], fa[len(xa):]
    gaps = fx - fy
    bad = gaps > tol * np.maximum(1.0, np.maximum(np.abs(fx), np.abs(fy)))
    worst = np.where(bad, gaps, -np.inf).max(axis=1)
    hit = np.flatnonzero(bad.any(axis=1))
    order = hit[np.argsort(-worst[hit])][:max_witnesses]
    return DominanceReport(
        n_pairs=len(xa), violations=len(hit), rate=len(hit) / len(xa),
        worst_gap=float(worst[hit].max()) if len(hit) else 0.0,
        witnesses=[(xa[k].reshape(shape), ya[k].reshape(shape), float(worst[k])) for k in order],
        outputs=names, per_output={nm: int(bad[:, j].sum()) for j, nm in enumerate(names)},
        n_data_pairs=len(lo_x), monotonic_cst=None if monotonic_cst is None and target.declared is None
        else c.tolist())
