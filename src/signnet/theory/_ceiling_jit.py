"""numba-compiled kernels of the exact monotone ceiling (optional; pure-numpy/Python paths remain).

This module imports numba at its top; the solvers import it lazily, at their
first call, and fall back to their interpreted code when that import fails, so
``import signnet`` never pays numba's import or compile time and the library
works without numba. The kernels run the same steps as the
interpreted code they replace; the tests compare both on every case.

* :func:`staircase` -- the forward greedy matching and the backward staircase of
  the 2-D sweep (:mod:`signnet.theory._ceiling_sweep`, see its ``_staircase``),
  on a 64-ary bit tree of free 1-tokens: a step is a few word operations and a
  count-leading-zeros.

Compilation: ``njit(cache=True)`` keeps the machine code in numba's cache
(``__pycache__`` beside this file, else numba's user-wide cache folder). Where
no cache folder is writable numba refuses ``cache=True`` when the function is
decorated; the kernels are then compiled without a cache (each new process
compiles them again, at the first call).
"""

from __future__ import annotations

import numba
import numpy as np
from numba.cpython.unsafe.numbers import leading_zeros

__all__ = ["staircase"]


def _njit(**options):
    """``numba.njit(cache=True, nogil=True)``, without the cache where numba finds no writable cache folder."""

    def wrap(fn):
        try:
            return numba.njit(cache=True, nogil=True, **options)(fn)
        except RuntimeError:  # "cannot cache function ...: no locator available" on read-only installs
            return numba.njit(nogil=True, **options)(fn)

    return wrap


_ONE = np.uint64(1)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)


@_njit(inline="always")
def _high_bit(x):
    """Index of the highest set bit of a non-zero uint64."""
    return 63 - np.int64(leading_zeros(x))


@_njit(inline="always")
def _below(b):
    """uint64 mask of bits 0..b."""
    return _ALL if b == 63 else (_ONE << np.uint64(b + 1)) - _ONE


@_njit(inline="always")
def _set_bit(words, offs, nlev, p):
    """Set bit p on level 0 and on every level up to one already set."""
    w = p
    for lv in range(nlev):
        b = w & 63
        w >>= 6
        o = words[offs[lv] + w]
        words[offs[lv] + w] = o | (_ONE << np.uint64(b))
        if o != 0:
            break


@_njit(inline="always")
def _clear_bit(words, offs, nlev, p):
    """Clear bit p, and upwards while a word empties."""
    w = p
    for lv in range(nlev):
        b = w & 63
        w >>= 6
        nv = words[offs[lv] + w] & ~(_ONE << np.uint64(b))
        words[offs[lv] + w] = nv
        if nv != 0:
            break


@_njit(inline="always")
def _highest_at_most(words, offs, nlev, p):
    """Highest set bit <= p on level 0, or -1."""
    w = p >> 6
    m = words[w] & _below(p & 63)
    if m != 0:
        return (w << 6) | _high_bit(m)
    lvl, at, q = 1, w - 1, -1
    while lvl < nlev and at >= 0:  # climb to a level with a set bit left of us
        ww = at >> 6
        m = words[offs[lvl] + ww] & _below(at & 63)
        if m != 0:
            q = (ww << 6) | _high_bit(m)
            break
        at = ww - 1
        lvl += 1
    if q < 0:
        return -1
    while lvl > 0:  # then descend along the highest set bits
        lvl -= 1
        q = (q << 6) | _high_bit(words[offs[lvl] + q])
    return q


