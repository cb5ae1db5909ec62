"""Empirical dominance checks (signnet.dominance): Theorem 1.1 of Wang et al. on samples."""

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from signnet import MLP, SignedConv2d, SignedLinear, SignnetError, fit, make_problem
from signnet.theory.dominance import DominanceReport, dominance_violations
from signnet.theory.search import Violation, find_violation

MONOTONE = ["relu", "leaky_relu", "elu", "softplus", "sigmoid", "tanh", "identity"]


def xor_net():
    """A hand-set DNN solving XOR: P(x) = |x1 - x2| - |x1 + x2| > 0 iff exactly one x_i > 0."""
    net = MLP(2, (4,))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, -1.0], [-1.0, 1.0], [1.0, 1.0], [-1.0, -1.0]]))
        net[0].bias.zero_()
        net[2].weight.copy_(torch.tensor([[1.0, 1.0, -1.0, -1.0]]))
        net[2].bias.zero_()
    return net


def softmax_plus():
    """A DNN+ with a softmax head whose logit difference z1 - z0 = -relu(x0) falls."""
    net = MLP(2, (2,), 2, weights="nonneg", head="softmax")
    with torch.no_grad():
        net[0].weight.copy_(torch.eye(2))
        net[0].bias.zero_()
        net[2].weight.copy_(torch.tensor([[2.0, 0.0], [1.0, 0.0]]))
        net[2].bias.zero_()
    return net


def evaluate(net, x):
    with torch.no_grad():
        return net.double()(torch.as_tensor(np.asarray(x)[None], dtype=torch.float64))[0]


@pytest.fixture(scope="module")
def xor_data():
    return make_problem("xor", 500, seed=0).X


# ------------------------------------------------------------------ DNN+
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 4), st.lists(st.integers(1, 8), min_size=0, max_size=3), st.integers(1, 3),
       st.sampled_from(MONOTONE), st.sampled_from(["project", "reparam"]), st.floats(0.1, 5.0), st.integers(0, 9999))
