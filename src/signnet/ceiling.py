"""The exact accuracy ceiling of a sign-constrained (DNN+) classifier.

Theorem 1.1 of Wang et al., "Why do networks need negative weights?", shows that
a network with non-negative weights and non-decreasing activations is monotone:
``x <= y`` coordinate-wise implies ``F(x) <= F(y)``. Thresholding ``F`` therefore
gives a monotone labelling, and on a labelled data set such a classifier is right
on at most ``n - m`` points, where ``m`` is the fewest labels that must change
to make the labelling monotone. :func:`monotone_ceiling` computes ``m`` exactly,
together with one monotone relabelling that attains it.

The order. Point ``i <= j`` iff, feature by feature, ``x_i <= x_j`` (direction
+1), ``x_i >= x_j`` (-1) or ``x_i == x_j`` (0). Identical points compare both
ways, so they always receive the same label.

Why a matching. Call ``i -> j`` a violation when ``i <= j`` and ``y_i > y_j``;
it is a strict partial order. Kept (unchanged) points must contain no violation,
i.e. form an antichain of it, and every antichain ``K`` can be kept: label each
point ``p`` by ``max{y_k : k in K, k <= p}`` (the lowest label if none). By
Dilworth's theorem in König's form, the largest antichain has ``n - M`` points,
``M`` the maximum matching of the bipartite graph (left copy of ``i``, right copy
of ``j``, for each violation ``i -> j``), so the fewest relabels is ``M``. For
binary labels the graph joins 1-points to 0-points above them and the minimum
vertex cover (König) is exactly the set of points to flip.

Three solvers, all exact:

* ``"sweep"`` (binary labels, at most two +-1 features; O(n log n) plus a
  Python loop of n cheap steps). Points are swept by the first feature; the
  dynamic programme over the staircase boundary of the up-set reduces to the
  greedy matching "a 0-point takes the free 1-point with the largest second
  coordinate not above its own", kept in a 64-ary bit tree. A backward pass over
  the recorded choices rebuilds an optimal staircase, i.e. the relabelling.
* ``"flow"`` (any labels, any dimension). Divide and conquer on the coordinates
  (the "rendezvous graph" of Stout 2015, "Isotonic regression for multiple
  independent variables") builds a sparse DAG with Steiner vertices in which the
  left copy of ``i`` reaches the right copy of ``j`` iff ``i -> j``; small
  sub-problems are compared directly. Maximum flow (scipy, Dinic) from the left
  copies to the right copies is ``M``; the source side of the minimal minimum cut
  gives the relabelling (binary: a point is labelled 1 iff its copy is on the
  source side, which is an up-set; multi-class: the antichain of points whose
  left copy is on the source side and right copy is not, extended as above).
* ``"dense"``: the same bipartite graph built from all O(n^2) comparisons and
  solved with Hopcroft-Karp (``scipy.sparse.csgraph.maximum_bipartite_matching``)
  -- the reference the fast solvers are checked against.

Features with direction 0 split the data into groups of equal values; points in
different groups are incomparable (the sweep places the groups on an
anti-diagonal, the flow solver adds the coordinates ``g`` and ``-g``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from signnet.errors import SignnetError, choice_error

__all__ = ["CeilingResult", "monotone_ceiling"]

METHODS = ("auto", "sweep", "flow", "dense")
_LEAF = 64  # sub-problems with |A| * |B| <= _LEAF * 2**(coordinates left) are compared directly
_LEAF_CAP = 1 << 16


@dataclass(frozen=True)
class CeilingResult:
    """The monotone ceiling of one labelled data set.

    Attributes:
        accuracy: the ceiling, ``(n - relabeled) / n``: the best accuracy any
            monotone classifier (any DNN+, Theorem 1.1 of Wang et al.) can reach.
        n: number of points.
        relabeled: fewest labels that must change to make the labelling monotone.
        labels: shape (n,), int; one monotone labelling that changes exactly
            ``relabeled`` labels (values drawn from the input labels).
        method: the solver that ran (``"sweep"``, ``"flow"`` or ``"dense"``).
        seconds: wall time of the computation.
    """

    accuracy: float
    n: int
    relabeled: int
    labels: np.ndarray = field(repr=False, compare=False)
    method: str
    seconds: float = field(default=0.0, compare=False)


# ----------------------------------------------------------------- validation
def check_features(X) -> np.ndarray:
    """Return ``X`` as a finite float array of shape (n, d) or raise SignnetError."""
    try:
        arr = np.asarray(X, dtype=float)
    except (TypeError, ValueError) as exc:
        raise SignnetError(
            f"X could not be read as an array of numbers ({exc}); pass an (n, d) array of floats."
        ) from None
    if arr.ndim != 2:
        raise SignnetError(
            f"X must be 2-D with shape (n, d); got shape {arr.shape}. "
            "Reshape it, e.g. X.reshape(-1, 1) for a single feature."
        )
    if arr.shape[0] == 0:
        raise SignnetError("X is empty (0 points); pass at least one labelled point.")
    bad = ~np.isfinite(arr)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise SignnetError(
            f"X must be finite, but X[{r}, {c}] is {arr[r, c]}; "
            "drop or impute the rows with NaN or infinite values."
        )
    return arr


def check_labels(y, n: int) -> np.ndarray:
    """Return ``y`` as an int64 array of shape (n,) or raise SignnetError."""
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise SignnetError(
            f"y must be 1-D with shape (n,); got shape {arr.shape}. Flatten it with np.ravel(y)."
        )
    if arr.shape[0] != n:
        raise SignnetError(
            f"X has {n} rows but y has {arr.shape[0]} labels; pass one label per row of X."
        )
    if arr.dtype.kind == "b":
        return arr.astype(np.int64)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if bad.any():
            i = int(np.argmax(bad))
            raise SignnetError(
                f"Labels must be integers, but y[{i}] is {arr[i].item()!r}; "
                "encode the classes as integers (0/1, or 0..K-1 for ordered classes)."
            )
        return arr.astype(np.int64)
    raise SignnetError(
        f"Labels must be integers; got y of dtype {arr.dtype}. "
        "Encode the classes as integers (0/1, or 0..K-1 for ordered classes)."
    )


def check_directions(directions, d: int) -> np.ndarray:
    """Return the feature directions as an int array of length d with values in {-1, 0, 1}."""
    if directions is None:
        return np.ones(d, dtype=np.int64)
    arr = np.asarray(directions)
    if arr.ndim != 1 or arr.shape[0] != d:
        raise SignnetError(
            f"directions must have one entry per feature ({d}); got {np.ravel(arr).tolist()!r}. "
            "Use +1 (non-decreasing), -1 (non-increasing) or 0 (unconstrained) per feature."
        )
    for v in arr.tolist():
        if isinstance(v, bool) or v not in (-1, 0, 1):
            raise SignnetError(
                f"directions may only hold -1, 0 or +1; got {v!r}. "
                "Use +1 (non-decreasing), -1 (non-increasing) or 0 (unconstrained) per feature."
            )
    return arr.astype(np.int64)


def _oriented(X: np.ndarray, dirs: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Signed +-1 features (n, m), group ids from the 0-features (n,), number of groups."""
    P = X[:, dirs != 0] * dirs[dirs != 0] + 0.0  # + 0.0 turns -0.0 into 0.0
    g = np.zeros(X.shape[0], np.int64)
    if np.any(dirs == 0):
        Z = X[:, dirs == 0]
        order = np.lexsort(Z.T[::-1])
        g[order] = np.cumsum(np.r_[True, (np.diff(Z[order], axis=0) != 0).any(axis=1)]) - 1
    return P, g, int(g.max()) + 1


