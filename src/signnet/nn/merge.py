"""Averaging monotone networks exactly into one: :func:`average_networks`, :func:`stack_networks`.

``R`` :class:`~signnet.nn.monotone.MonotoneMLP` of one configuration (same ``monotonic_cst``,
widths ``h_1..h_L``, architecture, activation, head, ``split``) are put side by side in one
``MonotoneMLP`` of widths ``R h_1 .. R h_L``:

* the first layer is the members' first layers stacked (every member reads every input);
* every later hidden layer is block-diagonal: member ``r``'s weights in its block, zeros
  between members, so no unit reads another member's units;
* :func:`stack_networks` keeps the ``R * out`` outputs side by side (member ``r``'s in
  rows ``r*out .. (r+1)*out - 1``); :func:`average_networks` puts the members' last layers
  side by side divided by ``R``, with the mean of their biases, so the output is
  ``(1/R) sum_r f_r(x)``, the mean of the predictions, or of the logits for a binary head (exact
  in real arithmetic; dividing by ``R`` rounds in floating point).

The merged weights obey the same sign constraints: every member's entries keep their signs,
and the zeros off the blocks satisfy every constraint (``>= 0`` and ``<= 0`` alike), so
:func:`signnet.certify` proves the merged network monotone in the same directions, path by path
(Theorem 1.1 of Wang et al.; an average of functions monotone in the same directions is monotone
in them). With ``architecture="mixed"`` a :class:`~signnet.nn.activations.MixedActivation`
groups its units by type (convex, concave, saturated: contiguous), so the merged layer lists
the convex units of member 0, 1, ..., then the concave units of every member, then the saturated
ones, and is built with ``split`` = the members' exact counts times ``R`` (one triple per layer
when the layers' counts differ in ratio).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from signnet.errors import SignnetError
from signnet.nn._rng import forked_rng
from signnet.nn.activations import mixed_counts
from signnet.nn.monotone import MonotoneMLP

__all__ = ["average_networks", "stack_networks"]


_SHAPE_KEYS = ("in_features", "out_features", "hidden", "architecture", "activation", "monotonic_cst", "head",
               "method", "transform")


def _members(nets: Sequence[MonotoneMLP]) -> tuple[list[MonotoneMLP], dict]:
    """The members as a list and their shared config; SignnetError if they cannot be merged."""
    if isinstance(nets, MonotoneMLP):
        nets = [nets]
    elif isinstance(nets, (str, bytes)) or not hasattr(nets, "__iter__"):
        raise SignnetError(f"`nets` must be a non-empty sequence of signnet.MonotoneMLP, got a {type(nets).__name__}: "
                           "pass e.g. [net_a, net_b].")
    nets = list(nets)
    if not nets or not all(isinstance(n, MonotoneMLP) for n in nets):
        raise SignnetError(f"`nets` must be a non-empty sequence of signnet.MonotoneMLP, got "
                           f"{[type(n).__name__ for n in nets] or 'an empty sequence'}: pass e.g. [net_a, net_b].")
    config = nets[0].config
    for i, net in enumerate(nets[1:], start=1):
        # what the function depends on; `init` (the starting weights) and an unused or equivalent `split` do not
        diff = sorted(k for k in _SHAPE_KEYS if config.get(k) != net.config.get(k))
        if not diff and _counts(config) != _counts(net.config):
            diff = ["split (the counts of convex, concave and saturated units)"]
        if diff:
            raise SignnetError(f"`nets` must share one configuration, but nets[{i}] differs from nets[0] in "
                               f"{', '.join(diff)}: build every member with the same MonotoneMLP arguments.")
    with forked_rng():  # only its masks are read: leave the caller's generator alone
        built = [layer.sign_mask.cpu() for layer in MonotoneMLP.from_config(dict(config)).linear_layers]
    for i, net in enumerate(nets):
        if any(not torch.equal(layer.sign_mask.detach().cpu().to(mask.dtype), mask)
               for layer, mask in zip(net.linear_layers, built, strict=True)):
            raise SignnetError(f"nets[{i}] has sign masks other than those its configuration builds (a flip?), "
                               "which the merged network, built from the configuration, would not keep: merge "
                               "networks whose masks are those of their MonotoneMLP arguments.")
        for layer in net.linear_layers:
            if bool((layer.sign_mask * layer.weight.detach() < 0).any()):
                raise SignnetError(f"nets[{i}] has weights of the wrong sign (method={layer.method!r}), so an "
                                   "average of it is not monotone: project it first (signnet.project_(net)).")
    return nets, config


def _counts(config: dict) -> list[tuple[int, ...]]:
    """Per hidden layer, the unit groups a member's layer is made of (``mixed``: convex, concave, saturated)."""
    hidden, split = config["hidden"], config["split"]
    splits = split if split and isinstance(split[0], (list, tuple)) else [split] * len(hidden)
    if config["architecture"] != "mixed":
        return [(h,) for h in hidden]
    return [mixed_counts(h, s) for h, s in zip(hidden, splits, strict=True)]


