"""Theorem 1.1 against the exact ceiling on the paper's problems (issue: theory toolkit)."""

import pytest
import torch

from signnet import CONTROL_PROBLEMS, HARD_PROBLEMS, MLP, PROBLEMS, make_problem
from signnet.theory.ceiling import monotone_ceiling
from signnet.train.batched import fit_batched
from signnet.train.fit import accuracy

# n = 4000, seed 0, no label noise; values computed by monotone_ceiling and
# cross-checked against the dense O(n^2) matching in tests/test_ceiling.py
EXPECTED = {"xor": 0.75875, "positive_slope": 0.74875, "closed_shape": 0.72725, "disconnected": 0.73925}


@pytest.mark.parametrize("name", HARD_PROBLEMS)
def test_hard_problems_have_a_ceiling_near_three_quarters(name):
    p = make_problem(name, 4000, seed=0)
    result = monotone_ceiling(p.X, p.y)
    assert result.accuracy == pytest.approx(EXPECTED[name], abs=1e-12)
    assert dense_check(p.X[:1500], p.y[:1500])


def dense_check(X, y):
    return monotone_ceiling(X, y).relabeled == monotone_ceiling(X, y, method="dense").relabeled


@pytest.mark.parametrize("name", [*CONTROL_PROBLEMS, "quadrant"])
def test_controls_have_ceiling_exactly_one(name):
    p = make_problem(name, 4000, seed=0)
    assert monotone_ceiling(p.X, p.y).accuracy == 1.0


@pytest.mark.parametrize("name", list(PROBLEMS))
def test_trained_dnn_plus_never_beats_the_ceiling_on_its_training_data(name):
    p = make_problem(name, 600, noise=0.05, seed=1)
    ceiling = monotone_ceiling(p.X, p.y).accuracy
    members = []
    for seed in range(4):
        torch.manual_seed(seed)
        members.append(MLP(2, (16, 16), weights="nonneg", activation=("relu", "tanh")[seed % 2]))
    fit_batched(members[::2], p.X, p.y, epochs=150, lr=0.02)
    fit_batched(members[1::2], p.X, p.y, epochs=150, lr=0.02)
    for model in members:
        assert accuracy(model, p.X, p.y) <= ceiling + 1e-12
    # and the bound is not vacuous: the best DNN+ comes within 0.1 of it
    assert max(accuracy(m, p.X, p.y) for m in members) >= ceiling - 0.1
