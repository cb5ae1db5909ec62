"""The module types :func:`signnet.theory.certificate.certify` knows, as operators on signs.

Each known leaf becomes a :class:`Stage`: an affine map split by the sign of its
weights (``Linear``, ``SignedLinear``, ``Conv1d/2d/3d``, ``SignedConv2d``, average
pooling), a max (max pooling), a reshape (``Flatten``, ``Unflatten``) or an
element-wise map with three properties (monotone, convex, concave): signnet's
:class:`~signnet.nn.activations.MixedActivation` is monotone, and convex (concave)
only when every unit is (its ``properties()``). Types match
exactly (a subclass may compute anything); the one wrapper accepted is
``torch.nn.utils.parametrize`` with signnet's :class:`~signnet.nn.enforce.SignReparametrization`,
a deterministic function of stored tensors. Anything else is refused.

Signs are read from the values the layer uses *now* (``module.weight``, through
any parametrization), never from its declared sign: a ``method="penalty"`` layer
may hold weights of the wrong sign. They are copied as 0/1 indicators of
``w > 0`` and ``w < 0`` in the weight's own dtype, so no magnitude can underflow
or overflow and later changes to the model do not reach the certificate.

The claims concern the real-valued function each module defines. One exception
is stated here: ``nn.Softplus`` reverts to the identity above ``threshold`` (a
step down of ``log1p(exp(-threshold)) / |beta|``); it counts as the smooth
softplus when that step is below the rounding of the value there in the dtype the
model computes in (relative ``2**-24`` when every floating parameter and buffer is
float32 or narrower, else ``2**-53``: :func:`rounding_of`), and as neither monotone
nor convex otherwise. torch's default ``threshold=20`` gives ``1e-10``: fine in
float32, a real decrease in float64; signnet's softplus (``threshold=40``, also in
:class:`~signnet.nn.activations.MixedActivation`) gives ``1e-19``, fine in both.
"""

from __future__ import annotations

import functools
import math
import numbers
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from signnet.errors import SignnetError
from signnet.nn.activations import (
    CONVEX_FUNCTIONS,
    SOFTPLUS_THRESHOLD,
    MixedActivation,
    activation_info,
)
from signnet.nn.enforce import SignReparametrization
from signnet.nn.layers import SignedConv2d, SignedLinear
from signnet.theory._certificate_checks import refuse

F32 = torch.float32  # every analysis tensor, whatever torch's default dtype
SOFTPLUS_STEP = 2.0 ** -24  # largest relative step of Softplus's reversion counted as float32 rounding
FLOAT64_STEP = 2.0 ** -53
_NARROW = (torch.float32, torch.float16, torch.bfloat16)  # dtypes whose rounding is at least float32's
# element-wise torch activations signnet does not build but certifies: (monotone, convex, concave)
_EXTRA = {nn.ReLU6: (True, False, False), nn.Hardtanh: (True, False, False), nn.Hardsigmoid: (True, False, False),
          nn.Softsign: (True, False, False), nn.SELU: (True, False, False), nn.LogSigmoid: (True, False, True),
          nn.Hardswish: (False, False, False), nn.Mish: (False, False, False)}
_PASS = (nn.Identity, nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d)
_LINEAR = (nn.Linear, SignedLinear)
_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d, SignedConv2d)
_POOL = {nn.MaxPool1d: F.avg_pool1d, nn.MaxPool2d: F.avg_pool2d, nn.AvgPool1d: F.avg_pool1d, nn.AvgPool2d: F.avg_pool2d}
_ADAPTIVE = {nn.AdaptiveAvgPool1d: F.adaptive_avg_pool1d, nn.AdaptiveMaxPool1d: F.adaptive_avg_pool1d,
             nn.AdaptiveAvgPool2d: F.adaptive_avg_pool2d, nn.AdaptiveMaxPool2d: F.adaptive_avg_pool2d}
_WRAPPER_KEYS = {"__deepcopy__", "__doc__", "__getstate__", "__module__"}  # what parametrize's class adds
KNOWN = ("Linear, SignedLinear, Conv1d/2d/3d, SignedConv2d, max/average pooling, Flatten, Unflatten, Identity, "
         "Dropout and element-wise activations")