@_njit()
def staircase(pos, ones, zeros):
    """Compiled ``_ceiling_sweep._staircase``: int64 arrays (n,) in sweep order -> int8 labels (n,)."""
    n = pos.size
    size = pos.max() + 1
    offs = np.zeros(16, np.int64)
    nlev, total, s = 0, 0, size
    while True:
        s = (s >> 6) + 1
        offs[nlev] = total
        total += s
        nlev += 1
        if s == 1:
            break
    words = np.zeros(total, np.uint64)
    count = np.zeros(size, np.int64)
    took = np.zeros(n, np.int64)
    for i in range(n):  # forward greedy: every 0 takes the highest free 1-token not above it
        p = pos[i]
        a = ones[i]
        if a > 0:
            old = count[p]
            count[p] = old + a
            if old == 0:
                _set_bit(words, offs, nlev, p)
        q = 0
        for _ in range(zeros[i]):
            q = _highest_at_most(words, offs, nlev, p)
            if q < 0:
                q = 0
                break
            c = count[q] - 1
            count[q] = c
            if c == 0:
                _clear_bit(words, offs, nlev, q)
        took[i] = q
    out = np.zeros(n, np.int8)
    t = 1  # backward: threshold of the columns to the right (label 1 iff height >= t)
    for i in range(n - 1, -1, -1):
        p = pos[i]
        if p >= t:
            if zeros[i] > 0 and took[i] < t:
                t = p + 1
            else:
                out[i] = 1
    return out


# ------------------------------------------------------------- sorting, 2-D
_SIGN = np.uint64(1) << np.uint64(63)
_BITS = 8  # radix digit: 256 buckets, eight passes over 64 bits (a pass whose digit is constant is skipped)
_MASK = np.uint64((1 << _BITS) - 1)


@_njit()
def _float_keys(bits, column, width, sign):
    """uint64 keys ordered as ``sign * x`` for the floats ``x`` = column ``column`` of the
    row-major (n, width) float64 array whose bits are ``bits`` (n * width,); -0.0 counts as 0.0."""
    n = bits.size // width
    out = np.empty(n, np.uint64)
    for i in range(n):
        b = bits[i * width + column]
        if b == _SIGN:  # -0.0
            b = np.uint64(0)
        k = ~b if b & _SIGN else b | _SIGN
        out[i] = k if sign > 0 else ~k
    return out


@_njit()
def _radix_argsort(keys):
    """Stable argsort of uint64 ``keys`` (n,) by least-significant-digit radix sort: int32 order, sorted keys."""
    n = keys.size
    npass = 64 // _BITS
    hist = np.zeros((npass, 1 << _BITS), np.int64)
    for i in range(n):
        k = keys[i]
        for d in range(npass):
            hist[d, np.int64((k >> np.uint64(d * _BITS)) & _MASK)] += 1
    idx = np.arange(n).astype(np.int32)
    key = keys.copy()
    idx2 = np.empty(n, np.int32)
    key2 = np.empty(n, np.uint64)
    start = np.empty(1 << _BITS, np.int64)
    for d in range(npass):
        h = hist[d]
        if h.max() == n:  # every key has the same digit here
            continue
        acc = 0
        for b in range(h.size):
            start[b] = acc
            acc += h[b]
        shift = np.uint64(d * _BITS)
        for i in range(n):
            k = key[i]
            b = np.int64((k >> shift) & _MASK)
            j = start[b]
            start[b] = j + 1
            key2[j] = k
            idx2[j] = idx[i]
        key, key2 = key2, key
        idx, idx2 = idx2, idx
    return idx, key


@_njit()
def _break_ties(order, sorted_keys, second):
    """Reorder each run of equal ``sorted_keys`` in ``order`` by ``second[order]`` (stable), in place."""
    n = order.size
    j = 0
    while j < n:
        e = j + 1
        while e < n and sorted_keys[e] == sorted_keys[j]:
            e += 1
        if e - j > 1:
            run = order[j:e].copy()
            sub = np.empty(e - j, np.uint64)
            for t in range(e - j):
                sub[t] = second[run[t]]
            o = np.argsort(sub, kind="mergesort")
            for t in range(e - j):
                order[j + t] = run[o[t]]
        j = e


