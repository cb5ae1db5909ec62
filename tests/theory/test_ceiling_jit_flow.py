"""The compiled maximum flow of the ceiling (augmenting paths with dead nodes) against brute force and scipy's Dinic."""

from __future__ import annotations

import sys
import warnings
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import signnet.theory._ceiling_flow as ceiling_flow
from signnet.theory.ceiling import monotone_ceiling

pytest.importorskip("numba")
kernel = pytest.importorskip("signnet.theory._ceiling_jit_flow")


def with_dinic(fn, *args, **kwargs):
    """Run ``fn`` with the compiled flow switched off (scipy's Dinic)."""
    with mock.patch.object(ceiling_flow, "jit_flow", lambda: None):
        return fn(*args, **kwargs)


def network(n, tails, heads, n_nodes):
    """The kernel's network for scipy: source 0, sink 1, inner node v as v + 2, unit terminal arcs."""
    inner = len(tails)
    r = np.concatenate([np.zeros(n, np.int64), 2 + n + np.arange(n), 2 + np.asarray(tails, np.int64)])
    c = np.concatenate([2 + np.arange(n), np.ones(n, np.int64), 2 + np.asarray(heads, np.int64)])
    cap = np.concatenate([np.ones(2 * n, np.int64), np.full(inner, n + 1, np.int64)])
    return r, c, cap, n_nodes + 2


def kernel_side(n, tails, heads, n_nodes, order=None):
    order = np.arange(n) if order is None else order
    reached, done = kernel.source_side(np.asarray(tails, np.int64), np.asarray(heads, np.int64), n, n_nodes,
                                       np.asarray(order, np.int64), 2**62)
    assert done
    return reached


def test_two_sources_one_shared_sink():
    # left 0 -> right 0 (node 2), left 1 -> right 0 and right 1 (node 3); Steiner node 4: left 0 -> 4 -> right 1
    tails, heads = [0, 1, 1, 0, 4], [2, 2, 3, 4, 3]
    for order in ([0, 1], [1, 0]):
        reached = kernel_side(2, tails, heads, 5, order)
        np.testing.assert_array_equal(reached, [False] * 5)  # both matched, nothing free left: cut at the source
        reached = kernel_side(2, [0, 1], [2, 2], 4, order)  # both lefts want right 0 only: one stays free
        np.testing.assert_array_equal(reached, [True, True, True, False])


def test_the_kernel_gives_up_past_its_budget():
    args = (np.array([0, 1], np.int64), np.array([2, 2], np.int64), 2, 4, np.arange(2))
    assert kernel.source_side(*args, 2)[1]  # two searches, one arc each
    assert not kernel.source_side(*args, 0)[1]


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_source_side_is_the_minimal_minimum_cut(data):
    """Against every cut of small random networks (cycles allowed), and against scipy's Dinic."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    n = data.draw(st.integers(1, 5))
    n_nodes = 2 * n + data.draw(st.integers(0, 3))
    m = data.draw(st.integers(0, 20))
    tails, heads = rng.integers(0, n_nodes, m), rng.integers(0, n_nodes, m)
    keep = tails != heads
    tails, heads = tails[keep], heads[keep]
    reached = kernel_side(n, tails, heads, n_nodes, rng.permutation(n))
    r, c, cap, size = network(n, tails, heads, n_nodes)
    np.testing.assert_array_equal(reached, ceiling_flow._dinic_source_side(r, c, cap, size)[2:])
    best, cuts = None, []
    for mask in range(2**n_nodes):  # side[v]: inner node v on the source side
        side = (mask >> np.arange(n_nodes)) & 1 == 1
        if np.any(side[tails] & ~side[heads]):
            continue  # cuts an unbounded arc
        cost = int(np.sum(~side[:n]) + np.sum(side[n : 2 * n]))
        cuts.append((cost, side))
        best = cost if best is None else min(best, cost)
    cost = int(np.sum(~reached[:n]) + np.sum(reached[n : 2 * n]))
    assert not np.any(reached[tails] & ~reached[heads]) and cost == best
    for c_, side in cuts:
        if c_ == best:
            assert not np.any(reached & ~side)  # inside every minimum cut: the minimal one


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_same_labels_as_dinic_in_three_to_ten_features(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    n = data.draw(st.integers(2, 120))
    d = data.draw(st.integers(3, 10))
    k = data.draw(st.sampled_from([2, 3]))
    values = data.draw(st.sampled_from([2, 3, 1000]))  # ties and duplicates, or few
    X = rng.integers(0, values, (n, d)).astype(float)
    y = rng.integers(0, k, n)
    directions = data.draw(st.none() | st.lists(st.sampled_from([-1, 0, 1, 1]), min_size=d, max_size=d))
    ref = monotone_ceiling(X, y, directions, method="dense")
    old = with_dinic(monotone_ceiling, X, y, directions, method="flow")
    assert old.relabeled == ref.relabeled
    for budget in (ceiling_flow._SEARCH_BUDGET, 0):  # the compiled searches; out of budget: Dinic
        with mock.patch.object(ceiling_flow, "_SEARCH_BUDGET", budget):
            new = monotone_ceiling(X, y, directions, method="flow")
        np.testing.assert_array_equal(new.labels, old.labels)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_labels_do_not_depend_on_the_numbering(data):
    """The flow solver renumbers the points along a Morton curve; the minimal cut, hence the labels, stay."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    n = data.draw(st.integers(1, 150))
    d = data.draw(st.integers(1, 5))
    X = rng.integers(0, data.draw(st.sampled_from([2, 4, 100])), (n, d)).astype(float)
    y = rng.integers(0, data.draw(st.sampled_from([2, 3])), n)
    perm = rng.permutation(n)
    res = monotone_ceiling(X, y, method="flow")
    shuffled = monotone_ceiling(X[perm], y[perm], method="flow")
    np.testing.assert_array_equal(shuffled.labels, res.labels[perm])
    with mock.patch.object(ceiling_flow, "locality_order", lambda P: np.arange(P.shape[0])):
        np.testing.assert_array_equal(monotone_ceiling(X, y, method="flow").labels, res.labels)


