"""numba-compiled construction of the rendezvous DAG of :mod:`signnet.theory._ceiling_flow`.

Optional, like :mod:`signnet.theory._ceiling_jit`: the flow solver imports it
lazily and builds the DAG with numpy (``_ceiling_flow._rendezvous``) when numba
is absent. :func:`rendezvous` takes the same steps (divide and conquer on the
coordinates, Stout 2015, "Isotonic regression for multiple independent
variables"; see ``_ceiling_flow._rendezvous``) in one compiled loop, so the
thousands of small sub-problems cost no interpreter work. It may number the
Steiner vertices in another order; which item reaches which is the same, and
the tests compare both.
"""

from __future__ import annotations

import numpy as np

from signnet.theory._ceiling_jit import _njit

__all__ = ["rendezvous"]


@_njit()
def _grow(buf, cnt, extra):
    """``buf`` if it has room for ``extra`` more entries after ``cnt``, else a larger copy."""
    if cnt + extra <= buf.size:
        return buf
    out = np.empty(max(2 * buf.size, cnt + extra), buf.dtype)
    out[:cnt] = buf[:cnt]
    return out


@_njit()
def rendezvous(P, strict, A0, B0, leaf, leaf_cap):
    """Compiled ``_ceiling_flow._rendezvous``: a DAG in which item ``a`` of ``A0`` reaches item ``b`` of ``B0``
    iff ``P[a] <= P[b]`` (``<`` on the coordinates where ``strict``).

    ``P``: float64 (n, D); ``strict``: bool (D,); ``A0``, ``B0``: int64 item ids;
    ``leaf``, ``leaf_cap``: sub-problems with ``|A||B| <= min(leaf << (D - k), leaf_cap)``
    are compared directly. Returns the fields of ``_ceiling_flow._Dag`` in order:
    ``src, dst, a_item, a_node, b_node, b_item, start``.
    """
    D = P.shape[1]
    src = np.empty(1024, np.int64)
    dst = np.empty(1024, np.int64)
    ai = np.empty(1024, np.int64)
    an = np.empty(1024, np.int64)
    bi = np.empty(1024, np.int64)
    bn = np.empty(1024, np.int64)
    starts = np.empty(1024, np.int64)
    npair, na_, nb_, ns, n_st = 0, 0, 0, 0, 0
    stack = [(A0, B0, 0)]
    while len(stack) > 0:
        A, B, k = stack.pop()
        na, nb = A.size, B.size
        if na == 0 or nb == 0:
            continue
        if k == D:  # every coordinate ordered: one hub vertex
            ai, an = _grow(ai, na_, na), _grow(an, na_, na)
            bi, bn = _grow(bi, nb_, nb), _grow(bn, nb_, nb)
            ai[na_ : na_ + na] = A
            an[na_ : na_ + na] = n_st
            bi[nb_ : nb_ + nb] = B
            bn[nb_ : nb_ + nb] = n_st
            na_ += na
            nb_ += nb
            starts = _grow(starts, ns, 1)
            starts[ns] = n_st
            ns += 1
            n_st += 1
            continue
        if na * nb <= min(leaf << (D - k), leaf_cap):  # compare directly
            for x in range(na):
                a = A[x]
                for z in range(nb):
                    b = B[z]
                    ok = True
                    for j in range(k, D):
                        if (strict[j] and not P[a, j] < P[b, j]) or (not strict[j] and not P[a, j] <= P[b, j]):
                            ok = False
                            break
                    if ok:
                        src, dst = _grow(src, npair, 1), _grow(dst, npair, 1)
                        src[npair] = a
                        dst[npair] = b
                        npair += 1
            continue
        va = np.empty(na)
        vb = np.empty(nb)
        for x in range(na):
            va[x] = P[A[x], k]
        for z in range(nb):
            vb[z] = P[B[z], k]
        if k == D - 1 and not strict[k]:  # last coordinate: a sorted chain, runs of A (or B) share a vertex
            order = np.argsort(np.concatenate((va, vb)), kind="mergesort")  # stable: A before B on ties
            ai, an = _grow(ai, na_, na), _grow(an, na_, na)
            bi, bn = _grow(bi, nb_, nb), _grow(bn, nb_, nb)
            run = 0
            for t in range(na + nb):
                o = order[t]
                if t > 0 and (o >= na) != (order[t - 1] >= na):
                    run += 1
                if o < na:
                    ai[na_] = A[o]
                    an[na_] = n_st + run
                    na_ += 1
                else:
                    bi[nb_] = B[o - na]
                    bn[nb_] = n_st + run
                    nb_ += 1
            starts = _grow(starts, ns, 1)
            starts[ns] = n_st
            ns += 1
            n_st += run + 1
            continue
        lo, hi = min(va.min(), vb.min()), max(va.max(), vb.max())
        if lo == hi:
            if not strict[k]:
                stack.append((A, B, k + 1))
            continue
        vals = np.concatenate((va, vb))
        m = np.partition(vals, vals.size // 2)[vals.size // 2]
        if m == lo:
            la, lb = va <= m, vb <= m
        else:
            la, lb = va < m, vb < m
        stack.append((A[la], B[lb], k))
        stack.append((A[~la], B[~lb], k))
        stack.append((A[la], B[~lb], k + 1))
    start = np.zeros(n_st, np.bool_)
    for t in range(ns):
        start[starts[t]] = True
    return src[:npair].copy(), dst[:npair].copy(), ai[:na_].copy(), an[:na_].copy(), bn[:nb_].copy(), bi[:nb_].copy(), start
