"""Networks that are monotone by construction in chosen features: :class:`MonotoneMLP`.

Each architecture constrains the signs of the weights so that every path from an
input to the output has a known sign (Theorem 1.1 of Wang et al., "Why do
networks need negative weights?", applied path by path: :func:`signnet.certify`
proves it from the weights). ``monotonic_cst[i]`` is +1 (non-decreasing in
``x_i``), -1 (non-increasing) or 0 (free). Free features enter only through the
unconstrained weights of the first layer, so the guarantee holds for every value
of them. The three architectures differ in what they can represent:

``"dnn+"``
    The paper's DNN+ (Definitions 1.1/1.2, Theorem 1.1), with a signed first
    layer: the columns of +1 features are ``>= 0``, those of -1 features ``<= 0``,
    free columns unconstrained; every later layer ``>= 0``; the output layer is
    affine. With a convex non-decreasing activation (relu, leaky_relu, elu,
    softplus) it is a **convex** function of the whole input (the first layer is
    affine whatever its signs), so it cannot represent a concave or S-shaped
    effect: it is not universal for monotone functions. With tanh or sigmoid it
    is not convex in general (and ``certify`` does not claim it).
``"mixed"``
    Runje & Shankaranarayana, "Constrained Monotonic Neural Networks", ICML 2023:
    the same signs as ``"dnn+"``, and each hidden layer's units split between a
    convex ``rho``, its reflection ``-rho(-x)`` and a saturated blend
    (:class:`~signnet.nn.activations.MixedActivation`). They prove such networks
    approximate every continuous monotone function on a compact set (with enough
    width and depth: their result is about multi-layer networks).
``"alternating"``
    Sartor, Sinigaglia & Susto, "Advancing Constrained Monotonic Neural Networks:
    Achieving Universal Approximation Beyond Bounded Activations", ICML 2025:
    with a convex monotone activation (ReLU), non-negative weights give only
    convex functions, while **non-positive** weights (equivalently, activations
    that saturate on alternating sides) give universal approximators of monotone
    functions, given enough depth: with ONE hidden layer the output is a
    non-positive combination of convex units, a concave function (``certify``
    reports it). Here every layer after the first is ``<= 0``; the first layer's
    column signs are ``monotonic_cst`` times ``(-1) ** len(hidden)``, the sign of
    the product of the later layers, so every path from a +1 feature is
    non-negative and every path from a -1 feature non-positive.

Initialisation. ``init="sign"`` (default): :func:`signnet.nn.init.sign_init_network_`,
sign-aware variance scaling layer by layer on a fixed standard normal probe
(pre-activations of mean 0 and variance 1, output variance 1/3). ``init="abs"``
(data-free, in the spirit of LSUV, Mishkin & Matas, "All you need is a good
init", ICLR 2016): after the layers' own initialisation
(torch's magnitudes, given their signs), a fixed probe of 512 standard normal
inputs (a private generator, seed 0) is passed through the network, and each
affine layer's rows are rescaled by positive factors and its bias shifted so that
every pre-activation has mean 0 and standard deviation 1 on the probe. Positive
factors keep every sign. It matters most for ``"alternating"``, whose non-positive
layers otherwise push most pre-activations below 0: measured on 5 standard normal
features, hidden (32, 32), 3 seeds, 93 % of its second layer's pre-activations
start below 0 without it and 35 % with it. The probe stands for standardised
inputs; on other scales the pre-activations are not standardised, but the signs,
and so the guarantee, are unaffected.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import nn

from signnet.errors import SignnetError, choice_error
from signnet.nn.activations import ACTIVATIONS, CONVEX_FUNCTIONS, MixedActivation, make_activation, mixed_counts
from signnet.nn.enforce import check_method
from signnet.nn.init import sign_init_network_
from signnet.nn.layers import SignedLinear
from signnet.validation import check_sizes, is_integer

MONOTONE_ARCHITECTURES = ("dnn+", "mixed", "alternating")
MONOTONE_HEADS = ("regression", "binary")
INITS = ("abs", "sign")
PROBE_SIZE = 512  # inputs of the initialisation probe


def check_monotonic_cst(monotonic_cst, name: str = "monotonic_cst") -> tuple[int, ...]:
    """``monotonic_cst`` as a tuple of ints in {-1, 0, 1}, at least one entry, else SignnetError."""
    if isinstance(monotonic_cst, (str, bytes)) or not hasattr(monotonic_cst, "__iter__"):
        raise SignnetError(f"`{name}` must be a sequence of -1, 0 and 1, one per feature, got {monotonic_cst!r}: "
                           "pass e.g. [1, 0, -1].")
    values = list(monotonic_cst.tolist() if hasattr(monotonic_cst, "tolist") else monotonic_cst)
    bad = [v for v in values if not (is_integer(v) or (isinstance(v, float) and v.is_integer())) or v not in (-1, 0, 1)]
    if not values or bad:
        raise SignnetError(f"`{name}` must hold only -1, 0 and 1, one per feature, got {monotonic_cst!r}: "
                           "pass e.g. [1, 0, -1].")
    return tuple(int(v) for v in values)


def _per_layer(split) -> bool:
    """Whether ``split`` is a sequence of triples (one per hidden layer) rather than one triple."""
    return (not isinstance(split, (str, bytes)) and hasattr(split, "__len__") and len(split) > 0
            and all(hasattr(s, "__len__") and not isinstance(s, (str, bytes)) for s in split))


def _layer_splits(split, n_hidden: int) -> list:
    """One ``split`` triple per hidden layer, each validated by :func:`mixed_counts`, else SignnetError."""
    if not _per_layer(split):
        mixed_counts(1, split)
        return [split] * n_hidden
    splits = list(split)
    if len(splits) != n_hidden:
        raise SignnetError(f"`split` must be one triple or one triple per hidden layer ({n_hidden}), got {len(splits)} "
                           f"triples: pass e.g. (2, 2, 1).")
    for s in splits:
        mixed_counts(1, s)
    return splits


def _split_config(split, splits: list) -> list:
    """``split`` as stored in ``config``: a list of floats, or a list of such lists (one per hidden layer)."""
    if _per_layer(split):
        return [[float(w) for w in s] for s in splits]
    return [float(w) for w in split]


class MonotoneMLP(nn.Sequential):
    """A fully connected network, monotone by construction in the features of ``monotonic_cst``.

    Guarantee: for every value of the free (0) features, the output is
    non-decreasing in each +1 feature and non-increasing in each -1 feature
    (for a binary head: the logit and the probability). It holds after every
    optimiser step with ``method="project"`` (the default) or ``"reparam"``; with
    ``"penalty"`` only once :func:`signnet.sign_violation` is 0.
    ``signnet.certify(model)`` proves it from the weights.

    Args:
        monotonic_cst: one of -1, 0, +1 per input feature (scikit-learn's convention).
        hidden: widths of the hidden layers, e.g. ``(32, 32)``.
        architecture: ``"dnn+"``, ``"mixed"`` (default) or ``"alternating"`` (module docstring).
        activation: the hidden activation, a non-decreasing one of
            :data:`signnet.nn.activations.ACTIVATIONS`; ``"mixed"`` needs a convex one
            (relu, leaky_relu, elu, softplus, identity).
        head: ``"regression"`` (default) or ``"binary"`` (one logit). A softmax head is
            refused: it depends on logit differences, which sign constraints do not
            make monotone.
        out_features: number of outputs (1 for ``"binary"``).
        split: for ``"mixed"``, the ratio of convex : concave : saturated units in
            each hidden layer (:func:`~signnet.nn.activations.mixed_counts`), or one such
            triple per hidden layer (as :func:`signnet.nn.merge.average_networks` builds
            when the layers' exact counts differ in ratio).
        init: ``"sign"`` (default): :func:`signnet.nn.init.sign_init_network_`;
            ``"abs"``: each layer's default magnitudes given their signs, then the
            probe standardisation of the module docstring. Both keep every sign.
        method, transform: how signs are kept (:mod:`signnet.nn.enforce`).
        device, dtype: where and in which precision the parameters live (not stored in ``config``).

    Attributes:
        config: everything needed to rebuild the network (``MonotoneMLP.from_config``,
            :func:`signnet.save` / :func:`signnet.load`).
        head: ``"regression"`` or ``"binary"``.
        monotonic_cst: the constraints, a tuple of ints.

    Shape:
        - Input: ``(N, d)`` with ``d = len(monotonic_cst)``.  - Output: ``(N, out_features)``.

    Examples:
        >>> net = MonotoneMLP([1, 0, -1], hidden=(4,), architecture="alternating")
        >>> [type(m).__name__ for m in net]
        ['SignedLinear', 'ReLU', 'SignedLinear']
        >>> net[0].sign_mask[0].tolist(), net[2].sign_mask[0].tolist()
        ([-1.0, 0.0, 1.0], [-1.0, -1.0, -1.0, -1.0])
    """

    def __init__(self, monotonic_cst, hidden: Sequence[int] = (32, 32), *, architecture: str = "mixed",
                 activation: str = "relu", head: str = "regression", out_features: int = 1,
                 split: Sequence[float] = (2, 2, 1), init: str = "sign", method: str = "project",
                 transform: str = "softplus", device=None, dtype=None):
        cst = check_monotonic_cst(monotonic_cst)
        hidden = check_sizes(hidden, "`hidden`")
        if architecture not in MONOTONE_ARCHITECTURES:
            raise choice_error("architecture", architecture, MONOTONE_ARCHITECTURES)
        if activation not in ACTIVATIONS:
            raise choice_error("activation", activation, ACTIVATIONS)
        if not ACTIVATIONS[activation].monotone:
            raise SignnetError(f"`activation` must be non-decreasing for a monotone network, got {activation!r}: "
                               "use e.g. 'relu'.")
        if architecture == "mixed" and activation not in CONVEX_FUNCTIONS:
            raise SignnetError(f"architecture 'mixed' needs a convex activation, got {activation!r}: "
                               f"use one of {', '.join(CONVEX_FUNCTIONS)}.")
        if head not in MONOTONE_HEADS:
            raise SignnetError(f"`head` of a MonotoneMLP must be 'regression' or 'binary', got {head!r}: a softmax "
                               "depends only on logit differences, which sign constraints do not make monotone.")
        if not is_integer(out_features) or out_features <= 0:
            raise SignnetError(f"`out_features` must be a positive integer, got {out_features!r}.")
        if head == "binary" and out_features != 1:
            raise SignnetError(f"A binary head has one logit, got out_features={out_features}; pass out_features=1.")
        if init not in INITS:
            raise choice_error("init", init, INITS)
        check_method(method, transform)
        splits = _layer_splits(split, len(hidden))  # validated for every architecture, since config stores it
        later = "nonpos" if architecture == "alternating" else "nonneg"
        parity = (-1) ** len(hidden) if architecture == "alternating" else 1
        widths = (len(cst), *hidden, int(out_features))
        layers: list[nn.Module] = []
        for i in range(len(widths) - 1):
            sign = [c * parity for c in cst] if i == 0 else later
            layers.append(SignedLinear(widths[i], widths[i + 1], sign=sign, method=method, transform=transform,
                                       device=device, dtype=dtype))
            if i < len(widths) - 2:
                layers.append(MixedActivation(activation, widths[i + 1], splits[i], device=device, dtype=dtype)
                              if architecture == "mixed"
                              else make_activation(activation))
        super().__init__(*layers)
        self.head = head
        self.monotonic_cst = cst
        self.config = {
            "in_features": len(cst), "out_features": int(out_features), "hidden": list(hidden),
            "architecture": architecture, "activation": activation, "monotonic_cst": list(cst), "head": head,
            "split": _split_config(split, splits), "init": init, "method": method, "transform": transform,
        }
        if init == "sign":
            sign_init_network_(self)
        else:
            self._standardise_()

    @classmethod
    def from_config(cls, config: dict, *, device=None, dtype=None) -> MonotoneMLP:
        """Rebuild a network (new weights) from a :attr:`config`."""
        config = dict(config)
        config.pop("in_features", None)
        return cls(config.pop("monotonic_cst"), config.pop("hidden"), **config, device=device, dtype=dtype)

    def __getitem__(self, idx):
        """A module, or for a slice the chosen modules as a plain ``nn.Sequential`` (e.g. ``net[:2]``: the first hidden layer)."""
        if isinstance(idx, slice):  # names kept, as nn.Sequential's own slicing keeps them
            return nn.Sequential(OrderedDict(list(self._modules.items())[idx]))
        return super().__getitem__(idx)

    @property
    def linear_layers(self) -> list[SignedLinear]:
        """The affine layers, first to last (``len(hidden) + 1`` of them)."""
        return [m for m in self if isinstance(m, SignedLinear)]

    @torch.no_grad()
    def _standardise_(self) -> None:
        """Rescale each layer's rows (positive factors) and shift its bias: pre-activations of mean 0, std 1 on the probe."""
        first = self.linear_layers[0].weight
        probe = torch.randn(PROBE_SIZE, first.shape[1], generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        h = probe.to(device=first.device, dtype=first.dtype)
        for module in self:
            if isinstance(module, SignedLinear):
                pre = module(h)
                mean, std = pre.mean(dim=0), pre.std(dim=0)
                scale = torch.where(std > 1e-6, 1.0 / std.clamp_min(1e-6), torch.ones_like(std))
                weight = module.weight * scale[:, None]
                if module.method == "reparam":
                    module.weight = weight  # through the parametrisation's right inverse
                else:
                    module.weight.copy_(weight)
                module.bias.sub_(mean).mul_(scale)
            h = module(h)

    @torch.no_grad()
    def predict(self, X: torch.Tensor) -> torch.Tensor:
        """Class labels (``binary``: ``P(x) > 0``) or predictions (``regression``)."""
        out = self(X)
        return (out[:, 0] > 0).long() if self.head == "binary" else out

