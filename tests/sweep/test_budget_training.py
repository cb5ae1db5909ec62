"""The negative-weight budget: at most k negative weights on the trained network, the most negative ones kept."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from signnet.data import make_problem
from signnet.errors import SignnetError
from signnet.nn.networks import MLP
from signnet.sweep.budget import keep_most_negative, negative_weights, round_budgets, train_group
from signnet.theory.certificate import certify


def _net(seed: int, hidden=(6,), weights="free") -> MLP:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return MLP(2, hidden, 1, weights=weights)


@pytest.mark.parametrize("k", [0, 1, 2, 5])
def test_trained_networks_respect_the_budget_exactly(k):
    data = make_problem("xor", n=200, seed=0)
    models = [_net(s, hidden=(6, 4)) for s in range(3)] + [_net(9, hidden=(6, 4), weights="nonneg")]
    budgets = [k, k, k, None]
    train_group(models, budgets, data.X, data.y, epochs=40, rounds=2, lr=0.05)
    for m in models[:3]:
        weights = torch.cat([layer.weight.detach().reshape(-1) for layer in m.linear_layers])
        assert int((weights < 0).sum()) <= k  # counted on the trained weights themselves
        masks = torch.cat([layer.sign_mask.reshape(-1) for layer in m.linear_layers])
        assert int((masks == 0).sum()) <= k and set(masks.unique().tolist()) <= {0.0, 1.0}
    assert negative_weights(models[3]) == 0  # the fixed DNN+ member keeps its constraint
    if k == 0:
        assert all(certify(m).preserves_dominance for m in models)  # a DNN+: Theorem 1.1, certified


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(0, 30))
def test_keep_most_negative_keeps_exactly_the_k_smallest_negative_weights(seed, k):
    model = _net(seed % 1000, hidden=(5,))
    before = torch.cat([layer.weight.detach().reshape(-1).clone() for layer in model.linear_layers])
    kept = keep_most_negative(model, k)
    after = torch.cat([layer.weight.detach().reshape(-1) for layer in model.linear_layers])
    negatives = np.sort(before[before < 0].numpy())
    assert kept == min(k, len(negatives))
    assert np.array_equal(np.sort(after[after < 0].numpy()), negatives[:kept])  # brute force: the k most negative
    assert torch.equal(after[before >= 0], before[before >= 0])  # non-negative weights untouched


def test_round_budgets_go_geometrically_down_to_k():
    assert round_budgets(100, 4, 1) == [4]
    assert round_budgets(100, 1, 2) == [10, 1]
    assert round_budgets(3, 8, 2) == [8, 8]
    assert all(a >= b for a, b in zip(round_budgets(200, 2, 4), round_budgets(200, 2, 4)[1:], strict=False))


def test_a_budget_member_must_start_free():
    data = make_problem("xor", n=50, seed=0)
    with pytest.raises(SignnetError, match=r"must start with every weight free; build it with weights='free'"):
        train_group([_net(0, weights="nonneg")], [1], data.X, data.y, epochs=2, rounds=1, lr=0.01)