@_njit()
def sweep_plane(bits, width, col_u, sign_u, col_v, sign_v, codes):
    """Compiled ``_ceiling_sweep.sweep_labels`` for one group -> int8 labels (n,).

    ``bits``: the row-major (n, width) float64 features viewed as uint64; the plane
    is ``(sign_u * X[:, col_u], sign_v * X[:, col_v])`` (a missing feature: pass
    ``sign = 0`` and any column, all its values count as 0). ``codes``: int64 (n,)
    0/1 labels. Sweep order (u, v) and heights by (v, u) come from two radix
    sorts, with runs of equal keys ordered by the other key; identical points share
    one height and their 1s and 0s are counted together, as in the interpreted code.
    """
    ku = _float_keys(bits, col_u, width, sign_u) if sign_u != 0 else np.full(bits.size // width, _SIGN)
    kv = _float_keys(bits, col_v, width, sign_v) if sign_v != 0 else np.full(bits.size // width, _SIGN)
    n = ku.size
    ou, su = _radix_argsort(ku)
    _break_ties(ou, su, kv)  # sweep order (u, v)
    ov, sv = _radix_argsort(kv)
    _break_ties(ov, sv, ku)  # height order (v, u)
    hc = np.empty(n, np.int64)  # 2 * height + label; heights 1, 2, ...; identical points share one
    h = 0
    for j in range(n):
        i = ov[j]
        if j == 0 or sv[j] != sv[j - 1] or ku[i] != ku[ov[j - 1]]:
            h += 1
        hc[i] = 2 * h + codes[i]
    pos = np.empty(n, np.int64)
    ones = np.zeros(n, np.int64)
    zeros = np.zeros(n, np.int64)
    k, last = -1, -1
    for j in range(n):  # distinct points in sweep order, with their counts of 1s and 0s
        c = hc[ou[j]]
        if c >> 1 != last:
            k += 1
            last = c >> 1
            pos[k] = last
        if c & 1:
            ones[k] += 1
        else:
            zeros[k] += 1
    inc = staircase(pos[: k + 1], ones[: k + 1], zeros[: k + 1])
    out = np.empty(n, np.int8)
    k, last = -1, -1
    for j in range(n):
        i = ou[j]
        c = hc[i] >> 1
        if c != last:
            k += 1
            last = c
        out[i] = inc[k]
    return out


@_njit()
def plane_max_below(bits, width, values):
    """For each point ``p`` of the plane: max of ``values[k]`` over points ``k <= p`` (-1 if none; ``values`` >= -1).

    ``bits``: the row-major (n, width) float64 coordinates, width 1 or 2, viewed as
    uint64. A sweep in (u, v) order with a Fenwick tree of prefix maxima over the
    dense ranks of v; identical points are inserted before any of them is asked.
    """
    n = bits.size // width
    ku = _float_keys(bits, 0, width, 1)
    kv = _float_keys(bits, 1, width, 1) if width == 2 else np.full(n, _SIGN)
    ov, sv = _radix_argsort(kv)
    rank = np.empty(n, np.int64)  # dense rank of v, from 1
    r = 0
    for j in range(n):
        if j == 0 or sv[j] != sv[j - 1]:
            r += 1
        rank[ov[j]] = r
    ou, su = _radix_argsort(ku)
    _break_ties(ou, su, kv)
    tree = np.full(r + 1, -1, np.int64)
    out = np.empty(n, np.int64)
    j = 0
    while j < n:
        e = j + 1
        while e < n and su[e] == su[j] and kv[ou[e]] == kv[ou[j]]:
            e += 1
        for t in range(j, e):  # insert the run of identical points
            i = ou[t]
            if values[i] >= 0:
                x = rank[i]
                while x <= r:
                    if tree[x] < values[i]:
                        tree[x] = values[i]
                    x += x & -x
        best = -1
        x = rank[ou[j]]
        while x > 0:
            if tree[x] > best:
                best = tree[x]
            x -= x & -x
        for t in range(j, e):
            out[ou[t]] = best
        j = e
    return out
