"""The certificate's soundness as a hypothesis property over random models and wrappers.

For random depth, width, sign patterns, enforcement methods (a penalty layer may
hold weights of the wrong sign), monotone and non-monotone activations and
heads, wrapped in ways certify accepts (nesting, Identity/Dropout, a subclass
that overrides nothing) or must refuse (an overridden forward, hooks, a custom
module, a forward replaced on the instance): a refused model is exactly one with
a refused wrapper, and for every entry 1, -1 or 0 of an accepted certificate,
neither find_violation nor dominance_violations breaks it in that direction.
"""

import numpy as np
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn.modules.module import register_module_forward_hook

from signnet import MLP
from signnet.theory.certificate import certify
from signnet.theory.dominance import dominance_violations
from signnet.theory.outputs import checked_functions
from signnet.theory.search import find_violation

MONOTONE_ACTS = [nn.ReLU, nn.Sigmoid, nn.Tanh, nn.Identity, nn.ReLU6, nn.Hardtanh, nn.Hardsigmoid, nn.Softsign,
                 nn.SELU, nn.LogSigmoid, nn.CELU, nn.ELU, nn.Softplus, lambda: nn.Softplus(beta=-1.0),
                 lambda: nn.LeakyReLU(0.1), lambda: nn.LeakyReLU(2.0), lambda: nn.ELU(alpha=2.0),
                 lambda: nn.PReLU(init=0.25)]
OTHER_ACTS = [nn.GELU, nn.SiLU, nn.Hardswish, nn.Mish, lambda: nn.LeakyReLU(-0.5), lambda: nn.ELU(alpha=-1.0),
              lambda: nn.PReLU(init=-0.5), lambda: nn.Softplus(threshold=0.5)]
ACCEPTED_WRAPPERS = ["none", "nested", "identity_dropout", "plain_subclass"]
REFUSED_WRAPPERS = ["shifted", "hook", "pre_hook", "global_hook", "custom_module", "instance_forward"]


class NegInPlace(nn.Module):
    def forward(self, x):
        return x.neg_()


class PlainMLP(MLP):
    """A subclass that adds a method and overrides nothing forward calls."""

    def describe(self):
        return "plain"


class Entry(nn.Module):
    """``F_j(x)`` with every coordinate but ``i`` held at ``base`` and ``x_i = v * u_i``: non-decreasing
    in ``u`` when entry (j, i) is ``v`` (both ways when it is 0); ``i=None`` sets ``x = signs * u``."""

    def __init__(self, model, j, i, v, base, signs, head):
        super().__init__()
        self.model, self.j, self.i, self.v, self.model_head = model, j, i, v, head
        self.register_buffer("base", torch.as_tensor(base, dtype=torch.float32))
        self.register_buffer("signs", torch.as_tensor(signs, dtype=torch.float32))

    def forward(self, u):
        if self.i is None:
            x = u * self.signs
        else:
            x = self.base.expand(u.shape[0], -1).clone()
            x[:, self.i] = self.v * u[:, self.i]
        out = checked_functions(self.model(x).reshape(u.shape[0], -1), self.model_head)
        return out[:, self.j:self.j + 1]


