"""Static certificates (signnet.certificate): Theorem 1.1 of Wang et al., path by path."""

import itertools
import time

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from signnet import MLP, SignedConv2d, SignedLinear, SignnetError, dnn_plus
from signnet.theory.certificate import Hop, certify

MONOTONE = ["relu", "leaky_relu", "elu", "softplus", "sigmoid", "tanh", "identity"]


# ---------------------------------------------------------------- reference
def dense_sign_matrices(model, input_shape):
    """Per module: ('affine', S) with S[out, in] in {-1, 0, 1} (or a set for max windows), or ('act', monotone).

    Built by explicit loops over weights / windows, independently of certify's operators.
    """
    shape, out = tuple(input_shape), []
    for m in model:
        if isinstance(m, nn.Linear):
            out.append(("affine", torch.sign(m.weight.detach()).numpy()))
            shape = (m.out_features,)
        elif isinstance(m, nn.Conv2d):
            w = m.weight.detach().numpy()
            (c_in, h, wd), (kh, kw), p = shape, m.kernel_size, m.padding[0]
            ho, wo = h + 2 * p - kh + 1, wd + 2 * p - kw + 1
            S = np.zeros((m.out_channels * ho * wo, c_in * h * wd))
            for o, c, y, x, dy, dx in itertools.product(range(m.out_channels), range(c_in), range(ho), range(wo),
                                                        range(kh), range(kw)):
                yy, xx = y + dy - p, x + dx - p
                if 0 <= yy < h and 0 <= xx < wd and w[o, c, dy, dx] != 0:
                    S[(o * ho + y) * wo + x, (c * h + yy) * wd + xx] = np.sign(w[o, c, dy, dx])
            out.append(("affine", S))
            shape = (m.out_channels, ho, wo)
        elif isinstance(m, nn.MaxPool2d):
            (c, h, wd), k = shape, m.kernel_size
            S = np.zeros((c * (h // k) * (wd // k), c * h * wd))
            for ch, y, x, dy, dx in itertools.product(range(c), range(h // k), range(wd // k), range(k), range(k)):
                S[(ch * (h // k) + y) * (wd // k) + x, (ch * h + y * k + dy) * wd + x * k + dx] = 1
            out.append(("affine", S))
            shape = (c, h // k, wd // k)
        elif isinstance(m, nn.Flatten):
            shape = (int(np.prod(shape)),)
        else:
            out.append(("act", not isinstance(m, (nn.GELU, nn.SiLU))))
    return out


def reference_certificate(model, input_shape):
    """Enumerate every path input -> output with its set of signs (brute force, tiny nets only)."""
    layers = dense_sign_matrices(model, input_shape)
    n_in = int(np.prod(input_shape))
    # signs[u] = set of path signs from input i to unit u, for each input i
    result = []
    for i in range(n_in):
        signs = [{1} if u == i else set() for u in range(n_in)]
        for kind, S in layers:
            if kind == "act":
                if not S:
                    signs = [{1, -1} if s else set() for s in signs]
                continue
            new = []
            for v in range(S.shape[0]):
                acc = set()
                for u in range(S.shape[1]):
                    if S[v, u] != 0:
                        acc |= {int(S[v, u]) * s for s in signs[u]}
                new.append(acc)
            signs = new
        result.append(signs)
    code = {frozenset(): 0, frozenset({1}): 1, frozenset({-1}): -1, frozenset({1, -1}): None}
    return [[code[frozenset(result[i][j])] for i in range(n_in)] for j in range(len(result[0]))]


def set_weights(model, rng, p_neg=0.3, p_zero=0.15):
    with torch.no_grad():
        for layer in model.linear_layers:
            w = torch.tensor(rng.exponential(1.0, layer.weight.shape), dtype=torch.float32)
            w[torch.tensor(rng.random(w.shape) < p_neg)] *= -1
            w[torch.tensor(rng.random(w.shape) < p_zero)] = 0
            layer.weight.copy_(w)
            layer.bias.copy_(torch.tensor(rng.normal(size=layer.bias.shape), dtype=torch.float32))


# ------------------------------------------------------------------- DNN+
@pytest.mark.parametrize("activation", MONOTONE)
def test_dnn_plus_is_certified_non_decreasing_in_every_input(activation):
    torch.manual_seed(0)
    cert = certify(dnn_plus(3, (5, 4), activation=activation))
    assert cert.monotone == [[1, 1, 1]]
    assert cert.preserves_dominance and cert.is_monotone
    assert cert.outputs == ["out0"] and cert.inputs == ["x0", "x1", "x2"]
    expected = {"sigmoid": None, "tanh": None, "identity": "affine"}.get(activation, "convex")
    assert cert.convex == [expected]
    assert cert.unprovable() == [] and cert.explain(0, 0) is None


def test_signs_zero_and_concavity_of_simple_layers():
    net = MLP(3, (), weights=[[[-1, 1, 0]]])  # one affine layer: -x0 + x1, no x2
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[-2.0, 0.5, 0.0]]))
    cert = certify(net)
    assert cert.monotone == [[-1, 1, 0]] and cert.convex == ["affine"]
    assert cert.is_monotone and not cert.preserves_dominance
    relu_nonpos_out = MLP(2, (4,), weights=["nonneg", "nonpos"])
    assert certify(relu_nonpos_out).monotone == [[-1, -1]]
    assert certify(relu_nonpos_out).convex == ["concave"]  # minus a convex function


def test_softmax_dnn_plus_is_not_certified_but_a_difference_can_be():
    torch.manual_seed(0)
    cert = certify(dnn_plus(2, (4,), out_features=2, head="softmax"))
    assert cert.outputs == ["logit1-logit0"]
    assert cert.monotone == [[None, None]] and not cert.is_monotone
    assert cert.convex == [None]
    paths = cert.explain("logit1-logit0", 0)
    assert paths["positive"][-1].unit == 1 and paths["negative"][-1].unit == 0  # up z1, up z0
    net = MLP(2, (3,), 3, weights=["nonneg", [[-1] * 3, [1] * 3, [1] * 3]], head="softmax")
    cert = certify(net)  # z0 falls, z1 and z2 rise: z1 - z0 and z2 - z0 rise, z2 - z1 unknown
    assert cert.outputs == ["logit1-logit0", "logit2-logit0", "logit2-logit1"]
    assert cert.monotone == [[1, 1], [1, 1], [None, None]]
    assert cert.convex == ["convex", "convex", None]  # convex minus concave is convex; convex minus convex is not
    assert certify(net, head="regression").monotone == [[-1, -1], [1, 1], [1, 1]]


# ------------------------------------------------- brute force and soundness
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 3), st.lists(st.integers(1, 3), min_size=0, max_size=3), st.integers(1, 2),
       st.sampled_from(MONOTONE + ["gelu", "silu"]), st.integers(0, 10_000))
def test_matches_path_enumeration_and_is_sound(d, hidden, k, activation, seed):
    rng = np.random.default_rng(seed)
    net = MLP(d, tuple(hidden), k, activation=activation, head="regression" if k > 1 else "binary")
    set_weights(net, rng)
    cert = certify(net)
    assert cert.monotone == reference_certificate(net, (d,))
    # soundness: moving one input up moves a +1 output up (never down), a -1 output down
    X = torch.tensor(rng.uniform(-2, 2, (200, d)), dtype=torch.float64)
    net64 = net.double()
    with torch.no_grad():
        base = net64(X)
        for i in range(d):
            Y = X.clone()
            Y[:, i] += torch.tensor(rng.exponential(1.0, 200))
            diff = net64(Y) - base
            for j in range(k):
                if cert.monotone[j][i] == 1:
                    assert (diff[:, j] >= -1e-9).all()
                elif cert.monotone[j][i] == -1:
                    assert (diff[:, j] <= 1e-9).all()
                elif cert.monotone[j][i] == 0:
                    assert (diff[:, j].abs() <= 1e-9).all()
        A, B = X, torch.tensor(rng.uniform(-2, 2, (200, d)))
        mid, ends = net64((A + B) / 2), (net64(A) + net64(B)) / 2
        for j, c in enumerate(cert.convex):
            if c in ("convex", "affine"):
                assert (mid[:, j] <= ends[:, j] + 1e-9).all()
            if c in ("concave", "affine"):
                assert (mid[:, j] >= ends[:, j] - 1e-9).all()


def test_relu_dnn_plus_convexity_holds_numerically():
    torch.manual_seed(1)
    net = dnn_plus(2, (8, 8)).double()
    assert certify(net).convex == ["convex"]
    a, b = torch.rand(500, 2, dtype=torch.float64) * 4 - 2, torch.rand(500, 2, dtype=torch.float64) * 4 - 2
    with torch.no_grad():
        assert (net((a + b) / 2) <= (net(a) + net(b)) / 2 + 1e-12).all()


# ---------------------------------------------------- mixed paths (explain)
def check_path(net, hops, total_sign, output_unit):
    """Every hop follows a real weight of the stated sign; the signs multiply to ``total_sign``."""
    assert hops[0].layer == -1
    prod = 1
    for prev, hop in zip(hops, hops[1:], strict=False):
        if hop.sign != 0:
            w = float(net[hop.layer].weight.detach()[hop.unit, prev.unit])
            assert np.sign(w) == hop.sign
            prod *= hop.sign
    assert hops[-1].unit == output_unit
    return prod == total_sign


def test_flipped_output_weight_figure_1c_is_explained():
    net = MLP(2, (3,), weights="nonneg", flips={1: [(0, 0)]})  # the paper's Figure 1C flip
    cert = certify(net)
    assert cert.monotone == [[None, None]] and cert.convex == [None]
    assert cert.unprovable() == [(0, 0), (0, 1)]
    paths = cert.explain(0, 1)
    assert all(isinstance(h, Hop) for h in paths["positive"])
    assert check_path(net, paths["positive"], 1, 0) and check_path(net, paths["negative"], -1, 0)
    assert [h.layer for h in paths["negative"]] == [-1, 0, 2]
    assert paths["negative"][1].unit == 0 and paths["negative"][2].sign == -1  # through the flipped weight


def test_non_monotone_activation_proves_nothing_and_shows_where():
    torch.manual_seed(0)
    cert = certify(dnn_plus(2, (3,), activation="gelu"))
    assert cert.monotone == [[None, None]]
    neg = cert.explain(0, 0)["negative"]
    assert any(h.sign == 0 and h.layer == 1 for h in neg)  # the sign turns inside the GELU
    for module, ok in [(nn.LeakyReLU(-0.5), False), (nn.ELU(alpha=-1.0), False), (nn.PReLU(init=0.25), True),
                       (nn.ReLU6(), True), (nn.Hardswish(), False)]:
        net = nn.Sequential(SignedLinear(2, 3, sign="nonneg"), module, SignedLinear(3, 1, sign="nonneg"))
        assert certify(net).is_monotone is ok, module


def test_explain_rejects_out_of_range():
    cert = certify(dnn_plus(2, (3,)))
    with pytest.raises(SignnetError, match="No entry"):
        cert.explain(3, 0)


# ------------------------------------------------------------- conv nets
def small_conv(flip=None):
    torch.manual_seed(0)
    net = nn.Sequential(SignedConv2d(2, 2, 2, padding=1, sign="nonneg"), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), SignedLinear(8, 1, sign="nonneg"))
    if flip:
        net[0].flip(flip)
    return net


@pytest.mark.parametrize("flip", [None, [(1, 0, 0, 0)], [(0, 1, 1, 1), (1, 1, 0, 1)]])
def test_conv_net_per_pixel_matches_brute_force(flip):
    net = small_conv(flip)
    cert = certify(net, input_shape=(2, 3, 3))
    assert len(cert.inputs) == 18
    assert cert.monotone == reference_certificate(net, (2, 3, 3))
    per_channel = certify(net, input_shape=(2, 3, 3), per_channel=True)
    assert per_channel.inputs == ["c0", "c1"]
    for c in range(2):
        pixels = set(cert.monotone[0][9 * c: 9 * c + 9])
        expected = None if None in pixels or {1, -1} <= pixels else (1 if 1 in pixels else -1 if -1 in pixels else 0)
        assert per_channel.monotone[0][c] == expected
    if flip is None:
        assert cert.preserves_dominance and cert.convex == ["convex"]
    else:
        j, i = per_channel.unprovable()[0]
        paths = per_channel.explain(j, i)
        assert 9 * i <= paths["positive"][0].unit < 9 * i + 9  # a pixel of channel i


def test_conv_net_needs_an_input_shape():
    with pytest.raises(SignnetError, match="input_shape"):
        certify(small_conv())
    with pytest.raises(SignnetError, match="does not accept features of shape"):
        certify(small_conv(), input_shape=(3, 3, 3))


# ------------------------------------------------------------------ errors
UNKNOWN = ("certify does not know this module type; build the model from Linear, SignedLinear, Conv1d/2d/3d, "
           "SignedConv2d, max/average pooling, Flatten, Unflatten, Identity, Dropout and element-wise activations "
           "in nn.Sequential containers.")


@pytest.mark.parametrize("module, sentence", [
    (nn.BatchNorm1d(3), "certify refuses module '1' (BatchNorm1d): " + UNKNOWN),
    (nn.Softmax(dim=1), "certify refuses module '1' (Softmax): " + UNKNOWN),
    (nn.Flatten(0), "certify refuses module '1' (Flatten): it reshapes the batch dimension, so samples do not stay "
                    "separate; use start_dim=1 (Flatten) or dim >= 1 (Unflatten)."),
    (nn.Unflatten(-2, (1, 1)), "certify refuses module '1' (Unflatten): it reshapes the batch dimension, so "
                               "samples do not stay separate; use start_dim=1 (Flatten) or dim >= 1 (Unflatten)."),
])
def test_unsupported_modules_are_refused_by_name(module, sentence):
    net = nn.Sequential(nn.Linear(2, 3), module, nn.Linear(3, 1))
    cert = certify(net)
    assert cert.refused and cert.reason == sentence
    assert cert.monotone == [] and cert.convex == [] and not cert.preserves_dominance and not cert.is_monotone
    assert cert.to_dict()["refused"] is True and cert.to_dict()["reason"] == sentence
    with pytest.raises(SignnetError, match="the certificate has none, since certify refuses"):
        cert.explain(0, 0)
    with pytest.raises(SignnetError) as info:
        certify(net, strict=True)
    assert str(info.value) == sentence


def test_non_finite_weights_are_refused():
    net = dnn_plus(2, (3,))
    with torch.no_grad():
        net[2].weight[0, 1] = float("nan")
    with pytest.raises(SignnetError, match="Module 2 .*NaN or infinite"):
        certify(net)
    net = dnn_plus(2, (3,))
    with torch.no_grad():
        net[0].bias[1] = float("inf")
    with pytest.raises(SignnetError, match=r"Module 0 \(SignedLinear, '0'\) has NaN or infinite values in its bias"):
        certify(net)
    net = nn.Sequential(nn.Linear(2, 2), nn.LeakyReLU(float("nan")), nn.Linear(2, 1))
    with pytest.raises(SignnetError, match=r"Module 1 \(LeakyReLU, '1'\) has negative_slope=nan; .*finite value"):
        certify(net)


@pytest.mark.parametrize("kwargs, monotone", [
    ({"weights": "nonneg", "method": "project"}, [[1, 1]]),
    *[({"weights": "nonneg", "method": "reparam", "transform": t}, [[1, 1]]) for t in ("abs", "softplus", "exp",
                                                                                       "square")],
    ({"weights": "nonneg", "method": "penalty"}, [[1, 1]]),
    ({"monotonic_cst": [1, -1]}, [[1, -1]]),
    ({"monotonic_cst": [1, -1], "method": "reparam"}, [[1, -1]]),
    ({"weights": "nonneg", "flips": {1: [(0, 0)]}}, [[None, None]]),
    ({"weights": "nonneg", "method": "reparam", "flips": {0: [(1, 1)]}}, [[1, None]]),
    ({"weights": "nonneg", "out_features": 2, "head": "regression"}, [[1, 1], [1, 1]]),
    ({"weights": ["nonneg", [[-1] * 3, [1] * 3]], "out_features": 2, "head": "softmax"}, [[1, 1]]),
])
def test_every_network_signnet_builds_is_analysed(kwargs, monotone):
    torch.manual_seed(0)
    net = MLP(2, (3,), **kwargs)
    cert = certify(net, strict=True)
    assert not cert.refused and cert.reason is None and cert.monotone == monotone
    assert cert.to_dict()["refused"] is False and cert.to_dict()["reason"] is None


def test_reparametrised_conv_net_is_analysed():
    torch.manual_seed(0)
    net = nn.Sequential(SignedConv2d(1, 2, 1, sign="nonneg", method="reparam"), nn.ReLU(), nn.AvgPool2d(2),
                        nn.Flatten(), nn.Unflatten(1, (2, 1)), nn.Flatten(), SignedLinear(2, 1, sign="nonneg"))
    cert = certify(net, input_shape=(1, 3, 3), strict=True)
    assert cert.preserves_dominance and cert.monotone == [[1, 1, 0, 1, 1, 0, 0, 0, 0]]  # row and column 2 fall out
    assert cert.layers[0] == "0: ParametrizedSignedConv2d"


def test_plain_torch_modules_nest():
    net = nn.Sequential(nn.Sequential(nn.Linear(2, 4), nn.Tanh()), nn.Dropout(0.1), nn.Linear(4, 1))
    with torch.no_grad():
        for m in (net[0][0], net[2]):
            m.weight.abs_()
    cert = certify(net)
    assert cert.monotone == [[1, 1]] and cert.layers[0] == "0: Linear"


def test_ten_million_parameter_mlp_is_fast():
    torch.manual_seed(0)
    net = MLP(1000, (2000, 2000, 1000))  # 8M parameters, mixed signs
    best = min(_timed(net) for _ in range(2))
    assert best < 1.0


def _timed(net):
    start = time.perf_counter()
    cert = certify(net)
    assert cert.monotone[0][0] is None
    return time.perf_counter() - start
