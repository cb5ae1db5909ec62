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
proof of a violation (:func:`signnet.theory.search.find_violation` looks for one).

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
with ``P = [W > 0]``, ``N = [W < 0]`` as 0/1 matrices, compared in the weight's
own dtype (a float64 weight of ``-1e-50`` is a negative edge; a sum of 0/1
terms is ``> 0`` iff one term is). Convolutions and pools use the
vector-Jacobian product of the same operator with the 0/1 kernel of each sign:
an exact per-pixel analysis. Inputs of a conv net are its
pixels ``(C, H, W)`` flattened (pass ``input_shape``); ``per_channel=True``
reports the union over each input channel's pixels.

What is certified. ``certify`` proves things about the composition of the
model's leaves, so it first checks that ``model(x)`` runs exactly that
composition: ``nn.Sequential`` containers (subclasses such as :class:`signnet.MLP`
included) that do not override ``forward``; no forward or forward pre-hook on any
module and none registered globally; no ``forward`` replaced on an instance;
plain tensors; and leaves of a type it knows exactly (``Linear``/``SignedLinear``,
``Conv1d/2d/3d``/``SignedConv2d``, max/average pooling, ``Flatten``,
``Unflatten``, ``Identity``, ``Dropout``, element-wise activations), possibly
wrapped by ``torch.nn.utils.parametrize`` with signnet's ``SignReparametrization``.
Anything else (an overridden ``forward``, a residual connection or a functional
call written in one, a hook, an unknown module) is *refused*: the certificate
proves nothing (no entries, ``preserves_dominance`` False) and ``reason`` is one
sentence naming the module (qualified name and type) and why; with
``strict=True`` that sentence is raised as a :class:`~signnet.errors.SignnetError`.
Weights are read when ``certify`` is called, from the values the layers use
(through any parametrization), never from their declared signs (a
``method="penalty"`` layer may hold weights of the wrong sign); the certificate
is a snapshot: changing the model afterwards does not change it, and it says
nothing about the changed model. ``Dropout`` counts as in eval mode; in training
mode the claims hold for every drawn mask. certify trusts torch's and signnet's
own classes as installed; the claims concern the real-valued function the
modules define (floating-point rounding is not bounded; for the one place where
a module's definition steps by less than rounding, ``nn.Softplus``'s
``threshold``, see ``_certificate_stages``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from signnet.errors import SignnetError
from signnet.theory._audit_inputs import is_signnet_estimator, own_cst
from signnet.theory._certificate_checks import Refusal, admitted_leaves
from signnet.theory._certificate_device import move_stages, on
from signnet.theory._certificate_paths import Hop, backward, forward, state, walk
from signnet.theory._certificate_stages import F32, FLOAT64_STEP, Stage, build_stage, rounding_of
from signnet.theory._cst import as_monotonic_cst
from signnet.theory._device import resolve_device
from signnet.theory.blackbox import METHODS
from signnet.theory.outputs import logit_pairs, output_names

__all__ = ["Certificate", "Hop", "certify", "output_names"]

_MAX_STATE = 200_000_000  # entries of (n_outputs x units) a certificate may hold


@dataclass(frozen=True)
class Certificate:
    """What :func:`certify` proved about a network.

    Attributes:
        monotone: ``monotone[j][i]`` for output ``j`` (a logit difference for a
            softmax head) and input ``i``: ``1``, ``-1``, ``0`` or ``None`` (module docstring).
        convex: per output, ``"convex"``, ``"concave"``, ``"affine"`` (both) or ``None``.
        outputs: names of the outputs (``"out0"``, ``"logit1-logit0"``, ...).
        inputs: names of the inputs (``"x0"``, ...; ``"c0"``, ... per channel; a fitted
            estimator's ``feature_names_in_`` when it has them).
        layers: the flattened modules, ``"index: type"``; ``Hop.layer`` indexes it.
        seconds: wall time of the analysis.
        reason: ``None``, or why certify refused the model (one sentence naming
            the module); a refused certificate has no entries and proves nothing.
        monotonic_cst: the constraints asked for (``-1``/``0``/``1`` per input), or ``None``
            when none was (``certify(estimator)`` asks for the estimator's ``monotonic_cst_``).
        proved: per input, with ``monotonic_cst``: ``True`` when every output's entry is
            the required direction or ``0`` (constant), ``False`` when some entry is not,
            ``None`` for a free input (``0`` in ``monotonic_cst``), about which nothing is
            proved; ``None`` without ``monotonic_cst``.
    """

    monotone: list[list[int | None]]
    convex: list[str | None]
    outputs: list[str]
    inputs: list[str]
    layers: list[str]
    seconds: float
    reason: str | None = None
    _trace: dict = field(default=None, repr=False, compare=False)
    monotonic_cst: list[int] | None = None
    proved: list[bool | None] | None = None

    @property
    def satisfies_monotonic_cst(self) -> bool:
        """Not refused, ``monotonic_cst`` given, and every constrained input proved in its direction."""
        return not self.refused and self.proved is not None and all(p is not False for p in self.proved)

    @property
    def free_inputs(self) -> list[int]:
        """Inputs free in ``monotonic_cst`` (0), about which the certificate proves nothing."""
        return [] if self.monotonic_cst is None else [i for i, c in enumerate(self.monotonic_cst) if c == 0]

    def not_proved(self) -> list[int]:
        """Constrained inputs whose required direction is not proved for every output."""
        return [] if self.proved is None else [i for i, p in enumerate(self.proved) if p is False]

    def cst_summary(self) -> str | None:
        """One sentence on ``monotonic_cst``: what is proved, what is not, which inputs are free."""
        if self.monotonic_cst is None:
            return None
        if self.refused:
            return f"Nothing is proved about monotonic_cst: {self.reason}"
        way = {1: "non-decreasing", -1: "non-increasing"}
        done = [f"{self.inputs[i]} {way[c]}" for i, c in enumerate(self.monotonic_cst) if self.proved[i]]
        parts = [f"proves {', '.join(done)}" if done else "proves no constrained input"]
        if self.not_proved():
            parts.append("does not prove " + ", ".join(f"{self.inputs[i]} {way[self.monotonic_cst[i]]}"
                                                        for i in self.not_proved()))
        if self.free_inputs:
            parts.append(f"proves nothing about {', '.join(self.inputs[i] for i in self.free_inputs)} "
                         "(free in monotonic_cst)")
        text = "; ".join(parts)
        return text[0].upper() + text[1:] + "."

    @property
    def refused(self) -> bool:
        """certify did not analyse the model (see :attr:`reason`): nothing is proved."""
        return self.reason is not None

    @property
    def is_monotone(self) -> bool:
        """Not refused and no entry is ``None``: each output is monotone in each input, in a proved direction."""
        return not self.refused and all(v is not None for row in self.monotone for v in row)

    @property
    def preserves_dominance(self) -> bool:
        """Not refused and every entry is ``1`` or ``0``: ``x <= y`` implies ``F(x) <= F(y)`` (Theorem 1.1)."""
        return not self.refused and all(v in (0, 1) for row in self.monotone for v in row)

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
        if self.refused:
            raise SignnetError(f"No entry (output {output!r}, input {input!r}): the certificate has none, since "
                               f"{self.reason[0].lower()}{self.reason[1:]}")
        if not 0 <= j < len(self.outputs) or not 0 <= int(input) < len(self.inputs):
            raise SignnetError(f"No entry (output {output!r}, input {input!r}); outputs are 0..{len(self.outputs) - 1} "
                               f"or their names, inputs 0..{len(self.inputs) - 1}.")
        if self.monotone[j][int(input)] is not None:
            return None
        with on(self._trace.get("device", torch.device("cpu"))):
            return {name: walk(self._trace, j, int(input), s) for name, s in (("positive", 1), ("negative", -1))}

    def to_dict(self) -> dict:
        """Plain data for JSON: monotone, convex, outputs, inputs, layers, flags, seconds, refused and reason;
        with ``monotonic_cst`` also it, ``proved``, ``satisfies_monotonic_cst``, ``free_inputs``, ``not_proved``
        and ``cst_summary``."""
        out = {"monotone": self.monotone, "convex": self.convex, "outputs": self.outputs, "inputs": self.inputs,
               "is_monotone": self.is_monotone, "preserves_dominance": self.preserves_dominance,
               "layers": self.layers, "seconds": self.seconds, "refused": self.refused, "reason": self.reason}
        if self.monotonic_cst is not None:
            out.update(monotonic_cst=self.monotonic_cst, proved=self.proved,
                       satisfies_monotonic_cst=self.satisfies_monotonic_cst, free_inputs=self.free_inputs,
                       not_proved=self.not_proved(), cst_summary=self.cst_summary())
        return out


def _input_shape(stages: list[Stage], input_shape) -> tuple:
    if input_shape is not None:
        shape = tuple(int(s) for s in (input_shape if hasattr(input_shape, "__len__") else (input_shape,)))
        if not shape or any(s <= 0 for s in shape):
            raise SignnetError(f"input_shape {input_shape!r} must list positive sizes, e.g. (1, 28, 28).")
        return shape
    first = next((s.module for s in stages if s.kind != "act"), None)
    if isinstance(first, nn.Linear):
        return (int(first.weight.shape[1]),)  # what F.linear uses, not the in_features attribute
    raise SignnetError("certify cannot tell this model's input shape from its weights; pass input_shape, "
                       "e.g. certify(model, input_shape=(1, 28, 28)) for a convolutional net.")


def _unwrap(model) -> tuple[nn.Module, object, list | None]:
    """``(module, declared constraints, feature names)`` of a module or a fitted signnet estimator."""
    if isinstance(model, nn.Module):
        return model, own_cst(model), None
    if is_signnet_estimator(model) and not hasattr(model, "module_"):
        raise SignnetError(f"This {type(model).__name__} is not fitted yet; call fit(X, y) before certify.")
    module = getattr(model, "module_", None)
    if isinstance(module, nn.Module) and hasattr(model, "monotonic_cst_"):
        if not is_signnet_estimator(model):
            raise SignnetError(f"certify reads signnet's own estimators, whose predictions are their module_; a "
                               f"{type(model).__name__} may predict with more than its module_: certify the "
                               f"module itself, certify(model.module_, monotonic_cst=...).")
        from signnet.estimators._base import audit_module

        names = getattr(model, "feature_names_in_", None)  # predict's map: module_, standardised in float64
        return audit_module(model), model.monotonic_cst_, None if names is None else [str(f) for f in names]
    if any(callable(getattr(model, m, None)) for m in METHODS):
        raise SignnetError(f"certify proves properties of torch modules; {type(model).__name__} is not one: "
                           "use find_violation or dominance_violations.")
    raise SignnetError(f"certify needs a torch.nn.Module, got a {type(model).__name__}; pass the network itself.")


def _input_names(shape: tuple, per_channel: bool, names: list | None) -> list[str]:
    """``"c0"``, ... per channel; an estimator's ``feature_names_in_`` when they fit; else ``"x0"``, ..."""
    if per_channel:
        return [f"c{c}" for c in range(shape[0])]
    n = math.prod(shape)
    return list(names) if names is not None and len(names) == n else [f"x{i}" for i in range(n)]


def _proved(monotone: list, cst: list[int]) -> list[bool | None]:
    """Per input: every output's entry is ``cst[i]`` or 0 (True), some is not (False), free (None)."""
    return [None if c == 0 else all(row[i] in (0, c) for row in monotone) for i, c in enumerate(cst)]


def certify(model, *, input_shape=None, head: str | None = None, per_channel: bool = False,
            strict: bool = False, monotonic_cst=None, device=None) -> Certificate:
    """Prove, from the weights alone, in which inputs each output is monotone (Theorem 1.1, Lemma 1.1).

    Args:
        model: an ``nn.Sequential`` (nesting allowed, e.g. :class:`signnet.MLP`) of
            ``Linear``/``SignedLinear``, ``Conv1d/2d/3d``/``SignedConv2d``, pooling,
            ``Flatten``, ``Unflatten``, ``Identity``, ``Dropout`` and element-wise
            activations, computing exactly their composition; any other model is
            refused (module docstring). Or a fitted signnet estimator (exactly
            ``MonotoneRegressor``, ``MonotoneClassifier`` or ``MonotoneOrdinalClassifier``;
            a subclass may predict otherwise and raises): its ``module_`` is certified
            against its ``monotonic_cst_``. Any other object (e.g. a
            gradient-boosted tree) raises: certify proves properties of torch modules.
        input_shape: the shape of one sample, e.g. ``(1, 28, 28)``; needed unless
            the model starts with a ``Linear`` layer.
        head: ``"binary"``, ``"softmax"`` or ``"regression"``; default ``model.head``
            if present. ``"softmax"`` certifies the logit differences.
        per_channel: report per input channel (dimension 0 of ``input_shape``),
            the union of the entries of its pixels.
        strict: raise the refusal as a :class:`~signnet.errors.SignnetError`
            instead of returning a refused certificate.
        monotonic_cst: ``-1``/``0``/``1`` per input (per channel with ``per_channel``), or a
            dict keyed by an estimator's feature names: the certificate then says per
            constrained input whether its direction is proved for every output
            (:attr:`Certificate.proved`) and names the free inputs, about which it proves
            nothing. The entries themselves do not depend on it: each is a claim for every
            value of the other inputs, free ones included. Default: an estimator's
            ``monotonic_cst_``, a :class:`signnet.MonotoneMLP`'s ``monotonic_cst`` or the one a
            :class:`signnet.MLP` was built with, else none.
        device: where the sign propagation runs (``"auto"``, ``"cpu"``, ``"cuda"``, a
            ``torch.device``); default the CPU. The 0/1 arithmetic is exact, so the
            certificate is the same on every device.

    Returns:
        A :class:`Certificate` of the parameters as they are now; ``refused`` (no
        entries, ``reason`` set) when the model is not what certify can read.

    Shape:
        ``monotone``: (n_outputs, n_inputs) nested lists, ``n_outputs`` = K (K - 1) / 2
        for a K-logit softmax; ``n_inputs`` = prod(input_shape), or C per channel.

    Raises:
        SignnetError: non-finite weights or settings, an input shape that is unknown
            or does not fit, a certificate too large, or (``strict=True``) a refusal.

    Examples:
        >>> from signnet import dnn_plus
        >>> certify(dnn_plus(2, (4,))).monotone
        [[1, 1]]
    """
    start = time.perf_counter()
    estimator = None if isinstance(model, nn.Module) else model
    model, declared, names = _unwrap(model)
    dev = resolve_device(device)
    cst = monotonic_cst if monotonic_cst is not None else declared
    head = getattr(model, "head", None) if head is None else head
    try:
        with torch.no_grad():
            leaves = admitted_leaves(model)
            rounding = rounding_of(model) if estimator is None else FLOAT64_STEP  # estimators predict in float64
            stages = [build_stage(i, name, m, rounding) for i, (name, m) in enumerate(leaves)]
            shape = _input_shape(stages, input_shape)
            if per_channel and len(shape) < 2:
                raise SignnetError(f"per_channel needs an input shape (C, ...) with pixels; got {shape}.")
            width_of = "the model's input, per channel," if per_channel else "the model's input"
            cst = None if cst is None else as_monotonic_cst(cst, shape[0] if per_channel else math.prod(shape),
                                                            names, width_of=width_of).tolist()
            move_stages(stages, dev)
            with on(dev):
                cvx, ccv = forward(stages, shape)
    except Refusal as refusal:
        if strict:
            raise SignnetError(str(refusal)) from None
        if cst is not None:  # the input size is unread: check the values, not the length
            n = len(names) if isinstance(cst, dict) and names is not None else np.asarray(cst, dtype=object).size
            cst = as_monotonic_cst(cst, n, names).tolist()
        return Certificate([], [], [], [], [], time.perf_counter() - start, reason=str(refusal), monotonic_cst=cst)
    with torch.no_grad(), on(dev):
        n_raw = cvx.numel()
        units = max([math.prod(shape)] + [math.prod(s.in_shape) for s in stages])
        if n_raw * units > _MAX_STATE:
            raise SignnetError(f"A certificate of {n_raw} outputs over layers of up to {units} units is too large; "
                               "certify a model with fewer outputs (e.g. end it with a small Linear layer).")
        eye = torch.eye(n_raw, dtype=F32).reshape(n_raw, *cvx.shape)
        states = backward(stages, eye, torch.zeros_like(eye))
    pairs = logit_pairs(n_raw) if head == "softmax" else [(j, None) for j in range(n_raw)]
    trace = {"stages": stages, "states": states, "shape": shape, "per_channel": per_channel, "pairs": pairs,
             "device": dev}
    p0, n0 = state(trace, 0)
    if per_channel:
        p0, n0 = (t.reshape(len(pairs), shape[0], -1).any(dim=2) for t in (p0, n0))
    code = torch.where(p0 & n0, 2, torch.where(p0, 1, torch.where(n0, -1, 0))).tolist()
    cv, cc = (cvx.reshape(-1) > 0).tolist(), (ccv.reshape(-1) > 0).tolist()
    flags = [(cv[h] and cc[k], cc[h] and cv[k]) if k is not None else (cv[h], cc[h]) for h, k in pairs]
    monotone = [[None if v == 2 else v for v in row] for row in code]
    return Certificate(
        monotone=monotone,
        convex=["affine" if a and b else "convex" if a else "concave" if b else None for a, b in flags],
        outputs=output_names(n_raw, head),
        inputs=_input_names(shape, per_channel, names),
        layers=[f"{i}: {type(m).__name__}" for i, (_, m) in enumerate(leaves)],
        seconds=time.perf_counter() - start, _trace=trace, monotonic_cst=cst,
        proved=None if cst is None else _proved(monotone, cst))