class Op:
    """A linear map split by sign; ``fwd[s]`` maps a 0/1 batch through the edges of sign ``s``.

    ``forward(x, s)`` and ``vjp(g, s, in_shape)`` are ``> 0`` exactly where a 0/1
    input reaches through an edge of sign ``s`` (forwards, or backwards from outputs).
    """

    def __init__(self, fwd: dict):
        self.fwd = fwd

    def forward(self, x: torch.Tensor, s: int) -> torch.Tensor:
        return self.fwd[s](x) if s in self.fwd else torch.zeros_like(self.fwd[-s](x))

    def vjp(self, g: torch.Tensor, s: int, in_shape: tuple) -> torch.Tensor:
        x = torch.zeros((g.shape[0], *in_shape), dtype=F32, requires_grad=s in self.fwd)
        if s not in self.fwd:
            return x.detach()
        with torch.enable_grad():
            return torch.autograd.grad(self.fwd[s](x), x, g)[0]


class LinearOp(Op):
    """``nn.Linear`` with 0/1 sign matrices ``parts[s]`` of shape ``(H_out, H_in)``: few rows go
    through matrix-vector products (a skinny matrix product is far slower on a CPU), all-zero
    rows and absent signs are skipped."""

    def __init__(self, parts: dict, shape: tuple):
        self.parts, self.shape = parts, shape

    def _apply(self, x: torch.Tensor, s: int, transpose: bool) -> torch.Tensor:
        rows = x.reshape(-1, x.shape[-1])
        n_out = self.shape[1 if transpose else 0]
        out = torch.zeros((rows.shape[0], n_out), dtype=F32)
        if s in self.parts:
            mat = self.parts[s].T if transpose else self.parts[s]
            if rows.shape[0] > 16:
                out = rows @ mat.T
            else:
                for r in range(rows.shape[0]):
                    if bool(rows[r].any()):
                        out[r] = torch.mv(mat, rows[r])
        return out.reshape(*x.shape[:-1], n_out)

    def forward(self, x, s):
        return self._apply(x, s, False)

    def vjp(self, g, s, in_shape):
        return self._apply(g, s, True)


@dataclass
class Stage:
    """One leaf of the model: kind ``"linear"``/``"max"`` (with an :class:`Op`), ``"act"`` or ``"reshape"``."""

    index: int
    name: str
    kind: str
    module: nn.Module
    op: Op | None = None
    info: tuple = (True, True, True)  # (monotone, convex, concave) of an element-wise map
    in_shape: tuple = ()
    check_shape: bool = False  # compare the operator's output shape with the module's own


@functools.cache
def _parametrized_getter():
    """The code object of the property getter ``torch.nn.utils.parametrize`` gives a parametrized tensor."""
    probe = nn.Linear(1, 1)
    parametrize.register_parametrization(probe, "weight", nn.Identity(), unsafe=True)
    return vars(type(probe))["weight"].fget.__code__


def leaf_type(name: str, module: nn.Module) -> type:
    """The module's class, seen through a ``torch.nn.utils.parametrize`` wrapper of signnet's reparametrization."""
    cls = type(module)
    if not parametrize.is_parametrized(module):
        return cls
    # copy.deepcopy (copyreg) caches an empty __slotnames__ on the class: it changes nothing that runs
    slots = {"__slotnames__"} if vars(cls).get("__slotnames__", None) == [] else set()
    extra = sorted(set(vars(cls)) - _WRAPPER_KEYS - slots - set(module.parametrizations.keys()))
    tensors = ("weight", "bias")  # what the layers certify knows compute with
    odd = [key for key in module.parametrizations.keys()
           if key not in tensors or not isinstance(vars(cls).get(key), property)]
    if odd:
        raise refuse(name, module, f"it has a parametrization of '{odd[0]}', which is not a weight or bias "
                                   f"that parametrize exposes as a property")
    if len(cls.__bases__) != 1 or cls.__name__ != f"Parametrized{cls.__bases__[0].__name__}" or extra:
        raise refuse(name, module, f"its class is not torch's parametrize wrapper (it defines {extra})")
    for tensor in module.parametrizations.keys():  # the property must be torch's own getter, not a look-alike
        getter = getattr(vars(cls)[tensor], "fget", None)
        if getattr(getter, "__code__", None) is not _parametrized_getter():
            raise refuse(name, module, f"its {tensor} property is not torch's parametrize getter, so the value "
                                       f"it gives may differ from the value certify reads")
    for tensor, plist in module.parametrizations.items():
        kinds = [type(p).__name__ for p in plist]
        if type(plist) is not parametrize.ParametrizationList or kinds != ["SignReparametrization"] * len(kinds) \
                or any(type(p) is not SignReparametrization for p in plist):
            raise refuse(name, module, f"its {tensor} has a parametrization ({', '.join(kinds)}) that certify "
                                       f"does not know, so the value it uses may differ from the value certify reads")
    return cls.__bases__[0]


