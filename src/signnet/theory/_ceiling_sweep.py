"""The 2-D staircase sweep behind ``monotone_ceiling(..., method="sweep")``.

For binary labels and at most two +-1 features (see :mod:`signnet.ceiling` for
the order and for why the fewest relabels is a maximum matching of the
violation graph, by Dilworth's theorem in König's form). In the plane a monotone
0/1 labelling is an up-set, whose boundary is a staircase. Points are swept by
the first coordinate; written in difference form, the dynamic programme over
the staircase reduces to a greedy matching: each 0-point takes the free 1-point
with the largest second coordinate not above its own. The free 1-points are kept
in a 64-ary bit tree, so each step is a few word operations. A backward pass
over the recorded choices rebuilds an optimal staircase, i.e. the relabelling.
Cost: O(n log n) for the sorts plus a loop of n cheap steps (the forward
greedy; the backward pass loops only over points holding 0s and labels the rest
with one suffix maximum). The greedy is sequential: where numba is installed,
the whole sweep of one group (radix sorts, greedy, backward pass) runs as one
compiled kernel, :func:`signnet.theory._ceiling_jit.sweep_plane`, and with
several groups the loops run as :func:`~signnet.theory._ceiling_jit.staircase`;
without numba the loops below run in the interpreter (same steps, same labels).
``sweep_labels(..., legacy=True)`` (``method="sweep_v1"``) runs the previous
version, with ``np.lexsort`` orders and the first loop, for the bench and tests.

Features with direction 0 split the data into groups of equal values; the
groups are placed on an anti-diagonal so that points of different groups are
incomparable.
"""

from __future__ import annotations

import functools
import importlib

import numpy as np

__all__ = ["sweep_labels"]


@functools.cache
def jit_kernels():
    """:mod:`signnet.theory._ceiling_jit` (numba-compiled loops), or ``None`` where numba is not installed."""
    try:
        return importlib.import_module("signnet.theory._ceiling_jit")
    except ImportError:
        return None


def sweep_labels(P: np.ndarray, g: np.ndarray, codes: np.ndarray, *, legacy: bool = False) -> np.ndarray:
    """Optimal monotone 0/1 labels for at most two signed features (plus groups).

    ``legacy=True`` runs the previous implementation (``np.lexsort`` orders and the
    first version of the loop), kept for ``bench/ceiling.py`` and the tests.
    """
    n = P.shape[0]
    P = np.hstack([P, np.zeros((n, 2 - P.shape[1]))])
    u, v = P[:, 0], P[:, 1]
    one_group = not legacy and not g.any()
    jit = None if legacy else jit_kernels()
    if one_group and jit is not None and n < 2**31:
        bits = np.ascontiguousarray(P).reshape(-1).view(np.uint64)
        return jit.sweep_plane(bits, 2, 0, 1, 1, 1, codes.astype(np.int64)).astype(np.int64)
    # Sweep order (g, u, v); identical points become one weighted point.
    order = _order(u, v) if one_group else np.lexsort((v, u, g))
    us, vs, gs = u[order], v[order], g[order]
    new_pt = np.ones(n, bool)
    new_pt[1:] = (us[1:] != us[:-1]) | (vs[1:] != vs[:-1]) | (gs[1:] != gs[:-1])
    pid = np.empty(n, np.int64)
    pid[order] = np.cumsum(new_pt) - 1
    first = order[new_pt]
    npts = first.size
    ones = np.bincount(pid, weights=codes, minlength=npts).astype(np.int64)
    zeros = np.bincount(pid, minlength=npts) - ones
    # Rank by (-g, v, u): ties in v broken by u keep the order exact, and groups
    # sit on an anti-diagonal so that points of different groups are incomparable.
    rank = np.empty(npts, np.int64)
    uf, vf = u[first], v[first]
    rank[_order(vf, uf) if one_group else np.lexsort((uf, vf, -g[first]))] = np.arange(npts)
    inc = (_staircase_legacy if legacy else _staircase)(rank + 1, ones, zeros)
    return inc[pid].astype(np.int64)


