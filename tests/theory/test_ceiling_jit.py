"""The numba-compiled ceiling kernels give the interpreted solvers' answers, and are optional."""

from __future__ import annotations

import sys
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import signnet.theory._ceiling_flow as ceiling_flow
import signnet.theory._ceiling_sweep as ceiling_sweep
from signnet.theory.ceiling import monotone_ceiling

numba = pytest.importorskip("numba")
jit = pytest.importorskip("signnet.theory._ceiling_jit")


def interpreted(fn, *args, **kwargs):
    """Run ``fn`` with the compiled kernels switched off."""
    with mock.patch.object(ceiling_sweep, "jit_kernels", lambda: None):
        return fn(*args, **kwargs)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_compiled_sweep_gives_the_interpreted_labels(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    n = data.draw(st.integers(1, 2000))
    values = data.draw(st.sampled_from([1, 2, 7, 10**6]))  # one value, many ties and duplicates, or none
    d = data.draw(st.integers(0, 3))
    X = rng.integers(0, values, (n, d)).astype(float) - values // 2  # negatives and zeros too
    if data.draw(st.booleans()):
        X[rng.random((n, d)) < 0.3] = -0.0
    y = rng.integers(0, 2, n)
    directions = data.draw(st.lists(st.sampled_from([-1, 0, 1]), min_size=d, max_size=d))
    if sum(s != 0 for s in directions) > 2:
        directions[0] = 0
    new = monotone_ceiling(X, y, directions, method="sweep")
    old = interpreted(monotone_ceiling, X, y, directions, method="sweep")
    assert new.relabeled == old.relabeled
    np.testing.assert_array_equal(new.labels, old.labels)
    if n <= 300:
        assert new.relabeled == monotone_ceiling(X, y, directions, method="dense").relabeled


def test_compiled_sweep_on_a_larger_tree():
    rng = np.random.default_rng(5)
    n = 300_000  # heights above 64**3: four levels of the bit tree
    X = rng.random((n, 2))
    X[: n // 3] = np.round(X[: n // 3], 2)
    y = ((X[:, 0] - 0.5) * (X[:, 1] - 0.4) + 0.1 * rng.standard_normal(n) > 0).astype(int)
    new = monotone_ceiling(X, y, [1, -1])
    old = interpreted(monotone_ceiling, X, y, [1, -1])
    assert new.method == "sweep" and new.relabeled == old.relabeled > 1000
    np.testing.assert_array_equal(new.labels, old.labels)


def test_radix_argsort_is_a_stable_sort():
    rng = np.random.default_rng(0)
    for x in (rng.standard_normal(5000), rng.integers(-3, 3, 5000).astype(float), np.array([0.0, -0.0, 1.0, -1.0])):
        bits = np.ascontiguousarray(x).view(np.uint64)
        for sign in (1, -1):
            keys = jit._float_keys(bits, 0, 1, sign)
            order, sorted_keys = jit._radix_argsort(keys)
            np.testing.assert_array_equal(order, np.argsort(sign * x + 0.0, kind="stable"))
            np.testing.assert_array_equal(sorted_keys, keys[order])


def test_staircase_kernel_matches_interpreted_with_counts():
    rng = np.random.default_rng(1)
    n = 5000
    pos = rng.permutation(n) + 1
    ones, zeros = rng.integers(0, 3, n), rng.integers(0, 3, n)
    new = ceiling_sweep._staircase(pos, ones, zeros)
    old = interpreted(ceiling_sweep._staircase, pos, ones, zeros)
    np.testing.assert_array_equal(new, old)


def test_without_numba_the_interpreted_code_runs():
    ceiling_sweep.jit_kernels.cache_clear()
    try:
        with mock.patch.dict(sys.modules, {"numba": None, "signnet.theory._ceiling_jit": None}):
            assert ceiling_sweep.jit_kernels() is None
            res = monotone_ceiling([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]], [0, 0, 1, 1])
            assert res.relabeled == 1 and res.method == "sweep"
    finally:
        ceiling_sweep.jit_kernels.cache_clear()
    assert ceiling_sweep.jit_kernels() is jit


def test_no_writable_cache_compiles_without_cache():
    calls = []

    def fake_njit(**options):
        calls.append(options)
        if options.get("cache"):
            raise RuntimeError("cannot cache function 'f': no locator available for file 'f.py'")
        return lambda fn: fn

    with mock.patch.object(jit.numba, "njit", fake_njit):
        f = jit._njit()(lambda x: x + 1)
    assert f(1) == 2
    assert calls == [{"cache": True, "nogil": True}, {"nogil": True}]


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_plane_max_below_is_the_max_over_dominated_points(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    n = data.draw(st.integers(1, 300))
    width = data.draw(st.sampled_from([1, 2]))
    X = rng.integers(-2, data.draw(st.sampled_from([2, 5, 1000])), (n, width)).astype(float)
    values = rng.integers(-1, 4, n)
    bits = np.ascontiguousarray(X).reshape(-1).view(np.uint64)
    le = np.all(X[:, None, :] <= X[None, :, :], axis=2)  # le[k, p]: point k <= point p
    expected = np.where(le, values[:, None], -1).max(axis=0)
    np.testing.assert_array_equal(jit.plane_max_below(bits, width, values), expected)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_ordered_classes_in_the_plane_match_the_interpreted_flow(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    n = data.draw(st.integers(3, 400))
    X = rng.integers(0, data.draw(st.sampled_from([3, 1000])), (n, 2)).astype(float)
    y = rng.integers(0, data.draw(st.sampled_from([3, 5])), n)
    y[:3] = [0, 1, 2]  # at least three classes: the flow solver
    directions = data.draw(st.sampled_from([None, [1, -1], [-1, 0]]))
    new = monotone_ceiling(X, y, directions)
    with mock.patch.object(ceiling_flow, "jit_plane", lambda: None), mock.patch.object(ceiling_flow, "jit_graph", lambda: None):
        old = monotone_ceiling(X, y, directions)
    assert new.method == old.method == "flow"
    np.testing.assert_array_equal(new.labels, old.labels)
    assert new.relabeled == monotone_ceiling(X, y, directions, method="dense").relabeled


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_compiled_rendezvous_has_the_same_reachability(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    n = data.draw(st.integers(1, 200))
    d = data.draw(st.integers(1, 4))
    Q = rng.integers(0, data.draw(st.sampled_from([2, 5, 100])), (n, d)).astype(float)
    strict = rng.random(d) < 0.3
    items = np.arange(n)
    A = items[rng.random(n) < 0.7]
    leaf = data.draw(st.sampled_from([0, 64]))
    with mock.patch.object(ceiling_flow, "_LEAF", leaf):
        got = ceiling_flow._rendezvous(Q, strict, A, items)
        with mock.patch.object(ceiling_flow, "jit_graph", lambda: None):
            ref = ceiling_flow._rendezvous(Q, strict, A, items)
    for _ in range(3):  # the largest value reaching each item, for random values: the same reachability
        values = np.where(np.isin(items, A), rng.integers(0, 6, n), -1)
        np.testing.assert_array_equal(ceiling_flow._propagate_max(got, values, n), ceiling_flow._propagate_max(ref, values, n))
    for i in A[:5]:  # and item by item, against the definition
        values = np.where(items == i, 0, -1)
        reach = ceiling_flow._propagate_max(got, values, n) == 0
        le = np.all(np.where(strict, Q[i] < Q, Q[i] <= Q), axis=1)
        np.testing.assert_array_equal(reach, le)