def _read(index: int, name: str, module: nn.Module, attr: str) -> tuple[torch.Tensor, float, float]:
    """``(tensor, min, max)`` of the tensor ``module.<attr>`` uses now; finite, or SignnetError."""
    t = getattr(module, attr)
    if type(t) not in (torch.Tensor, nn.Parameter):
        raise refuse(name, module, f"its {attr} is a {type(t).__name__}, not a plain tensor")
    if t.layout != torch.strided or t.device.type == "meta" or not t.is_floating_point():
        raise refuse(name, module, f"its {attr} ({t.dtype}, {t.layout}, on {t.device.type}) holds no real "
                                   f"values certify can read")
    t = t.detach()
    lo, hi = (float(v) for v in torch.aminmax(t)) if t.numel() else (0.0, 0.0)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise SignnetError(f"Module {index} ({type(module).__name__}, '{name}') has NaN or infinite values in its "
                           f"{attr}; a certificate needs finite values: retrain or reload the model.")
    return t, lo, hi


def _sign_parts(index: int, name: str, module: nn.Module, both: bool) -> dict:
    """0/1 float32 indicators ``{1: w > 0, -1: w < 0}`` of the weight on the CPU (absent signs left out
    unless ``both``); the bias is only checked to be finite."""
    w, lo, hi = _read(index, name, module, "weight")
    if getattr(module, "bias", None) is not None:
        b = _read(index, name, module, "bias")[0]
        if tuple(b.shape) != (w.shape[0],):  # e.g. (2, 1): broadcast over the batch, one sample's bias for another
            raise refuse(name, module, f"its bias has shape {tuple(b.shape)}, not ({w.shape[0]},), one entry per "
                                       f"output, so it may mix the samples of a batch")
    w = w.cpu()
    parts = {}
    for s, present, compare in ((1, hi > 0, torch.gt), (-1, lo < 0, torch.lt)):
        if present or both:
            parts[s] = compare(w, 0, out=torch.empty(w.shape, dtype=F32))
    return parts


def _finite_settings(index: int, name: str, module: nn.Module) -> None:
    """Every numeric setting (``negative_slope``, ``alpha``, ...) is a real number whose comparisons mean what
    they say (a Python or numpy number, or a one-element plain tensor) and is finite."""
    # a one-number buffer named like a setting is what the forward reads once the attribute is gone
    scalars = [(key, b) for key, b in module._buffers.items() if b is not None and b.numel() == 1]
    for key, value in [*vars(module).items(), *scalars]:
        if isinstance(value, torch.Tensor):
            ok = type(value) is torch.Tensor and value.numel() == 1 and not value.is_complex()
        elif isinstance(value, numbers.Number):  # numpy registers its real types as numbers.Real
            plain = type(value) in (bool, int, float) or type(value).__module__ == "numpy"
            ok = plain and isinstance(value, numbers.Real)
        else:
            continue
        if not ok:
            raise refuse(name, module, f"its setting {key} is a {type(value).__name__}, not a real Python or "
                                       f"numpy number, so certify cannot trust how it compares")
        try:
            finite = math.isfinite(float(value))
        except OverflowError:  # an int beyond any float
            finite = False
        if not finite:
            raise SignnetError(f"Module {index} ({type(module).__name__}, '{name}') has {key}={value}; "
                               f"a certificate needs finite settings: give {key} a finite value.")


def rounding_of(model: nn.Module) -> float:
    """The relative step of Softplus's reversion that rounding hides in ``model``'s arithmetic.

    ``2**-24`` (half a float32 ulp) when the model has floating tensors and all are float32 or
    narrower (its layers then compute in that dtype); float64's ``2**-53`` otherwise (float64
    tensors, or none that fix the dtype of the input).
    """
    dtypes = {t.dtype for t in [*model.parameters(), *model.buffers()] if t.is_floating_point()}
    return SOFTPLUS_STEP if dtypes and dtypes <= set(_NARROW) else FLOAT64_STEP


def _reversion_hidden(threshold: float, rounding: float) -> bool:
    """Softplus's step down at ``threshold`` (relative ``log1p(exp(-t)) / t``) is within ``rounding``."""
    return threshold > 0 and math.log1p(math.exp(-threshold)) / threshold <= rounding


def _softplus(index: int, name: str, module: nn.Softplus, rounding: float) -> tuple[bool, bool, bool]:
    beta, threshold = float(module.beta), float(module.threshold)
    if beta == 0:
        raise SignnetError(f"Module {index} (Softplus, '{name}') has beta=0, which divides by zero; "
                           "use a non-zero beta.")
    if _reversion_hidden(threshold, rounding):
        info = activation_info(module)
        return info.monotone, info.convex, info.concave
    return False, False, False


