"""Sign-aware initialisation (signnet.nn.init): exact signs, the variance it is designed for, seeding."""

import pytest
import torch
from torch import nn

from signnet import MLP, SignedConv2d, SignedLinear, SignnetError, sign_init_
from signnet.nn import sign_init_network_


def _pre_activations(model, rows=20000):
    """Per affine layer: mean over units of the variance and of |mean| of its output on N(0, I) inputs."""
    x = torch.randn(rows, model[0].in_features, generator=torch.Generator().manual_seed(123))
    stats = []
    with torch.no_grad():
        for module in model:
            x = module(x)
            if isinstance(module, nn.Linear):
                stats.append((float(x.var(0).mean()), float(x.mean(0).abs().mean())))
    return stats


def test_constrained_entries_get_exactly_their_sign_and_free_entries_are_kept():
    mask = torch.tensor([[1.0, -1.0, 0.0, 1.0], [0.0, 0.0, -1.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
    w = torch.randn(3, 4, generator=torch.Generator().manual_seed(0)) * 0.2
    before = w.clone()
    b = torch.randn(3)
    sign_init_(w, mask, torch.Generator().manual_seed(1), bias=b, input_mean=0.5)
    assert bool((w[mask == 1] > 0).all()) and bool((w[mask == -1] < 0).all())
    assert torch.equal(w[mask == 0], before[mask == 0])
    assert torch.allclose(w @ torch.full((4,), 0.5) + b, torch.zeros(3), atol=1e-6)  # centred rows ...
    assert torch.equal(w[2], before[2])  # ... a free row keeps its weights (its bias is centred too)


def test_free_entries_that_exceed_the_target_alone_leave_the_constrained_ones_a_strict_sign():
    w = torch.tensor([[3.0, 0.0, 0.0], [0.1, 0.0, 0.0]])
    sign_init_(w, [0, 1, -1], torch.Generator().manual_seed(0))
    assert bool((w[:, 1] > 0).all()) and bool((w[:, 2] < 0).all()) and float(w[0, 0]) == 3.0
    assert float(w[1].square().sum()) == pytest.approx(1.0, rel=1e-6)  # the row that can meet the target does
    assert float(w[0, 1:].square().sum()) == pytest.approx(1.0, rel=1e-6)  # the other: scale without the free part


def test_a_fully_free_weight_and_its_bias_are_left_alone():
    w, b = torch.randn(4, 3), torch.randn(4)
    w0, b0 = w.clone(), b.clone()
    sign_init_(w, "free", bias=b, input_mean=1.0)
    assert torch.equal(w, w0) and torch.equal(b, b0)


@pytest.mark.parametrize("spec", ["nonneg", "nonpos", [1, -1, 0, 1, 1, 0, -1, 1]])
@pytest.mark.parametrize("rho", [0.0, 0.6, 0.95])
def test_each_row_meets_the_target_variance_exactly_for_its_input_covariance(spec, rho):
    n = 8
    cov = 2.0 * ((1 - rho) * torch.eye(n, dtype=torch.float64) + rho * torch.ones(n, n, dtype=torch.float64))
    w = torch.randn(16, n, dtype=torch.float64, generator=torch.Generator().manual_seed(2)) * 0.1
    sign_init_(w, spec, torch.Generator().manual_seed(3), input_cov=cov, target_var=0.7)
    assert torch.allclose(((w @ cov) * w).sum(1), torch.full((16,), 0.7, dtype=torch.float64), rtol=1e-9)


@pytest.mark.parametrize("activation", ["relu", "tanh", "softplus"])
@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_pre_activations_on_standard_normal_inputs_have_the_target_variance_and_mean_zero(activation, depth):
    torch.manual_seed(depth)
    model = MLP(10, (64,) * depth, activation=activation, weights="nonneg", head="regression", init="sign")
    stats = _pre_activations(model)
    for var, mean in stats[:-1]:
        assert var == pytest.approx(1.0, rel=0.1) and mean < 0.05
    assert stats[-1][0] == pytest.approx(1 / 3, rel=0.15) and stats[-1][1] < 0.1  # the output layer: torch's default


def test_the_abs_init_is_what_drifts():
    torch.manual_seed(0)
    stats = _pre_activations(MLP(10, (64,) * 3, weights="nonneg", head="regression", init="abs"))
    assert stats[-1][0] > 10 * stats[0][0]  # the variance grows with depth: what init="sign" corrects


def test_monotone_first_layer_with_free_columns_keeps_the_free_weights():
    torch.manual_seed(0)
    ref = MLP(6, (32, 32), monotonic_cst=[1, -1, 0, 0, 1, 0], head="regression")
    torch.manual_seed(0)
    net = MLP(6, (32, 32), monotonic_cst=[1, -1, 0, 0, 1, 0], head="regression", init="sign")
    free = ref[0].sign_mask == 0
    assert torch.equal(net[0].weight[free], ref[0].weight[free])
    assert bool((net[0].weight[:, [0, 4]] > 0).all()) and bool((net[0].weight[:, 1] < 0).all())
    assert all(bool((layer.weight > 0).all()) for layer in net.linear_layers[1:])
    for var, mean in _pre_activations(net)[1:-1]:
        assert var == pytest.approx(1.0, rel=0.1) and mean < 0.05


@pytest.mark.parametrize("method", ["reparam", "penalty"])
def test_network_init_writes_through_every_enforcement_method(method):
    torch.manual_seed(0)
    net = MLP(5, (32, 32), weights="nonneg", method=method, init="sign", head="regression")
    assert all(bool((layer.weight >= 0).all()) for layer in net.linear_layers)
    assert _pre_activations(net)[1][0] == pytest.approx(1.0, rel=0.1)


def test_the_default_init_is_unchanged():
    states = []
    for kwargs in ({}, {"init": "abs"}):
        torch.manual_seed(4)
        states.append(MLP(3, (8, 8), weights="nonneg", **kwargs).state_dict())
    torch.manual_seed(4)
    plain = [nn.Linear(3, 8), nn.Linear(8, 8), nn.Linear(8, 1)]
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])
    assert torch.equal(states[0]["0.weight"], plain[0].weight.detach().abs())  # |torch's default|, as before


def test_a_generator_makes_it_reproducible_and_leaves_the_global_generator_alone():
    before = torch.get_rng_state()
    a, b, c = (torch.zeros(6, 5) for _ in range(3))
    sign_init_(a, "nonneg", torch.Generator().manual_seed(7))
    sign_init_(b, "nonneg", torch.Generator().manual_seed(7))
    sign_init_(c, "nonneg", torch.Generator().manual_seed(8))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(torch.get_rng_state(), before)
    torch.manual_seed(0)
    net1, net2 = MLP(4, (8,), weights="nonneg"), MLP(4, (8,), weights="nonneg")
    net2.load_state_dict(net1.state_dict())
    before = torch.get_rng_state()
    sign_init_network_(net1, torch.Generator().manual_seed(9))
    sign_init_network_(net2, torch.Generator().manual_seed(9))
    assert torch.equal(torch.get_rng_state(), before)
    assert all(torch.equal(v, net2.state_dict()[k]) for k, v in net1.state_dict().items())


def test_layers_take_init_sign():
    torch.manual_seed(0)
    layer = SignedLinear(50, 200, sign="nonpos", init="sign")
    assert bool((layer.weight < 0).all()) and torch.equal(layer.bias, torch.zeros(200))
    assert float(layer.weight.detach().square().sum(1).mean()) == pytest.approx(1.0, rel=1e-5)  # unit variance for C = I
    conv = SignedConv2d(2, 4, 3, sign="nonneg", init="sign")
    assert bool((conv.weight > 0).all())


@pytest.mark.parametrize("build, message", [
    (lambda: MLP(2, (3,), init="kaiming"), r"^`init` must be 'abs' .* or 'sign' .*, got 'kaiming'\.$"),
    (lambda: SignedLinear(2, 3, init="he"), r"^`init` must be 'abs' .*got 'he'\.$"),
    (lambda: sign_init_(torch.zeros(2, 3), "nonneg", target_var=0.0),
     r"^`target_var` must be a positive finite number, got 0\.0; pass e\.g\. 1\.0\.$"),
    (lambda: sign_init_(torch.zeros(2, 3), "nonneg", input_cov=torch.eye(2)),
     r"^`input_cov` must be \(3, 3\) for a fan-in of 3, got \(2, 2\)\.$"),
    (lambda: sign_init_network_(nn.Sequential(SignedLinear(2, 3, sign="nonneg"), nn.BatchNorm1d(3))),
     r"^sign_init_network_ knows affine layers and element-wise activations, got BatchNorm1d; .*"),
])
def test_bad_init_arguments(build, message):
    with pytest.raises(SignnetError, match=message):
        build()


def test_network_init_on_given_inputs_meets_the_target_on_those_inputs():
    g = torch.Generator().manual_seed(5)
    common = torch.randn(3000, 1, generator=g)
    X = 0.9 * common + 0.45 * torch.randn(3000, 6, generator=g)  # strongly correlated features
    torch.manual_seed(0)
    net = sign_init_network_(MLP(6, (32, 32), weights="nonneg", head="regression"), inputs=X)
    h = X
    with torch.no_grad():
        for module in net:
            h = module(h)
            if isinstance(module, nn.Linear) and module is not net[-1]:
                assert float(h.var(0, correction=0).mean()) == pytest.approx(1.0, rel=1e-3)
                assert float(h.mean(0).abs().max()) < 1e-4
    with pytest.raises(SignnetError, match=r"^`inputs` must be finite rows of shape \(m >= 2, 6\), got shape \(5,\)"):
        sign_init_network_(net, inputs=torch.zeros(5))
