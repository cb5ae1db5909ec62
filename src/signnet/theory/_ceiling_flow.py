"""The rendezvous-graph flow solver and the dense reference of :mod:`signnet.ceiling`.

Both return the fewest-relabel monotone labelling, any number of ordered labels,
any dimension; the fewest relabels is the maximum matching ``M`` of the
bipartite violation graph (left copy of ``i``, right copy of ``j``, for each
violation ``i -> j``; Dilworth's theorem in König's form, see
:mod:`signnet.ceiling`).

* :func:`flow_labels` (``method="flow"``). Divide and conquer on the coordinates
  (the "rendezvous graph" of Stout 2015, "Isotonic regression for multiple
  independent variables") builds a sparse DAG with Steiner vertices in which the
  left copy of ``i`` reaches the right copy of ``j`` iff ``i -> j``; small
  sub-problems are compared directly. The points are first renumbered along a
  Morton curve (:func:`locality_order`: only the speed depends on it). Maximum
  flow from the left copies to the right copies is ``M``: augmenting paths with
  dead-node marking, compiled
  (:func:`signnet.theory._ceiling_jit_flow.source_side`), where numba is
  installed and the searches stay within ``_SEARCH_BUDGET`` arc scans per arc
  and node; else scipy's Dinic. The source side of the minimal minimum cut
  (the same set for every maximum flow) gives the relabelling (binary: a point
  is labelled 1 iff its copy is on the source side, which is an up-set;
  multi-class: the antichain of points whose left copy is on the source side
  and right copy is not, each point then labelled by the largest kept label
  below it: for at most two +-1 features and
  no 0-features by a compiled sweep with a Fenwick tree of prefix maxima,
  :func:`signnet.theory._ceiling_jit.plane_max_below`, where numba is installed;
  otherwise on a second rendezvous DAG). Features with direction 0 enter
  as the group coordinates ``g`` and ``-g``.
* :func:`dense_labels` (``method="dense"``). The same bipartite graph from all
  O(n^2) comparisons, solved with Hopcroft-Karp
  (``scipy.sparse.csgraph.maximum_bipartite_matching``) and a König cover by
  alternating BFS -- the reference the fast solvers are checked against.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

__all__ = ["dense_labels", "flow_labels"]

_LEAF = 64  # sub-problems with |A| * |B| <= _LEAF * 2**(coordinates left) are compared directly
_LEAF_CAP = 1 << 16
_SEARCH_BUDGET = 20  # the compiled searches scan at most this many arcs per arc and node, else scipy's Dinic runs


@dataclass
class _Dag:
    """Reachability structure: left copy of item ``a`` reaches right copy of ``b``.

    ``pairs`` are direct edges; Steiner vertices form chains ``s -> s + 1`` (a
    chain starts where ``start`` is True); ``a_item -> a_node`` enter a chain,
    ``b_node -> b_item`` leave it.
    """

    src: np.ndarray
    dst: np.ndarray
    a_item: np.ndarray
    a_node: np.ndarray
    b_node: np.ndarray
    b_item: np.ndarray
    start: np.ndarray


@functools.cache
def jit_graph():
    """:mod:`signnet.theory._ceiling_jit_graph` (numba-compiled DAG construction), or ``None`` without numba."""
    try:
        return importlib.import_module("signnet.theory._ceiling_jit_graph")
    except ImportError:
        return None


def _rendezvous(P: np.ndarray, strict: np.ndarray, A: np.ndarray, B: np.ndarray) -> _Dag:
    """Build a DAG where ``a`` reaches ``b`` iff ``P[a] <= P[b]`` (``<`` where strict).

    Divide and conquer on coordinate ``k``: split ``A u B`` at the median value;
    low-A/low-B and high-A/high-B recurse on ``k``, low-A/high-B (already ordered
    on ``k``) recurse on ``k + 1``; high-A/low-B is never ordered. The last
    coordinate closes with a sorted chain of Steiner vertices, an exhausted one
    with a hub. Small products |A||B| are compared directly, so on data whose
    comparable pairs are rare the DAG holds little more than those pairs.
    """
    jit = jit_graph()
    if jit is not None:  # the same steps compiled (numba)
        strict = np.asarray(strict, np.bool_)
        P = np.ascontiguousarray(P, dtype=np.float64)
        return _Dag(*jit.rendezvous(P, strict, np.asarray(A, np.int64), np.asarray(B, np.int64), _LEAF, _LEAF_CAP))
    D = P.shape[1]
    src, dst, ai, an, bn, bi, starts = [], [], [], [], [], [], []
    n_st = 0
    stack = [(A, B, 0)]
    while stack:
        A, B, k = stack.pop()
        na, nb = A.size, B.size
        if na == 0 or nb == 0:
            continue
        if k == D:
            ai.append(A), an.append(np.full(na, n_st)), bn.append(np.full(nb, n_st)), bi.append(B)
            starts.append(n_st)
            n_st += 1
            continue
        if na * nb <= min(_LEAF << (D - k), _LEAF_CAP):
            mask = np.ones((na, nb), bool)
            for j in range(k, D):
                a, b = P[A, j][:, None], P[B, j][None, :]
                mask &= (a < b) if strict[j] else (a <= b)
            ia, ib = np.nonzero(mask)
            src.append(A[ia]), dst.append(B[ib])
            continue
        va, vb = P[A, k], P[B, k]
        if k == D - 1 and not strict[k]:
            vals = np.concatenate([va, vb])
            is_b = np.concatenate([np.zeros(na, bool), np.ones(nb, bool)])
            order = np.lexsort((is_b, vals))
            run = np.cumsum(np.r_[True, is_b[order][1:] != is_b[order][:-1]])  # 1-based
            node = np.empty(na + nb, np.int64)
            node[order] = n_st + run - 1  # a run of A (or B) entries shares one vertex
            ai.append(A), an.append(node[:na]), bn.append(node[na:]), bi.append(B)
            starts.append(n_st)
            n_st += int(run[-1])
            continue
        vals = np.concatenate([va, vb])
        lo, hi = vals.min(), vals.max()
        if lo == hi:
            if not strict[k]:
                stack.append((A, B, k + 1))
            continue
        m = np.partition(vals, vals.size // 2)[vals.size // 2]
        la, lb = (va <= m, vb <= m) if m == lo else (va < m, vb < m)
        stack += [(A[la], B[lb], k), (A[~la], B[~lb], k), (A[la], B[~lb], k + 1)]
    cat = lambda parts: np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)  # noqa: E731
    start = np.zeros(n_st, bool)
    start[np.asarray(starts, np.int64)] = True
    return _Dag(cat(src), cat(dst), cat(ai), cat(an), cat(bn), cat(bi), start)


def _propagate_max(dag: _Dag, values: np.ndarray, n: int) -> np.ndarray:
    """For each item ``b``: max of ``values[a]`` over items ``a`` reaching ``b`` (-1 if none).

    ``values`` (n,) holds non-negative ints, or -1 for items that are no source.
    """
    out = np.full(n, -1, np.int64)
    np.maximum.at(out, dag.dst, values[dag.src])
    if dag.start.size:
        top = int(values.max()) + 2
        st = np.full(dag.start.size, -1, np.int64)
        np.maximum.at(st, dag.a_node, values[dag.a_item])
        seg = np.cumsum(dag.start) * top  # offsets keep the running max inside each chain
        st = np.maximum.accumulate(st + 1 + seg) - seg - 1
        np.maximum.at(out, dag.b_item, st[dag.b_node])
    return out


@functools.cache
def jit_flow():
    """:mod:`signnet.theory._ceiling_jit_flow` (numba-compiled maximum flow), or ``None`` without numba."""
    try:
        return importlib.import_module("signnet.theory._ceiling_jit_flow")
    except ImportError:
        return None


@functools.cache
def jit_plane():
    """:mod:`signnet.theory._ceiling_jit` (numba-compiled sweeps), or ``None`` where numba is not installed."""
    try:
        return importlib.import_module("signnet.theory._ceiling_jit")
    except ImportError:
        return None


def _dinic_source_side(tails: np.ndarray, heads: np.ndarray, caps: np.ndarray, n_nodes: int) -> np.ndarray:
    """bool (n_nodes,): the nodes reachable from node 0 in the residual network of a maximum flow from
    node 0 to node 1 (scipy's ``maximum_flow(method="dinic")``, Dinic 1970, then a breadth-first search);
    ``tails``, ``heads``, ``caps``: (m,) int arcs and capacities. The minimal minimum cut's source side."""
    graph = sparse.csr_array((caps.astype(np.int32), (tails, heads)), shape=(n_nodes, n_nodes))
    flow = csgraph.maximum_flow(graph, 0, 1, method="dinic").flow
    residual = (graph - flow).tocsr()
    residual.data[residual.data < 0] = 0
    residual.eliminate_zeros()
    reached = np.zeros(n_nodes, bool)
    reached[csgraph.breadth_first_order(residual, 0, directed=True, return_predecessors=False)] = True
    return reached


def _compiled_source_side(dag: _Dag, chain: np.ndarray, P: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Left and right copies (bool (n,) each) on the source side of the minimal minimum cut, by the compiled
    augmenting paths of :mod:`signnet.theory._ceiling_jit_flow`; ``None`` without numba or past the budget."""
    flow = jit_flow()
    if flow is None:
        return None
    n = P.shape[0]
    S = 2 * n  # nodes: i left copy, n + i right copy, 2n + s Steiner vertex s
    tails = np.concatenate([dag.src, dag.a_item, S + dag.b_node, S + chain]).astype(np.int64)
    heads = np.concatenate([n + dag.dst, S + dag.a_node, n + dag.b_item, S + chain + 1]).astype(np.int64)
    n_nodes = S + dag.start.size
    order = np.argsort(-P[:, 0], kind="stable") if P.shape[1] else np.arange(n)  # the time depends on it, not the cut
    reached, done = flow.source_side(tails, heads, n, n_nodes, order.astype(np.int64),
                                     int(_SEARCH_BUDGET * (tails.size + n_nodes)))
    return (reached[:n], reached[n:S]) if done else None


def locality_order(P: np.ndarray) -> np.ndarray:
    """A permutation (n,) of the points along a Morton (Z-order) curve of their first <= 3 coordinates.

    ``P``: (n, m) floats. Each coordinate is scaled to 21-bit integers and the
    bits are interleaved; sorting by the key puts points that are close in space
    close in the numbering, so the nodes of the flow network that meet in one
    sub-problem lie close in memory. Only the speed depends on it: on 10^6 points
    in 3 features (bench/ceiling.py's data, 2 cores) the compiled maximum flow
    took 9-10 s instead of 15 s, the whole call 15-17 s instead of 22 s.
    """
    n, m = P.shape
    if m == 0 or n < 2:
        return np.arange(n)
    m = min(m, 3)
    key = np.zeros(n, np.uint64)
    for j in range(m):
        v = P[:, j] / 2  # halved, so that max - min cannot overflow for any finite coordinates
        lo, span = v.min(), v.max() - v.min()
        q = (np.clip((v - lo) / span, 0.0, 1.0) * (2**21 - 1)).astype(np.uint64) if span > 0 else np.zeros(n, np.uint64)
        for b in range(21):
            key |= ((q >> np.uint64(b)) & np.uint64(1)) << np.uint64(m * b + j)
    return np.argsort(key, kind="stable")


def flow_labels(P: np.ndarray, g: np.ndarray, n_groups: int, codes: np.ndarray, k: int) -> np.ndarray:
    """Minimum-relabel monotone labels via max flow on the rendezvous DAG (points renumbered by
    :func:`locality_order` for speed; the labels come back in the input order)."""
    order = locality_order(P)
    out = np.empty_like(codes)
    out[order] = _flow_labels(P[order], g[order], n_groups, codes[order], k)
    return out


def _flow_labels(P: np.ndarray, g: np.ndarray, n_groups: int, codes: np.ndarray, k: int) -> np.ndarray:
    n = P.shape[0]
    coords = [-codes[:, None].astype(float), P]  # label first, strictly decreasing
    if n_groups > 1:
        coords += [g[:, None].astype(float), -g[:, None].astype(float)]
    Q = np.hstack(coords)
    strict = np.zeros(Q.shape[1], bool)
    strict[0] = True
    items = np.arange(n)
    dag = _rendezvous(Q, strict, items, items)
    n_st = dag.start.size
    chain = np.flatnonzero(~dag.start[1:])  # s -> s + 1 inside a chain
    sides = _compiled_source_side(dag, chain, P)
    if sides is None:  # scipy's Dinic; nodes: 0 source, 1 sink, 2 + i left copy, 2 + n + i right copy, 2 + 2n + s Steiner
        L, R, S = 2, 2 + n, 2 + 2 * n
        rows = [np.zeros(n, np.int64), R + items, L + dag.src, L + dag.a_item, S + dag.b_node, S + chain]
        cols = [L + items, np.ones(n, np.int64), R + dag.dst, S + dag.a_node, R + dag.b_item, S + chain + 1]
        r, c = np.concatenate(rows), np.concatenate(cols)
        cap = np.full(r.size, n + 1, np.int64)
        cap[: 2 * n] = 1
        reached = _dinic_source_side(r, c, cap, S + n_st)
        sides = reached[L:R], reached[R:S]
    left, right = sides
    if k == 2:  # the source side is an up-set: label 1 there
        return np.where(codes == 1, left, right).astype(np.int64)
    keep = left & ~right
    values = np.where(keep, codes, -1)
    plane = jit_plane()
    if plane is not None and n_groups == 1 and 1 <= P.shape[1] <= 2:  # a sweep with a Fenwick tree (numba)
        bits = np.ascontiguousarray(P, dtype=np.float64).reshape(-1).view(np.uint64)
        return np.maximum(plane.plane_max_below(bits, P.shape[1], values), 0)
    extend = np.hstack(coords[1:]) if len(coords) > 1 else np.zeros((n, 0))
    plain = _rendezvous(extend, np.zeros(extend.shape[1], bool), items[keep], items)
    return np.maximum(_propagate_max(plain, values, n), 0)


# --------------------------------------------------------------- O(n^2) path
def _dense_le(P: np.ndarray, g: np.ndarray) -> np.ndarray:
    """(n, n) bool: ``le[i, j]`` iff point i <= point j."""
    le = g[:, None] == g[None, :]
    for j in range(P.shape[1]):
        le &= P[:, j][:, None] <= P[:, j][None, :]
    return le


def dense_labels(P: np.ndarray, g: np.ndarray, codes: np.ndarray, k: int) -> np.ndarray:
    """Reference: all comparisons, Hopcroft-Karp matching, König cover by alternating BFS."""
    n = P.shape[0]
    le = _dense_le(P, g)
    viol = sparse.csr_array(le & (codes[:, None] > codes[None, :]))
    match = csgraph.maximum_bipartite_matching(viol, perm_type="column")  # row i -> column
    rows, cols = viol.nonzero()
    matched = np.flatnonzero(match >= 0)
    # residual graph: super source 2n -> free left copies, left i -> right j on
    # every violation, right j -> left i along the matching
    r = np.concatenate([np.full(n - matched.size, 2 * n), rows, n + match[matched]])
    c = np.concatenate([np.flatnonzero(match < 0), n + cols, matched])
    graph = sparse.csr_array((np.ones(r.size, np.int8), (r, c)), shape=(2 * n + 1, 2 * n + 1))
    reached = np.zeros(2 * n + 1, bool)
    reached[csgraph.breadth_first_order(graph, 2 * n, directed=True, return_predecessors=False)] = True
    if k == 2:
        return np.where(codes == 1, reached[:n], reached[n : 2 * n]).astype(np.int64)
    keep = reached[:n] & ~reached[n : 2 * n]
    below = np.where(le & keep[:, None], codes[:, None], -1)
    return np.maximum(below.max(axis=0), 0)
