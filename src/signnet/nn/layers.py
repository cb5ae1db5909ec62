"""Sign-constrained layers: :class:`SignedLinear` and :class:`SignedConv2d`.

Both are ordinary ``torch.nn.Linear`` / ``torch.nn.Conv2d`` subclasses with a
``sign_mask`` buffer (see :mod:`signnet.signs`) and an enforcement ``method``
(see :mod:`signnet.enforce`). ``layer.weight`` is always the weight the layer
uses, so code written for ``nn.Linear`` keeps working. Biases are free, as in
the paper's Definition 1.2 (DNN+: non-negative weights, any biases).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from signnet.errors import SignnetError
from signnet.nn.enforce import SignReparametrization, check_method
from signnet.nn.init import check_init, sign_init_
from signnet.nn.signs import describe_mask, flip_mask, sign_mask
from signnet.validation import is_integer


class _SignConstrained:
    """Shared behaviour of signed layers: initialisation, projection, penalty, flips."""

    def _setup_sign(self, sign, method: str, transform: str, strength: float, init: str = "abs") -> None:
        check_method(method, transform)
        self.init = check_init(init)
        try:
            value = float(strength) if not isinstance(strength, (bool, str, bytes)) else math.nan
        except (TypeError, ValueError):
            value = math.nan
        if not 0 <= value < math.inf:
            raise SignnetError(f"Penalty strength {strength!r} must be a finite number >= 0; pass e.g. strength=1.0.")
        self.method, self.transform, self.strength = method, transform, float(strength)
        mask = sign_mask(sign, self.weight.shape)  # +1 / -1 / 0 per weight, on the weight's device and dtype
        self.register_buffer("sign_mask", mask.to(device=self.weight.device, dtype=self.weight.dtype))
        self._init_signed(self.weight)
        if method == "reparam":
            parametrize.register_parametrization(self, "weight", SignReparametrization(self.sign_mask, transform))

    @torch.no_grad()
    def _init_signed(self, w: torch.Tensor) -> None:
        """Give ``w`` (torch's default initialisation) its sign, in place: ``init="sign"`` draws it again with
        :func:`~signnet.nn.init.sign_init_`; ``init="abs"`` keeps its magnitudes and gives each constrained entry
        its sign."""
        if self.init == "sign":
            sign_init_(w, self.sign_mask, bias=self.bias)
        else:
            w.copy_(torch.where(self.sign_mask == 0, w, self.sign_mask * w.abs()))

    @torch.no_grad()
    def reset_parameters(self) -> None:
        """torch's initialisation of the layer, then its sign's, as at construction (sign constraints kept).

        Under ``method="reparam"`` the new weight is written through the parametrization's right inverse.
        """
        if "sign_mask" not in self._buffers:  # torch's constructor calls this before the mask exists
            super().reset_parameters()
            return
        if not parametrize.is_parametrized(self, "weight"):
            super().reset_parameters()
            self._init_signed(self.weight)
            return
        w = torch.empty_like(self.parametrizations.weight.original)
        torch.nn.init.kaiming_uniform_(w, a=math.sqrt(5))  # torch's default for Linear and Conv weights
        super().reset_parameters()  # the bias (its weight line writes into a computed copy: no effect)
        self._init_signed(w)
        self.weight = w

    def _uniform_sign(self) -> float | None:
        """The sign shared by every entry of the mask, or ``None`` for a mixed mask (cached).

        The cache holds the mask tensor itself with its version counter and storage: ``.to()`` /
        ``.double()`` replace the buffer by a new tensor, in-place writes (``flip``, ``load_state_dict``)
        bump the version, ``mask.data = ...`` swaps the storage, and each recomputes. (An ``id()`` key
        was stale when a new mask reused a freed one's address: a flipped weight was then projected as
        if the mask were all +1.)
        """
        mask = self.sign_mask
        if mask.is_inference():  # built under torch.inference_mode: no version counter to key a cache on
            values = torch.unique(mask)
            return float(values.item()) if values.numel() == 1 else None
        cached = self.__dict__.get("_uniform_key")
        if cached is None or cached[0] is not mask or cached[1] != mask._version \
                or cached[2].untyped_storage().data_ptr() != mask.untyped_storage().data_ptr():
            values = torch.unique(mask)
            self.__dict__["_uniform_cache"] = float(values.item()) if values.numel() == 1 else None
            # a view of the storage is kept with the key, so a new one (``mask.data = ...``) cannot reuse its
            # address; a tensor (not the storage object) so that the module still pickles and torch.saves
            self.__dict__["_uniform_key"] = (mask, mask._version, mask.detach())
        return self._uniform_cache

    @torch.no_grad()
    def project_(self):
        """Zero the entries on the wrong side of their sign (only for ``method="project"``).

        A uniform mask projects with one in-place clamp; a mixed mask with a masked fill.
        """
        if self.method == "project":
            w, uniform = self.weight, self._uniform_sign()
            if uniform == 1:
                w.clamp_(min=0)
            elif uniform == -1:
                w.clamp_(max=0)
            elif uniform is None:
                w.masked_fill_(self.sign_mask * w < 0, 0.0)
        return self

    def penalty(self) -> torch.Tensor:
        """``strength * sum(relu(-s * w) ** 2)`` for ``method="penalty"``, else 0 (a scalar)."""
        if self.method != "penalty":
            return self.weight.new_zeros(())
        uniform = self._uniform_sign()
        if uniform == 0:
            return self.weight.new_zeros(())
        wrong = -self.weight if uniform == 1 else self.weight if uniform == -1 else -self.sign_mask * self.weight
        return self.strength * F.relu(wrong).square().sum()

    @torch.no_grad()
    def flip(self, indices):
        """Negate the sign of chosen weights, and the weights themselves, in place.

        Args:
            indices: weight positions, e.g. ``[(0, 1)]`` for the weight from
                input 1 to unit 0. Each must be a constrained (non-free) entry.

        This is how the paper's Figure 1 turns a DNN+ into a network that solves
        XOR: one weight of a non-negative layer is made non-positive.
        """
        new_mask = flip_mask(self.sign_mask, indices)
        changed = new_mask != self.sign_mask
        weight = self.weight.detach().clone()
        weight[changed] = -weight[changed]
        self.sign_mask.copy_(new_mask)
        if self.method == "reparam":
            param = self.parametrizations.weight
            param[0].set_mask(new_mask)
            param.original.copy_(param[0].right_inverse(weight))
        else:
            self.weight.copy_(weight)
        return self

    def _sign_repr(self) -> str:
        return f"sign={describe_mask(self.sign_mask)}, method={self.method}"


class SignedLinear(_SignConstrained, nn.Linear):
    r"""Affine layer ``y = x W^T + b`` whose weights obey a sign mask.

    With ``sign="nonneg"`` it is the paper's dominance-preserving affine map
    (Lemma 1.1 of Wang et al.): ``x >= y`` element-wise implies ``T(x) >= T(y)``.

    Args:
        in_features: size of each input sample, ``H_in``.
        out_features: size of each output sample, ``H_out``.
        bias: learn an additive bias (always free in sign). Default ``True``.
        sign: a sign specification (:func:`signnet.signs.sign_mask`): ``"free"``,
            ``"nonneg"``, ``"nonpos"``, a ``(H_out, H_in)`` mask of +1/-1/0 or a
            length-``H_in`` ``monotonic_cst`` vector. Default ``"free"``.
        method: ``"project"``, ``"reparam"`` or ``"penalty"`` (:mod:`signnet.enforce`).
        transform: for ``"reparam"``: ``"abs"``, ``"softplus"``, ``"exp"``, ``"square"``.
        strength: for ``"penalty"``: the penalty's weight.
        init: ``"abs"`` (default) keeps torch's default magnitudes and gives each
            constrained weight its sign, ``w = s |w|``: the behaviour the paper studies'
            stored numbers were produced with, kept as the default so they reproduce.
            Its one-signed weights have a non-zero mean, so pre-activations drift and
            grow with width and depth. ``"sign"`` uses :func:`signnet.nn.sign_init_`
            (half-normal magnitudes scaled for unit pre-activation variance on
            standardised inputs); inside an :class:`~signnet.nn.MLP` every layer is
            initialised for the inputs it actually gets.
        device, dtype: where and in which precision the weight, bias and sign
            mask live, as ``torch.nn.Linear`` takes them.

    Shape:
        - Input: ``(N, *, H_in)``.  - Output: ``(N, *, H_out)``.

    Examples:
        >>> layer = SignedLinear(3, 2, sign="nonneg")
        >>> bool((layer.weight >= 0).all())
        True
        >>> layer.flip([(0, 1)]).sign_mask
        tensor([[ 1., -1.,  1.],
                [ 1.,  1.,  1.]])
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, sign="free",
                 method: str = "project", transform: str = "softplus", strength: float = 1.0,
                 init: str = "abs", device=None, dtype=None):
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not is_integer(value) or value <= 0:
                raise SignnetError(f"`{name}` must be a positive integer, got {value!r}.")
        super().__init__(int(in_features), int(out_features), bias=bias, device=device, dtype=dtype)
        self._setup_sign(sign, method, transform, strength, init)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, {self._sign_repr()}"


