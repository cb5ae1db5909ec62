"""The paper's networks: a DNN (free weights) and a DNN+ (non-negative weights).

:class:`MLP` is an ordinary ``torch.nn.Sequential`` of :class:`~signnet.layers.SignedLinear`
layers and activations, ending in an **affine** output layer.

Why the output layer is affine: the paper's Definition 1.1 applies the ReLU to
the output layer too, ``P(x) = sigma(W^(L) ... )``, so ``P(x) >= 0`` and the
prediction ``sigmoid(P(x)) >= 1/2`` for every input: such a network can never
predict class 0 with confidence. signnet leaves the last layer affine; this
changes nothing in Theorem 1.1, since an affine map with non-negative weights
preserves dominance (Lemma 1.1).

Heads (how the outputs are read, and which loss :func:`signnet.fit` uses):

``"binary"``   one logit ``P(x)``; ``F(x) = sigmoid(P(x))``; class 1 when ``P(x) > 0``.
``"softmax"``  K logits; the class is the arg-max. A softmax depends only on the
               *differences* of logits, so a DNN+ with a softmax head is **not**
               monotone in general: non-negative weights make every logit
               non-decreasing, not their differences.
``"regression"``  the outputs are the predictions.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import nn

from signnet.errors import SignnetError, choice_error
from signnet.nn.activations import make_activation
from signnet.nn.init import check_init, sign_init_network_
from signnet.nn.layers import SignedLinear
from signnet.validation import is_integer

HEADS = ("binary", "softmax", "regression")


def _positive_int(name: str, value) -> int:
    if not is_integer(value) or value <= 0:
        raise SignnetError(f"`{name}` must be a positive integer, got {value!r}.")
    return int(value)


def _warn_unless_kept(later: list, flips) -> None:
    """``monotonic_cst`` holds when every later layer is one-signed with an even number of non-positive ones."""
    if any(not (isinstance(s, str) and s in ("nonneg", "nonpos")) for s in later) or any((flips or {}).values()):
        warnings.warn("monotonic_cst sets the first layer's signs, but the later layers given (a mask, a per-input "
                      "vector, or flips) need not keep its directions on every path; check the network with "
                      "signnet.certify(net).satisfies_monotonic_cst.", UserWarning, stacklevel=3)
    elif sum(s == "nonpos" for s in later) % 2:
        warnings.warn("monotonic_cst sets the first layer's signs, but an odd number of later layers is 'nonpos', "
                      "which reverses every direction: the network is non-increasing in the +1 features. Make the "
                      "count of 'nonpos' layers even, or leave the later layers at 'nonneg'.", UserWarning,
                      stacklevel=3)


class MLP(nn.Sequential):
    """A fully connected network with a sign specification for each layer.

    Args:
        in_features: input dimension ``d``.
        hidden: widths of the hidden layers, e.g. ``(16, 16)``; ``()`` for none.
        out_features: number of outputs (1 for ``"binary"``, K for ``"softmax"``).
        activation: name of the hidden activation (:data:`signnet.activations.ACTIVATIONS`).
        weights: a sign specification applied to every layer (``"free"`` gives the
            paper's DNN, ``"nonneg"`` its DNN+), or a list with one per layer.
        method, transform, strength: how signs are enforced (:mod:`signnet.enforce`).
        head: ``"binary"``, ``"softmax"`` or ``"regression"``.
        monotonic_cst: optional per-feature +1/-1/0 for the first layer
            (scikit-learn convention). The later layers then default to
            ``"nonneg"``, so the network is non-decreasing in the +1 features and
            non-increasing in the -1 features (given monotone activations).
        flips: optional ``{layer_index: [(row, col), ...]}`` weights whose sign
            is flipped after construction (the paper's Figure 1).
        init: ``"abs"`` (default: torch's default magnitudes made one-signed, as the
            paper studies ran, so their stored numbers reproduce) or ``"sign"``
            (:func:`signnet.nn.sign_init_network_`: each constrained layer gets
            pre-activations of mean 0 and variance 1 on standard normal inputs; free
            layers keep torch's default). Draws from torch's global generator, as
            torch's own initialisation does.
        device, dtype: passed to every layer, as ``torch.nn.Linear`` takes them (not stored in
            ``config``: a checkpoint loads on the CPU, in the dtype of its saved weights).

    Shape:
        - Input: ``(N, d)``.  - Output: ``(N, out_features)``.

    Examples:
        >>> net = MLP(2, hidden=(3,), weights="nonneg")
        >>> [type(m).__name__ for m in net]
        ['SignedLinear', 'ReLU', 'SignedLinear']
    """

    def __init__(self, in_features: int, hidden: Sequence[int] = (16, 16), out_features: int = 1, *,
                 activation: str = "relu", weights="free", method: str = "project",
                 transform: str = "softplus", strength: float = 1.0, head: str = "binary",
                 monotonic_cst=None, flips=None, init: str = "abs", device=None, dtype=None):
        in_features = _positive_int("in_features", in_features)
        out_features = _positive_int("out_features", out_features)
        hidden = tuple(_positive_int("hidden width", h) for h in hidden)
        if head not in HEADS:
            raise choice_error("head", head, HEADS)
        check_init(init)
        if head == "binary" and out_features != 1:
            raise SignnetError(f"A binary head has one logit, got out_features={out_features}; use head='softmax'.")
        widths = (in_features, *hidden, out_features)
        n_layers = len(widths) - 1
        if isinstance(weights, str) or not isinstance(weights, (list, tuple)):
            specs = [weights] * n_layers
        else:
            specs = list(weights)
            if len(specs) != n_layers:
                raise SignnetError(f"`weights` lists {len(specs)} sign specifications for {n_layers} layers; give one per layer.")
        if monotonic_cst is not None:
            specs = [list(monotonic_cst)] + ["nonneg" if s == "free" else s for s in specs[1:]]
            _warn_unless_kept(specs[1:], flips)
        layers: list[nn.Module] = []
        for i in range(n_layers):
            layers.append(SignedLinear(widths[i], widths[i + 1], sign=specs[i], method=method,
                                       transform=transform, strength=strength, device=device, dtype=dtype))
            if i < n_layers - 1:
                layers.append(make_activation(activation))
        super().__init__(*layers)
        if init == "sign":
            sign_init_network_(self)
        self.head = head
        self.config = {
            "in_features": in_features, "hidden": list(hidden), "out_features": out_features,
            "activation": activation, "weights": weights if isinstance(weights, str) else [_plain(s) for s in specs],
            "method": method, "transform": transform, "strength": strength, "head": head,
            "monotonic_cst": None if monotonic_cst is None else [int(c) for c in monotonic_cst],
            "flips": None, "init": init,
        }
        if flips:
            self.flip(flips)

    def __getitem__(self, idx):
        """A module, or for a slice the chosen modules as a plain ``nn.Sequential`` (e.g. ``net[:2]``: the first hidden layer)."""
        if isinstance(idx, slice):  # names kept, as nn.Sequential's own slicing keeps them
            return nn.Sequential(OrderedDict(list(self._modules.items())[idx]))
        return super().__getitem__(idx)

    @property
    def linear_layers(self) -> list[SignedLinear]:
        """The affine layers, first to last (``len(hidden) + 1`` of them)."""
        return [m for m in self if isinstance(m, SignedLinear)]

    def flip(self, flips: dict) -> MLP:
        """Flip the sign of chosen weights: ``{layer_index: [(row, col), ...]}``.

        ``layer_index`` counts affine layers from 0 (the first hidden layer).
        Recorded in ``config`` so that a checkpoint rebuilds the same network.
        """
        layers = self.linear_layers
        clean = {}
        for key, indices in flips.items():
            k = int(key)
            if not 0 <= k < len(layers):
                raise SignnetError(f"Layer index {k} is out of range; this network has affine layers 0..{len(layers) - 1}.")
            pairs = [tuple(int(i) for i in idx) for idx in indices]
            layers[k].flip(pairs)
            clean.setdefault(str(k), []).extend([list(p) for p in pairs])
        previous = self.config.get("flips") or {}
        for k, v in clean.items():
            previous.setdefault(k, []).extend(v)
        self.config["flips"] = previous
        return self

    @torch.no_grad()
    def predict(self, X: torch.Tensor) -> torch.Tensor:
        """Class labels (``binary``: ``P(x) > 0``; ``softmax``: arg-max) or predictions (``regression``)."""
        out = self(X)
        if self.head == "binary":
            return (out[:, 0] > 0).long()
        if self.head == "softmax":
            return out.argmax(dim=1)
        return out


def _plain(spec):
    if isinstance(spec, str):
        return spec
    return torch.as_tensor(spec).tolist()


def dnn(in_features: int, hidden: Sequence[int] = (16, 16), **kwargs) -> MLP:
    """The paper's DNN (Definition 1.1, with an affine output): every weight free."""
    return MLP(in_features, hidden, weights="free", **kwargs)


def dnn_plus(in_features: int, hidden: Sequence[int] = (16, 16), **kwargs) -> MLP:
    """The paper's DNN+ (Definition 1.2): every weight non-negative, biases free.

    With non-decreasing activations it preserves element-wise dominance (Theorem 1.1);
    with ReLU-family (convex, non-decreasing) activations it is also convex.
    """
    return MLP(in_features, hidden, weights="nonneg", **kwargs)
