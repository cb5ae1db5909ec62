"""Certificates that no DNN+ (no monotone classifier) fits a 2-D data set.

A DNN+ (non-negative weights, non-decreasing activations) is monotone: for data
points ``A <= C <= B`` (coordinate-wise) it gives ``F(A) <= F(C) <= F(B)``
(Theorem 1.1 of Wang et al.). If the labels read 1, 0, 1 or 0, 1, 0 along such a
chain, any threshold of ``F`` gets at least one of the three wrong -- the
construction behind the paper's corollaries. :func:`corollary_witnesses` finds
such triples.

Finding them. A triple exists iff some point ``C`` has a point of the other label
weakly below-left of it and one weakly above-right (binary labels, so both outer
points share a label). Per label, points sorted by the first coordinate with a
prefix minimum / suffix maximum of the second decide this for every ``C`` at
once (O(n log n)); the answer is exact. One subtlety: a single other-label
duplicate of ``C`` lies both below and above it, so it only counts together with
a second point. For a pool of middles -- all of them when
``max_witnesses=None``, else up to ``64 * max_witnesses`` (fewer on very large
data, never under ``4 * max_witnesses``), evenly spaced over the candidates --
the nearest valid outer points are found by vectorised O(n) scans, so the
reported triples are tight.

The ``kind`` is a heuristic label, not part of the certificate (the triple is
the certificate). Coordinates are first scaled by each feature's range; the
first rule that applies wins.

* ``"closed_shape"``: pattern 0, 1, 0 and further 0-points lie strictly
  above-left and below-right of ``C``, so the 1 at ``C`` has 0s on all four
  sides: consistent with a bounded class region (a heuristic; the region need not
  be bounded).
* ``"positive_slope"``: ``C`` lies within 5% of ``|AB|`` of the line ``AB``,
  which has non-negative slope (horizontal and vertical included): labels
  alternating along an increasing line (Corollary 1.1.1).
* ``"disconnected"``: pattern 1, 0, 1: the 1-class appears on both sides of a
  0 along a monotone path, as with a class made of separate pieces.
* ``"dominance"``: any other triple.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from signnet.errors import SignnetError
from signnet.theory.ceiling import check_features, check_labels

__all__ = ["Witness", "corollary_witnesses"]

KINDS = ("positive_slope", "closed_shape", "disconnected", "dominance")  # codes 0..3
_COLLINEAR = 0.05


@dataclass(frozen=True)
class Witness:
    """A dominance triple ``X[a] <= X[c] <= X[b]`` whose labels alternate.

    Attributes:
        indices: ``(a, c, b)`` row indices into X.
        labels: ``(y[a], y[c], y[b])``: (1, 0, 1) or (0, 1, 0).
        kind: one of ``"positive_slope"``, ``"closed_shape"``, ``"disconnected"``,
            ``"dominance"`` (a heuristic description, see the module docstring).
    """

    indices: tuple[int, int, int]
    labels: tuple[int, int, int]
    kind: str


def corollary_witnesses(X, y, max_witnesses: int | None = 10) -> list[Witness]:
    """Triples ``A <= C <= B`` with labels 1, 0, 1 or 0, 1, 0 that no DNN+ can fit.

    Args:
        X: shape (n, 2), finite floats.
        y: shape (n,), labels in {0, 1}.
        max_witnesses: at most this many triples (``None``: one per middle point
            found in the scanned pool). Distinct middles; kinds are interleaved
            so that every kind present appears early, tightest triples first.

    Returns:
        A list of :class:`Witness`; empty iff the labelling is monotone along
        every 3-chain, i.e. no such triple exists.

    Raises:
        SignnetError: X not (n, 2), labels outside {0, 1}, bad ``max_witnesses``.
    """
    X = check_features(X)
    n, d = X.shape
    if d != 2:
        raise SignnetError(
            f"corollary_witnesses needs 2-D points, X of shape (n, 2); got shape {X.shape}. "
            "Select two features, e.g. X[:, :2]."
        )
    y = check_labels(y, n)
    if not np.isin(y, (0, 1)).all():
        bad = int(y[~np.isin(y, (0, 1))][0])
        raise SignnetError(f"corollary_witnesses needs labels in {{0, 1}}; got {bad}. Binarise y first.")
    if max_witnesses is not None and (
        isinstance(max_witnesses, bool) or not isinstance(max_witnesses, (int, np.integer)) or max_witnesses < 0
    ):
        raise SignnetError(
            f"max_witnesses must be a non-negative integer or None; got {max_witnesses!r}."
        )
    if max_witnesses == 0:
        return []
    span = np.ptp(X, axis=0)
    Z = X / np.where(span > 0, span, 1.0)
    below, above, strict, upleft, downright = (np.zeros(n, bool) for _ in range(5))
    for label in (0, 1):
        mid = np.flatnonzero(y != label)
        below[mid], above[mid], strict[mid], upleft[mid], downright[mid] = _quadrants(Z[y == label], Z[mid])
    # Outer points must be two distinct points: a single other-label duplicate of C
    # is both below and above it, so it needs a partner off C's position.
    order = np.lexsort((Z[:, 1], Z[:, 0]))
    fresh = np.r_[True, (np.diff(Z[order], axis=0) != 0).any(axis=1)]
    where = np.empty(n, np.int64)
    where[order] = np.cumsum(fresh) - 1
    counts = np.bincount(where)
    ones_at = np.bincount(where, weights=y, minlength=counts.size)
    dup = np.where(y == 1, counts[where] - ones_at[where], ones_at[where])
    middles = np.flatnonzero(below & above & ((dup != 1) | strict))
    if middles.size == 0:
        return []
    cap = middles.size if max_witnesses is None else max(4 * max_witnesses, min(64 * max_witnesses, 20_000_000 // n))
    if middles.size > cap:
        middles = middles[np.linspace(0, middles.size - 1, cap).astype(np.int64)]
    a, b, spread = _nearest_outer(Z, y, middles)
    A, C, B = Z[a], Z[middles], Z[b]
    AB, AC = B - A, C - A
    length2 = (AB**2).sum(axis=1)
    cross = np.abs(AB[:, 0] * AC[:, 1] - AB[:, 1] * AC[:, 0])
    collinear = (length2 > 0) & (cross <= _COLLINEAR * length2)
    one_mid = y[middles] == 1
    enclosed = one_mid & upleft[middles] & downright[middles]
    kind = np.where(enclosed, 1, np.where(collinear, 0, np.where(~one_mid, 2, 3)))
    ranked = [np.flatnonzero(kind == k)[np.argsort(spread[kind == k], kind="stable")] for k in range(4)]
    order = [r[i] for i in range(max(len(r) for r in ranked)) for r in ranked if i < len(r)]
    if max_witnesses is not None:
        order = order[: int(max_witnesses)]
    return [
        Witness(
            indices=(int(a[i]), int(middles[i]), int(b[i])),
            labels=(int(y[a[i]]), int(y[middles[i]]), int(y[b[i]])),
            kind=KINDS[kind[i]],
        )
        for i in order
    ]


def _quadrants(P: np.ndarray, Q: np.ndarray):
    """For each query q, does P hold a point: <= q; >= q; <= q or >= q but not equal
    to q; strictly up-left of q; strictly down-right of q?"""
    if P.shape[0] == 0:
        f = np.zeros(Q.shape[0], bool)
        return f, f, f, f, f
    order = np.argsort(P[:, 0], kind="stable")
    px, pv = P[order, 0], P[order, 1]
    pre_min, pre_max = np.minimum.accumulate(pv), np.maximum.accumulate(pv)
    suf_max = np.maximum.accumulate(pv[::-1])[::-1]
    suf_min = np.minimum.accumulate(pv[::-1])[::-1]
    qx, qv = Q[:, 0], Q[:, 1]
    le = np.searchsorted(px, qx, side="right") - 1  # last with x <= qx
    lt = np.searchsorted(px, qx, side="left") - 1  # last with x < qx
    ge, gt = lt + 1, le + 1  # first with x >= qx, first with x > qx
    m = px.size
    below = (le >= 0) & (pre_min[np.maximum(le, 0)] <= qv)
    above = (ge < m) & (suf_max[np.minimum(ge, m - 1)] >= qv)
    strict = (
        ((le >= 0) & (pre_min[np.maximum(le, 0)] < qv))
        | ((lt >= 0) & (pre_min[np.maximum(lt, 0)] <= qv))
        | ((ge < m) & (suf_max[np.minimum(ge, m - 1)] > qv))
        | ((gt < m) & (suf_max[np.minimum(gt, m - 1)] >= qv))
    )
    upleft = (lt >= 0) & (pre_max[np.maximum(lt, 0)] > qv)
    downright = (gt < m) & (suf_min[np.minimum(gt, m - 1)] < qv)
    return below, above, strict, upleft, downright


def _nearest_outer(Z: np.ndarray, y: np.ndarray, middles: np.ndarray):
    """Nearest other-label point below-left and above-right of each middle (scaled distance)."""
    chunk = max(1, (1 << 21) // Z.shape[0])  # keeps each (chunk, n) block near 16 MB
    a = np.empty(middles.size, np.int64)
    b = np.empty(middles.size, np.int64)
    spread = np.empty(middles.size)
    for label in (0, 1):
        pts = np.flatnonzero(y == label)
        rows = np.flatnonzero(y[middles] != label)
        for s in range(0, rows.size, chunk):
            r = rows[s : s + chunk]
            C = Z[middles[r]][:, None, :]
            P = Z[pts][None, :, :]
            dist = np.sqrt(((P - C) ** 2).sum(axis=2))
            low = np.where((P <= C).all(axis=2), dist, np.inf)
            high = np.where((P >= C).all(axis=2), dist, np.inf)
            ia, ib = low.argmin(axis=1), high.argmin(axis=1)
            rr = np.arange(r.size)
            da, db = low[rr, ia], high[rr, ib]
            same = ia == ib  # one duplicate of C is nearest both ways: take a second point
            low[rr, ia], high[rr, ib] = np.inf, np.inf
            ja, jb = low.argmin(axis=1), high.argmin(axis=1)
            alt_a, alt_b = low[rr, ja] + db, da + high[rr, jb]
            ia = np.where(same & (alt_a <= alt_b), ja, ia)
            ib = np.where(same & (alt_a > alt_b), jb, ib)
            a[r], b[r] = pts[ia], pts[ib]
            spread[r] = np.where(same, np.minimum(alt_a, alt_b), da + db)
    return a, b, spread