def random_model(data, rng):
    d, k = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    hidden = tuple(data.draw(st.lists(st.integers(1, 4), min_size=0, max_size=3)))
    head = data.draw(st.sampled_from(["regression"] + (["binary"] if k == 1 else ["softmax"])))
    method = data.draw(st.sampled_from(["project", "reparam", "penalty"]))
    specs = [data.draw(st.sampled_from(["nonneg"] * 4 + ["nonpos", "free", "mask"])) for _ in range(len(hidden) + 1)]
    widths = (d, *hidden, k)
    specs = [rng.choice([-1, 0, 1], size=(widths[n + 1], widths[n])).tolist() if s == "mask" else s
             for n, s in enumerate(specs)]
    net = MLP(d, hidden, k, weights=specs, method=method, head=head)
    with torch.no_grad():
        for layer in net.linear_layers:
            w = torch.tensor(rng.exponential(1.0, tuple(layer.weight.shape)), dtype=torch.float32)
            mask = layer.sign_mask
            flip = torch.tensor(rng.choice([-1.0, 1.0], size=w.shape), dtype=torch.float32)
            w = torch.where(mask == 0, w * flip, mask * w)
            if method == "penalty" and rng.random() < 0.5:  # the penalty did not finish: some wrong signs
                w = w * torch.tensor(rng.choice([-1.0, 1.0], p=[0.2, 0.8], size=w.shape), dtype=torch.float32)
            w[torch.tensor(rng.random(w.shape) < 0.15)] = 0.0
            if method == "reparam":
                layer.weight = w
            else:
                layer.weight.copy_(w)
            layer.bias.copy_(torch.tensor(rng.normal(size=layer.out_features), dtype=torch.float32))
    pool = data.draw(st.sampled_from([MONOTONE_ACTS, MONOTONE_ACTS, MONOTONE_ACTS + OTHER_ACTS]))
    for n in range(1, len(net), 2):
        net[n] = pool[data.draw(st.integers(0, len(pool) - 1))]()
    return net, d, head


def wrap(net, wrapper, handles):
    if wrapper == "nested":
        return nn.Sequential(nn.Sequential(net))
    if wrapper == "identity_dropout":
        return nn.Sequential(nn.Identity(), net, nn.Dropout(0.3).eval())
    if wrapper == "plain_subclass":
        net.__class__ = PlainMLP
    elif wrapper == "shifted":
        net.__class__ = type("ShiftedMLP", (MLP,), {"forward": lambda self, x: MLP.forward(self, x) - 2 * x[:, :1]})
    elif wrapper == "hook":
        handles.append(net[-1].register_forward_hook(lambda m, args, out: -out))
    elif wrapper == "pre_hook":
        handles.append(net[0].register_forward_pre_hook(lambda m, args: (-args[0],)))
    elif wrapper == "global_hook":
        handles.append(register_module_forward_hook(lambda m, args, out: -out if m is net[-1] else None))
    elif wrapper == "custom_module":
        net.insert(1, NegInPlace())
    elif wrapper == "instance_forward":
        net.forward = lambda x: -MLP.forward(net, x)
    return net


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from(ACCEPTED_WRAPPERS * 3 + REFUSED_WRAPPERS), st.integers(0, 10_000))
def test_whatever_certify_accepts_as_monotone_no_search_can_break(data, wrapper, seed):
    """For every entry 1/-1/0 of an accepted certificate, neither check finds a violation in that direction."""
    rng = np.random.default_rng(seed)
    net, d, head = random_model(data, rng)
    handles = []
    try:
        model = wrap(net, wrapper, handles)
        cert = certify(model)
        assert cert.refused == (wrapper in REFUSED_WRAPPERS)
        event(f"refused: {cert.refused}")
        if cert.refused:
            assert cert.reason.startswith("certify refuses") and cert.monotone == []
            return
        head = getattr(model, "head", None)
        X = rng.uniform(-2, 2, (60, d))
        for j, row in enumerate(cert.monotone):
            checks = [(i, s, None) for i, v in enumerate(row) if v is not None for s in ((v,) if v else (1, -1))]
            if None not in row:  # every coordinate at once, each in its certified direction
                checks.append((None, 1, [v if v else 1 for v in row]))
            event(f"checks: {len(checks)}")
            for i, v, signs in checks:
                probe = Entry(model, j, i, v, rng.uniform(-2, 2, d), np.ones(d) if signs is None else signs, head)
                assert find_violation(probe, (np.full(d, -2.0), np.full(d, 2.0)), n_starts=8, steps=25, seed=seed) is None, (j, i, v)
                assert dominance_violations(probe, X, n_pairs=200, seed=seed).violations == 0, (j, i, v)
    finally:
        for handle in handles:
            handle.remove()
