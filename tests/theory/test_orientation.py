"""best_orientation: exhaustive search is exact and prefers the fewest flips."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signnet.errors import SignnetError
from signnet.theory.ceiling import monotone_ceiling
from signnet.theory.orientation import OrientationResult, best_orientation


def brute_orientation(X, y):
    """Best relabel count over all 2^d sign patterns and the fewest flips reaching it."""
    d = X.shape[1]
    scores = {}
    for signs in itertools.product([1, -1], repeat=d):
        scores[signs] = monotone_ceiling(X, y, signs, method="dense").relabeled
    best = min(scores.values())
    fewest = min(sum(s == -1 for s in signs) for signs, v in scores.items() if v == best)
    return best, fewest


def test_xor_cannot_reach_one():
    X = np.array([[0, 0], [1, 1], [0, 1], [1, 0]], float)
    res = best_orientation(X, [0, 0, 1, 1])
    assert isinstance(res, OrientationResult)
    assert res.ceiling == 0.75 and res.exact
    assert res.flips == () and res.directions == (1, 1)  # every orientation ties; no flip wins
    assert res.evaluated == 4


def test_negating_feature_one_makes_data_monotone():
    rng = np.random.default_rng(0)
    X = rng.random((400, 3))
    y = (X[:, 0] - X[:, 1] + 0.5 * X[:, 2] > 0.2).astype(int)
    assert monotone_ceiling(X, y).accuracy < 1.0
    res = best_orientation(X, y)
    assert res.ceiling == 1.0 and res.relabeled == 0
    assert res.flips == (1,) and res.directions == (1, -1, 1) and res.exact


def test_fewest_flips_and_constant_features():
    X = np.column_stack([np.zeros(6), np.arange(6.0), np.full(6, 3.0)])
    res = best_orientation(X, [0, 0, 0, 1, 1, 1])
    assert res.flips == () and res.ceiling == 1.0 and res.evaluated == 1
    res = best_orientation(X, [1, 1, 1, 0, 0, 0])
    assert res.flips == (1,) and res.ceiling == 1.0  # constant features 0 and 2 are never flipped
    assert res.evaluated == 2


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_exact_search_matches_brute_force(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    n = data.draw(st.integers(1, 25))
    d = data.draw(st.integers(1, 4))
    X = rng.integers(0, data.draw(st.sampled_from([2, 3, 50])), (n, d)).astype(float)
    y = rng.integers(0, data.draw(st.sampled_from([2, 3])), n)
    best, fewest = brute_orientation(X, y)
    res = best_orientation(X, y)
    assert res.exact
    assert res.relabeled == best and res.ceiling == pytest.approx((n - best) / n)
    assert len(res.flips) == fewest
    assert res.directions == tuple(-1 if j in res.flips else 1 for j in range(d))
    assert monotone_ceiling(X, y, res.directions).relabeled == best


def test_greedy_beyond_max_exact():
    rng = np.random.default_rng(1)
    X = rng.random((300, 5))
    y = (X[:, 0] - X[:, 2] - X[:, 4] + 0.3 * X[:, 1] > -0.4).astype(int)
    res = best_orientation(X, y, max_exact=2)
    assert not res.exact
    assert res.ceiling == 1.0 and res.flips == (2, 4)
    assert monotone_ceiling(X, y, res.directions).relabeled == res.relabeled
    assert res.ceiling >= monotone_ceiling(X, y).accuracy


@pytest.mark.parametrize("bad", [-1, 1.5, True, "12"])
def test_bad_max_exact(bad):
    with pytest.raises(SignnetError, match=r"max_exact must be a non-negative integer; got"):
        best_orientation([[0.0], [1.0]], [0, 1], max_exact=bad)


def test_bad_data_raises():
    with pytest.raises(SignnetError, match=r"X has 2 rows but y has 1 labels"):
        best_orientation([[0.0], [1.0]], [0])


def test_the_exact_search_reports_its_progress(monkeypatch):
    # `signnet ceiling --orient --max-exact 99999` on 16 binary features ran silently for minutes (2^16 orientations)
    import signnet.theory.orientation as orientation

    bars = []

    class Bar:
        def __init__(self, **kwargs):
            self.kwargs, self.n = kwargs, 0
            bars.append(self)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, k=1):
            self.n += k

    monkeypatch.setattr(orientation, "tqdm", Bar)
    rng = np.random.default_rng(0)
    X, y = rng.integers(0, 2, (60, 4)).astype(float), rng.integers(0, 2, 60)
    result = best_orientation(X, y, progress=True)
    assert bars[0].kwargs["total"] == 16 and not bars[0].kwargs["disable"] and bars[0].kwargs["delay"] == 2.0
    assert bars[0].n == result.evaluated  # one step per orientation tried
    assert best_orientation(X, y) == result
    assert bars[1].kwargs["disable"]  # off unless asked for