class SignedConv2d(_SignConstrained, nn.Conv2d):
    """2-D convolution whose kernel obeys a sign mask.

    Args:
        in_channels, out_channels, kernel_size, stride, padding, bias: as ``torch.nn.Conv2d``. ``bias``
            must be ``True`` or ``False``: ``nn.Conv2d``'s sixth positional argument is ``dilation``,
            which, like ``groups`` and ``padding_mode``, this layer does not take, so
            ``SignedConv2d(1, 8, 3, 1, 1, 2)`` is refused rather than read as ``bias=2``.
        sign: a sign specification: a name, a mask of the kernel's shape
            ``(C_out, C_in, kh, kw)`` or a length-``C_in`` per-input-channel vector.
        method, transform, strength, init, device, dtype: as :class:`SignedLinear`.

    Shape:
        - Input: ``(N, C_in, H, W)``.  - Output: ``(N, C_out, H_out, W_out)``.

    With ``sign="nonneg"`` and non-decreasing activations a CNN preserves
    element-wise dominance of images, exactly as the paper's Theorem 1.1.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 bias: bool = True, *, sign="free", method: str = "project",
                 transform: str = "softplus", strength: float = 1.0, init: str = "abs", device=None, dtype=None):
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not is_integer(value) or value <= 0:
                raise SignnetError(f"`{name}` must be a positive integer, got {value!r}.")
        if not isinstance(bias, bool):
            raise SignnetError(f"`bias` must be True or False, got {bias!r} (nn.Conv2d's sixth positional argument is "
                               "dilation, which SignedConv2d does not take); pass bias=True or bias=False.")
        super().__init__(int(in_channels), int(out_channels), kernel_size, stride=stride, padding=padding, bias=bias,
                         device=device, dtype=dtype)
        self._setup_sign(sign, method, transform, strength, init)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, {self._sign_repr()}"
