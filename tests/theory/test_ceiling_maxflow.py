"""The max-flow backends of the ceiling's flow solver: OR-Tools (optional) and scipy give the same cut and labels."""

from __future__ import annotations

import sys
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.sparse import csgraph

import signnet.theory._ceiling_flow as ceiling_flow
import signnet.theory._ceiling_maxflow as ceiling_maxflow
from signnet.theory.ceiling import monotone_ceiling

ORTOOLS_MODULES = ("ortools", "ortools.graph", "ortools.graph.python", "ortools.graph.python.max_flow")


def with_scipy(fn, *args, **kwargs):
    """Run ``fn`` with OR-Tools switched off (the scipy Dinic path)."""
    with mock.patch.object(ceiling_maxflow, "ortools_max_flow", lambda: None):
        return fn(*args, **kwargs)


def backends():
    """(name, runner) for each backend installed here."""
    out = [("scipy", with_scipy)]
    if ceiling_maxflow.ortools_max_flow() is not None:
        out.append(("ortools", lambda fn, *a, **k: fn(*a, **k)))
    return out


def test_source_side_of_a_small_network():
    # 0 -> 2 (cap 2), 2 -> 1 (1), 0 -> 3 (1), 3 -> 1 (3): flow 2; residual keeps 0 -> 2 only
    tails, heads, caps = np.array([0, 2, 0, 3]), np.array([2, 1, 3, 1]), np.array([2, 1, 1, 3])
    for _, run in backends():
        reached = run(ceiling_maxflow.source_side, tails, heads, caps, 5)
        np.testing.assert_array_equal(reached, [True, False, True, False, False])


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_source_side_is_the_minimal_minimum_cut(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    n_nodes = data.draw(st.integers(2, 12))
    m = data.draw(st.integers(0, 40))
    tails, heads = rng.integers(0, n_nodes, m), rng.integers(0, n_nodes, m)
    keep = tails != heads
    tails, heads, caps = tails[keep], heads[keep], rng.integers(0, 5, keep.sum())
    graph = sparse.csr_array((caps.astype(np.int32), (tails, heads)), shape=(n_nodes, n_nodes))
    value = csgraph.maximum_flow(graph, 0, 1).flow_value
    sides = [run(ceiling_maxflow.source_side, tails, heads, caps, n_nodes) for _, run in backends()]
    for reached in sides:
        np.testing.assert_array_equal(reached, sides[0])  # the same set from every backend
    reached = sides[0]
    assert reached[0] and not reached[1]
    assert caps[reached[tails] & ~reached[heads]].sum() == value  # a minimum cut (max-flow min-cut theorem)
    for mask in range(2 ** (n_nodes - 2)):  # every s-t cut: none is smaller, each minimum one contains it
        side = np.r_[True, False, (mask >> np.arange(n_nodes - 2)) & 1 == 1]
        cut = caps[side[tails] & ~side[heads]].sum()
        assert cut >= value
        if cut == value:
            assert not np.any(reached & ~side)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_backends_give_the_same_labels_in_three_to_ten_features(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    n = data.draw(st.integers(2, 120))
    d = data.draw(st.integers(3, 10))
    k = data.draw(st.sampled_from([2, 3]))
    values = data.draw(st.sampled_from([2, 3, 1000]))  # ties and duplicates, or few
    X = rng.integers(0, values, (n, d)).astype(float)
    y = rng.integers(0, k, n)
    directions = data.draw(st.none() | st.lists(st.sampled_from([-1, 0, 1, 1]), min_size=d, max_size=d))
    ref = monotone_ceiling(X, y, directions, method="dense")
    runs = [run(monotone_ceiling, X, y, directions, method="flow") for _, run in backends()]
    for res in runs:
        assert res.relabeled == ref.relabeled
        np.testing.assert_array_equal(res.labels, runs[0].labels)


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


def test_without_ortools_scipy_runs():
    ceiling_maxflow.ortools_max_flow.cache_clear()
    try:
        with mock.patch.dict(sys.modules, dict.fromkeys(ORTOOLS_MODULES)):
            assert ceiling_maxflow.ortools_max_flow() is None
            X = np.array([[0, 0, 0], [1, 1, 1], [0, 1, 1], [1, 0, 0]], float)
            res = monotone_ceiling(X, [1, 0, 1, 0])
            assert res.method == "flow" and res.relabeled == 2
    finally:
        ceiling_maxflow.ortools_max_flow.cache_clear()


def test_with_ortools_its_solver_runs():
    pytest.importorskip("ortools.graph.python.max_flow")
    calls = []
    real = ceiling_maxflow.ortools_max_flow()

    class Counting:
        OPTIMAL = real.SimpleMaxFlow.OPTIMAL

        def SimpleMaxFlow(self):  # noqa: N802 (OR-Tools' name)
            calls.append(1)
            return real.SimpleMaxFlow()

    with mock.patch.object(ceiling_maxflow, "ortools_max_flow", Counting):
        res = monotone_ceiling(np.array([[0.0, 0, 0], [1, 1, 1]]), [1, 0])
    assert res.relabeled == 1 and calls == [1]
