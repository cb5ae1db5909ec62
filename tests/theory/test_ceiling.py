"""monotone_ceiling: exact against brute force, monotone relabelling, validation."""

from __future__ import annotations

import dataclasses
import itertools
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import signnet.theory._ceiling_flow as ceiling_flow
import signnet.theory._ceiling_sweep as ceiling_sweep
import signnet.theory.ceiling as ceiling_module
from signnet.errors import SignnetError
from signnet.theory.ceiling import CeilingResult, monotone_ceiling

METHODS = ("auto", "sweep", "flow", "dense", "sweep_v1")  # sweep_v1: the previous sweep, kept for the bench


def order_matrix(X, directions=None):
    """le[i, j] iff point i <= point j, straight from the definition."""
    X = np.asarray(X, float)
    n, d = X.shape
    dirs = [1] * d if directions is None else list(directions)
    le = np.ones((n, n), bool)
    for j, s in enumerate(dirs):
        a, b = X[:, j][:, None], X[:, j][None, :]
        le &= (a <= b) if s == 1 else (a >= b) if s == -1 else (a == b)
    return le


def brute_force(X, y, directions=None):
    """Fewest changes over every monotone labelling with values from y."""
    y = np.asarray(y)
    le = order_matrix(X, directions)
    best = len(y)
    for lab in itertools.product(np.unique(y), repeat=len(y)):
        lab = np.array(lab)
        if not np.any(le & (lab[:, None] > lab[None, :])):
            best = min(best, int(np.sum(lab != y)))
    return best


def is_monotone(X, labels, directions=None):
    le = order_matrix(X, directions)
    return not np.any(le & (labels[:, None] > labels[None, :]))


def check_result(res, X, y, directions, expected):
    assert res.relabeled == expected
    assert res.n == len(y)
    assert res.accuracy == pytest.approx((len(y) - expected) / len(y))
    assert res.labels.shape == (len(y),)
    assert int(np.sum(res.labels != np.asarray(y))) == expected
    assert set(np.unique(res.labels)) <= set(np.unique(y))
    assert is_monotone(X, res.labels, directions)


def run_all(X, y, directions=None):
    """Every applicable solver, with small and forced divide-and-conquer leaves."""
    out = []
    for method in METHODS:
        for leaf in (ceiling_flow._LEAF, 0):
            with mock.patch.object(ceiling_flow, "_LEAF", leaf):
                try:
                    out.append(monotone_ceiling(X, y, directions, method=method))
                except SignnetError as exc:
                    assert method.startswith("sweep") and "sweep" in str(exc)
    with mock.patch.object(ceiling_sweep, "jit_kernels", lambda: None):  # the interpreted code (no numba)
        with mock.patch.object(ceiling_flow, "jit_plane", lambda: None), mock.patch.object(ceiling_flow, "jit_graph", lambda: None), \
                mock.patch.object(ceiling_flow, "jit_flow", lambda: None):
            out.append(monotone_ceiling(X, y, directions, method="flow"))
            try:
                out.append(monotone_ceiling(X, y, directions, method="sweep"))
            except SignnetError as exc:
                assert "sweep" in str(exc)
    with mock.patch.object(ceiling_flow, "jit_flow", lambda: None):  # compiled DAG, scipy's Dinic
        out.append(monotone_ceiling(X, y, directions, method="flow"))
    return out


@st.composite
def small_problem(draw, max_n=7, classes=(2, 3)):
    n = draw(st.integers(1, max_n))
    d = draw(st.integers(0, 3))
    k = draw(st.sampled_from(classes))
    if k > 2:
        n = min(n, 6)
    X = np.array(draw(st.lists(st.lists(st.integers(0, 2), min_size=d, max_size=d), min_size=n, max_size=n)),
                 dtype=float).reshape(n, d)
    y = np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    directions = draw(st.none() | st.lists(st.sampled_from([-1, 0, 1]), min_size=d, max_size=d))
    return X, y, directions


