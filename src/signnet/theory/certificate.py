"""A static certificate of monotonicity and convexity, read from the weights alone.

Theorem 1.1 of Wang et al. ("Why do networks need negative weights?"): a DNN+
(non-negative weights, free biases, non-decreasing activations) preserves
element-wise dominance; the proof composes Lemma 1.1 (a non-negative affine map
preserves dominance) with non-decreasing activations. :func:`certify` applies
the argument path by path to any sign pattern. Every edge has the sign of its
weight (exact zeros are no edge), every path the product of its edge signs. If
every path from input ``i`` to output ``j`` is positive, output ``j`` is
non-decreasing in ``x_i`` (by induction over layers: a sum of terms that are
all non-decreasing in ``x_i`` is, and so is a non-decreasing function of one);
all negative: non-increasing; no path: constant in ``x_i``. A non-monotone
activation (gelu, silu, ...) gives every path through it both signs.

Entries: ``1`` provably non-decreasing, ``-1`` provably non-increasing, ``0``
constant (no path), ``None`` not provable. Sound, not complete: ``None`` is no
proof of a violation (:func:`signnet.dominance.find_violation` looks for one).

Softmax heads depend only on logit differences, so for ``head == "softmax"`` the
certified functions are ``z_l - z_k``, ``l > k`` (``"logit{l}-logit{k}"``): their
positive paths are the positive paths to ``z_l`` and the negative ones to ``z_k``.
A DNN+ with a softmax head is therefore *not* certified: both logits rise.

Convexity: each unit is tracked as provably convex and/or concave. Inputs and
constants are both; an affine unit is convex if every non-zero ``w_uk`` has
``w > 0`` and ``k`` convex, or ``w < 0`` and ``k`` concave; a convex
non-decreasing activation (ReLU family) keeps convexity, a concave one
concavity, others keep neither (unless the unit is constant); max pooling keeps
convexity. A ReLU DNN+ is ``"convex"``; a function that is both is ``"affine"``.
For a binary head the claims concern the logit ``P(x)``.

Algorithm: sign reachability is a product of boolean matrices, computed
*backwards* from the outputs, one row per raw output, so the cost is about a
forward pass of ``n_outputs`` samples plus a pass over the weights to split
them by sign: ``R+ <- [P^T R+ + N^T R- > 0]``, ``R- <- [P^T R- + N^T R+ > 0]``
with ``P = max(W, 0)``, ``N = -min(W, 0)`` (magnitudes are harmless: a sum of
non-negative terms is ``> 0`` iff one term is). Convolutions and pools use the
vector-Jacobian product of the same operator with the positive (negative) part
of the kernel: an exact per-pixel analysis. Inputs of a conv net are its
pixels ``(C, H, W)`` flattened (pass ``input_shape``); ``per_channel=True``
reports the union over each input channel's pixels.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from signnet.nn.activations import activation_info
from signnet.errors import SignnetError

__all__ = ["Certificate", "Hop", "certify", "output_names"]

_MAX_STATE = 200_000_000  # entries of (n_outputs x units) a certificate may hold
# element-wise torch activations signnet does not build but certifies: (monotone, convex, concave)
_EXTRA = {nn.ReLU6: (True, False, False), nn.Hardtanh: (True, False, False), nn.Hardsigmoid: (True, False, False),
          nn.Softsign: (True, False, False), nn.SELU: (True, False, False), nn.LogSigmoid: (True, False, True),
          nn.Hardswish: (False, False, False), nn.Mish: (False, False, False)}
_PASS = (nn.Identity, nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d)
_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_POOL = {nn.MaxPool1d: F.avg_pool1d, nn.MaxPool2d: F.avg_pool2d, nn.AvgPool1d: F.avg_pool1d, nn.AvgPool2d: F.avg_pool2d}
_ADAPTIVE = {nn.AdaptiveAvgPool1d: F.adaptive_avg_pool1d, nn.AdaptiveMaxPool1d: F.adaptive_avg_pool1d,
             nn.AdaptiveAvgPool2d: F.adaptive_avg_pool2d, nn.AdaptiveMaxPool2d: F.adaptive_avg_pool2d}


class Hop(NamedTuple):
    """One step of a path: unit ``unit`` (flat index) of the output of flattened module ``layer``.

    ``layer == -1`` is the input. ``sign`` is the sign of the weight taken
    (+1/-1), or 0 where the path changes sign inside a non-monotone activation.
    """

    layer: int
    unit: int
    sign: int


def output_names(n_outputs: int, head: str | None) -> list[str]:
    """Names of the certified functions: ``out{j}``, or ``logit{l}-logit{k}`` (l > k) for softmax."""
    if head == "softmax":
        return [f"logit{l}-logit{k}" for l, k in _pairs(n_outputs)]
    return [f"out{j}" for j in range(n_outputs)]


def _pairs(k: int) -> list[tuple[int, int]]:
    return [(l, m) for l in range(k) for m in range(l)]


def _b(t: torch.Tensor) -> torch.Tensor:
    return (t > 0).to(torch.float32)


class _Op:
    """A linear map split by sign: ``forward(x, s)`` / ``vjp(g, s, in_shape)`` are ``> 0``
    exactly where a 0/1 input reaches through an edge of sign ``s``; ``fwd[s]`` maps a batch."""

    def __init__(self, fwd: dict):
        self.fwd = fwd

    def forward(self, x: torch.Tensor, s: int) -> torch.Tensor:
        return self.fwd[s](x) if s in self.fwd else torch.zeros_like(self.fwd[-s](x))

    def vjp(self, g: torch.Tensor, s: int, in_shape: tuple) -> torch.Tensor:
        x = torch.zeros((g.shape[0], *in_shape), requires_grad=s in self.fwd)
        if s not in self.fwd:
            return x
        with torch.enable_grad():
            return torch.autograd.grad(self.fwd[s](x), x, g)[0]


class _LinearOp(_Op):
    """``nn.Linear``: few rows go through matrix-vector products (a skinny matrix product is far
    slower on a CPU), all-zero rows and absent signs are skipped, one-sign weights are not copied."""

    def __init__(self, w: torch.Tensor, lo: float, hi: float):
        self.w, self.signs, self._parts = w, {s for s, ok in ((1, hi > 0), (-1, lo < 0)) if ok}, {}
        self.pure = lo >= 0 or hi <= 0

    def _part(self, s: int) -> torch.Tensor:
        if s not in self._parts:
            self._parts[s] = self.w if self.pure else self.w.clamp(**({"min": 0} if s > 0 else {"max": 0}))
        return self._parts[s]

    def _apply(self, x: torch.Tensor, s: int, transpose: bool) -> torch.Tensor:
        rows = x.reshape(-1, x.shape[-1])
        n_out = self.w.shape[1 if transpose else 0]
        out = torch.zeros((rows.shape[0], n_out))
        if s in self.signs:
            mat = self._part(s).T if transpose else self._part(s)
            if rows.shape[0] > 16:
                out = rows @ mat.T
            else:
                for r in range(rows.shape[0]):
                    if bool(rows[r].any()):
                        out[r] = torch.mv(mat, rows[r])
        return (out if s > 0 else out.neg_()).reshape(*x.shape[:-1], n_out)

    def forward(self, x, s):
        return self._apply(x, s, False)

    def vjp(self, g, s, in_shape):
        return self._apply(g, s, True)


@dataclass
class _Stage:
    """One module of the flattened model: kind "linear"/"max" (with an _Op), "act" or "reshape"."""

    index: int
    kind: str
    module: nn.Module
    op: _Op | None = None
    info: tuple = (True, True, True)  # (monotone, convex, concave) of an activation
    in_shape: tuple = ()


@dataclass(frozen=True)
class Certificate:
    """What :func:`certify` proved about a network.

    Attributes:
        monotone: ``monotone[j][i]`` for output ``j`` (a logit difference for a
            softmax head) and input ``i``: ``1``, ``-1``, ``0`` or ``None`` (module docstring).
        convex: per output, ``"convex"``, ``"concave"``, ``"affine"`` (both) or ``None``.
        outputs: names of the outputs (``"out0"``, ``"logit1-logit0"``, ...).
        inputs: names of the inputs (``"x0"``, ...; ``"c0"``, ... per channel).
        layers: the flattened modules, ``"index: type"``; ``Hop.layer`` indexes it.
        seconds: wall time of the analysis.
    """

    monotone: list[list[int | None]]
    convex: list[str | None]
    outputs: list[str]
    inputs: list[str]
    layers: list[str]
    seconds: float
    _trace: dict = field(default=None, repr=False, compare=False)

    @property
    def is_monotone(self) -> bool:
        """No entry is ``None``: each output is monotone in each input, in a proved direction."""
        return all(v is not None for row in self.monotone for v in row)

    @property
    def preserves_dominance(self) -> bool:
        """Every entry is ``1`` or ``0``: ``x <= y`` implies ``F(x) <= F(y)`` (Theorem 1.1)."""
        return all(v in (0, 1) for row in self.monotone for v in row)

    def unprovable(self) -> list[tuple[int, int]]:
        """The ``(output, input)`` pairs whose entry is ``None``."""
        return [(j, i) for j, row in enumerate(self.monotone) for i, v in enumerate(row) if v is None]

    def explain(self, output: int | str, input: int) -> dict[str, list[Hop]] | None:
        """A positive and a negative path from ``input`` to ``output`` (the mixed paths of a ``None`` entry).

        Args:
            output: index into :attr:`outputs`, or its name.
            input: index into :attr:`inputs` (a channel when ``per_channel``: the
                path starts at one of its pixels).

        Returns:
            ``{"positive": [Hop, ...], "negative": [Hop, ...]}`` from ``Hop(-1, i, 0)``
            to the output unit, or ``None`` when the entry is proved. For
            ``z_l - z_k`` a path ending at logit ``k`` counts with reversed sign.
        """
        j = self.outputs.index(output) if isinstance(output, str) and output in self.outputs else output
        j = -1 if isinstance(j, (str, bool)) else int(j)
        if not 0 <= j < len(self.outputs) or not 0 <= int(input) < len(self.inputs):
            raise SignnetError(f"No entry (output {output!r}, input {input!r}); outputs are 0..{len(self.outputs) - 1} "
                               f"or their names, inputs 0..{len(self.inputs) - 1}.")
        if self.monotone[j][int(input)] is not None:
            return None
        return {name: _walk(self._trace, j, int(input), s) for name, s in (("positive", 1), ("negative", -1))}

    def to_dict(self) -> dict:
        """Plain data for JSON: monotone, convex, outputs, inputs, layers, flags and seconds."""
        return {"monotone": self.monotone, "convex": self.convex, "outputs": self.outputs, "inputs": self.inputs,
                "is_monotone": self.is_monotone, "preserves_dominance": self.preserves_dominance,
                "layers": self.layers, "seconds": self.seconds}


def _flatten(model: nn.Module) -> list[nn.Module]:
    return [m for child in model for m in _flatten(child)] if isinstance(model, nn.Sequential) else [model]


def _act_props(module: nn.Module) -> tuple[bool, bool, bool] | None:
    """(monotone, convex, concave) of an element-wise activation, or None if unknown.

    signnet's activations come from :func:`signnet.activations.activation_info`
    (which accounts for their parameters); PReLU, CELU and the modules of
    ``_EXTRA`` are handled here.
    """
    if isinstance(module, nn.PReLU):
        a = module.weight.detach()
        return bool((a >= 0).all()), bool((a <= 1).all()), bool((a >= 1).all())
    if isinstance(module, nn.CELU):
        return (True, True, False) if module.alpha > 0 else (False, False, False)
    if type(module) in _EXTRA:
        return _EXTRA[type(module)]
    info = activation_info(module)
    return None if info is None else (info.monotone, info.convex, info.concave)


def _weight(m: nn.Module, index: int) -> tuple[torch.Tensor, float, float]:
    w = m.weight.detach().float().cpu()
    lo, hi = (float(v) for v in torch.aminmax(w))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise SignnetError(f"Module {index} ({type(m).__name__}) has NaN or infinite weights; "
                           "a certificate needs finite weights: retrain or reload the model.")
    return w, lo, hi


def _stage(index: int, m: nn.Module) -> _Stage:
    name = type(m).__name__
    if isinstance(m, nn.Linear):
        return _Stage(index, "linear", m, _LinearOp(*_weight(m, index)))
    if isinstance(m, _CONV):  # _conv_forward handles padding_mode, groups and dilation
        w = _weight(m, index)[0]
        wp, wn = w.clamp(min=0), w.clamp(max=0)
        return _Stage(index, "linear", m, _Op({1: lambda x: m._conv_forward(x, wp, None),
                                               -1: lambda x: m._conv_forward(x, wn, None).neg()}))
    if type(m) in _POOL:
        is_max = isinstance(m, (nn.MaxPool1d, nn.MaxPool2d))
        if is_max and m.dilation not in (1, (1,), (1, 1)):
            raise SignnetError(f"Module {index} ({name}) uses dilation {m.dilation}, which certify does not "
                               "support; use dilation=1 or a strided convolution.")
        pool = _POOL[type(m)]
        return _Stage(index, "max" if is_max else "linear", m,
                      _Op({1: lambda x: pool(x, m.kernel_size, m.stride, m.padding, ceil_mode=m.ceil_mode)}))
    if type(m) in _ADAPTIVE:
        pool = _ADAPTIVE[type(m)]
        return _Stage(index, "max" if "Max" in name else "linear", m, _Op({1: lambda x: pool(x, m.output_size)}))
    if isinstance(m, (nn.Flatten, nn.Unflatten)):
        return _Stage(index, "reshape", m)
    props = (True, True, True) if isinstance(m, _PASS) else _act_props(m)
    if props is not None:
        return _Stage(index, "act", m, info=props)
    raise SignnetError(f"certify cannot analyse module {index} of type {name}; it handles Linear, Conv1d/2d/3d, "
                       "pooling, Flatten, Identity, Dropout and element-wise activations in an nn.Sequential. "
                       "Rebuild the model from those.")


def _input_shape(stages: list[_Stage], input_shape) -> tuple:
    if input_shape is not None:
        shape = tuple(int(s) for s in (input_shape if hasattr(input_shape, "__len__") else (input_shape,)))
        if not shape or any(s <= 0 for s in shape):
            raise SignnetError(f"input_shape {input_shape!r} must list positive sizes, e.g. (1, 28, 28).")
        return shape
    first = next((s.module for s in stages if s.kind != "act"), None)
    if isinstance(first, nn.Linear):
        return (first.in_features,)
    raise SignnetError("certify cannot tell this model's input shape from its weights; pass input_shape, "
                       "e.g. certify(model, input_shape=(1, 28, 28)) for a convolutional net.")


def _forward(stages: list[_Stage], shape: tuple) -> tuple[torch.Tensor, torch.Tensor]:
    """Shapes, dependence and the convex/concave flags of every unit; returns the outputs' flags."""
    dep = torch.ones((1, *shape))
    cvx, ccv = torch.ones_like(dep), torch.ones_like(dep)
    for st in stages:
        st.in_shape = tuple(dep.shape[1:])
        if st.kind in ("linear", "max"):
            x = torch.cat([dep, 1 - cvx, 1 - ccv])  # one pass: dependence, "not convex", "not concave"
            try:
                p, n = st.op.forward(x, 1), st.op.forward(x, -1)
            except RuntimeError as exc:
                raise SignnetError(f"Module {st.index} ({type(st.module).__name__}) does not accept features of "
                                   f"shape {st.in_shape}: {str(exc).splitlines()[0]} Check input_shape.") from None
            dep = _b(p[:1] + n[:1])
            if st.kind == "max":  # a max of convex units is convex, of concave ones not
                cvx, ccv = 1 - _b(p[1:2]), torch.zeros_like(dep)
            else:
                cvx, ccv = 1 - _b(p[1:2] + n[2:3]), 1 - _b(p[2:3] + n[1:2])
        elif st.kind == "reshape":
            if st.module(torch.zeros((2, *st.in_shape))).shape[0] != 2:
                raise SignnetError(f"Module {st.index} ({type(st.module).__name__}) reshapes the batch dimension; "
                                   "use start_dim=1 so that samples stay separate.")
            dep, cvx, ccv = st.module(dep), st.module(cvx), st.module(ccv)
        elif st.info != (True, True, True):  # identity-like activations keep both flags
            mono, a_cvx, a_ccv = st.info
            base_cvx, base_ccv = (cvx, ccv) if mono else (cvx * ccv, cvx * ccv)  # non-monotone: of affine only
            cvx, ccv = base_cvx * a_cvx, base_ccv * a_ccv
        cvx, ccv = torch.maximum(cvx, 1 - dep), torch.maximum(ccv, 1 - dep)  # constants are both
    return cvx[0], ccv[0]


