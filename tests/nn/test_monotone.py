"""MonotoneMLP: monotone by construction (hypothesis), certified, round-tripped, and what each architecture can fit."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, target
from hypothesis import strategies as st
from scipy.optimize import lsq_linear

from signnet import MONOTONE_ARCHITECTURES, MixedActivation, MonotoneMLP, SignnetError, certify, fit, load, save
from signnet.nn.activations import mixed_counts

pytestmark = pytest.mark.usefixtures("single_thread")


@st.composite
def monotone_nets(draw, activations=("relu", "leaky_relu")):
    """A float64 MonotoneMLP with arbitrary sign-respecting weights and biases, and its constraints."""
    d = draw(st.integers(1, 5))
    cst = draw(st.lists(st.sampled_from([-1, 0, 1]), min_size=d, max_size=d).filter(any))
    hidden = tuple(draw(st.lists(st.integers(1, 6), min_size=0, max_size=3)))
    arch = draw(st.sampled_from(MONOTONE_ARCHITECTURES))
    split = draw(st.sampled_from([(2, 2, 1), (1, 0, 0), (0, 1, 1), (0, 0, 1)]))
    net = MonotoneMLP(cst, hidden, architecture=arch, activation=draw(st.sampled_from(activations)), split=split,
                      dtype=torch.float64)
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31)))
    with torch.no_grad():  # any weights of the allowed signs: random values, then the projection
        for layer in net.linear_layers:
            layer.weight.normal_(0, 2, generator=gen)
            layer.bias.normal_(0, 2, generator=gen)
            layer.project_()
    return net, cst


@given(monotone_nets(), st.data())
@settings(max_examples=150, deadline=None)
def test_output_moves_in_the_constrained_direction(net_cst, data):
    net, cst = net_cst
    d = len(cst)
    x = torch.tensor(data.draw(st.lists(st.floats(-10, 10), min_size=d, max_size=d)), dtype=torch.float64)
    i = data.draw(st.sampled_from([k for k in range(d) if cst[k] != 0]))
    step = data.draw(st.floats(1e-6, 20))
    # the drawn point, and 63 more around it: one flat spot of a ReLU network would leave a single pair equal
    gen = torch.Generator().manual_seed(data.draw(st.integers(0, 2**31)))
    xs = torch.cat([x[None], x + 5 * torch.randn(63, d, generator=gen, dtype=torch.float64)])
    ys = xs.clone()
    ys[:, i] += step
    # free features at any value: both points of a pair share them, whatever they are
    with torch.no_grad():
        moves = cst[i] * (net(ys)[:, 0] - net(xs)[:, 0])
    target(float((moves > 0).sum()))  # steer hypothesis towards networks that do move
    assert (moves >= 0).all(), moves.min().item()


def test_output_moves_strictly_somewhere_for_many_drawn_networks():
    """The property above is not vacuous: for many drawn networks some pair moves strictly (the others are
    flat where probed: dead ReLUs, zero weights after the projection)."""
    moved = []

    @given(monotone_nets())
    @settings(max_examples=60, deadline=None, database=None, derandomize=True)
    def record(net_cst):
        net, cst = net_cst
        gen = torch.Generator().manual_seed(0)
        xs = 5 * torch.randn(64, len(cst), generator=gen, dtype=torch.float64)
        i = next(k for k in range(len(cst)) if cst[k] != 0)
        ys = xs.clone()
        ys[:, i] += 1.0
        with torch.no_grad():
            moved.append(bool((net(ys) != net(xs)).any()))

    record()
    assert sum(moved) >= len(moved) // 3, f"{sum(moved)} of {len(moved)} drawn networks moved"  # 32 of 60 when written


@pytest.mark.parametrize("arch", MONOTONE_ARCHITECTURES)
def test_certificate_proves_the_constrained_directions(arch):
    rng = np.random.default_rng(1)
    for trial in range(5):
        cst = rng.choice([-1, 0, 1], size=6).tolist()
        cst[trial] = 1 if trial % 2 else -1  # at least one constrained feature
        torch.manual_seed(trial)
        net = MonotoneMLP(cst, (8, 5, 4)[: 1 + trial % 3], architecture=arch)
        cert = certify(net, strict=True)
        assert not cert.refused
        assert [cert.monotone[0][i] for i in range(6) if cst[i]] == [c for c in cst if c]


def test_certificate_sees_a_weight_of_the_wrong_sign():
    torch.manual_seed(0)
    net = MonotoneMLP([1, -1], (4, 4), architecture="mixed")
    assert certify(net).monotone == [[1, -1]]
    with torch.no_grad():
        net[2].weight[0, 0] = -1.0  # one later weight negative, not projected
    assert certify(net).monotone == [[None, None]]


@pytest.mark.parametrize(("arch", "activation", "split", "convex"), [
    ("dnn+", "relu", (2, 2, 1), "convex"),
    ("dnn+", "elu", (2, 2, 1), "convex"),
    ("dnn+", "tanh", (2, 2, 1), None),
    ("mixed", "relu", (2, 2, 1), None),
    ("mixed", "relu", (1, 0, 0), "convex"),  # every unit convex: a ReLU DNN+
    ("mixed", "relu", (0, 1, 0), "concave"),  # -relu(-x) of affine, then non-negative weights: concave
    ("alternating", "relu", (2, 2, 1), None),
])
def test_convexity_is_claimed_only_where_it_holds(arch, activation, split, convex):
    torch.manual_seed(0)
    net = MonotoneMLP([1, 0, -1], (6, 6), architecture=arch, activation=activation, split=split)
    assert certify(net).convex == [convex]


def test_mixed_activation_units_and_properties():
    x = torch.linspace(-3, 3, 25, dtype=torch.float64)
    relu = torch.relu
    out = MixedActivation("relu", 75, split=(1, 1, 1))(x.repeat(3))
    assert torch.equal(out[:25], relu(x))
    assert torch.equal(out[25:50], -relu(-x))
    assert torch.equal(out[50:], x.clamp(-1, 1))  # rho_tilde of ReLU
    softplus = torch.nn.functional.softplus
    sat = MixedActivation("softplus", 25, split=(0, 0, 1))(x)
    one = softplus(torch.tensor(1.0, dtype=torch.float64))
    expected = torch.where(x < 0, softplus(x + 1) - one, one - softplus(1 - x))
    assert torch.allclose(sat, expected, rtol=0, atol=1e-15)
    assert MixedActivation("relu", 4, (1, 0, 0)).properties() == (True, True, False)
    assert MixedActivation("relu", 4, (0, 1, 0)).properties() == (True, False, True)
    assert MixedActivation("relu", 4, (2, 2, 1)).properties() == (True, False, False)
    assert MixedActivation("identity", 4, (2, 2, 1)).properties() == (True, True, True)
    assert mixed_counts(10, (2, 2, 1)) == (4, 4, 2)
    assert mixed_counts(32, (2, 2, 1)) == (13, 13, 6)
    assert mixed_counts(3, (1, 0, 0)) == (3, 0, 0)
    assert mixed_counts(1, (1, 1, 1)) == (1, 0, 0)


@pytest.mark.parametrize("activation", ["elu", "softplus", "leaky_relu", "identity"])
def test_mixed_activation_one_call_equals_the_three_formulas_with_gradients(activation):
    """The forward pass evaluates rho once per unit; values and gradients are those of the paper's three maps,
    including rho'(1) at x = 0 on the saturated units (the branch x >= 0)."""
    from signnet.nn.activations import CONVEX_FUNCTIONS

    rho = CONVEX_FUNCTIONS[activation]
    x = torch.cat([torch.linspace(-4, 4, 33, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)])
    n = x.numel()
    inputs = x.repeat(3).requires_grad_(True)
    out = MixedActivation(activation, 3 * n, split=(1, 1, 1), dtype=torch.float64)(inputs)
    ref_in = x.repeat(3).requires_grad_(True)
    a, b, s = ref_in[:n], ref_in[n:2 * n], ref_in[2 * n:]
    one = rho(torch.tensor(1.0, dtype=torch.float64))
    ref = torch.cat([rho(a), -rho(-b), torch.where(s < 0, rho(s + 1) - one, one - rho(1 - s))])
    assert torch.allclose(out, ref, rtol=0, atol=1e-15)
    out.sum().backward()
    ref.sum().backward()
    assert torch.allclose(inputs.grad, ref_in.grad, rtol=0, atol=1e-15)
    assert inputs.grad[-1] > 0  # x = 0 on a saturated unit: rho'(1), not 0


