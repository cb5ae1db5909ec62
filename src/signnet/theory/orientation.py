"""Which input features a sign-constrained network should see negated.

A DNN+ is monotone non-decreasing in every input (Theorem 1.1 of Wang et al.),
but a first layer with fixed signs per input -- or simply negating some inputs
before the network -- makes it non-increasing in those. :func:`best_orientation`
searches the sign pattern ``s`` in ``{+1, -1}^d`` that maximises the monotone
ceiling (:func:`signnet.ceiling.monotone_ceiling` with ``directions=s``).

Search. Constant features never change the order, so they stay at +1. For at
most ``max_exact`` remaining features every pattern is tried (exact), in order
of increasing number of flips, so that among equally good patterns the one with
the fewest flips wins and a ceiling of 1 stops the search. Beyond that the
search is a steepest-ascent local search over single flips, started from the
identity and from the signs of the feature-label correlations (not exact).
The exact search costs up to 2^m ceiling computations (memoised); on
continuous data a coordinate left free does not bound the others, so no
branch-and-bound pruning is attempted beyond the constant features.
Labels keep their order throughout, so ``s`` and ``-s`` are different problems.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
from tqdm.auto import tqdm

from signnet.errors import SignnetError
from signnet.theory.ceiling import check_features, check_labels, monotone_ceiling

__all__ = ["OrientationResult", "best_orientation"]


@dataclass(frozen=True)
class OrientationResult:
    """The best feature orientation found.

    Attributes:
        directions: length d, +1 (kept) or -1 (negated) per feature.
        ceiling: the monotone ceiling (accuracy) under ``directions``.
        flips: indices of the negated features, ascending.
        exact: True when every orientation was compared (the optimum is proven).
        relabeled: labels that must change under ``directions``.
        evaluated: number of orientations whose ceiling was computed.
    """

    directions: tuple[int, ...]
    ceiling: float
    flips: tuple[int, ...]
    exact: bool
    relabeled: int = 0
    evaluated: int = 0


def best_orientation(X, y, max_exact: int = 12, progress: bool = False) -> OrientationResult:
    """Sign flips of the inputs that maximise the monotone (DNN+) ceiling.

    Args:
        X: shape (n, d), finite floats.
        y: shape (n,), integer labels (binary or ordered classes).
        max_exact: try all 2^m orientations when the m non-constant features
            number at most this; otherwise run the greedy local search.
        progress: a tqdm bar over the orientations tried (on stderr, shown only if the search
            lasts over 2 s; the exact search tries up to 2^m).

    Returns:
        :class:`OrientationResult`; among orientations with the best ceiling
        found, the one with the fewest flips (then the lexicographically first).

    Raises:
        SignnetError: bad X or y, or ``max_exact`` not a non-negative integer.
    """
    X = check_features(X)
    n, d = X.shape
    y = check_labels(y, n)
    if isinstance(max_exact, bool) or not isinstance(max_exact, (int, np.integer)) or max_exact < 0:
        raise SignnetError(
            f"max_exact must be a non-negative integer; got {max_exact!r}. The default is 12."
        )
    free = [j for j in range(d) if np.ptp(X[:, j]) > 0]
    cache: dict[tuple[int, ...], int] = {}

    def cost(flips: tuple[int, ...]) -> int:
        if flips not in cache:
            dirs = np.ones(d, np.int64)
            dirs[list(flips)] = -1
            cache[flips] = monotone_ceiling(X, y, dirs).relabeled
        return cache[flips]

    if len(free) <= max_exact:
        best = ()
        with tqdm(total=2 ** len(free), desc="orientations", unit="orientation", delay=2.0, mininterval=0.5,
                  disable=not progress, leave=False) as bar:
            for size in range(len(free) + 1):
                for flips in combinations(free, size):
                    if cost(flips) < cost(best):
                        best = flips
                    bar.update()
                    if cost(best) == 0:
                        return _result(best, d, n, cost(best), True, len(cache))
        return _result(best, d, n, cost(best), True, len(cache))

    corr = [j for j in free if np.corrcoef(X[:, j], y)[0, 1] < 0] if np.ptp(y) > 0 else []
    found = [_ascend((), free, cost), _ascend(tuple(corr), free, cost)]
    best = min(found, key=lambda f: (cost(f), len(f), f))
    return _result(best, d, n, cost(best), False, len(cache))


def _ascend(start: tuple[int, ...], free: list[int], cost) -> tuple[int, ...]:
    """Steepest descent of the relabel count over single flips from ``start``."""
    current = tuple(sorted(start))
    while True:
        moves = [tuple(sorted(set(current) ^ {j})) for j in free]
        nxt = min(moves, key=lambda f: (cost(f), len(f), f))
        if cost(nxt) >= cost(current):
            return current
        current = nxt


def _result(flips, d, n, relabeled, exact, evaluated) -> OrientationResult:
    dirs = tuple(-1 if j in flips else 1 for j in range(d))
    return OrientationResult(
        directions=dirs,
        ceiling=(n - relabeled) / n,
        flips=tuple(sorted(flips)),
        exact=exact,
        relabeled=relabeled,
        evaluated=evaluated,
    )