# --------------------------------------------------------------------- public
def monotone_ceiling(X, y, directions=None, *, method: str = "auto") -> CeilingResult:
    """Exact accuracy ceiling of any monotone (DNN+) classifier on ``(X, y)``.

    Args:
        X: shape (n, d), finite floats.
        y: shape (n,), integer labels; two classes (the main case) or ordered
            classes (an ordinal label ``y`` must be non-decreasing in the order).
        directions: length-d sequence of +1 (non-decreasing), -1 (non-increasing)
            or 0 (unconstrained: comparable only where equal); ``None`` = all +1.
        method: ``"auto"`` (``"sweep"`` for binary labels with at most two
            constrained features, else ``"flow"``), ``"sweep"``, ``"flow"`` or
            ``"dense"`` (O(n^2) reference).

    Returns:
        :class:`CeilingResult` with ``relabeled`` = size of the maximum matching
        of the violation graph (König / Dilworth) and a monotone ``labels``.

    Raises:
        SignnetError: bad X, y, directions or method.
    """
    start = time.perf_counter()
    X = check_features(X)
    n, d = X.shape
    y = check_labels(y, n)
    dirs = check_directions(directions, d)
    if method not in METHODS:
        raise choice_error("method", method, METHODS)
    classes, codes = np.unique(y, return_inverse=True)
    codes = codes.ravel().astype(np.int64)
    P, g, n_groups = _oriented(X, dirs)
    k = len(classes)
    if method == "auto":
        method = "sweep" if k <= 2 and P.shape[1] <= 2 else "flow"
    if method == "sweep" and (k > 2 or P.shape[1] > 2):
        raise SignnetError(
            f"method 'sweep' needs two classes and at most two non-zero directions; got {k} "
            f"classes and {P.shape[1]} such features. Use method='flow' instead."
        )
    if k == 1:
        new = codes.copy()
    elif method == "sweep":
        new = _sweep_labels(P, g, codes)
    elif method == "flow":
        new = _flow_labels(P, g, n_groups, codes, k)
    else:
        new = _dense_labels(P, g, codes, k)
    relabeled = int(np.count_nonzero(new != codes))
    return CeilingResult(
        accuracy=(n - relabeled) / n,
        n=n,
        relabeled=relabeled,
        labels=classes[new],
        method=method,
        seconds=time.perf_counter() - start,
    )


