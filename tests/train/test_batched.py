"""fit_batched trains each member exactly as fit would alone (signnet.batched)."""

import pytest
import torch

from signnet import MLP, SignnetError, fit
from signnet.data.figure1 import flipped_network, panel_data
from signnet.train.batched import fit_batched


def _pair(seed, **kwargs):
    torch.manual_seed(seed)
    a = MLP(2, (4, 3), **kwargs)
    torch.manual_seed(seed)
    b = MLP(2, (4, 3), **kwargs)
    return a, b


@pytest.mark.parametrize("weights", ["free", "nonneg"])
def test_members_follow_their_single_trajectories(weights):
    X, y = panel_data("C", 200, seed=0)
    pairs = [_pair(s, weights=weights) for s in range(3)]
    losses = fit_batched([a for a, _ in pairs], X, y, epochs=60, lr=0.05)
    for (a, b), loss in zip(pairs, losses, strict=True):
        fit(b, X, y, epochs=60, lr=0.05, patience=None, progress=False)
        for la, lb in zip(a.linear_layers, b.linear_layers, strict=True):
            assert torch.allclose(la.weight, lb.weight, atol=1e-4)
            assert torch.allclose(la.bias, lb.bias, atol=1e-4)
        assert loss > 0


def test_members_may_carry_different_masks_and_keep_them():
    X, y = panel_data("C", 200, seed=0)
    torch.manual_seed(0)
    members = [flipped_network("C"), MLP(2, (3,), weights="nonneg")]
    fit_batched(members, X, y, epochs=50, lr=0.05)
    flipped, plain = members
    assert flipped.linear_layers[1].weight[0, 2] <= 0
    for layer in plain.linear_layers:
        assert bool((layer.weight >= 0).all())


def test_mixed_architectures_are_refused():
    with pytest.raises(SignnetError, match="one architecture"):
        fit_batched([MLP(2, (3,)), MLP(2, (4,))], [[0.0, 0.0]], [0])


def test_only_projection_is_supported():
    with pytest.raises(SignnetError, match="method='project' only"):
        fit_batched([MLP(2, (3,), method="reparam")], [[0.0, 0.0]], [0])