def test_locality_order_is_a_permutation_along_a_z_curve():
    X = np.array([[0.9, 0.9], [0.0, 0.0], [0.0, 0.9], [0.9, 0.0], [0.4, 0.4]])
    # bits interleaved, the first coordinate's lowest: (0,0) < (0.4,0.4) < (0.9,0) < (0,0.9) < (0.9,0.9)
    np.testing.assert_array_equal(ceiling_flow.locality_order(X), [1, 4, 3, 2, 0])
    np.testing.assert_array_equal(ceiling_flow.locality_order(np.ones((4, 3))), np.arange(4))
    np.testing.assert_array_equal(ceiling_flow.locality_order(np.zeros((3, 0))), np.arange(3))
    P = np.random.default_rng(0).random((1000, 7))
    assert sorted(ceiling_flow.locality_order(P).tolist()) == list(range(1000))


def test_a_larger_problem_matches_dinic():
    rng = np.random.default_rng(1)
    X = rng.random((3000, 3))
    X[:500] = np.round(X[:500], 1)
    y = (X[:, 0] + X[:, 1] - 0.5 * X[:, 2] + 0.3 * rng.standard_normal(3000) > 0.75).astype(int)
    old = with_dinic(monotone_ceiling, X, y)
    for budget in (ceiling_flow._SEARCH_BUDGET, 0):
        with mock.patch.object(ceiling_flow, "_SEARCH_BUDGET", budget):
            new = monotone_ceiling(X, y)
        assert new.method == "flow" and new.relabeled == old.relabeled > 100
        np.testing.assert_array_equal(new.labels, old.labels)


def test_without_numba_dinic_runs():
    ceiling_flow.jit_flow.cache_clear()
    try:
        with mock.patch.dict(sys.modules, {"numba": None, "signnet.theory._ceiling_jit": None,
                                           "signnet.theory._ceiling_jit_flow": None}):
            assert ceiling_flow.jit_flow() is None
            X = np.array([[0, 0, 0], [1, 1, 1], [0, 1, 1], [1, 0, 0]], float)
            res = monotone_ceiling(X, [1, 0, 1, 0])
            assert res.method == "flow" and res.relabeled == 2
    finally:
        ceiling_flow.jit_flow.cache_clear()
    assert ceiling_flow.jit_flow() is kernel


def test_coordinates_near_the_float_limit_give_no_warning_and_the_dense_labels():
    X = np.array([[1e308, 0, 0], [-1e308, 1, 0], [0, 2, 1], [5, -1, 1]])
    y, dirs = [1, 0, 1, 0], [1, 1, -1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flow = monotone_ceiling(X, y, dirs, method="flow")
    dense = monotone_ceiling(X, y, dirs, method="dense")
    assert flow.relabeled == dense.relabeled