@settings(max_examples=200, deadline=None)
@given(small_problem())
def test_equals_brute_force(problem):
    X, y, directions = problem
    expected = brute_force(X, y, directions)
    for res in run_all(X, y, directions):
        check_result(res, X, y, directions, expected)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_medium_solvers_agree(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    n = data.draw(st.integers(2, 150))
    d = data.draw(st.integers(1, 4))
    k = data.draw(st.sampled_from([2, 2, 4]))
    values = data.draw(st.sampled_from([2, 5, 1000]))
    X = rng.integers(0, values, (n, d)).astype(float)
    y = rng.integers(0, k, n)
    directions = data.draw(st.none() | st.lists(st.sampled_from([-1, 0, 1]), min_size=d, max_size=d))
    ref = monotone_ceiling(X, y, directions, method="dense")
    for res in run_all(X, y, directions):
        check_result(res, X, y, directions, ref.relabeled)


def test_xor_four_points():
    X = [[0, 0], [1, 1], [0, 1], [1, 0]]
    for method in METHODS:
        res = monotone_ceiling(X, [0, 0, 1, 1], method=method)
        assert res.accuracy == 0.75 and res.relabeled == 1 and res.n == 4
        assert is_monotone(X, res.labels)


def test_duplicates_with_different_labels_get_one_label():
    X = [[1.0, 2.0], [1.0, 2.0], [1.0, 2.0], [5.0, 5.0]]
    for method in METHODS:
        res = monotone_ceiling(X, [1, 1, 0, 0], method=method)
        assert res.relabeled == 2  # the pair group needs 1 change, then (1,2) <= (5,5) needs one more
        assert len(set(res.labels[:3].tolist())) == 1


def test_monotone_data_has_ceiling_one():
    rng = np.random.default_rng(0)
    X = rng.random((500, 3))
    y = (X.sum(axis=1) > 1.5).astype(int)
    res = monotone_ceiling(X, y)
    assert res.accuracy == 1.0 and res.relabeled == 0
    np.testing.assert_array_equal(res.labels, y)


def test_directions_minus_one_and_zero():
    X = np.array([[0.0, 5.0], [1.0, 6.0]])
    y = [1, 0]
    assert monotone_ceiling(X, y).relabeled == 1
    assert monotone_ceiling(X, y, directions=[-1, -1]).relabeled == 0
    assert monotone_ceiling(X, y, directions=[1, 0]).relabeled == 0  # 5 != 6: incomparable
    assert monotone_ceiling(X, y, directions=(0, -1)).relabeled == 0
    Xd = np.arange(10.0)[:, None]
    assert monotone_ceiling(Xd, (np.arange(10) < 5).astype(int), directions=[-1]).accuracy == 1.0
    assert monotone_ceiling(Xd, (np.arange(10) < 5).astype(int)).relabeled == 5


def test_signed_zero_is_equal_to_zero():
    X = [[0.0, 1.0], [-0.0, 2.0]]
    for method in METHODS:
        for directions in ([0, 1], [-1, 1], [1, 1]):
            assert monotone_ceiling(X, [1, 0], directions, method=method).relabeled == 1


def test_multiclass_ordinal_chain_and_label_values():
    X = np.arange(3.0)[:, None]
    res = monotone_ceiling(X, [2, 0, 1])
    assert res.relabeled == 1 and res.method == "flow"
    np.testing.assert_array_equal(res.labels, [0, 0, 1])
    res = monotone_ceiling(X, [7, -3, 5])  # labels keep their own values
    assert res.relabeled == 1
    assert set(res.labels.tolist()) <= {-3, 5, 7}
    assert monotone_ceiling(np.arange(5.0)[:, None], [0, 1, 2, 3, 4]).relabeled == 0
    assert monotone_ceiling(np.arange(5.0)[:, None], [4, 3, 2, 1, 0]).relabeled == 4


def test_label_kinds_accepted():
    X = [[0.0], [1.0]]
    assert monotone_ceiling(X, np.array([True, False])).relabeled == 1
    assert monotone_ceiling(X, [1.0, 0.0]).relabeled == 1
    assert monotone_ceiling(X, [5, 5]).accuracy == 1.0  # one class: nothing to fix
    assert monotone_ceiling(np.zeros((3, 0)), [0, 1, 1]).relabeled == 1  # no features: all equal


def test_sweep_matches_flow_on_larger_data():
    rng = np.random.default_rng(3)
    n = 5000  # heights above 4096: three levels of the bit tree
    X = rng.random((n, 2))
    X[: n // 4] = np.round(X[: n // 4], 1)  # plenty of ties and duplicates
    y = ((X[:, 0] - 0.5) * (X[:, 1] - 0.4) + 0.1 * rng.standard_normal(n) > 0).astype(int)
    fast = monotone_ceiling(X, y, method="sweep")
    flow = monotone_ceiling(X, y, method="flow")
    assert fast.relabeled == flow.relabeled > 0
    small = np.arange(600)
    le = order_matrix(X[small])
    assert not np.any(le & (fast.labels[small][:, None] > fast.labels[small][None, :]))
    assert monotone_ceiling(X, y, directions=[1, 0], method="sweep").relabeled == \
        monotone_ceiling(X, y, directions=[1, 0], method="dense").relabeled


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_sweep_gives_the_previous_sweeps_labels(data):
    """The faster sweep (quicksort orders, leaner loop, vectorised backward pass) changes no label."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    n = data.draw(st.integers(1, 3000))
    values = data.draw(st.sampled_from([2, 7, 10**6]))  # many ties and duplicates, or none
    X = rng.integers(0, values, (n, 2)).astype(float)
    y = rng.integers(0, 2, n)
    directions = data.draw(st.sampled_from([None, [1, -1], [-1, -1], [0, 1], [1, 0]]))
    new = monotone_ceiling(X, y, directions, method="sweep")
    old = monotone_ceiling(X, y, directions, method="sweep_v1")
    assert new.relabeled == old.relabeled
    np.testing.assert_array_equal(new.labels, old.labels)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=40))
def test_order_is_lexsort(pairs):
    a, b = np.array(pairs, float).T
    order = ceiling_sweep._order(a, b)
    ref = np.lexsort((b, a))
    np.testing.assert_array_equal(a[order], a[ref])  # equal keys may come in any order
    np.testing.assert_array_equal(b[order], b[ref])
    assert sorted(order.tolist()) == list(range(len(pairs)))


def test_result_is_frozen():
    res = monotone_ceiling([[0.0], [1.0]], [0, 1])
    assert isinstance(res, CeilingResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.accuracy = 0.5


@pytest.mark.parametrize(
    "X, y, kwargs, match",
    [
        ([1.0, 2.0], [0, 1], {}, r"X must be 2-D .*got shape \(2,\).*reshape"),
        ([[1.0], [2.0]], [0, 1, 1], {}, r"X has 2 rows but y has 3 labels"),
        (np.zeros((0, 2)), [], {}, r"X is empty"),
        ([[1.0], [np.nan]], [0, 1], {}, r"X\[1, 0\] is nan; drop or impute"),
        ([[1.0], [np.inf]], [0, 1], {}, r"X\[1, 0\] is inf"),
        ([["a"], ["b"]], [0, 1], {}, r"X could not be read as an array of numbers"),
        ([[1.0], [2.0]], [0, 0.5], {}, r"Labels must be integers within int64's range \(\|y\| < 2\*\*63\), but y\[1\] is 0\.5"),
        ([[1.0], [2.0], [3.0]], [0, 1, 1e20], {}, r"within int64's range \(\|y\| < 2\*\*63\), but y\[2\] is 1e\+20"),
        ([[1.0], [2.0]], np.array([0, 2**63], dtype=np.uint64), {}, r"Labels must fit in int64, but y\[1\] is 9223372036854775808"),
        ([[1.0], [2.0]], ["a", "b"], {}, r"Labels must be integers; got y of dtype"),
        ([[1.0], [2.0]], [[0], [1]], {}, r"y must be 1-D .*np\.ravel"),
        ([[1.0, 2.0]], [0], {"directions": [1]}, r"one entry per feature \(2\); got \[1\]"),
        ([[1.0, 2.0]], [0], {"directions": [1, 2]}, r"only hold -1, 0 or \+1; got 2"),
        ([[1.0, 2.0]], [0], {"directions": [1, 0.5]}, r"got 0\.5"),
        ([[1.0, 2.0]], [0], {"method": "magic"}, r"Unknown method 'magic'; choose one of: auto"),
        ([[1.0], [2.0]], [0, 1], {"method": "unknown"}, r"Unknown method"),
        ([[1.0], [2.0], [3.0]], [0, 1, 2], {"method": "sweep"}, r"'sweep' needs two classes.*method='flow'"),
        ([[1.0, 2.0, 3.0]], [0], {"method": "sweep"}, r"at most two non-zero directions"),
    ],
)
def test_bad_input_raises(X, y, kwargs, match):
    with pytest.raises(SignnetError, match=match):
        monotone_ceiling(X, y, **kwargs)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-2**62, 2**62) | st.integers(-5, 5), min_size=1, max_size=50))
def test_label_encoding_is_np_unique(labels):
    y = np.array(labels, np.int64)
    classes, codes = ceiling_module._encode(y)
    ref_classes, ref_codes = np.unique(y, return_inverse=True)
    np.testing.assert_array_equal(classes, ref_classes)
    np.testing.assert_array_equal(codes, ref_codes.ravel())
    assert codes.dtype == np.int64


def test_float16_and_bool_labels_are_read_without_warnings():
    import warnings

    X = np.array([[0.0], [1.0], [2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert monotone_ceiling(X, np.array([0, 1, 1], dtype=np.float16)).relabeled == 0
        assert monotone_ceiling(X, np.array([True, False, True])).relabeled == 1


def test_integers_beyond_float64_are_compared_exactly_and_huge_values_raise_no_warning():
    import warnings

    t = 1_700_000_000_000_000_001  # a nanosecond timestamp: t and t + 1 are one float64
    X = np.array([[t + 1, 0], [t, 1]], dtype=np.int64)  # incomparable points
    for method in ("auto", "flow", "dense"):
        assert monotone_ceiling(X, [1, 0], method=method).relabeled == 0
    assert monotone_ceiling(np.array([[t + 1], [t]]), [0, 1], directions=[0]).relabeled == 0  # values differ
    # the same exactness where such a column sits in a DataFrame beside floats, or comes as Python ints
    import pandas as pd

    frame = pd.DataFrame({"time": np.array([t, t + 1], dtype=np.int64), "score": [0.5, 0.5]})
    assert monotone_ceiling(frame, [0, 1]).relabeled == 0 and monotone_ceiling(frame, [1, 0]).relabeled == 1
    beyond_int64 = 2**70
    assert monotone_ceiling([[beyond_int64], [beyond_int64 + 1]], [0, 1]).relabeled == 0
    assert monotone_ceiling(np.array([[beyond_int64, 0.5], [beyond_int64 + 1, 0.5]], dtype=object), [0, 1]).relabeled == 0
    numpy_ints = np.array([[np.int64(2**60)], [np.int64(2**60 + 1)]], dtype=object)
    assert monotone_ceiling(numpy_ints, [0, 1]).relabeled == 0
    # pandas' own timestamps: t and t + 1 ns are one float64, and NaT is no time at all
    stamp = pd.Timestamp("2024-01-01")
    times = pd.DataFrame({"time": pd.to_datetime([stamp, stamp + pd.Timedelta(1, "ns")]), "score": [0.5, 0.5]})
    assert monotone_ceiling(times, [0, 1]).relabeled == 0 and monotone_ceiling(times, [1, 0]).relabeled == 1
    with pytest.raises(SignnetError, match=r"X column 0 holds NaT \(a missing date or duration\); drop or impute"):
        monotone_ceiling(pd.DataFrame({"time": [stamp, pd.NaT]}), [0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert monotone_ceiling([[1e308, 0.0], [-1e308, 1.0]], [0, 1], [0, 1]).relabeled == 0
