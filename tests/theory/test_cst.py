"""monotonic_cst parsing (signnet.theory._cst): arrays, dicts by feature name, scikit-learn's wording."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.utils.validation import _check_monotonic_cst

from signnet import SignnetError, as_monotonic_cst
from signnet.theory import precedes


class Fitted:
    """What sklearn's own check reads from a fitted estimator."""

    def __init__(self, n, names=None):
        self.n_features_in_ = n
        if names is not None:
            self.feature_names_in_ = np.asarray(names, dtype=object)


def test_arrays_dicts_and_none():
    assert as_monotonic_cst([1, -1, 0], 3).tolist() == [1, -1, 0]
    assert as_monotonic_cst(np.array([1.0, -1.0]), 2).dtype == np.int8
    assert as_monotonic_cst(None, 3).tolist() == [1, 1, 1]  # the audit's default: element-wise dominance
    assert as_monotonic_cst(None, 3, default=0).tolist() == _check_monotonic_cst(Fitted(3), None).tolist()
    assert as_monotonic_cst({"b": -1, "c": 1}, 3, ["a", "b", "c"]).tolist() == [0, -1, 1]
    assert as_monotonic_cst({}, 2, ["a", "b"]).tolist() == [0, 0]


@pytest.mark.parametrize("cst, n, names", [
    ([1, 2, 0], 3, None),
    ([1, -1], 3, None),
    ([0.5, 1, 1], 3, None),
    ({"z": 1, "y": -1}, 2, ["a", "b"]),
    ({"a": 2}, 2, ["a", "b"]),
    ({f"f{i}": 1 for i in range(7)}, 2, ["a", "b"]),
])
def test_errors_read_as_scikit_learns(cst, n, names):
    """The same sentence as HistGradientBoosting's check (sklearn.utils.validation._check_monotonic_cst)."""
    with pytest.raises(ValueError) as theirs:
        _check_monotonic_cst(Fitted(n, names), cst)
    with pytest.raises(SignnetError) as ours:
        as_monotonic_cst(cst, n, names)
    hint = " The features are named ['a', 'b']." if "unexpected feature names" in str(theirs.value) else ""
    assert str(ours.value) == str(theirs.value) + hint  # scikit-learn's sentence word for word, then the names


@pytest.mark.parametrize("cst, pattern", [
    ({"a": 1}, r"monotonic_cst is a dict keyed by feature name but the features have no names; pass monotonic_cst "
               r"as an integer array instead\."),
    ("1,0", r"monotonic_cst must be an array-like of -1, 0 or 1, got the string '1,0'\."),
    ([[1, 0]], r"monotonic_cst must be an array-like of -1, 0 or 1, one per feature; got \[\[1, 0\]\]\."),
    ([True, False], r"monotonic_cst must be an array-like of -1, 0 or 1\. Observed values: \[False, True\]\."),
])
def test_other_errors(cst, pattern):
    with pytest.raises(SignnetError, match=pattern):
        as_monotonic_cst(cst, 2)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from([-1, 0, 1]), min_size=1, max_size=6), st.integers(0, 10_000))
def test_precedes_is_the_coordinate_rule(cst, seed):
    rng = np.random.default_rng(seed)
    c = np.array(cst)
    x = rng.integers(-2, 3, len(c)).astype(float)
    assert precedes(x, x + c * rng.integers(0, 3, len(c)), c)  # a step along the allowed directions
    other = x + rng.integers(-2, 3, len(c))
    brute = all((ci == 1 and xi <= oi) or (ci == -1 and xi >= oi) or (ci == 0 and xi == oi)
                for ci, xi, oi in zip(c, x, other, strict=True))
    assert precedes(x, other, c) == brute