def _order(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Indices sorting by ``a``, ties by ``b``, as ``np.lexsort((b, a))`` but with one quicksort
    when ``a`` has no ties (``np.lexsort`` runs two stable sorts, several times slower)."""
    order = np.argsort(a)
    sa = a[order]
    ties = sa[1:] == sa[:-1]
    if not ties.any():
        return order
    ra = np.empty(a.size, np.int64)  # dense ranks; a key rank_a * n + rank_b fits int64 for n < 3e9
    ra[order] = np.cumsum(np.r_[False, ~ties])
    ob = np.argsort(b)
    sb = b[ob]
    rb = np.empty(b.size, np.int64)
    rb[ob] = np.cumsum(np.r_[False, sb[1:] != sb[:-1]])
    return np.argsort(ra * b.size + rb)


def _staircase(pos: np.ndarray, ones: np.ndarray, zeros: np.ndarray) -> np.ndarray:
    """Forward greedy matching and backward staircase for points in sweep order.

    Point ``i`` sits at height ``pos[i]`` (distinct, >= 1) with ``ones[i]`` 1-labels
    and ``zeros[i]`` 0-labels. Forward: every 1 leaves a token at its height;
    every 0 removes the highest token not above its height (a matched violation;
    this is the minimiser of the staircase DP written in difference form).
    Backward: with ``t`` the threshold of the columns to the right (a point is
    labelled 1 iff its height >= t), a point holding 0s is labelled 1 only when
    the token its last 0 took lies above ``t`` (otherwise raising ``t`` past the
    point is no dearer). Returns the 0/1 label of every point.
    """
    size = int(pos.max()) + 1
    levels = _bit_tree(size)
    jit = jit_kernels()
    if jit is not None:  # the compiled loops (numba), when installed
        return jit.staircase(pos.astype(np.int64), ones.astype(np.int64), zeros.astype(np.int64))
    if ones.max() <= 1 and zeros.max() <= 1:
        took = _forward_unit(pos.tolist(), ones.tolist(), zeros.tolist(), levels)
    else:
        took = _forward_counts(pos.tolist(), ones.tolist(), zeros.tolist(), levels, size)
    # Backward: only points holding 0s can raise t, when took < t <= height; a
    # point is then labelled 1 iff its height reaches the threshold in force.
    has0 = np.flatnonzero(zeros)[::-1]
    t, jumps = 1, []  # heights start at 1: threshold 1 labels everything 1
    for i, p, q in zip(has0.tolist(), pos[has0].tolist(), took[::-1], strict=True):
        if q < t <= p:
            t = p + 1
            jumps.append(i)
    jump = np.zeros(pos.size, bool)
    jump[jumps] = True
    raised = np.where(jump, pos + 1, 1)  # threshold from each point leftwards (suffix max, exclusive)
    t_at = np.r_[np.maximum.accumulate(raised[::-1])[::-1][1:], 1]
    return ((pos >= t_at) & ~jump).astype(np.int8)


def _bit_tree(size: int) -> list[list[int]]:
    """Empty levels of a 64-ary bit tree over positions ``0 .. size - 1``: level 0 first, one word at the top."""
    levels, s = [], size
    while True:
        s = (s >> 6) + 1
        levels.append([0] * s)
        if s == 1:
            return levels


def _climb(levels: list, nlev: int, at: int) -> int:
    """The largest set position left of word ``at + 1`` of the bit tree ``levels``, or -1 if none.

    Climbs to the first level with a set bit at or left of ``at`` (``at`` re-read on each level), then
    descends to the lowest level taking the highest set bit of each word.
    """
    lvl = 1
    while lvl < nlev and at >= 0:
        ww = at >> 6
        m = levels[lvl][ww] & ((2 << (at & 63)) - 1)
        if m:
            q = (ww << 6) | (m.bit_length() - 1)
            while lvl > 0:
                lvl -= 1
                q = (q << 6) | (levels[lvl][q].bit_length() - 1)
            return q
        at, lvl = ww - 1, lvl + 1
    return -1


def _forward_counts(pos_l: list, ones_l: list, zeros_l: list, levels: list, size: int) -> list:
    """The forward greedy with token counts per height (duplicate points); ``took`` of each point holding 0s."""
    low, upper, nlev = levels[0], levels[1:], len(levels)
    count = [0] * size
    took = []
    append = took.append
    for p, a, z in zip(pos_l, ones_l, zeros_l, strict=True):
        if a:
            old = count[p]
            count[p] = old + a
            if not old:
                w = p >> 6
                o = low[w]
                low[w] = o | (1 << (p & 63))
                if not o:
                    for lv in upper:  # set the bit on every level up to one already set
                        b, w = w & 63, w >> 6
                        o = lv[w]
                        lv[w] = o | (1 << b)
                        if o:
                            break
        if not z:
            continue
        q = 0
        for _ in range(z):
            w = p >> 6
            m = low[w] & ((2 << (p & 63)) - 1)
            if m:  # the common case, inline
                q = (w << 6) | (m.bit_length() - 1)
            else:
                q = _climb(levels, nlev, w - 1)
                if q < 0:
                    q = 0
                    break
            c = count[q] - 1
            count[q] = c
            if not c:
                w = q >> 6
                nv = low[w] & ~(1 << (q & 63))
                low[w] = nv
                if not nv:
                    for lv in upper:  # clear bits upwards while a word empties
                        b, w = w & 63, w >> 6
                        nv = lv[w] & ~(1 << b)
                        lv[w] = nv
                        if nv:
                            break
        append(q)
    return took


def _forward_unit(pos_l: list, ones_l: list, zeros_l: list, levels: list) -> list:
    """:func:`_forward_counts` when every height holds at most one 1 and one 0: a bit is a token."""
    low, upper, nlev = levels[0], levels[1:], len(levels)
    took = []
    append = took.append
    for p, a, z in zip(pos_l, ones_l, zeros_l, strict=True):
        if a:
            w = p >> 6
            o = low[w]
            low[w] = o | (1 << (p & 63))
            if not o:
                for lv in upper:
                    b, w = w & 63, w >> 6
                    o = lv[w]
                    lv[w] = o | (1 << b)
                    if o:
                        break
        if not z:
            continue
        w = p >> 6
        m = low[w] & ((2 << (p & 63)) - 1)
        if m:
            q = (w << 6) | (m.bit_length() - 1)
        else:
            lvl, at, q = 1, w - 1, -1
            while lvl < nlev and at >= 0:
                ww = at >> 6
                m = levels[lvl][ww] & ((2 << (at & 63)) - 1)
                if m:
                    q = (ww << 6) | (m.bit_length() - 1)
                    break
                at, lvl = ww - 1, lvl + 1
            if q < 0:
                append(0)
                continue
            while lvl > 0:
                lvl -= 1
                q = (q << 6) | (levels[lvl][q].bit_length() - 1)
        w = q >> 6
        nv = low[w] & ~(1 << (q & 63))
        low[w] = nv
        if not nv:
            for lv in upper:
                b, w = w & 63, w >> 6
                nv = lv[w] & ~(1 << b)
                lv[w] = nv
                if nv:
                    break
        append(q)
    return took


def _staircase_legacy(pos: np.ndarray, ones: np.ndarray, zeros: np.ndarray) -> np.ndarray:
    """The first version of :func:`_staircase` (the same steps, more interpreter work per point).

    Forward greedy matching and backward staircase for points in sweep order.

    Point ``i`` sits at height ``pos[i]`` (distinct, >= 1) with ``ones[i]`` 1-labels
    and ``zeros[i]`` 0-labels. Forward: every 1 leaves a token at its height;
    every 0 removes the highest token not above its height (a matched violation;
    this is the minimiser of the staircase DP written in difference form).
    Backward: with ``t`` the threshold of the columns to the right (a point is
    labelled 1 iff its height >= t), a point holding 0s is labelled 1 only when
    the token its last 0 took lies above ``t`` (otherwise raising ``t`` past the
    point is no dearer). Returns the 0/1 label of every point.
    """
    size = int(pos.max()) + 1
    levels = _bit_tree(size)
    low, nlev = levels[0], len(levels)
    count = [0] * size
    pos_l, ones_l, zeros_l = pos.tolist(), ones.tolist(), zeros.tolist()
    took = [0] * len(pos_l)
    for i, p in enumerate(pos_l):
        a = ones_l[i]
        if a:
            old = count[p]
            count[p] = old + a
            if not old:
                w = p
                for lv in levels:  # set the bit on every level up to one already set
                    b, w = w & 63, w >> 6
                    o = lv[w]
                    lv[w] = o | (1 << b)
                    if o:
                        break
        q = 0
        for _ in range(zeros_l[i]):
            w = p >> 6
            m = low[w] & ((2 << (p & 63)) - 1)
            if m:  # the common case, inline
                q = (w << 6) | (m.bit_length() - 1)
            else:
                q = _climb(levels, nlev, w - 1)
                if q < 0:
                    q = 0
                    break
            c = count[q] - 1
            count[q] = c
            if not c:
                w = q
                for lv in levels:
                    b, w = w & 63, w >> 6
                    nv = lv[w] & ~(1 << b)
                    lv[w] = nv
                    if nv:
                        break
        took[i] = q
    inc = np.zeros(len(pos_l), np.int8)
    t = 1  # heights start at 1: threshold 1 labels everything 1
    for i in range(len(pos_l) - 1, -1, -1):
        p = pos_l[i]
        if p >= t:
            if zeros_l[i] and took[i] < t:
                t = p + 1
            else:
                inc[i] = 1
    return inc
