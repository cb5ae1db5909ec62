r"""Sign-aware initialisation: :func:`sign_init_` for one layer, :func:`sign_init_network_` for a network.

Why the usual initialisation fails for one-signed weights. Kaiming's and LeCun's
schemes (He et al. 2015; LeCun et al. 1998) draw weights of mean 0 and variance
``c / n`` (``n`` the fan-in), so that ``z = w . x + b`` keeps a variance of order 1
layer after layer. Giving such weights a sign (``w -> |w|``, signnet's ``init="abs"``)
keeps their second moment but gives them a mean ``m = E|w| > 0``. With inputs of
mean ``mu`` and covariance ``C`` (ReLU outputs have ``mu > 0``, and the units of a
non-negative layer are positively correlated: ``C = v ((1 - rho) I + rho 1 1^T)``),

.. math::

    E[z] = \mu^T w + b \approx n m \mu, \qquad
    Var[z] = w^T C w \approx v (n \sigma^2 + \rho n^2 m^2),

both of which grow with the width ``n`` and compound with depth (``bench/init.py``
measures what this does to the first-epoch loss).

The design, for one row ``w`` of the weight and inputs of mean vector ``mu`` and covariance ``C``:

1. Constrained entries get ``w_i = s_i sigma a_i`` with ``a_i ~ |N(0, 1)|`` (half-normal:
   one-sided, ``E a = sqrt(2/pi)``, ``E a^2 = 1``) and ``s_i`` their sign; free entries keep
   their value ``f_i`` (torch's default). Write ``w = f + sigma u``.
2. ``Var[z] = w^T C w = f^T C f + 2 sigma f^T C u + sigma^2 u^T C u`` is a quadratic in
   ``sigma``; ``sigma`` (one per row) is its larger root, which makes ``Var[z]`` equal the
   target ``target_var`` (default 1). For standardised independent inputs (``C = I``) and
   a fully constrained row this is ``sigma^2 = 1 / sum a_i^2 ~ 1/n``, LeCun's variance;
   the ``rho n^2 m^2`` term is what makes ``sigma`` shrink like ``1/n`` for correlated inputs.
   (If the free entries alone already exceed the target there is no positive root; the
   constrained entries then get ``sigma = sqrt(target / u^T C u)``, their scale without
   the free ones, and the row's variance exceeds the target.)
3. The bias ``b = -mu^T w`` centres the pre-activation: ``E[z] = 0`` for every row. For
   standardised inputs (``mu = 0``) it is 0. Biases are free in sign (the paper's
   Definition 1.2), so centring never breaks a constraint.

:func:`sign_init_network_` applies this layer by layer. It needs the mean and covariance
of each layer's input, which depend on the layers below; it estimates them by passing
a fixed probe of standard normal inputs (a private generator, seed 0) through the
network as it initialises it, so no data and no global random state are involved.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from signnet.errors import SignnetError
from signnet.nn.signs import sign_mask

INITS = ("abs", "sign")
PROBE_ROWS = 4096  # standard normal probe inputs that sign_init_network_ propagates
OUTPUT_VAR = 1 / 3  # output variance of a free nn.Linear under torch's default init, for inputs of unit second moment


def check_init(init: str) -> str:
    """``init`` if it is ``"abs"`` or ``"sign"``, else a one-sentence SignnetError."""
    if init not in INITS:
        raise SignnetError(f"`init` must be 'abs' (the default weights made one-signed) or 'sign' (sign-aware "
                           f"variance scaling, signnet.nn.sign_init_), got {init!r}.")
    return init


@torch.no_grad()
def sign_init_(weight: torch.Tensor, signs, generator: torch.Generator | None = None, *,
               bias: torch.Tensor | None = None, input_mean: float | torch.Tensor = 0.0,
               input_cov: torch.Tensor | None = None, target_var: float = 1.0) -> torch.Tensor:
    r"""Initialise a one-signed weight in place so that its pre-activations have variance ``target_var`` and mean 0.

    Args:
        weight: ``(out, in)`` or ``(out, in, kh, kw)``; fan-in ``n = in * kh * kw``.
        signs: a sign specification or mask (:func:`signnet.nn.sign_mask`): +1 non-negative,
            -1 non-positive, 0 free. Free entries keep their values; a weight with no
            constrained entry is left as it is (and so is its bias).
        generator: draws the half-normal magnitudes (always on the CPU); ``None`` uses
            torch's global generator, as ``torch.nn.init`` does.
        bias: ``(out,)``, set to ``-input_mean^T w`` (centring; biases are free in sign).
        input_mean: mean of the input entries, a number or an ``(n,)`` tensor (default 0).
        input_cov: ``(n, n)`` covariance of the inputs; ``None`` is the identity
            (standardised, independent inputs).
        target_var: the variance of each pre-activation ``z_j`` over the inputs (> 0).

    Returns:
        ``weight``. Constrained entries have exactly their sign.

    The derivation is in the module docstring.
    """
    if not isinstance(target_var, (int, float)) or isinstance(target_var, bool) or not 0 < target_var < math.inf:
        raise SignnetError(f"`target_var` must be a positive finite number, got {target_var!r}; pass e.g. 1.0.")
    mask = sign_mask(signs, weight.shape).to(device=weight.device, dtype=weight.dtype)
    if weight.is_meta or not bool((mask != 0).any()):  # meta: no values to initialise
        return weight
    rows = weight.shape[0]
    w, s = weight.reshape(rows, -1).double(), mask.reshape(rows, -1).double()
    n = w.shape[1]
    cov = torch.eye(n, dtype=torch.float64, device=w.device) if input_cov is None else \
        torch.as_tensor(input_cov, dtype=torch.float64, device=w.device)
    if cov.shape != (n, n):
        raise SignnetError(f"`input_cov` must be ({n}, {n}) for a fan-in of {n}, got {tuple(cov.shape)}.")
    a = torch.empty(w.shape, dtype=torch.float64).normal_(generator=generator).abs_().to(w.device)
    f = torch.where(s == 0, w, torch.zeros_like(w))  # free part, kept
    u = torch.where(s == 0, torch.zeros_like(w), s * a)  # constrained direction, signs exact
    qa = ((u @ cov) * u).sum(1)
    qb = 2 * ((f @ cov) * u).sum(1)
    qc = ((f @ cov) * f).sum(1) - float(target_var)
    disc = qb.square() - 4 * qa * qc
    root = (-qb + disc.clamp_min(0).sqrt()) / (2 * qa)
    # no positive root: the free entries alone reach the target; the constrained ones then get the scale
    # that would reach it without them, sqrt(target / u^T C u), so that they keep a strict sign
    alone = (float(target_var) / qa).sqrt()
    sigma = torch.where((disc >= 0) & (root > 0), root, alone)
    sigma = torch.nan_to_num(sigma, nan=0.0, posinf=0.0)  # a row with no constrained entry: 0
    new = f + sigma[:, None] * u
    weight.copy_(new.reshape(weight.shape).to(weight.dtype))
    if bias is not None:
        mean = torch.as_tensor(input_mean, dtype=torch.float64, device=w.device)
        centre = -(new * mean).sum(1) if mean.dim() else -float(mean) * new.sum(1)
        bias.copy_(centre.to(bias.dtype))
    return weight


def _applied_in_order(module: nn.Module):
    """The affine layers (whole, parametrised ones included) and other leaf modules, in order."""
    if isinstance(module, nn.Linear) or not list(module.children()):
        yield module
        return
    for child in module.children():
        yield from _applied_in_order(child)


def _write_weight(layer: nn.Module, new: torch.Tensor) -> None:
    if hasattr(layer, "parametrizations") and "weight" in layer.parametrizations:
        param = layer.parametrizations.weight
        param.original.copy_(param[0].right_inverse(new))
    else:
        layer.weight.copy_(new)


@torch.no_grad()
def sign_init_network_(model: nn.Module, generator: torch.Generator | None = None, *,
                       target_var: float = 1.0, output_var: float = OUTPUT_VAR, inputs=None) -> nn.Module:
    """Initialise every sign-constrained affine layer of ``model`` with :func:`sign_init_`, first to last.

    Args:
        model: an ``nn.Sequential`` (nested ones too) of ``nn.Linear`` layers
            (:class:`~signnet.nn.SignedLinear`, or plain ones, whose weights are free) and
            parameter-free element-wise activations, in the order they are applied.
        generator: draws the magnitudes (``None``: torch's global generator).
        target_var: the variance of every constrained hidden layer's pre-activations on
            standard normal inputs.
        output_var: the same for the last affine layer, the network's output. Default 1/3:
            what torch's default ``nn.Linear`` initialisation (``U(-1/sqrt(n), 1/sqrt(n))``,
            variance ``1/(3n)``) gives a free layer on inputs of unit second moment, so the
            network starts, as a free one does, near a constant output; an output of
            variance 1 would add 1 to the initial mean squared error on standardised targets.
        inputs: optional ``(m, d)`` rows (e.g. the training features) to use as the probe
            instead of standard normal rows: each layer is then initialised for the mean
            and covariance of its input on these rows, correlated features included.

    Each layer is initialised for the mean and covariance of its input on a probe of
    4096 standard normal rows (private generator, seed 0), or on ``inputs``, passed
    through the layers below as they now are. Fully free layers keep their weights.
    Returns ``model``.
    """
    leaves = list(_applied_in_order(model))
    linear = [m for m in leaves if isinstance(m, nn.Linear)]
    if not linear or any(m.weight.is_meta for m in linear):  # meta tensors hold no values to initialise, as in
        return model  # torch's own init; the weights come later (to_empty, then load_state_dict)
    first = linear[0].weight
    if inputs is None:
        probe = torch.empty(PROBE_ROWS, first.shape[1], dtype=torch.float64)
        probe.normal_(generator=torch.Generator().manual_seed(0))
    else:
        probe = torch.as_tensor(inputs, dtype=torch.float64)
        if probe.dim() != 2 or probe.shape[1] != first.shape[1] or probe.shape[0] < 2 or not bool(probe.isfinite().all()):
            raise SignnetError(f"`inputs` must be finite rows of shape (m >= 2, {first.shape[1]}), got shape "
                               f"{tuple(probe.shape)}; pass the training features.")
    h = probe.to(device=first.device, dtype=first.dtype)
    for module in leaves:
        if isinstance(module, nn.Linear):
            target = output_var if module is linear[-1] else target_var
            mask = getattr(module, "sign_mask", None)
            if mask is not None and bool((mask != 0).any()):
                x = h.double()
                mean = x.mean(0)
                cov = torch.cov(x.T, correction=0).reshape(x.shape[1], x.shape[1])
                new = module.weight.detach().clone()
                sign_init_(new, mask, generator, bias=module.bias, input_mean=mean, input_cov=cov, target_var=target)
                _write_weight(module, new)
            h = module(h)
        elif list(module.parameters()):
            raise SignnetError(f"sign_init_network_ knows affine layers and element-wise activations, got "
                               f"{type(module).__name__}; initialise that model's layers with sign_init_.")
        else:
            h = module(h)
    return model
