"""``R`` MLPs of one architecture as one flat tensor, with a hand-written forward, backward and optimiser step.

:func:`signnet.fit_batched` trains with this. Member ``r``'s parameters are row
``r`` of one flat tensor ``P`` of shape ``(R, p)`` (``p`` parameters per
network: layer ``k``'s weight ``(H_k, H_{k-1})`` then its bias ``(H_k,)``, layer
after layer), so the optimiser, the sign projection and the freezing of
stopped members are a few element-wise operations on ``P`` whatever the depth.

Activations are kept transposed, ``(R, H, n)`` (features by examples), so that no
layer needs a transpose: the first layer is one matrix product ``(R H_1, d) @
(d, n)`` against the shared inputs, every later layer a batched product
``(R, H_k, H_{k-1}) @ (R, H_{k-1}, n)`` (``torch.baddbmm``).

The backward pass is written out (no autograd): with ``dZ_k`` the gradient of
the summed member losses with respect to layer ``k``'s pre-activations,

    dW_k = dZ_k A_{k-1}^T,   db_k = sum_n dZ_k,   dZ_{k-1} = act'(Z_{k-1}) * (W_k^T dZ_k),

and the head's gradient ``dZ_L`` is ``(sigmoid(z) - y) / n`` (binary
cross-entropy), ``(softmax(z) - onehot(y)) / n`` (cross-entropy) or
``2 (z - y) / (n k)`` (mean squared error). The activations' derivatives are
ATen's own backward kernels, the ones autograd would call. Because the
objective is the *sum* of the members' losses, each member's gradient is the
one it would get alone. The sign penalty (``method="penalty"``) adds
``strength * sum(relu(-s w)^2)``, whose gradient is ``-2 strength s relu(-s w)``.

The optimisers repeat ``torch.optim``'s arithmetic (Adam, Kingma & Ba 2015;
AdamW, Loshchilov & Hutter 2019; plain SGD) on ``P`` as a whole.
:func:`make_step` puts forward, backward, update and projection together;
:func:`compiled_step` is the same step fused by ``torch.compile``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import torch
import torch.nn.functional as F
from torch import nn

from signnet.nn.activations import make_activation

aten = torch.ops.aten

BETAS, EPS = (0.9, 0.999), 1e-8  # torch.optim.Adam's defaults, which fit uses


def _activation(act: nn.Module | None) -> tuple[Callable, Callable, bool]:
    """``(apply(z) -> a, backward(g, z, a) -> g, needs_z)`` for the activation module ``act``.

    ``apply`` may overwrite ``z`` (then ``needs_z`` is False and ``z`` is not kept);
    ``backward`` overwrites ``g`` (the gradient wrt ``a``) with the gradient wrt ``z``.
    """
    if act is None or isinstance(act, nn.Identity):
        return (lambda z: z), (lambda g, z, a: g), False
    if isinstance(act, nn.ReLU):
        return torch.relu_, (lambda g, z, a: aten.threshold_backward.grad_input(g, a, 0, grad_input=g)), False
    if isinstance(act, nn.Tanh):
        return torch.tanh_, (lambda g, z, a: aten.tanh_backward.grad_input(g, a, grad_input=g)), False
    if isinstance(act, nn.Sigmoid):
        return torch.sigmoid_, (lambda g, z, a: aten.sigmoid_backward.grad_input(g, a, grad_input=g)), False
    if isinstance(act, nn.ELU):
        alpha = act.alpha
        return ((lambda z: F.elu_(z, alpha)),
                (lambda g, z, a: aten.elu_backward.grad_input(g, alpha, 1, 1, True, a, grad_input=g)), False)
    if isinstance(act, nn.LeakyReLU):
        slope = act.negative_slope
        return ((lambda z: F.leaky_relu(z, slope)),
                (lambda g, z, a: aten.leaky_relu_backward.grad_input(g, z, slope, False, grad_input=g)), True)
    if isinstance(act, nn.Softplus):
        beta, threshold = act.beta, act.threshold
        return ((lambda z: F.softplus(z, beta, threshold)),
                (lambda g, z, a: aten.softplus_backward.grad_input(g, z, beta, threshold, grad_input=g)), True)
    if isinstance(act, nn.GELU):
        approximate = act.approximate
        return ((lambda z: F.gelu(z, approximate=approximate)),
                (lambda g, z, a: aten.gelu_backward.grad_input(g, z, approximate=approximate, grad_input=g)), True)
    if isinstance(act, nn.SiLU):
        return F.silu, (lambda g, z, a: aten.silu_backward.grad_input(g, z, grad_input=g)), True
    raise TypeError(f"no batched derivative for {type(act).__name__}")  # MLP builds only the ones above


class Stack:
    """The layout of ``R`` stacked MLPs: where each layer's weight and bias lie in a row of ``P``.

    Args:
        widths: ``(d, H_1, ..., H_L)``, the widths of the MLP.
        act: the hidden activation module (applied after every layer but the last).
        head: ``"binary"``, ``"softmax"`` or ``"regression"``.
    """

    def __init__(self, widths: tuple[int, ...], act: nn.Module | None, head: str):
        self.widths, self.act, self.head = widths, act, head
        self.apply_act, self.backward_act, self.needs_z = _activation(act)
        self.ws: dict | None = None  # workspace: buffers reused from step to step (see :meth:`buffer`)
        self.slices: list[tuple[slice, slice]] = []  # (weight, bias) columns of P, per layer
        at = 0
        for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
            self.slices.append((slice(at, at + fan_out * fan_in), slice(at + fan_out * fan_in, at + fan_out * (fan_in + 1))))
            at += fan_out * (fan_in + 1)
        self.size = at  # parameters per member

    def layers(self, P: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Views ``(W_k (R, H_k, H_{k-1}), b_k (R, H_k))`` into ``P`` ``(R, p)`` (kept with a workspace)."""
        if self.ws is not None:
            key = ("views", P.data_ptr(), tuple(P.shape))
            if key not in self.ws:
                self.ws[key] = self._views(P)
            return self.ws[key]
        return self._views(P)

    def _views(self, P: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        R = P.shape[0]
        return [(P[:, w].view(R, o, i), P[:, b]) for (w, b), i, o in zip(self.slices, self.widths[:-1], self.widths[1:],
                                                                          strict=True)]

    def gather(self, models, device) -> tuple[torch.Tensor, torch.Tensor]:
        """``(P, S)``: the members' parameters and sign masks (0 on biases), each ``(R, p)``, on ``device``."""
        rows, signs = [], []
        for m in models:
            parts, sparts = [], []
            for layer in m.linear_layers:
                parts += [layer.weight.detach().reshape(-1), layer.bias.detach().reshape(-1)]
                sparts += [layer.sign_mask.reshape(-1), torch.zeros_like(layer.bias).reshape(-1)]
            rows.append(torch.cat(parts).to(device, torch.float32))
            signs.append(torch.cat(sparts).to(device, torch.float32))
        return torch.stack(rows), torch.stack(signs)

    @torch.no_grad()
    def scatter(self, P: torch.Tensor, models) -> None:
        """Copy row ``r`` of ``P`` into the layers of ``models[r]``."""
        layers = self.layers(P.detach().cpu() if P.device != next(models[0].parameters()).device else P)
        for r, m in enumerate(models):
            for (W, b), layer in zip(layers, m.linear_layers, strict=True):
                layer.weight.copy_(W[r])
                layer.bias.copy_(b[r])

    def buffer(self, name: str, shape, like: torch.Tensor) -> torch.Tensor | None:
        """A tensor of ``shape`` kept in :attr:`ws` under ``name`` (``None`` without a workspace).

        Reusing buffers spares the allocator: on the CPU, tensors of several MB are
        fresh ``mmap`` pages each time, and faulting them in costs more than the arithmetic.
        """
        if self.ws is None:
            return None
        key = (name, tuple(shape))
        if key not in self.ws:
            self.ws[key] = like.new_empty(shape)
        return self.ws[key]

    def forward(self, P: torch.Tensor, XT: torch.Tensor, keep: bool = False):
        """Outputs ``(R, H_L, n)`` for inputs ``XT`` ``(d, n)``; with ``keep``, also ``[(Z_k, A_k)]`` for the backward."""
        R, n = P.shape[0], XT.shape[1]
        saved, h = [], XT
        last = len(self.slices) - 1
        for k, (W, b) in enumerate(self.layers(P)):
            out = self.buffer(f"z{k}", (R, W.shape[1], n), P) if keep else None
            if k == 0:
                z = torch.addmm(b.reshape(-1, 1), W.reshape(-1, W.shape[2]), XT,
                                out=None if out is None else out.view(-1, n)).view(R, W.shape[1], n)
            else:
                z = torch.baddbmm(b.unsqueeze(2), W, h, out=out)
            if k == last:
                h = z
                break
            a = self.apply_act(z)
            if keep:
                saved.append((z if self.needs_z else None, a))
            h = a
        return (h, saved) if keep else h

    def loss_and_grad(self, out: torch.Tensor, target: torch.Tensor):
        """Per-member mean losses ``(R,)`` and the gradient of their sum wrt ``out`` ``(R, k, n)``.

        ``target``: ``(n,)`` float 0/1 (binary), ``(n,)`` long (softmax), ``(k, n)`` (regression).
        """
        return self.losses(out, target), self.grad(out, target)

    def grad(self, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The gradient of the summed member losses wrt the outputs ``out`` ``(R, k, n)``."""
        n = out.shape[2]
        if self.head == "binary":
            return torch.sigmoid(out).sub_(target).div_(n)
        if self.head == "softmax":
            grad = torch.softmax(out, dim=1)
            grad.scatter_add_(1, target.expand(out.shape[0], 1, n), torch.full_like(grad[:, :1], -1.0))
            return grad.div_(n)
        return (out - target).mul_(2.0 / out[0].numel())

    def losses(self, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Per-member mean losses ``(R,)`` of outputs ``(R, k, n)``, without a gradient."""
        if self.head == "binary":
            return F.binary_cross_entropy_with_logits(out[:, 0, :], target.expand_as(out[:, 0, :]), reduction="none").mean(1)
        if self.head == "softmax":
            return F.cross_entropy(out, target.expand(out.shape[0], -1), reduction="none").mean(1)
        return (out - target).square().mean((1, 2))

    def reverse_pass(self, P: torch.Tensor, XT: torch.Tensor, saved, grad: torch.Tensor,
                     G: torch.Tensor | None = None) -> torch.Tensor:
        """The hand-written reverse pass (no autograd): the gradient ``(R, p)`` of the summed losses.

        ``grad`` is the output gradient ``(R, H_L, n)``.

        With ``G`` (an ``(R, p)`` tensor, e.g. a slice of a workspace buffer) the gradient is written into it.
        """
        R = P.shape[0]
        layers = self.layers(P)
        into = self.layers(G) if G is not None else None
        parts: list[torch.Tensor] = []
        dz = grad
        for k in range(len(layers) - 1, -1, -1):
            W, _ = layers[k]
            GW, Gb = into[k] if into is not None else (None, None)
            db = torch.sum(dz, 2, out=Gb)
            if k == 0:
                dW = torch.mm(dz.reshape(-1, dz.shape[2]), XT.t()).view(W.shape)
                if GW is not None:
                    GW.copy_(dW)
            else:
                z, a = saved[k - 1]
                dW = torch.bmm(dz, a.transpose(1, 2), out=GW)
                buf = self.buffer(f"d{k}", a.shape, P)
                if W.shape[1] == 1:  # one output: W^T dz is an outer product, cheaper as a broadcast product
                    da = torch.mul(W.transpose(1, 2), dz, out=buf)
                else:
                    da = torch.bmm(W.transpose(1, 2), dz, out=buf)
                dz = self.backward_act(da, z, a)
            parts += [db.reshape(R, -1), dW.reshape(R, -1)]
        return G if G is not None else torch.cat(parts[::-1], dim=1)


def penalty_grad(P: torch.Tensor, S: torch.Tensor, strength: float) -> torch.Tensor:
    """Gradient of ``strength * sum(relu(-S P)^2)`` wrt ``P``: ``-2 strength S relu(-S P)``."""
    return (S * P).clamp_(max=0).mul_(S).mul_(2.0 * strength)


class Optimizer:
    """``torch.optim``'s Adam / AdamW / SGD (no momentum) update on the flat ``P``, in place.

    :meth:`scalars` advances the step count and returns Adam's bias-corrected
    ``(step_size, sqrt(1 - beta2^t))``; :meth:`apply` performs the update with them.
    With Python floats the arithmetic follows ``torch.optim``'s multi-tensor Adam
    line by line; with 0-d tensors (what ``torch.compile`` is given, so that it
    does not recompile at every step) ``addcdiv`` becomes a division and a product.
    """

    def __init__(self, name: str, P: torch.Tensor | None, lr: float, weight_decay: float):
        self.name, self.lr, self.wd, self.t = name, lr, weight_decay, 0
        # the moments (none for SGD; none either without P, for a compiled step that is handed them)
        self.m = torch.zeros_like(P) if P is not None and name != "sgd" else None
        self.v = torch.zeros_like(P) if P is not None and name != "sgd" else None

    def scalars(self) -> tuple[float, float]:
        self.t += 1
        b1, b2 = BETAS
        if self.name == "sgd":
            return -self.lr, 1.0
        return -self.lr / (1 - b1 ** self.t), math.sqrt(1 - b2 ** self.t)

    def apply(self, P: torch.Tensor, G: torch.Tensor, m: torch.Tensor, v: torch.Tensor, step_size, bc2_sqrt) -> None:
        """One update of ``P`` ``(R, p)`` with gradient ``G``; ``m``, ``v`` are Adam's moments (updated in place)."""
        lr, wd = self.lr, self.wd
        if self.name == "sgd":
            P.add_(G.add(P, alpha=wd) if wd else G, alpha=-lr)
            return
        if self.name == "adamw":
            P.mul_(1 - lr * wd)
        elif wd:
            G = G.add(P, alpha=wd)
        b1, b2 = BETAS
        m.lerp_(G, 1 - b1)
        v.mul_(b2).addcmul_(G, G, value=1 - b2)
        denom = v.sqrt().div_(bc2_sqrt).add_(EPS)
        if isinstance(step_size, torch.Tensor):
            P.add_(m / denom * step_size)
        else:
            P.addcdiv_(m, denom, value=step_size)


def make_step(stack: Stack, opt: Optimizer, method: str, strength: float, chunk: int | None = None,
              pool: ThreadPoolExecutor | None = None, jobs: int = 1):
    """``step(P, m, v, XT, T, lo, hi, S, step_size, bc2_sqrt) -> losses (R,)``: forward, backward, update, projection.

    With ``chunk``, the forward and backward passes take ``chunk`` members at a time
    (their activations then stay in the CPU's cache), and the update all at once. With a
    ``pool`` of ``jobs = J`` threads as well, worker ``j`` takes chunks ``j, j + J, ...`` with a
    workspace of its own: each chunk's arithmetic is the same whichever thread runs it, so
    the result is the same bit for bit as without the pool.
    """

    def update(P, m, v, G, member_losses, S, lo, hi, step_size, bc2_sqrt):
        if method == "penalty" and strength:
            G.add_(penalty_grad(P, S, strength))
        opt.apply(P, G, m, v, step_size, bc2_sqrt)
        if method == "project":
            P.copy_(torch.clamp(P, lo, hi))
        return member_losses

    def step(P, m, v, XT, T, lo, hi, S, step_size, bc2_sqrt):
        out, saved = stack.forward(P, XT, keep=True)
        member_losses, grad = stack.loss_and_grad(out, T)
        G = stack.reverse_pass(P, XT, saved, grad)
        return update(P, m, v, G, member_losses, S, lo, hi, step_size, bc2_sqrt)

    jobs = 1 if pool is None else jobs
    workers = [stack] + [Stack(stack.widths, stack.act, stack.head) for _ in range(jobs - 1)]
    for w in workers[1:]:
        w.ws = {}

    def chunks(j, P, XT, T, G, member_losses, inference):
        w = workers[j]
        with torch.inference_mode(inference), torch.no_grad():  # a worker thread has the caller's modes
            for r0 in range(j * chunk, P.shape[0], jobs * chunk):
                Pc = P[r0:r0 + chunk]
                out, saved = w.forward(Pc, XT, keep=True)
                member_losses[r0:r0 + chunk] = w.losses(out, T)
                w.reverse_pass(Pc, XT, saved, w.grad(out, T), G[r0:r0 + chunk])

    def chunked(P, m, v, XT, T, lo, hi, S, step_size, bc2_sqrt):
        G = stack.buffer("G", P.shape, P)
        member_losses = P.new_empty(P.shape[0])  # fresh: the caller keeps each step's losses
        inference = torch.is_inference_mode_enabled()  # thread-local: passed on to the workers
        if pool is None:
            chunks(0, P, XT, T, G, member_losses, inference)
        else:
            for future in [pool.submit(chunks, j, P, XT, T, G, member_losses, inference) for j in range(jobs)]:
                future.result()
        return update(P, m, v, G, member_losses, S, lo, hi, step_size, bc2_sqrt)

    return step if chunk is None else chunked


@functools.lru_cache(maxsize=8)
def compiled_step(spec: tuple):
    """The ``torch.compile``d :func:`make_step` of one configuration, kept so that later calls reuse the compiled code.

    ``spec``: ``(widths, activation, head, method, strength, optimizer, lr, weight_decay)``.
    """
    widths, activation, head, method, strength, name, lr, wd = spec
    stack = Stack(widths, make_activation(activation) if len(widths) > 2 else None, head)
    return torch.compile(make_step(stack, Optimizer(name, None, lr, wd), method, strength), dynamic=False)
