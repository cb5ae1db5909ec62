"""DNN+s built from the ceiling's monotone relabelling reach the ceiling (figure1/construct.py)."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from signnet.data.figure1 import PANELS, panel_data
from signnet.data.problems import PROBLEMS, make_problem
from signnet.experiments.figure1.construct import minimal_points, relu_ceiling_network, tanh_ceiling_network
from signnet.nn.networks import MLP
from signnet.theory.ceiling import monotone_ceiling
from signnet.theory.certificate import certify
from signnet.theory.dominance import dominance_violations
from signnet.train.fit import accuracy


def _is_dnn_plus(model) -> bool:
    return all(bool((layer.weight >= 0).all()) for layer in model.linear_layers) and certify(model).preserves_dominance


def test_the_issue_example_reaches_panel_cs_ceiling():
    """10 relu(x1) + 10 relu(x2) - 1, a ReLU DNN+, scores the ceiling on the default panel C test set."""
    X, y = panel_data("C", 1000, seed=1000)
    model = MLP(2, (2,), weights="nonneg")
    with torch.no_grad():
        first, last = model.linear_layers
        first.weight.copy_(torch.eye(2))
        first.bias.zero_()
        last.weight.fill_(10.0)
        last.bias.fill_(-1.0)
    assert accuracy(model, X, y) == monotone_ceiling(X, y).accuracy == 0.736


@pytest.mark.parametrize("key", list(PANELS))
def test_relu_construction_reaches_each_panels_ceiling(key):
    X, y = panel_data(key, 1000, seed=1000)
    ceiling = monotone_ceiling(X, y)
    model = relu_ceiling_network(X, ceiling.labels, y)
    assert accuracy(model, X, y) == ceiling.accuracy
    assert _is_dnn_plus(model)
    assert model.config["activation"] == "relu" and len(model.config["hidden"]) == 1
    assert dominance_violations(model, X, n_pairs=500).violations == 0


@pytest.mark.parametrize("name", list(PROBLEMS))
def test_tanh_construction_reaches_every_continuous_ceiling(name):
    prob = make_problem(name, 800, seed=7)
    ceiling = monotone_ceiling(prob.X, prob.y)
    model = tanh_ceiling_network(prob.X, ceiling.labels)
    assert accuracy(model, prob.X, prob.y) == ceiling.accuracy
    assert _is_dnn_plus(model)
    # it labels every point exactly as the relabelling does
    assert np.array_equal(model.predict(torch.as_tensor(prob.X)).numpy(), ceiling.labels)


def test_relu_construction_cannot_realise_a_non_convex_class_0():
    prob = make_problem("quadrant", 800, seed=7)
    ceiling = monotone_ceiling(prob.X, prob.y)
    assert ceiling.accuracy == 1.0
    relu = relu_ceiling_network(prob.X, ceiling.labels, prob.y)
    assert 0.8 < accuracy(relu, prob.X, prob.y) < 1.0
    assert certify(relu).convex == ["convex"]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 60))
def test_tanh_construction_realises_any_monotone_relabelling(seed, n):
    rng = np.random.default_rng(seed)
    X = rng.integers(-4, 5, size=(n, 2)).astype(np.float32) / 4  # ties and duplicates included
    y = rng.integers(0, 2, size=n)
    ceiling = monotone_ceiling(X, y)
    model = tanh_ceiling_network(X, ceiling.labels)
    assert np.array_equal(model.predict(torch.as_tensor(X)).numpy(), ceiling.labels)
    assert accuracy(model, X, y) == ceiling.accuracy
    relu = relu_ceiling_network(X, ceiling.labels, y)
    assert accuracy(relu, X, y) <= ceiling.accuracy
    assert _is_dnn_plus(model) and _is_dnn_plus(relu)


def test_minimal_points():
    S = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.5, 0.5], [0.0, 2.0]])
    assert sorted(map(tuple, minimal_points(S))) == [(0.0, 1.0), (0.5, 0.5), (1.0, 0.0)]


def test_constructions_leave_the_global_rng_alone():
    X, y = panel_data("C", 200, seed=1)
    labels = monotone_ceiling(X, y).labels
    state = torch.get_rng_state()
    relu_ceiling_network(X, labels, y)
    tanh_ceiling_network(X, labels)
    assert torch.equal(state, torch.get_rng_state())


def test_constant_relabellings_give_constant_networks():
    X = np.array([[0.0, 0.0], [1.0, 1.0]], dtype=np.float32)
    for label in (0, 1):
        labels = np.full(2, label)
        for build in (relu_ceiling_network, tanh_ceiling_network):
            assert build(X, labels).predict(torch.as_tensor(X)).tolist() == [label, label]