def _positions(config: dict, n: int, outputs: str) -> list[list[torch.Tensor]]:
    """``pos[l][r]``: where member ``r``'s units of layer ``l`` sit in the merged layer (``l = 0``: inputs).

    Hidden layers are ordered group by group, member by member inside a group; the outputs are
    member by member (``outputs="stack"``) or shared (``"average"``).
    """
    pos = [[torch.arange(config["in_features"])] * n]
    for groups in _counts(config):
        pos.append(_hidden_positions(groups, n))
    out = config["out_features"]
    pos.append([torch.arange(r * out, (r + 1) * out) if outputs == "stack" else torch.arange(out) for r in range(n)])
    return pos


def _hidden_positions(groups: tuple[int, ...], n: int) -> list[torch.Tensor]:
    """Member ``r``'s units of one hidden layer (``groups``: its group sizes) in the merged layer."""
    member = [[] for _ in range(n)]
    at = 0
    for size in groups:
        for r in range(n):
            member[r].extend(range(at, at + size))
            at += size
    return [torch.tensor(m, dtype=torch.int64) for m in member]


def _build(config: dict, n: int, outputs: str, like: torch.Tensor) -> MonotoneMLP:
    """The empty merged network (weights overwritten next), built without touching torch's global RNG."""
    counts = _counts(config)
    hidden = [n * sum(c) for c in counts]
    if config["architecture"] == "mixed" and counts:
        triples = [tuple(n * k for k in c) for c in counts]
        split = list(triples[0]) if len(set(triples)) == 1 else [list(t) for t in triples]
    else:
        split = config["split"]
    head, out = (config["head"], config["out_features"]) if outputs == "average" else ("regression",
                                                                                       n * config["out_features"])
    with forked_rng():  # init="abs": the cheapest initialisation, overwritten by _fill
        merged = MonotoneMLP(config["monotonic_cst"], hidden, architecture=config["architecture"],
                             activation=config["activation"], head=head, out_features=out, split=split,
                             init="abs", method="project", transform=config["transform"], dtype=like.dtype)
    merged.config["init"] = config["init"]  # what from_config / signnet.load rebuild: the members' initialisation
    acts = [m for m in merged if hasattr(m, "counts")]  # the MixedActivations ("mixed" only)
    for act, c in zip(acts, counts if acts else [], strict=True):
        if act.counts != tuple(n * k for k in c):  # mixed_counts reproduces exact multiples; a guard, not a rounding
            raise SignnetError(f"internal: merged MixedActivation counts {act.counts} != {n} x {c}.")
    return merged.to(like.device)


@torch.no_grad()
def _fill(merged: MonotoneMLP, nets: list[MonotoneMLP], pos, average: bool) -> MonotoneMLP:
    n = len(nets)
    layers = merged.linear_layers
    last = len(layers) - 1
    for i, layer in enumerate(layers):
        weight = torch.zeros_like(layer.weight)
        bias = torch.zeros_like(layer.bias)
        for r, net in enumerate(nets):
            src = net.linear_layers[i]
            rows, cols = pos[i + 1][r], pos[i][r]
            w, b = src.weight.detach().to(weight), src.bias.detach().to(bias)
            if average and i == last:
                weight[:, cols] += w / n  # disjoint columns, except without hidden layers (all inputs)
                bias += b / n
            else:
                weight[rows[:, None], cols[None, :]] = w
                bias[rows] = b
        layer.weight.copy_(weight)
        layer.bias.copy_(bias)
    return merged.eval()


def stack_networks(nets: Sequence[MonotoneMLP]) -> MonotoneMLP:
    """The ``R`` members side by side: ``(N, d) -> (N, R * out)``, member ``r``'s outputs in columns ``r*out..``.

    A ``MonotoneMLP`` with a ``"regression"`` head and block-diagonal later layers (module docstring);
    column block ``r`` of its output is ``nets[r](x)`` (the zeros off the blocks add nothing), so the
    members' predictions can be read, and certified, together.
    """
    nets, config = _members(nets)
    merged = _build(config, len(nets), "stack", nets[0].linear_layers[0].weight)
    return _fill(merged, nets, _positions(config, len(nets), "stack"), average=False)


def average_networks(nets: Sequence[MonotoneMLP]) -> MonotoneMLP:
    """One ``MonotoneMLP`` computing exactly the mean of the members' outputs, ``(1/R) sum_r nets[r](x)``.

    Args:
        nets: ``R >= 1`` networks of one configuration whose weights obey their signs.

    Returns:
        A ``MonotoneMLP`` ``(N, d) -> (N, out)`` with the members' head and ``monotonic_cst``, widths
        ``R h_l``, ``method="project"``; monotone in the same directions (:func:`signnet.certify`
        proves it). Raises :class:`~signnet.errors.SignnetError` for members that differ in
        configuration or have weights of the wrong sign.

    Example:
        >>> a, b = MonotoneMLP([1, 0], (4,)), MonotoneMLP([1, 0], (4,))
        >>> x = torch.randn(3, 2)
        >>> torch.allclose(average_networks([a, b])(x), (a(x) + b(x)) / 2, atol=1e-6)
        True
    """
    nets, config = _members(nets)
    merged = _build(config, len(nets), "average", nets[0].linear_layers[0].weight)
    return _fill(merged, nets, _positions(config, len(nets), "average"), average=True)