def test_mixed_activation_keeps_no_state_outside_what_certify_checks():
    """Zeroing every tensor held in the module's plain attributes after a forward pass changes nothing: the
    forward pass depends only on ``activation``, ``counts`` and (ReLU) the checked bounds."""
    act = MixedActivation("elu", 6, split=(1, 1, 1), dtype=torch.float64)
    x = torch.linspace(-2, 2, 6, dtype=torch.float64)
    before = act(x)

    def tensors(value):
        if isinstance(value, torch.Tensor):
            yield value
        elif isinstance(value, dict):
            for v in value.values():
                yield from tensors(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                yield from tensors(v)

    for name, value in vars(act).items():
        if not name.startswith("_buffers") and not name.startswith("_parameters"):
            for t in tensors(value):
                t.zero_()
    assert torch.equal(act(x), before)


def test_errors_name_the_parameter():
    with pytest.raises(SignnetError, match=r"`monotonic_cst` must hold only -1, 0 and 1, one per feature, got \[1, 2\]"):
        MonotoneMLP([1, 2])
    with pytest.raises(SignnetError, match=r"Unknown architecture 'convex'; choose one of: dnn\+, mixed, alternating\."):
        MonotoneMLP([1], architecture="convex")
    with pytest.raises(SignnetError, match=r"`activation` must be non-decreasing for a monotone network, got 'gelu'"):
        MonotoneMLP([1], activation="gelu")
    with pytest.raises(SignnetError, match=r"architecture 'mixed' needs a convex activation, got 'tanh'"):
        MonotoneMLP([1], activation="tanh")
    with pytest.raises(SignnetError, match=r"`head` of a MonotoneMLP must be 'regression' or 'binary', got 'softmax'"):
        MonotoneMLP([1], head="softmax")
    with pytest.raises(SignnetError, match=r"`split` must be three finite numbers >= 0 with a positive sum"):
        MonotoneMLP([1], split=(0, 0, 0))
    with pytest.raises(SignnetError, match=r"`split` must be three finite numbers >= 0 with a positive sum"):
        MonotoneMLP([1], (), architecture="dnn+", split="abc")
    with pytest.raises(SignnetError, match=r"MixedActivation has 3 units but got an input whose last dimension is 2"):
        MixedActivation("relu", 3)(torch.zeros(1, 2))


@pytest.mark.parametrize("init", ["sign", "abs"])
@pytest.mark.parametrize("arch", MONOTONE_ARCHITECTURES)
def test_initial_loss_is_order_one_on_standardised_data(arch, init):
    """The probe standardisation: pre-activations of mean 0 and std 1, so no layer starts dead or huge."""
    rng = np.random.default_rng(0)
    X = torch.tensor(rng.standard_normal((400, 5)))
    y = torch.tensor(np.tanh(X[:, 0].numpy()) - X[:, 2].numpy() + 0.5 * X[:, 1].numpy() ** 2)
    y = (y - y.mean()) / y.std()
    torch.manual_seed(0)
    net = MonotoneMLP([1, 0, -1, 0, 1], (32, 32), architecture=arch, init=init, dtype=torch.float64)
    with torch.no_grad():
        out = net(X)[:, 0]
        positive = [(net[:k](X) > 0).double().mean().item() for k in (1, 3)]  # pre-activations of both layers
    assert 0.2 < float(((out - y) ** 2).mean()) < 3
    assert 0.3 < float(out.std()) < 2  # "sign" aims at a variance of 1/3
    assert all(0.3 < p < 0.7 for p in positive), positive


@pytest.mark.parametrize("arch", MONOTONE_ARCHITECTURES)
def test_save_load_round_trip(tmp_path, arch):
    torch.manual_seed(0)
    net = MonotoneMLP([1, 0, -1], (5, 4), architecture=arch, head="binary", split=(3, 1, 1))
    X, y = torch.randn(64, 3), (torch.rand(64) > 0.5).long()
    fit(net, X, y, epochs=5, progress=False)
    restored = load(save(net, tmp_path / "m.pt"))
    assert type(restored) is MonotoneMLP and restored.config == net.config and restored.head == "binary"
    assert restored.monotonic_cst == (1, 0, -1)
    assert torch.equal(restored(X), net(X))
    assert torch.equal(restored.predict(X), net.predict(X))


def convex_rmse_bound(y: np.ndarray) -> float:
    """Smallest RMSE of any convex non-decreasing function on an equally spaced grid, exactly.

    ``g = A @ theta``: value, first slope >= 0 and non-negative slope increments at
    each inner point; bounded least squares (a convex problem) finds the optimum.
    """
    n = len(y)
    k = np.arange(n)
    A = np.column_stack([np.ones(n), k] + [np.maximum(k - j, 0) for j in range(1, n - 1)])
    lower = np.r_[-np.inf, np.zeros(n - 1)]
    theta = lsq_linear(A, y, bounds=(lower, np.full(n, np.inf))).x
    return float(np.sqrt(np.mean((A @ theta - y) ** 2)))


@pytest.mark.parametrize(("name", "grid", "f"), [
    ("concave", np.linspace(0, 4, 64), np.sqrt),
    ("s-shaped", np.linspace(-1, 1, 64), lambda x: np.tanh(3 * x)),
])
def test_universality_evidence(name, grid, f):
    """A convex (ReLU dnn+) net cannot go below the best convex fit; mixed and alternating fit far better."""
    X = ((grid - grid.mean()) / grid.std()).astype(np.float32)[:, None]
    y = f(grid)
    y = ((y - y.mean()) / y.std()).astype(np.float32)
    bound = convex_rmse_bound(y.astype(np.float64))
    assert bound > 0.2  # both targets are far from convex (0.223 and 0.232)
    rmse = {}
    for arch in MONOTONE_ARCHITECTURES:
        torch.manual_seed(0)
        net = MonotoneMLP([1], (16, 16), architecture=arch)
        fit(net, X, y, epochs=400, patience=None, progress=False)
        with torch.no_grad():
            rmse[arch] = float(((net(torch.from_numpy(X))[:, 0] - torch.from_numpy(y)) ** 2).mean().sqrt())
    assert rmse["dnn+"] >= bound - 1e-4, rmse
    assert rmse["mixed"] < bound / 4 and rmse["alternating"] < bound / 4, (bound, rmse)


@pytest.mark.parametrize(("hidden", "first"), [((), [1, 0, -1]), ((4,), [-1, 0, 1]), ((4, 3), [1, 0, -1])])
def test_alternating_signs_follow_the_parity_of_the_later_layers(hidden, first):
    net = MonotoneMLP([1, 0, -1], hidden, architecture="alternating")
    layers = net.linear_layers
    assert layers[0].sign_mask[0].tolist() == first
    assert all(bool((layer.sign_mask == -1).all()) for layer in layers[1:])
    dnn_plus = MonotoneMLP([1, 0, -1], hidden, architecture="dnn+").linear_layers
    assert dnn_plus[0].sign_mask[0].tolist() == [1, 0, -1] and all(bool((la.sign_mask == 1).all()) for la in dnn_plus[1:])


def test_device_dtype_and_config():
    net = MonotoneMLP([1, -1], (3,), architecture="mixed", dtype=torch.float64, split=(1, 1, 1))
    assert {p.dtype for p in net.parameters()} == {torch.float64}
    assert net.config == {"in_features": 2, "out_features": 1, "hidden": [3], "architecture": "mixed",
                          "activation": "relu", "monotonic_cst": [1, -1], "head": "regression",
                          "split": [1.0, 1.0, 1.0], "init": "sign", "method": "project", "transform": "softplus"}
    assert type(net[:2]) is torch.nn.Sequential and len(net[:2]) == 2


@pytest.mark.cuda
@pytest.mark.parametrize("arch", MONOTONE_ARCHITECTURES)
def test_builds_trains_and_certifies_on_cuda(arch):
    net = MonotoneMLP([1, 0, -1], (8, 8), architecture=arch, device="cuda")
    X, y = torch.randn(64, 3, device="cuda"), torch.randn(64, device="cuda")
    fit(net, X, y, epochs=5, progress=False)
    assert {p.device.type for p in net.parameters()} == {"cuda"}
    cert = certify(net)
    assert (cert.monotone[0][0], cert.monotone[0][2]) == (1, -1)


def test_the_relu_mixed_activation_survives_to_empty_and_load_state_dict():
    # its clamp bounds were buffers left out of the state_dict: after the meta-device recipe they were garbage
    torch.manual_seed(0)
    ref = MonotoneMLP([1, 0, -1], (10, 10), activation="relu", init="abs")
    lazy = MonotoneMLP([1, 0, -1], (10, 10), activation="relu", init="abs", device="meta").to_empty(device="cpu")
    lazy.load_state_dict(ref.state_dict(), strict=True)
    x = torch.randn(200, 3)
    assert torch.equal(lazy(x), ref(x))
    assert certify(lazy).monotone == certify(ref).monotone and not list(ref[1].buffers())


def test_certify_refuses_a_tampered_mixed_activation():
    net = MonotoneMLP([1, -1], (5,), architecture="mixed")
    net[1].counts = (5, 1, 0)  # more units than the layer has
    assert certify(net).reason.startswith("certify refuses module '1' (MixedActivation): its settings "
                                          "(activation='relu', counts=(5, 1, 0), n_units=5)")
    net = MonotoneMLP([1, -1], (5,), architecture="mixed", activation="elu")
    assert certify(net).monotone == [[1, -1]]
    net[1].counts = (5, 1, 0)
    assert certify(net).reason.startswith("certify refuses module '1' (MixedActivation): its settings "
                                          "(activation='elu', counts=(5, 1, 0), n_units=5)")


@given(st.sampled_from(["relu", "leaky_relu", "elu", "identity"]),
       st.lists(st.floats(-50, 50), min_size=2, max_size=12), st.floats(0, 10), st.integers(0, 2**31))
@settings(max_examples=100, deadline=None)
def test_mixed_activation_is_non_decreasing_in_every_unit(activation, values, step, seed):
    """Exact on float64 (softplus is left out: torch's threshold=20 switch steps down by rounding, see certify)."""
    x = torch.tensor(values, dtype=torch.float64)
    gen = torch.Generator().manual_seed(seed)
    split = torch.rand(3, generator=gen, dtype=torch.float64).tolist()
    act = MixedActivation(activation, len(values), split=split, dtype=torch.float64)
    assert bool((act(x + step) >= act(x)).all())