# ---------------------------------------------------------------- 2-D sweep
def _sweep_labels(P: np.ndarray, g: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Optimal monotone 0/1 labels for at most two signed features (plus groups)."""
    n = P.shape[0]
    P = np.hstack([P, np.zeros((n, 2 - P.shape[1]))])
    u, v = P[:, 0], P[:, 1]
    # Sweep order (g, u, v); identical points become one weighted point.
    order = np.lexsort((v, u, g))
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
    rank[np.lexsort((u[first], v[first], -g[first]))] = np.arange(npts)
    inc = _staircase(rank + 1, ones, zeros)
    return inc[pid].astype(np.int64)


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
    levels = []
    s = size
    while True:
        s = (s >> 6) + 1
        levels.append([0] * s)
        if s == 1:
            break
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
            if m:
                q = (w << 6) | (m.bit_length() - 1)
            else:  # climb to a level with a set bit left of us, then descend
                lvl, at, q = 1, w - 1, -1
                while lvl < nlev and at >= 0:
                    ww = at >> 6
                    m = levels[lvl][ww] & ((2 << (at & 63)) - 1)
                    if m:
                        q = (ww << 6) | (m.bit_length() - 1)
                        break
                    at, lvl = ww - 1, lvl + 1
                if q < 0:
                    q = 0
                    break
                while lvl > 0:
                    lvl -= 1
                    q = (q << 6) | (levels[lvl][q].bit_length() - 1)
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


# ----------------------------------------------------- rendezvous DAG + flow
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


def _rendezvous(P: np.ndarray, strict: np.ndarray, A: np.ndarray, B: np.ndarray) -> _Dag:
    """Build a DAG where ``a`` reaches ``b`` iff ``P[a] <= P[b]`` (``<`` where strict).

    Divide and conquer on coordinate ``k``: split ``A u B`` at the median value;
    low-A/low-B and high-A/high-B recurse on ``k``, low-A/high-B (already ordered
    on ``k``) recurse on ``k + 1``; high-A/low-B is never ordered. The last
    coordinate closes with a sorted chain of Steiner vertices, an exhausted one
    with a hub. Small products |A||B| are compared directly, so on data whose
    comparable pairs are rare the DAG holds little more than those pairs.
    """
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


def _flow_labels(P: np.ndarray, g: np.ndarray, n_groups: int, codes: np.ndarray, k: int) -> np.ndarray:
    """Minimum-relabel monotone labels via max flow on the rendezvous DAG."""
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
    # nodes: 0 source, 1 sink, 2 + i left copy, 2 + n + i right copy, 2 + 2n + s Steiner
    L, R, S = 2, 2 + n, 2 + 2 * n
    rows = [np.zeros(n, np.int64), R + items, L + dag.src, L + dag.a_item, S + dag.b_node]
    cols = [L + items, np.ones(n, np.int64), R + dag.dst, S + dag.a_node, R + dag.b_item]
    chain = np.flatnonzero(~dag.start[1:])  # s -> s + 1 inside a chain
    rows.append(S + chain)
    cols.append(S + chain + 1)
    unit = 2 * n
    r, c = np.concatenate(rows), np.concatenate(cols)
    cap = np.full(r.size, n + 1, np.int32)
    cap[:unit] = 1
    size = S + n_st
    graph = sparse.csr_array((cap, (r, c)), shape=(size, size))
    flow = csgraph.maximum_flow(graph, 0, 1, method="dinic").flow
    residual = (graph - flow).tocsr()
    residual.data[residual.data < 0] = 0
    residual.eliminate_zeros()
    reached = np.zeros(size, bool)
    reached[csgraph.breadth_first_order(residual, 0, directed=True, return_predecessors=False)] = True
    if k == 2:  # the source side is an up-set: label 1 there
        return np.where(codes == 1, reached[L + items], reached[R + items]).astype(np.int64)
    keep = reached[L + items] & ~reached[R + items]
    extend = np.hstack(coords[1:]) if len(coords) > 1 else np.zeros((n, 0))
    plain = _rendezvous(extend, np.zeros(extend.shape[1], bool), items[keep], items)
    return np.maximum(_propagate_max(plain, np.where(keep, codes, -1), n), 0)


# --------------------------------------------------------------- O(n^2) path
def _dense_le(P: np.ndarray, g: np.ndarray) -> np.ndarray:
    """(n, n) bool: ``le[i, j]`` iff point i <= point j."""
    le = g[:, None] == g[None, :]
    for j in range(P.shape[1]):
        le &= P[:, j][:, None] <= P[:, j][None, :]
    return le


def _dense_labels(P: np.ndarray, g: np.ndarray, codes: np.ndarray, k: int) -> np.ndarray:
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
