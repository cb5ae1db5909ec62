"""The paper's problems as seeded generators (signnet.problems)."""

import numpy as np
import pytest

from signnet import CONTROL_PROBLEMS, HARD_PROBLEMS, PROBLEMS, SignnetError, make_problem

RULES = {
    "xor": lambda X: (X[:, 0] >= 0) != (X[:, 1] >= 0),
    "positive_slope": lambda X: X[:, 1] > X[:, 0],
    "closed_shape": lambda X: X[:, 0] ** 2 + X[:, 1] ** 2 < 0.36,
    "disconnected": lambda X: np.abs(X[:, 0]) > 0.5,
    "negative_slope": lambda X: X[:, 0] + X[:, 1] > 0,
    "upset": lambda X: (X[:, 0] > -0.2) | (X[:, 1] > 0.1),
    "quadrant": lambda X: (X[:, 0] > 0) & (X[:, 1] > 0),
}


def test_problem_lists():
    assert set(PROBLEMS) == set(RULES)
    assert HARD_PROBLEMS == ("xor", "positive_slope", "closed_shape", "disconnected")
    assert CONTROL_PROBLEMS == ("negative_slope", "upset")


@pytest.mark.parametrize("name", sorted(RULES))
def test_shapes_dtypes_range_and_rule(name):
    p = make_problem(name, 500, seed=3)
    assert p.name == name and isinstance(p.description, str) and p.description
    assert p.X.shape == (500, 2) and p.X.dtype == np.float32
    assert p.y.shape == (500,) and p.y.dtype == np.int64
    assert p.X.min() >= -1.0 and p.X.max() <= 1.0
    assert set(np.unique(p.y)) == {0, 1}
    assert np.array_equal(p.y, RULES[name](p.X.astype(np.float64)).astype(np.int64))


@pytest.mark.parametrize("name", sorted(RULES))
def test_determinism_by_seed(name):
    a, b, c = make_problem(name, 300, seed=7), make_problem(name, 300, seed=7), make_problem(name, 300, seed=8)
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)


def test_points_are_spread_over_the_square():
    X = make_problem("xor", 4000, seed=0).X
    counts = [np.sum((np.sign(X[:, 0]) == sx) & (np.sign(X[:, 1]) == sy)) for sx in (-1, 1) for sy in (-1, 1)]
    assert all(900 < c < 1100 for c in counts)


@pytest.mark.parametrize("t1, t2", [(0.0, 0.0), (0.3, -0.5), (-0.7, 0.2)])
def test_xor_follows_definition_1_4_with_thresholds(t1, t2):
    p = make_problem("xor", 2000, seed=1, t1=t1, t2=t2)
    X = p.X.astype(np.float64)
    a, b = X[:, 0] >= t1, X[:, 1] >= t2
    # Def 1.4: class 0 when both coordinates are above (or both below) their thresholds, else class 1
    assert np.all(p.y[(a & b) | (~a & ~b)] == 0)
    assert np.all(p.y[(a & ~b) | (~a & b)] == 1)
    assert 0 < p.y.sum() < len(p.y)


def test_closed_shape_radius_parameter():
    p = make_problem("closed_shape", 3000, seed=0, radius=0.3)
    inside = (p.X.astype(np.float64) ** 2).sum(1) < 0.09
    assert np.array_equal(p.y, inside.astype(np.int64))
    # area share of a disc of radius 0.3 in the square of side 2: pi * 0.09 / 4 = 0.0707
    assert abs(p.y.mean() - np.pi * 0.09 / 4) < 0.015


@pytest.mark.parametrize("noise", [0.05, 0.2, 0.5])
def test_noise_flips_about_the_right_fraction(noise):
    clean, noisy = make_problem("upset", 20000, seed=4), make_problem("upset", 20000, noise=noise, seed=4)
    assert np.array_equal(clean.X, noisy.X)  # the same points, only labels flipped
    flipped = float(np.mean(clean.y != noisy.y))
    assert abs(flipped - noise) < 0.015


def test_zero_noise_flips_nothing():
    p = make_problem("disconnected", 1000, noise=0.0, seed=2)
    assert np.array_equal(p.y, RULES["disconnected"](p.X.astype(np.float64)).astype(np.int64))


def test_numpy_integer_n_is_accepted():
    assert make_problem("xor", np.int64(10)).X.shape == (10, 2)


def test_unknown_name():
    with pytest.raises(SignnetError, match=r"Unknown problem 'circle'; choose one of: xor, positive_slope"):
        make_problem("circle")


@pytest.mark.parametrize("n", [0, -5, 2.5, True, "10"])
def test_bad_n(n):
    with pytest.raises(SignnetError, match=r"The number of points n must be an integer >= 1, got"):
        make_problem("xor", n)


@pytest.mark.parametrize("noise", [-0.1, 0.6, float("nan")])
def test_noise_out_of_range(noise):
    with pytest.raises(SignnetError, match=r"Label noise must be a finite number in \[0, 0\.5\], got"):
        make_problem("xor", 10, noise=noise)