def _mixed(name: str, module: MixedActivation, rounding: float) -> tuple[bool, bool, bool]:
    """(monotone, convex, concave) of a MixedActivation whose settings are still those its forward can run."""
    counts = getattr(module, "counts", None)
    ok = isinstance(counts, tuple) and len(counts) == 3 and all(type(c) is int and c >= 0 for c in counts)
    if module.activation not in CONVEX_FUNCTIONS or not ok or sum(counts) != module.n_units:
        raise refuse(name, module, f"its settings (activation={module.activation!r}, counts={counts!r}, "
                                   f"n_units={module.n_units!r}) are not those of a MixedActivation it can read")
    if module.activation == "softplus" and not _reversion_hidden(SOFTPLUS_THRESHOLD, rounding):
        return False, False, False  # F.softplus's reversion above its threshold, in every kind of unit
    return module.properties()


def act_props(index: int, name: str, module: nn.Module, cls: type,
              rounding: float = SOFTPLUS_STEP) -> tuple[bool, bool, bool] | None:
    """(monotone, convex, concave) of an element-wise module of class ``cls``, or None if unknown.

    signnet's activations come from :func:`signnet.nn.activations.activation_info`
    (which accounts for their parameters); PReLU (from its actual slopes), CELU,
    Softplus (see the module docstring), MixedActivation and the modules of ``_EXTRA``
    are handled here.
    """
    if cls in _PASS:
        return True, True, True
    _finite_settings(index, name, module)
    if cls is nn.PReLU:
        a, lo, hi = _read(index, name, module, "weight")
        return lo >= 0, hi <= 1, lo >= 1
    if cls is nn.CELU:
        return (True, True, False) if module.alpha > 0 else (False, False, False)
    if cls is nn.Softplus:
        return _softplus(index, name, module, rounding)
    if cls is MixedActivation:
        return _mixed(name, module, rounding)
    if cls in _EXTRA:
        return _EXTRA[cls]
    info = activation_info(module) if type(module) is cls else None
    return None if info is None else (info.monotone, info.convex, info.concave)


def _pool_stage(index: int, name: str, m: nn.Module, cls: type) -> Stage:
    is_max = cls in (nn.MaxPool1d, nn.MaxPool2d, nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d)
    if is_max and m.return_indices:
        raise refuse(name, m, "it returns indices as well as values; use return_indices=False")
    if cls in _ADAPTIVE:
        pool = _ADAPTIVE[cls]
        return Stage(index, name, "max" if is_max else "linear", m, Op({1: lambda x: pool(x, m.output_size)}),
                     check_shape=True)
    if is_max and m.dilation not in (1, (1,), (1, 1)):
        raise refuse(name, m, f"its dilation {m.dilation} is not supported; use dilation=1")
    divisor = getattr(m, "divisor_override", None)
    if divisor is not None and not divisor > 0:
        raise refuse(name, m, f"its divisor_override {divisor} is not positive, so it does not average")
    pool = _POOL[cls]
    return Stage(index, name, "max" if is_max else "linear", m,
                 Op({1: lambda x: pool(x, m.kernel_size, m.stride, m.padding, ceil_mode=m.ceil_mode)}),
                 check_shape=True)


def build_stage(index: int, name: str, m: nn.Module, rounding: float = SOFTPLUS_STEP) -> Stage:
    """The :class:`Stage` of leaf ``m`` (flat position ``index``, qualified name ``name``).

    ``rounding``: the model's :func:`rounding_of` (Softplus only).

    Raises:
        Refusal: an unknown type, or a known type with settings certify cannot analyse.
        SignnetError: NaN or infinite weights, biases or settings.
    """
    cls = leaf_type(name, m)
    if cls in _LINEAR:
        if m.weight.dim() != 2:
            raise refuse(name, m, f"its weight has shape {tuple(m.weight.shape)}, not (out_features, in_features)")
        return Stage(index, name, "linear", m, LinearOp(_sign_parts(index, name, m, False), tuple(m.weight.shape)))
    if cls in _CONV:  # _conv_forward handles padding_mode, groups and dilation
        parts = _sign_parts(index, name, m, True)
        return Stage(index, name, "linear", m, Op({s: (lambda x, p=p: m._conv_forward(x, p, None))
                                                   for s, p in parts.items()}))
    if cls in _POOL or cls in _ADAPTIVE:
        return _pool_stage(index, name, m, cls)
    if cls in (nn.Flatten, nn.Unflatten):
        return Stage(index, name, "reshape", m)
    props = act_props(index, name, m, cls, rounding)
    if props is None:
        raise refuse(name, m, f"certify does not know this module type; build the model from {KNOWN} "
                              "in nn.Sequential containers")
    return Stage(index, name, "act", m, info=props)