def _backward(stages: list[_Stage], rp: torch.Tensor, rn: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``(R+, R-)`` at every stage boundary (0 = the input); R+ and R- are stacked to read each part once."""
    states = [None] * len(stages) + [(rp, rn)]
    for k in range(len(stages) - 1, -1, -1):
        st = stages[k]
        if st.kind in ("linear", "max"):
            d, any_n = rp.shape[0], bool(rn.any())
            g = torch.cat([rp, rn]) if any_n else rp
            a, b = st.op.vjp(g, 1, st.in_shape), st.op.vjp(g, -1, st.in_shape)
            rp, rn = (_b(a[:d] + b[d:]), _b(a[d:] + b[:d])) if any_n else (_b(a), _b(b))
        elif st.kind == "reshape":
            rp, rn = rp.reshape(rp.shape[0], *st.in_shape), rn.reshape(rn.shape[0], *st.in_shape)
        elif not st.info[0]:
            rp = rn = torch.maximum(rp, rn)
        states[k] = (rp, rn)
    return states


def certify(model: nn.Module, *, input_shape=None, head: str | None = None, per_channel: bool = False) -> Certificate:
    """Prove, from the weights alone, in which inputs each output is monotone (Theorem 1.1, Lemma 1.1).

    Args:
        model: an ``nn.Sequential`` (nesting allowed, e.g. :class:`signnet.MLP`) of
            ``Linear``/``SignedLinear``, ``Conv1d/2d/3d``/``SignedConv2d``, pooling,
            ``Flatten``, ``Identity``, ``Dropout`` and element-wise activations.
        input_shape: the shape of one sample, e.g. ``(1, 28, 28)``; needed unless
            the model starts with a ``Linear`` layer.
        head: ``"binary"``, ``"softmax"`` or ``"regression"``; default ``model.head``
            if present. ``"softmax"`` certifies the logit differences.
        per_channel: report per input channel (dimension 0 of ``input_shape``),
            the union of the entries of its pixels.

    Returns:
        A :class:`Certificate`.

    Shape:
        ``monotone``: (n_outputs, n_inputs) nested lists, ``n_outputs`` = K (K - 1) / 2
        for a K-logit softmax; ``n_inputs`` = prod(input_shape), or C per channel.

    Raises:
        SignnetError: an unsupported module, non-finite weights or an unknown input shape.

    Examples:
        >>> from signnet import dnn_plus
        >>> certify(dnn_plus(2, (4,))).monotone
        [[1, 1]]
    """
    start = time.perf_counter()
    head = getattr(model, "head", None) if head is None else head
    modules = _flatten(model)
    with torch.no_grad():
        stages = [_stage(i, m) for i, m in enumerate(modules)]
        shape = _input_shape(stages, input_shape)
        if per_channel and len(shape) < 2:
            raise SignnetError(f"per_channel needs an input shape (C, ...) with pixels; got {shape}.")
        cvx, ccv = _forward(stages, shape)
        n_raw = cvx.numel()
        units = max([math.prod(shape)] + [math.prod(s.in_shape) for s in stages])
        if n_raw * units > _MAX_STATE:
            raise SignnetError(f"A certificate of {n_raw} outputs over layers of up to {units} units is too large; "
                               "certify a model with fewer outputs (e.g. end it with a small Linear layer).")
        eye = torch.eye(n_raw).reshape(n_raw, *cvx.shape)
        states = _backward(stages, eye, torch.zeros_like(eye))
    pairs = _pairs(n_raw) if head == "softmax" else [(j, None) for j in range(n_raw)]
    trace = {"stages": stages, "states": states, "shape": shape, "per_channel": per_channel, "pairs": pairs}
    p0, n0 = _state(trace, 0)
    if per_channel:
        p0, n0 = (t.reshape(len(pairs), shape[0], -1).any(dim=2) for t in (p0, n0))
    code = torch.where(p0 & n0, 2, torch.where(p0, 1, torch.where(n0, -1, 0))).tolist()
    cv, cc = (cvx.reshape(-1) > 0).tolist(), (ccv.reshape(-1) > 0).tolist()
    flags = [(cv[l] and cc[k], cc[l] and cv[k]) if k is not None else (cv[l], cc[l]) for l, k in pairs]
    return Certificate(
        monotone=[[None if v == 2 else v for v in row] for row in code],
        convex=["affine" if a and b else "convex" if a else "concave" if b else None for a, b in flags],
        outputs=output_names(n_raw, head),
        inputs=[f"c{c}" for c in range(shape[0])] if per_channel else [f"x{i}" for i in range(math.prod(shape))],
        layers=[f"{i}: {type(m).__name__}" for i, m in enumerate(modules)],
        seconds=time.perf_counter() - start, _trace=trace)


def _state(trace: dict, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Boolean ``(R+, R-)``, shape (n_outputs, units), at boundary ``k``, per certified output.

    Only raw outputs are propagated: the propagation is linear over the OR
    semiring, so the reach of ``z_l - z_k`` is that of ``z_l`` joined with the
    sign-swapped reach of ``z_k`` (K rows for a K-logit softmax, not K (K - 1) / 2).
    """
    p, n = (t.reshape(t.shape[0], -1) > 0 for t in trace["states"][k])
    hi, lo = [a for a, _ in trace["pairs"]], [b for _, b in trace["pairs"]]
    if not lo or lo[0] is None:
        return p[hi], n[hi]
    return p[hi] | n[lo], n[hi] | p[lo]


@torch.no_grad()
def _walk(trace: dict, j: int, i: int, sign: int) -> list[Hop]:
    """Follow the stored reachability from input ``i`` along a path of total ``sign`` to output ``j``."""
    unit, s = i, sign
    if trace["per_channel"]:  # the first pixel of channel i that starts such a path
        per = math.prod(trace["shape"][1:])
        start = _state(trace, 0)[0 if sign > 0 else 1][j][i * per:(i + 1) * per]
        unit = i * per + int(torch.nonzero(start)[0])
    path = [Hop(-1, unit, 0)]
    for k, st in enumerate(trace["stages"]):
        rp, rn = _state(trace, k + 1)
        want = {1: rp[j], -1: rn[j]}
        if st.kind in ("linear", "max"):
            e = torch.zeros(math.prod(st.in_shape))
            e[unit] = 1.0
            for edge in (1, -1):
                hit = (st.op.forward(e.reshape(1, *st.in_shape), edge).reshape(-1) > 0) & want[s * edge]
                if bool(hit.any()):
                    unit, s = int(torch.nonzero(hit)[0]), s * edge
                    path.append(Hop(st.index, unit, edge))
                    break
            else:  # pragma: no cover - the states guarantee a next hop
                raise AssertionError(f"no path continues at module {st.index}, unit {unit}")
        elif st.kind == "act" and not st.info[0] and not bool(want[s][unit]):
            s = -s
            path.append(Hop(st.index, unit, 0))
    return path
