"""The paper's problems as seeded generators, and controls a DNN+ can solve.

Each generator draws ``n`` points uniformly from the square ``[-1, 1]^2`` and
labels them by a rule; ``noise`` flips that fraction of labels at random.
All return a :class:`Problem` with ``X`` of shape ``(n, 2)`` (float32) and
``y`` of shape ``(n,)`` (int64, labels 0/1).

================  =====================================================  ==================
name              rule for class 1                                       paper
================  =====================================================  ==================
``xor``           ``(x1 >= t1) != (x2 >= t2)``                            Definition 1.4
``positive_slope`` ``x2 > x1`` (boundary of slope +1)                     Corollary 1.1.1
``closed_shape``  inside the disc ``|x| < radius``                        Corollary 1.1.2
``disconnected``  ``|x1| > 0.5``: two bands, left and right               Corollary 1.1.3
``negative_slope`` ``x1 + x2 > 0`` (control: an up-set)                  solvable by a DNN+
``upset``         ``x1 > -0.2 or x2 > 0.1`` (control: an up-set)          solvable by a DNN+
``quadrant``      ``x1 > 0 and x2 > 0`` (an up-set, not convex-coded)     see below
================  =====================================================  ==================

A DNN+ preserves dominance (Theorem 1.1), so its class-1 region is an *up-set*:
it can fit the controls exactly, and none of the first four.

``quadrant`` shows a fact the paper does not state. Its class 1 is an up-set,
so its monotone ceiling is 1, yet a **ReLU** DNN+ cannot fit it: with convex
non-decreasing activations a DNN+ is a convex function, so its class-0 region
``{P(x) <= 0}`` is convex, and the L-shaped class 0 of ``quadrant`` is not.
A DNN+ with tanh or sigmoid units (monotone, not convex) can fit it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from signnet.validation import check_choice, check_float, check_seed, check_size


@dataclass(frozen=True)
class Problem:
    """A labelled 2-D data set: ``X`` (n, 2) float32, ``y`` (n,) int64."""

    name: str
    X: np.ndarray
    y: np.ndarray
    description: str


def _xor(X, t1=0.0, t2=0.0, **_):
    return (X[:, 0] >= t1) != (X[:, 1] >= t2)


def _positive_slope(X, **_):
    return X[:, 1] > X[:, 0]


def _closed_shape(X, radius=0.6, **_):
    return (X**2).sum(axis=1) < radius**2


def _disconnected(X, **_):
    return np.abs(X[:, 0]) > 0.5


def _negative_slope(X, **_):
    return X[:, 0] + X[:, 1] > 0


def _upset(X, **_):
    return (X[:, 0] > -0.2) | (X[:, 1] > 0.1)


def _quadrant(X, **_):
    return (X[:, 0] > 0) & (X[:, 1] > 0)


PROBLEMS = {
    "xor": (_xor, "XOR (Definition 1.4): class 1 where exactly one coordinate is above its threshold"),
    "positive_slope": (_positive_slope, "a boundary of positive slope, x2 = x1 (Corollary 1.1.1)"),
    "closed_shape": (_closed_shape, "class 1 inside a disc: a closed boundary (Corollary 1.1.2)"),
    "disconnected": (_disconnected, "class 1 is two bands |x1| > 0.5: a disconnected class (Corollary 1.1.3)"),
    "negative_slope": (_negative_slope, "control: a boundary of negative slope, x1 + x2 = 0 (an up-set)"),
    "upset": (_upset, "control: an up-set with a convex complement, solvable by a DNN+"),
    "quadrant": (_quadrant,
                 "an up-set whose complement is not convex: beyond a ReLU DNN+ (convex), within a tanh DNN+"),
}

# The problems a DNN+ cannot solve, and those it can.
HARD_PROBLEMS = ("xor", "positive_slope", "closed_shape", "disconnected")
CONTROL_PROBLEMS = ("negative_slope", "upset")


def make_problem(name: str, n: int = 1000, *, noise: float = 0.0, seed: int = 0, **params) -> Problem:
    """Draw the problem ``name``.

    Args:
        name: a key of :data:`PROBLEMS`.
        n: number of points (>= 1; a Python or numpy integer).
        noise: fraction of labels flipped at random, in [0, 0.5].
        seed: seed of the generator, in ``0 .. 2**32 - 1``; the same seed gives the same data.

    Raises:
        SignnetError: an unknown ``name``, or ``n``, ``noise`` or ``seed`` out of range.
        **params: rule parameters: ``t1``, ``t2`` for ``xor``; ``radius`` for ``closed_shape``.

    Returns:
        A :class:`Problem` with ``X`` (n, 2) float32 in [-1, 1]^2 and ``y`` (n,) int64.
    """
    check_choice(name, "problem", PROBLEMS)
    n = check_size(n, "The number of points n")
    noise = check_float(noise, "Label noise", minimum=0.0, maximum=0.5)
    seed = check_seed(seed)
    rule, description = PROBLEMS[name]
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = rule(X, **params).astype(np.int64)
    if noise > 0:
        flip = rng.random(n) < noise
        y[flip] = 1 - y[flip]
    return Problem(name=name, X=X.astype(np.float32), y=y, description=description)
