"""average_networks / stack_networks: the merged MonotoneMLP computes exactly the members' mean (or their
outputs side by side), keeps every sign, and is certified monotone in the same directions."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from signnet import MONOTONE_ARCHITECTURES, MonotoneMLP, SignnetError, average_networks, certify, load, save, stack_networks
from signnet.nn.activations import mixed_counts

pytestmark = pytest.mark.usefixtures("single_thread")

CST = [1, 0, -1, 1]


def _members(n, hidden, architecture, head, seed=0, cst=CST):
    """``n`` float64 members with random sign-respecting weights and biases (as after training)."""
    gen = torch.Generator().manual_seed(seed)
    nets = []
    for _ in range(n):
        net = MonotoneMLP(cst, hidden, architecture=architecture, head=head, dtype=torch.float64)
        with torch.no_grad():
            for layer in net.linear_layers:
                layer.weight.normal_(0, 1, generator=gen)
                layer.bias.normal_(0, 1, generator=gen)
                layer.project_()
        nets.append(net)
    return nets


def _x(rows=200, d=4, seed=1):
    return torch.randn(rows, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * 3


@pytest.mark.parametrize("architecture", MONOTONE_ARCHITECTURES)
@pytest.mark.parametrize("head", ["regression", "binary"])
@pytest.mark.parametrize("hidden", [(6, 6), (7, 5, 3)])
def test_merged_output_is_the_mean_of_the_members(architecture, head, hidden):
    nets = _members(3, hidden, architecture, head)
    merged = average_networks(nets)
    x = _x()
    with torch.no_grad():
        mean = torch.stack([net(x) for net in nets]).mean(0)
        np.testing.assert_allclose(merged(x).numpy(), mean.numpy(), rtol=0, atol=1e-6)
        assert not torch.allclose(nets[0](x), nets[1](x))  # the members differ: the mean is not trivial
        side = stack_networks(nets)(x)
    np.testing.assert_allclose(side.numpy(), torch.cat([net(x) for net in nets], 1).detach().numpy(), rtol=0, atol=1e-12)
    assert merged.head == head and side.shape == (len(x), 3)
    assert [layer.weight.shape[0] for layer in merged.linear_layers[:-1]] == [3 * h for h in hidden]


@pytest.mark.parametrize("architecture", MONOTONE_ARCHITECTURES)
def test_merged_weights_keep_every_sign_and_are_zero_between_members(architecture):
    nets = _members(4, (5, 5), architecture, "regression")
    merged = average_networks(nets)
    for layer in merged.linear_layers:
        assert bool((layer.sign_mask * layer.weight >= 0).all())
    hidden = merged.linear_layers[1].weight
    assert int((hidden != 0).sum()) <= 4 * 5 * 5  # block-diagonal: at most the members' own 4 blocks of 5 x 5
    assert torch.equal(merged.linear_layers[0].sign_mask[:5], nets[0].linear_layers[0].sign_mask)  # same column signs


@pytest.mark.parametrize("architecture", MONOTONE_ARCHITECTURES)
def test_certify_proves_the_members_constraints_on_the_merged_network(architecture):
    nets = _members(3, (6, 4), architecture, "binary")
    member, merged = certify(nets[0]), certify(average_networks(nets))
    assert merged.monotone == member.monotone == [[1, None, -1, 1]]
    assert certify(average_networks(nets), monotonic_cst=CST).satisfies_monotonic_cst is True


def test_mixed_units_are_grouped_by_type_with_exact_counts():
    nets = _members(3, (10, 7), "mixed", "regression")
    merged = average_networks(nets)
    acts = [m for m in merged if hasattr(m, "counts")]
    assert [a.counts for a in acts] == [tuple(3 * c for c in mixed_counts(h, (2, 2, 1))) for h in (10, 7)]
    assert merged.config["split"] == [[12.0, 12.0, 6.0], [9.0, 9.0, 3.0]]  # (4, 4, 2) and (3, 3, 1) times 3
    same = average_networks(_members(2, (10, 10), "mixed", "regression"))
    assert same.config["split"] == [8.0, 8.0, 4.0]  # equal widths: one triple


def test_merged_network_round_trips_through_save_and_load(tmp_path):
    nets = _members(3, (10, 7), "mixed", "binary")
    merged = average_networks(nets)
    back = load(save(merged, tmp_path / "merged.pt"))
    x = _x().to(merged[0].weight.dtype)  # a checkpoint is rebuilt in the dtype it was saved in
    assert back[0].weight.dtype == merged[0].weight.dtype
    with torch.no_grad():
        assert torch.equal(back(x), merged(x))
    assert [m.counts for m in back if hasattr(m, "counts")] == [m.counts for m in merged if hasattr(m, "counts")]


def test_one_member_merges_to_itself_and_global_rng_is_untouched():
    (net,) = _members(1, (6,), "alternating", "regression")
    state = torch.random.get_rng_state()
    merged = average_networks([net])
    assert torch.equal(torch.random.get_rng_state(), state)
    x = _x()
    with torch.no_grad():
        np.testing.assert_allclose(merged(x).numpy(), net(x).numpy(), rtol=0, atol=1e-12)


def test_members_that_cannot_be_merged_are_refused():
    a = _members(1, (4,), "mixed", "regression")[0]
    with pytest.raises(SignnetError, match=r"nets\[1\] differs from nets\[0\] in hidden: build every member"):
        average_networks([a, _members(1, (5,), "mixed", "regression")[0]])
    with pytest.raises(SignnetError, match=r"`nets` must be a non-empty sequence of signnet.MonotoneMLP"):
        average_networks([])
    bad = MonotoneMLP(CST, (4,), method="penalty", dtype=torch.float64)
    with torch.no_grad():
        bad.linear_layers[1].weight.fill_(-1.0)
    with pytest.raises(SignnetError, match=r"nets\[0\] has weights of the wrong sign \(method='penalty'\)"):
        average_networks([bad])


def test_per_layer_split_of_monotone_mlp_is_validated():
    net = MonotoneMLP([1, 0], (5, 3), split=[(2, 2, 1), (1, 1, 1)])
    assert [m.counts for m in net if hasattr(m, "counts")] == [(2, 2, 1), (1, 1, 1)]
    with pytest.raises(SignnetError, match=r"`split` must be one triple or one triple per hidden layer \(2\), got 3"):
        MonotoneMLP([1, 0], (5, 3), split=[(2, 2, 1)] * 3)


@given(n=st.integers(1, 4), hidden=st.lists(st.integers(1, 6), min_size=0, max_size=3),
       architecture=st.sampled_from(MONOTONE_ARCHITECTURES), head=st.sampled_from(["regression", "binary"]),
       seed=st.integers(0, 2**16))
@settings(max_examples=40, deadline=None)
def test_property_merged_equals_mean_and_stays_monotone(n, hidden, architecture, head, seed):
    nets = _members(n, tuple(hidden), architecture, head, seed=seed)
    merged = average_networks(nets)
    x = _x(50, seed=seed)
    with torch.no_grad():
        mean = torch.stack([net(x) for net in nets]).mean(0)
        np.testing.assert_allclose(merged(x).numpy(), mean.numpy(), rtol=0, atol=1e-6)
        up = x.clone()
        up[:, 0] += 1.0  # a +1 feature up
        up[:, 2] -= 1.0  # a -1 feature down
        assert bool((merged(up) >= merged(x) - 1e-9).all())


def test_members_differing_only_in_init_or_an_equivalent_split_merge():
    x = _x()
    a = MonotoneMLP(CST, (5,), architecture="mixed", dtype=torch.float64)
    b = MonotoneMLP(CST, (5,), architecture="mixed", split=(4, 4, 2), init="abs", dtype=torch.float64)
    c = MonotoneMLP(CST, (5,), architecture="dnn+", split=(1, 1, 1), dtype=torch.float64)
    d = MonotoneMLP(CST, (5,), architecture="dnn+", dtype=torch.float64)
    with torch.no_grad():
        np.testing.assert_allclose(average_networks([a, b])(x).numpy(), ((a(x) + b(x)) / 2).numpy(), atol=1e-12)
        np.testing.assert_allclose(average_networks([c, d])(x).numpy(), ((c(x) + d(x)) / 2).numpy(), atol=1e-12)
    e = MonotoneMLP(CST, (5,), architecture="mixed", split=(1, 1, 3), dtype=torch.float64)
    with pytest.raises(SignnetError, match=r"nets\[1\] differs from nets\[0\] in split \(the counts of convex, "
                                           r"concave and saturated units\)"):
        average_networks([a, e])
    with pytest.raises(SignnetError, match=r"`nets` must be a non-empty sequence of signnet.MonotoneMLP, got a int"):
        average_networks(5)


def test_a_member_with_flipped_masks_is_refused():
    torch.manual_seed(0)
    a, b = MonotoneMLP([1, 0], (4,), architecture="dnn+"), MonotoneMLP([1, 0], (4,), architecture="dnn+")
    a[2].flip([(0, 0)])  # a obeys its own masks, which its configuration does not build
    with pytest.raises(SignnetError, match=r"nets\[0\] has sign masks other than those its configuration builds"):
        average_networks([a, b])
    c = MonotoneMLP([1, 0], (4,), architecture="dnn+")
    state = torch.random.get_rng_state()
    merged = average_networks([b, c])
    assert torch.equal(state, torch.random.get_rng_state())  # the merge draws nothing from the global generator
    assert certify(merged).satisfies_monotonic_cst
