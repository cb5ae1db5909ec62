"""corollary_witnesses: a triple is reported iff one exists, and each is valid."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signnet.errors import SignnetError
from signnet.theory.witnesses import Witness, corollary_witnesses


def dominance(X):
    X = np.asarray(X, float)
    return (X[:, None, :] <= X[None, :, :]).all(axis=2)


def triple_exists(X, y):
    le = dominance(X)
    return any(
        le[a, c] and le[c, b] and y[a] == y[b] != y[c]
        for a, c, b in itertools.permutations(range(len(y)), 3)
    )


def assert_valid(w, X, y):
    le = dominance(X)
    a, c, b = w.indices
    assert isinstance(w, Witness)
    assert len({a, b, c}) == 3
    assert le[a, c] and le[c, b]
    assert w.labels == (y[a], y[c], y[b]) and w.labels in ((1, 0, 1), (0, 1, 0))
    assert w.kind in ("positive_slope", "closed_shape", "disconnected", "dominance")


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_found_iff_a_triple_exists(data):
    n = data.draw(st.integers(1, 8))
    grid = data.draw(st.sampled_from([2, 3, 10]))
    X = np.array(data.draw(st.lists(st.tuples(st.integers(0, grid), st.integers(0, grid)), min_size=n, max_size=n)), float)
    y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    found = corollary_witnesses(X, y, max_witnesses=None)
    assert (len(found) > 0) == triple_exists(X, y)
    for w in found:
        assert_valid(w, X, y)
    assert len({w.indices[1] for w in found}) == len(found)  # distinct middles


def test_xor_has_witnesses():
    X = np.array([[0, 0], [1, 1], [0, 1], [1, 0]], float)
    y = np.array([0, 0, 1, 1])
    found = corollary_witnesses(X, y)
    assert {w.indices for w in found} == {(0, 2, 1), (0, 3, 1)}
    for w in found:
        assert_valid(w, X, y)


def test_monotone_data_has_none():
    rng = np.random.default_rng(0)
    X = rng.random((3000, 2))
    y = (X[:, 0] + 2 * X[:, 1] > 1.2).astype(int)
    assert corollary_witnesses(X, y) == []
    assert corollary_witnesses(X[:30], y[:30], max_witnesses=None) == []
    assert not triple_exists(X[:30], y[:30])


def test_duplicates_need_a_third_point():
    assert corollary_witnesses([[1.0, 1.0], [1.0, 1.0]], [1, 0]) == []
    found = corollary_witnesses([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]], [1, 0, 1])
    assert [w.indices for w in found] == [(0, 1, 2)] or [w.indices for w in found] == [(2, 1, 0)]


@pytest.mark.parametrize(
    "X, y, kind",
    [
        ([[0, 0], [1, 1], [2, 2]], [1, 0, 1], "positive_slope"),
        ([[0, 1], [1, 1], [3, 1]], [0, 1, 0], "positive_slope"),  # horizontal counts
        ([[0.2, 0.0], [1, 1], [2.0, 1.2], [0, 2], [2, 0]], [0, 1, 0, 0, 0], "closed_shape"),
        ([[0, 0.3], [1, 1], [2, 1.1]], [1, 0, 1], "disconnected"),
        ([[0, 0.3], [1, 1], [2, 1.1]], [0, 1, 0], "dominance"),
    ],
)
def test_kinds_on_hand_made_triples(X, y, kind):
    found = corollary_witnesses(X, y)
    assert found and found[0].kind == kind and found[0].indices[1] == 1
    assert_valid(found[0], np.asarray(X, float), np.asarray(y))


def test_max_witnesses_and_speed():
    rng = np.random.default_rng(1)
    X = rng.random((4000, 2))
    y = ((X[:, 0] - 0.5) * (X[:, 1] - 0.5) > 0).astype(int)
    start = time.perf_counter()
    found = corollary_witnesses(X, y, max_witnesses=7)
    assert time.perf_counter() - start < 10.0
    assert len(found) == 7
    for w in found[:3]:
        le_ac = (X[w.indices[0]] <= X[w.indices[1]]).all()
        le_cb = (X[w.indices[1]] <= X[w.indices[2]]).all()
        assert le_ac and le_cb and w.labels in ((1, 0, 1), (0, 1, 0))
    assert corollary_witnesses(X, y, max_witnesses=0) == []
    ring = (np.hypot(X[:, 0] - 0.5, X[:, 1] - 0.5) < 0.25).astype(int)
    assert "closed_shape" in {w.kind for w in corollary_witnesses(X, ring)}


@pytest.mark.parametrize(
    "X, y, kwargs, match",
    [
        ([[0.0, 1.0, 2.0]], [0], {}, r"needs 2-D points, X of shape \(n, 2\); got shape \(1, 3\)"),
        ([[0.0, 1.0]], [2], {}, r"labels in \{0, 1\}; got 2"),
        ([[0.0, 1.0]], [0], {"max_witnesses": -1}, r"max_witnesses must be a non-negative integer or None; got -1"),
        ([[0.0, np.nan]], [0], {}, r"X\[0, 1\] is nan"),
    ],
)
def test_bad_input_raises(X, y, kwargs, match):
    with pytest.raises(SignnetError, match=match):
        corollary_witnesses(X, y, **kwargs)
