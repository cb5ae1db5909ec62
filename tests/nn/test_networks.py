"""MLP, dnn, dnn_plus, and the paper's facts about DNN+ (Lemma 1.1, Theorem 1.1, convexity, Def 1.1)."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from torch import nn

from signnet import MLP, SignedLinear, SignnetError, certify, dnn, dnn_plus, fit, make_problem

pytestmark = pytest.mark.usefixtures("single_thread")

MONOTONE = ["relu", "leaky_relu", "elu", "softplus", "sigmoid", "tanh"]
CONVEX_MONOTONE = ["relu", "leaky_relu", "elu", "softplus"]


# ----------------------------------------------------------------------------- structure

def test_layer_structure():
    net = MLP(3, (4, 5), 2, activation="tanh", head="softmax")
    assert isinstance(net, nn.Sequential)
    assert [type(m).__name__ for m in net] == ["SignedLinear", "Tanh", "SignedLinear", "Tanh", "SignedLinear"]
    assert [(l.in_features, l.out_features) for l in net.linear_layers] == [(3, 4), (4, 5), (5, 2)]
    assert net(torch.randn(6, 3)).shape == (6, 2)


def test_no_hidden_layer_is_a_single_affine_map():
    net = MLP(4, (), weights="nonneg")
    assert len(net) == 1 and isinstance(net[0], SignedLinear)
    assert net[0].sign_mask.shape == (1, 4)


def test_output_layer_is_affine():
    # the last module is the affine layer, never an activation (see the Def 1.1 test below)
    for act in MONOTONE:
        assert isinstance(MLP(2, (3, 3), activation=act)[-1], SignedLinear)


def test_config():
    net = MLP(2, (8,), activation="elu", weights="nonneg", method="reparam", transform="exp", strength=2.0)
    assert net.config == {
        "in_features": 2, "hidden": [8], "out_features": 1, "activation": "elu", "weights": "nonneg",
        "method": "reparam", "transform": "exp", "strength": 2.0, "head": "binary", "monotonic_cst": None,
        "flips": None, "init": "abs",
    }
    assert all(l.method == "reparam" and l.transform == "exp" for l in net.linear_layers)


def test_per_layer_weights_list():
    net = MLP(2, (3, 2), weights=["free", "nonpos", [[1, -1]]])
    masks = [l.sign_mask for l in net.linear_layers]
    assert (masks[0] == 0).all()
    assert (masks[1] == -1).all()
    assert masks[2].tolist() == [[1.0, -1.0]]
    assert net.config["weights"] == ["free", "nonpos", [[1, -1]]]
    assert (net.linear_layers[1].weight <= 0).all()
    w2 = net.linear_layers[2].weight.detach()
    assert w2[0, 0] >= 0 and w2[0, 1] <= 0


def test_weights_list_of_wrong_length():
    with pytest.raises(SignnetError, match=r"`weights` lists 2 sign specifications for 3 layers"):
        MLP(2, (3, 2), weights=["free", "nonneg"])


def test_monotonic_cst_sets_first_layer_columns_and_later_layers_nonneg():
    net = MLP(3, (4, 4), weights="free", monotonic_cst=[1, -1, 0])
    first, *later = net.linear_layers
    assert first.sign_mask.shape == (4, 3)
    assert (first.sign_mask[:, 0] == 1).all()
    assert (first.sign_mask[:, 1] == -1).all()
    assert (first.sign_mask[:, 2] == 0).all()
    assert all((l.sign_mask == 1).all() for l in later)
    assert net.config["monotonic_cst"] == [1, -1, 0]


def test_monotonic_cst_keeps_explicit_later_specs():
    with pytest.warns(UserWarning, match=r"an odd number of later layers is 'nonpos', which reverses every direction"):
        net = MLP(2, (3, 3), weights=["free", "nonpos", "free"], monotonic_cst=[1, 1])
    assert [float(l.sign_mask.unique().item()) for l in net.linear_layers] == [1.0, -1.0, 1.0]
    assert certify(net).monotone == [[-1, -1]]  # reversed, as the warning says
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        even = MLP(2, (3, 3), weights=["free", "nonpos", "nonpos"], monotonic_cst=[1, -1])  # two flips: kept
    assert certify(even, monotonic_cst=[1, -1]).satisfies_monotonic_cst
    with pytest.warns(UserWarning, match=r"need not keep its directions on every path"):
        MLP(2, (3,), monotonic_cst=[1, 1], flips={1: [(0, 0)]})


def test_monotonic_cst_gives_the_promised_monotonicity():
    torch.manual_seed(0)
    net = MLP(3, (8, 8), activation="tanh", monotonic_cst=[1, -1, 0]).double()
    x = torch.rand(200, 3, dtype=torch.float64) * 4 - 2
    step = torch.rand(200, 1, dtype=torch.float64) * 2
    base = net(x)
    for feature, sign in ((0, 1), (1, -1)):
        moved = x.clone()
        moved[:, feature] += step[:, 0]
        diff = (net(moved) - base).detach()
        assert (sign * diff >= -1e-12).all()
    # feature 2 is free: moving it changes the output in both directions somewhere
    moved = x.clone()
    moved[:, 2] += step[:, 0]
    diff = (net(moved) - base).detach()
    assert diff.abs().max() > 1e-3


def test_flips_are_applied_and_recorded_in_config():
    torch.manual_seed(0)
    net = MLP(2, (3,), weights="nonneg", flips={0: [(0, 1)]})
    assert net.linear_layers[0].sign_mask[0, 1] == -1
    assert net.linear_layers[0].weight[0, 1] <= 0
    assert net.config["flips"] == {"0": [[0, 1]]}
    net.flip({1: [(0, 2)], "0": [(2, 0)]})
    assert net.config["flips"] == {"0": [[0, 1], [2, 0]], "1": [[0, 2]]}
    assert net.linear_layers[1].sign_mask.tolist() == [[1.0, 1.0, -1.0]]
    assert int((net.linear_layers[0].sign_mask == -1).sum()) == 2


def test_flip_errors():
    with pytest.raises(SignnetError, match=r"Layer index 2 is out of range; this network has affine layers 0\.\.1"):
        MLP(2, (3,), weights="nonneg", flips={2: [(0, 0)]})
    with pytest.raises(SignnetError, match="is free"):
        MLP(2, (3,), weights="free", flips={0: [(0, 0)]})


def test_predict_binary():
    torch.manual_seed(0)
    net = MLP(2, (4,))
    x = torch.randn(50, 2)
    out = net(x)[:, 0]
    pred = net.predict(x)
    assert pred.dtype == torch.int64
    assert torch.equal(pred, (out > 0).long())
    with torch.no_grad():  # a large output bias decides every prediction
        net[-1].bias.fill_(100.0)
    assert (net.predict(x) == 1).all()
    with torch.no_grad():
        net[-1].bias.fill_(-100.0)
    assert (net.predict(x) == 0).all()


def test_predict_softmax_and_regression():
    torch.manual_seed(0)
    net = MLP(2, (4,), 3, head="softmax")
    x = torch.randn(50, 2)
    assert torch.equal(net.predict(x), net(x).argmax(1))
    with torch.no_grad():
        net[-1].bias.copy_(torch.tensor([0.0, 0.0, 100.0]))
    assert (net.predict(x) == 2).all()
    reg = MLP(2, (4,), 2, head="regression")
    assert torch.equal(reg.predict(x), reg(x).detach())


def test_bad_head():
    with pytest.raises(SignnetError, match=r"Unknown head 'sigmoid'; choose one of: binary, softmax, regression"):
        MLP(2, head="sigmoid")


@pytest.mark.parametrize("kwargs, what", [
    (dict(hidden=(4, 0)), r"`hidden width` must be a positive integer, got 0"),
    (dict(hidden=(-3,)), r"`hidden width` must be a positive integer, got -3"),
    (dict(hidden=(2.5,)), r"`hidden width` must be a positive integer, got 2\.5"),
    (dict(hidden=(True,)), r"`hidden width` must be a positive integer, got True"),
    (dict(out_features=0, head="regression"), r"`out_features` must be a positive integer, got 0"),
])
def test_bad_widths(kwargs, what):
    with pytest.raises(SignnetError, match=what):
        MLP(2, **kwargs)


def test_bad_in_features():
    with pytest.raises(SignnetError, match=r"`in_features` must be a positive integer, got 0"):
        MLP(0)


def test_binary_head_needs_one_output():
    with pytest.raises(SignnetError, match=r"A binary head has one logit, got out_features=3; use head='softmax'"):
        MLP(2, (4,), 3)


def test_unknown_activation():
    with pytest.raises(SignnetError, match=r"Unknown activation 'relu6'"):
        MLP(2, (4,), activation="relu6")


def test_dnn_and_dnn_plus():
    free, plus = dnn(3, (5,)), dnn_plus(3, (5,), method="reparam")
    assert free.config["weights"] == "free" and plus.config["weights"] == "nonneg"
    assert all((l.sign_mask == 0).all() for l in free.linear_layers)
    assert all((l.weight >= 0).all() for l in plus.linear_layers)
    assert plus.config["method"] == "reparam"
    assert any((l.weight < 0).any() for l in free.linear_layers)


# ----------------------------------------------------------------------------- the paper's facts

def _random_dnn_plus(d, widths, activation, method, seed, scale, out=1, zero_fraction=0.2):
    """A DNN+ in float64 with random non-negative weights (some exactly 0) and arbitrary biases."""
    head = "binary" if out == 1 else "regression"
    net = MLP(d, tuple(widths), out, activation=activation, weights="nonneg", method=method, head=head).double()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in net.linear_layers:
            raw = torch.randn(layer.weight.shape, generator=gen, dtype=torch.float64) * scale
            if method == "project":
                keep = torch.rand(raw.shape, generator=gen, dtype=torch.float64) >= zero_fraction
                layer.weight.copy_(raw.abs() * keep)
            else:  # any real value of the underlying parameter gives a non-negative weight
                layer.parametrizations.weight.original.copy_(raw)
            layer.bias.copy_(torch.randn(layer.bias.shape, generator=gen, dtype=torch.float64) * 2 * scale)
    assert all((l.weight >= 0).all() for l in net.linear_layers)
    return net


nets = dict(
    depth=st.integers(1, 3),
    widths=st.lists(st.integers(1, 8), min_size=3, max_size=3),
    d=st.integers(1, 4),
    method=st.sampled_from(["project", "reparam"]),
    seed=st.integers(0, 2**31 - 1),
    scale=st.floats(0.1, 3.0),
)


@settings(max_examples=50, deadline=None)
@given(activation=st.sampled_from(MONOTONE + ["identity"]), out=st.integers(1, 3), data=st.data(), **nets)
def test_theorem_1_1_dnn_plus_preserves_dominance(depth, widths, d, method, seed, scale, activation, out, data):
    """Lemma 1.1 / Theorem 1.1: x <= y element-wise implies F(x) <= F(y)."""
    net = _random_dnn_plus(d, widths[:depth], activation, method, seed, scale, out)
    x = data.draw(arrays(np.float64, (4, d), elements=st.floats(-5, 5)))
    step = data.draw(arrays(np.float64, (4, d), elements=st.floats(0, 5)))
    x = torch.from_numpy(x)
    y = x + torch.from_numpy(step)
    with torch.no_grad():
        fx, fy = net(x), net(y)
    assert (fx <= fy + 1e-5).all(), (fx - fy).max()
    if out == 1:  # the probability sigmoid(P) too
        assert (torch.sigmoid(fx) <= torch.sigmoid(fy) + 1e-5).all()


@settings(max_examples=50, deadline=None)
@given(activation=st.sampled_from(CONVEX_MONOTONE), t=st.floats(0, 1), data=st.data(), **nets)
def test_relu_family_dnn_plus_is_convex(depth, widths, d, method, seed, scale, activation, t, data):
    """A DNN+ with convex non-decreasing activations is convex in its input."""
    net = _random_dnn_plus(d, widths[:depth], activation, method, seed, scale)
    x = torch.from_numpy(data.draw(arrays(np.float64, (4, d), elements=st.floats(-5, 5))))
    y = torch.from_numpy(data.draw(arrays(np.float64, (4, d), elements=st.floats(-5, 5))))
    with torch.no_grad():
        mid, fx, fy = net(t * x + (1 - t) * y), net(x), net(y)
    assert (mid <= t * fx + (1 - t) * fy + 1e-6).all(), (mid - t * fx - (1 - t) * fy).max()


def test_the_property_checks_can_fail():
    """Negative controls: free weights break dominance; tanh breaks convexity."""
    torch.manual_seed(0)
    free = MLP(2, (8, 8)).double()
    x = torch.rand(500, 2, dtype=torch.float64) * 4 - 2
    y = x + torch.rand(500, 2, dtype=torch.float64)
    with torch.no_grad():
        assert (free(x) - free(y)).max() > 0.01  # some x <= y with F(x) > F(y)
    tanh_plus = MLP(1, (1,), activation="tanh", weights="nonneg").double()
    with torch.no_grad():
        for layer in tanh_plus.linear_layers:
            layer.weight.fill_(1.0)
            layer.bias.fill_(0.0)
        a, b = torch.tensor([[0.0]], dtype=torch.float64), torch.tensor([[2.0]], dtype=torch.float64)
        # tanh(1) = 0.76 > (tanh(0) + tanh(2)) / 2 = 0.48: monotone but not convex
        assert float(tanh_plus(0.5 * a + 0.5 * b)) > float(0.5 * tanh_plus(a) + 0.5 * tanh_plus(b)) + 0.2


def test_flipping_one_weight_breaks_dominance():
    net = MLP(1, (1,), weights="nonneg", flips={1: [(0, 0)]}).double()
    with torch.no_grad():
        net[0].weight.fill_(1.0)
        net[0].bias.fill_(0.0)
        net[-1].weight.fill_(-1.0)
        out = net(torch.tensor([[1.0], [2.0]], dtype=torch.float64))
    assert float(out[0]) > float(out[1])


def test_def_1_1_pitfall_affine_output_lets_a_dnn_plus_predict_class_0():
    """Def 1.1 puts a ReLU on the output: P(x) >= 0, so sigmoid(P(x)) >= 1/2 and class 0 is never
    predicted with confidence. signnet's affine output layer can go negative."""
    p = make_problem("negative_slope", 400, seed=0)
    torch.manual_seed(0)
    net = dnn_plus(2, (8,))
    fit(net, p.X, p.y, epochs=300, lr=0.05, patience=None, progress=False)
    assert all((l.weight >= 0).all() for l in net.linear_layers)
    with torch.no_grad():
        logits = net(torch.from_numpy(p.X))[:, 0]
    assert float(logits.min()) < -2.0  # a negative output ...
    assert float(torch.sigmoid(logits).min()) < 0.15  # ... so a confident class 0
    pred = net.predict(torch.from_numpy(p.X)).numpy()
    assert 0.3 < float((pred == 0).mean()) < 0.7
    assert float((pred == p.y).mean()) > 0.95
    # the paper's Def 1.1 network, ReLU on the output, could not: its probability never drops below 1/2
    assert float(torch.sigmoid(torch.relu(logits)).min()) >= 0.5


def test_export_and_compile_compute_the_same_network():
    # the README says torch.export and torch.compile work on signnet's modules
    import signnet

    torch.manual_seed(0)
    x = torch.randn(8, 3)
    for module in (signnet.MLP(3, (4,), weights="nonneg"), signnet.MonotoneMLP([1, 0, -1], (4, 4)),
                   signnet.SignedLinear(3, 2, sign=[1, -1, 0], method="reparam")):
        torch.testing.assert_close(torch.export.export(module, (x,)).module()(x), module(x))
        torch.testing.assert_close(torch.compile(module, backend="aot_eager")(x), module(x))