def test_dnn_plus_never_violates_dominance(d, hidden, k, activation, method, scale, seed):
    """Theorem 1.1: any depth, width, monotone activation, enforcement and non-negative weights."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = MLP(d, tuple(hidden), k, activation=activation, weights="nonneg", method=method, head="regression")
    with torch.no_grad():
        for layer in net.linear_layers:
            w = torch.tensor(rng.exponential(scale, tuple(layer.weight.shape)), dtype=torch.float32)
            if method == "reparam":
                layer.weight = w  # through the parametrisation's right inverse
            else:
                layer.weight.copy_(w)
            layer.bias.copy_(torch.tensor(rng.normal(0, scale, layer.out_features), dtype=torch.float32))
    X = rng.uniform(-1, 1, (100, d))
    report = dominance_violations(net, X, n_pairs=1000, seed=seed)
    assert report.violations == 0 and report.worst_gap == 0.0 and report.witnesses == []
    assert report.n_pairs == 500 + report.n_data_pairs and report.outputs == [f"out{j}" for j in range(k)]
    assert find_violation(net, (-1.0, 1.0), n_starts=8, steps=20, seed=seed, output=None) is None


# ------------------------------------------------------------ violations
def test_xor_network_violates_dominance_and_witnesses_are_real(xor_data):
    net = xor_net()
    report = dominance_violations(net, xor_data, n_pairs=4000, seed=1)
    assert isinstance(report, DominanceReport)
    assert report.n_pairs == 4000 and report.n_data_pairs == 2000  # comparable pairs are common in 2-D
    assert report.violations > 400 and report.rate == report.violations / report.n_pairs
    assert report.per_output == {"out0": report.violations}
    gaps = [g for _, _, g in report.witnesses]
    assert len(gaps) == 5 and gaps == sorted(gaps, reverse=True) and gaps[0] == report.worst_gap
    for x, y, gap in report.witnesses:
        assert (x <= y).all()
        assert float(evaluate(net, x)[0] - evaluate(net, y)[0]) == pytest.approx(gap, rel=1e-9)
    again = dominance_violations(net, xor_data, n_pairs=4000, seed=1)
    assert again.violations == report.violations and again.worst_gap == report.worst_gap


def test_find_violation_on_the_xor_network():
    v = find_violation(xor_net(), (-1.0, 1.0), seed=0)
    assert isinstance(v, Violation) and v.output == "out0"
    assert (v.x <= v.y).all() and (v.x >= -1).all() and (v.y <= 1).all()
    fx, fy = float(evaluate(xor_net(), v.x)[0]), float(evaluate(xor_net(), v.y)[0])
    assert (v.f_x, v.f_y) == pytest.approx((fx, fy)) and v.gap == pytest.approx(fx - fy)
    assert v.gap > 1.0  # the best is |x1 - x2| - |x1 + x2| from (-1, 1) to (1, 1): 2 - (-2) = 4
    assert find_violation(xor_net(), ([-1.0, -1.0], [1.0, 1.0]), output="out0", n_starts=8, steps=50) is not None


def test_trained_network_on_xor_violates_dominance(xor_data):
    problem = make_problem("xor", 300, seed=0)
    torch.manual_seed(0)
    net = MLP(2, (16,))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny full-batch fit is faster on one thread
    try:
        history = fit(net, problem.X, problem.y, epochs=150, lr=0.05, seed=0, progress=False)
    finally:
        torch.set_num_threads(threads)
    assert history.accuracy[-1] > 0.9  # it solved XOR, so it cannot be monotone
    assert dominance_violations(net, xor_data, n_pairs=2000).violations > 0
    assert find_violation(net, (-1.0, 1.0), n_starts=32, steps=100).gap > 0


def test_softmax_head_checks_logit_differences(xor_data):
    net = softmax_plus()
    report = dominance_violations(net, xor_data, n_pairs=2000)
    assert report.outputs == ["logit1-logit0"] and report.violations > 0
    v = find_violation(net, (-1.0, 1.0))
    assert v.output == "logit1-logit0" and v.gap == pytest.approx(1.0, abs=0.05)  # -relu(x0) from 0 to 1
    net.head = "regression"  # each logit alone rises (Theorem 1.1)
    assert dominance_violations(net, xor_data, n_pairs=2000).violations == 0
    assert find_violation(net, (-1.0, 1.0), output=None, steps=50) is None


def test_constant_and_tiny_gaps_are_not_violations(xor_data):
    net = MLP(2, (3,), weights="nonneg")
    with torch.no_grad():
        for layer in net.linear_layers:
            layer.weight.zero_()
    report = dominance_violations(net, xor_data, n_pairs=500)
    assert report.violations == 0
    assert find_violation(net, (-1.0, 1.0), n_starts=4, steps=5) is None


def _decreasing_linear(w0: float) -> nn.Linear:
    """float64 F(x) = w0 * x_0 on [-1, 1]^2: a pair x <= y has the gap F(x) - F(y) = -w0 (y_0 - x_0) <= 2 |w0|."""
    lin = nn.Linear(2, 1, dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[w0, 0.0]], dtype=torch.float64))
        lin.bias.zero_()
    return lin


def test_gaps_below_the_rounding_tolerance_are_not_violations_and_larger_ones_are(xor_data):
    tiny, real = _decreasing_linear(-1e-9), _decreasing_linear(-1e-5)  # gaps up to 2e-9 (< tol 1e-6) and 2e-5 (> tol)
    assert dominance_violations(tiny, xor_data, n_pairs=500).violations == 0
    assert find_violation(tiny, (-1.0, 1.0), n_starts=4, steps=20) is None
    assert dominance_violations(real, xor_data, n_pairs=500).violations > 0
    found = find_violation(real, (-1.0, 1.0), n_starts=4, steps=20)
    assert found is not None and 1e-6 < found.gap <= 2e-5 + 1e-12
    assert dominance_violations(tiny, xor_data, n_pairs=500, tol=0.0).violations > 0  # tol=0: every positive gap


def test_step_and_high_dimensional_inputs():
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    net = MLP(6, (5,), weights="nonneg", flips={1: [(0, 2)]})
    X = rng.normal(size=(50, 6))
    report = dominance_violations(net, X, n_pairs=600, step=np.full(6, 0.5))
    assert 0 < report.n_data_pairs < 100 and report.n_pairs == 300 + report.n_data_pairs  # few compare in 6-D
    assert report.violations > 0


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("X, kwargs, pattern", [
    (np.full((4, 2), np.nan), {}, "NaN or infinite"),
    (np.zeros((4, 3)), {}, "3 features but the model expects 2"),
    (np.zeros((0, 2)), {}, "non-empty"),
    (np.array([["a", "b"]]), {}, "numeric"),
    (np.zeros((4, 2)), {"n_pairs": 0}, "n_pairs must be a positive integer"),
    (np.zeros((4, 2)), {"step": -1.0}, "step -1.0 must be a positive number"),
    (np.zeros((4, 2)), {"step": [1.0, 2.0, 3.0]}, "one positive number per feature"),
])
def test_dominance_violations_rejects_bad_input(X, kwargs, pattern):
    with pytest.raises(SignnetError, match=pattern):
        dominance_violations(xor_net(), X, **kwargs)


@pytest.mark.parametrize("bounds, kwargs, pattern", [
    ((1.0, -1.0), {}, "low <= high"),
    (([0.0, 0.0, 0.0], [1.0, 1.0, 1.0]), {}, "3 features but the model expects 2"),
    ((0.0,), {}, "pair"),
    ((-1.0, 1.0), {"output": 3}, "output 3 must be an index in 0..0"),
    ((-1.0, 1.0), {"output": "logit1"}, "Unknown output 'logit1'"),
    ((-1.0, 1.0), {"n_starts": 0}, "n_starts"),
])
def test_find_violation_rejects_bad_input(bounds, kwargs, pattern):
    with pytest.raises(SignnetError, match=pattern):
        find_violation(xor_net(), bounds, **kwargs)


def test_conv_nets_on_images():
    torch.manual_seed(0)
    net = nn.Sequential(SignedConv2d(1, 3, 3, padding=1, sign="nonneg"), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        SignedLinear(48, 1, sign="nonneg"))
    X = np.random.default_rng(0).uniform(0, 1, (50, 1, 8, 8))
    box = (np.zeros((1, 8, 8)), np.ones((1, 8, 8)))
    assert dominance_violations(net, X, n_pairs=500).violations == 0
    assert find_violation(net, box, n_starts=16, steps=30) is None
    net[0].flip([(0, 0, 1, 1)])
    with torch.no_grad():
        net[0].weight[0, 0, 1, 1] = -3.0  # a strongly negative centre tap
    v = find_violation(net, box, n_starts=32, steps=60)
    assert v is not None and v.x.shape == (1, 8, 8) and (v.x <= v.y).all() and v.gap > 0
    with pytest.raises(SignnetError, match="input size is unknown"):
        find_violation(net, (0.0, 1.0))


def test_find_violation_on_a_larger_dnn_plus_keeps_the_thread_setting():
    # parameters x starts above the single-thread threshold: the multi-threaded branch
    torch.manual_seed(0)
    big = MLP(2, (256, 256), weights="nonneg")
    small = MLP(2, (3,), weights="nonneg")
    before = torch.get_num_threads()
    torch.set_num_threads(3)  # a count neither branch chooses (the suite runs on one thread)
    try:
        for net in (big, small):
            assert find_violation(net, (-1.0, 1.0), n_starts=64, steps=5, seed=0) is None
            assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)


def test_every_step_pair_moves_a_constrained_feature():
    # a random subset that drew none left y == x: 480 of 4000 pairs told nothing, and the rate could not reach 1
    import numpy as np

    class Falling:
        n_features_in_ = 1

        def predict(self, X):
            return -X[:, 0]

    report = dominance_violations(Falling(), np.random.default_rng(0).normal(size=(500, 1)), n_pairs=4000,
                                  monotonic_cst=[1])
    assert report.violations == report.n_pairs == 4000 and report.rate == 1.0
