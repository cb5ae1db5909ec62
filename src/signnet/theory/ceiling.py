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
  loop of n cheap steps, compiled with numba when it is installed). Points are
  swept by the first feature; the dynamic programme over the staircase boundary
  of the up-set reduces to the greedy matching "a 0-point takes the free 1-point
  with the largest second coordinate not above its own", kept in a 64-ary bit
  tree. A backward pass over the recorded choices rebuilds an optimal staircase,
  i.e. the relabelling.
* ``"flow"`` (any labels, any dimension). Divide and conquer on the coordinates
  (the "rendezvous graph" of Stout 2015, "Isotonic regression for multiple
  independent variables") builds a sparse DAG with Steiner vertices in which the
  left copy of ``i`` reaches the right copy of ``j`` iff ``i -> j``; small
  sub-problems are compared directly. Maximum flow from the left copies to the
  right copies is ``M`` (augmenting paths, one breadth-first search per left
  copy, nodes that reach nothing free marked dead; compiled with numba; scipy's
  Dinic without numba or where those searches grow past a budget); the source side of the minimal minimum cut
  gives the relabelling (binary: a point is labelled 1 iff its copy is on the
  source side, which is an up-set; multi-class: the antichain of points whose
  left copy is on the source side and right copy is not, extended as above).
* ``"dense"``: the same bipartite graph built from all O(n^2) comparisons and
  solved with Hopcroft-Karp (``scipy.sparse.csgraph.maximum_bipartite_matching``)
  -- the reference the fast solvers are checked against.

Features with direction 0 split the data into groups of equal values; points in
different groups are incomparable (the sweep places the groups on an
anti-diagonal, the flow solver adds the coordinates ``g`` and ``-g``).

The solvers live in private modules: the sweep in :mod:`signnet._ceiling_sweep`,
the flow solver and the dense reference in :mod:`signnet._ceiling_flow`, their
numba-compiled loops (optional: the interpreted code runs without numba) in
:mod:`signnet._ceiling_jit`, ``_ceiling_jit_graph`` and ``_ceiling_jit_flow``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from signnet.errors import SignnetError, choice_error
from signnet.theory._ceiling_flow import dense_labels, flow_labels
from signnet.theory._ceiling_sweep import sweep_labels

__all__ = ["CeilingResult", "monotone_ceiling"]

METHODS = ("auto", "sweep", "flow", "dense")
# private: the previous sweep (np.lexsort orders, first loop), for bench/ceiling.py and the tests
LEGACY_METHODS = ("sweep_v1",)


@dataclass(frozen=True)
class CeilingResult:
    """The monotone ceiling of one labelled data set.

    Attributes:
        accuracy: the ceiling, ``(n - relabeled) / n``: the best accuracy of any monotone
            classifier, hence an upper bound for every DNN+ with non-decreasing activations and
            one logit (Theorem 1.1 of Wang et al.). Some monotone classifier attains it (e.g. a
            two-hidden-layer tanh DNN+); a ReLU DNN+, being convex, not always.
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
_EXACT = 2**53  # float64 holds every integer up to this magnitude exactly


def _is_integer(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _as_integers(column: np.ndarray) -> np.ndarray:
    """Datetimes and durations as their int64 counts (their order); a column with NaT is returned as it is."""
    if column.dtype.kind in "mM" and not np.isnat(column).any():
        return column.view(np.int64)
    return column


def _beyond_float64(column: np.ndarray) -> bool:
    """An integer column (numpy integers, datetimes, or ints in an object array) with a value float64 cannot hold."""
    column = _as_integers(column)
    if not column.size:
        return False
    if column.dtype.kind in "iu":
        return int(column.max()) > _EXACT or int(column.min()) < -_EXACT
    return (column.dtype.kind == "O" and all(_is_integer(v) for v in column)
            and max(abs(int(v)) for v in column) > _EXACT)


def _exact_integer_columns(X):
    """``X`` with each integer column that float64 cannot hold exactly replaced by its exact ranks (0, 1, ...).

    Only the order within each column matters to the ceiling (x precedes y column by column, and a free
    column compares by equality), so a rank keeps every comparison that float64 would merge (t and t + 1
    for nanosecond timestamps). Columns are read one by one, so a DataFrame mixing such a column with
    float columns, or Python ints beyond int64, are exact too. Dates and durations are compared by their
    counts (later is larger); NaT is refused. Anything else is returned as it came.
    """
    if hasattr(X, "columns") and hasattr(X, "iloc") and getattr(X, "ndim", 0) == 2:  # a DataFrame
        columns = [np.asarray(X.iloc[:, j].to_numpy()) for j in range(X.shape[1])]
    else:
        raw = np.asarray(X) if not isinstance(X, np.ndarray) else X
        if raw.ndim != 2 or raw.dtype.kind not in "iuOmM":
            return X
        columns = [raw[:, j] for j in range(raw.shape[1])]
    wide = [_beyond_float64(c) for c in columns]
    times = [c.dtype.kind in "mM" for c in columns]
    if not any(wide) and not any(times):
        return X
    out = np.empty((len(columns[0]), len(columns)), dtype=np.float64)
    for j, (column, exact) in enumerate(zip(columns, wide, strict=True)):
        if times[j] and np.isnat(column).any():  # NaT would read as the earliest time of all
            raise SignnetError(f"X column {j} holds NaT (a missing date or duration); drop or impute those rows.")
        column = _as_integers(column)
        if exact:
            values = [int(v) for v in column.tolist()]
            order = {v: r for r, v in enumerate(sorted(set(values)))}
            out[:, j] = [order[v] for v in values]
        else:
            try:
                out[:, j] = np.asarray(column, dtype=np.float64)
            except (TypeError, ValueError, OverflowError):
                return X  # not numbers (or beyond float64): the caller's check names the problem
    return out


def check_features(X) -> np.ndarray:
    """Return ``X`` as a finite float array of shape (n, d) or raise SignnetError.

    Only the order of each column matters to the ceiling, so an integer column that float64 cannot
    hold exactly (values beyond ``2**53``, e.g. nanosecond timestamps, in a numpy array, a DataFrame
    column or Python ints) is replaced by its exact ranks (:func:`_exact_integer_columns`).
    """
    X = _exact_integer_columns(X)
    try:
        arr = np.asarray(X, dtype=float)
    except (TypeError, ValueError, OverflowError) as exc:
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
    if arr.dtype.kind == "u" and arr.size and arr.max() > np.iinfo(np.int64).max:
        i = int(np.argmax(arr))
        raise SignnetError(f"Labels must fit in int64, but y[{i}] is {arr[i].item()!r}; "
                           "encode the classes as small integers (0/1, or 0..K-1 for ordered classes).")
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.round(arr)) | (np.abs(arr.astype(np.float64)) >= 2.0**63)
        if bad.any():
            i = int(np.argmax(bad))
            raise SignnetError(
                f"Labels must be integers within int64's range (|y| < 2**63), but y[{i}] is {arr[i].item()!r}; "
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
        Zs = Z[order]
        g[order] = np.cumsum(np.r_[True, (Zs[1:] != Zs[:-1]).any(axis=1)]) - 1  # no subtraction: no overflow
    return P, g, int(g.max()) + 1


def _encode(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(y, return_inverse=True)`` for int64 labels (n,): sorted classes and int64 codes 0..k-1;
    by counting where the labels span fewer than ``2n + 64`` values (no sort of n labels)."""
    lo, hi = int(y.min()), int(y.max())
    if hi - lo >= 2 * y.size + 64:
        classes, codes = np.unique(y, return_inverse=True)
        return classes, codes.ravel().astype(np.int64)
    present = np.bincount(y - lo, minlength=hi - lo + 1) > 0
    return np.flatnonzero(present) + lo, (np.cumsum(present) - 1)[y - lo]


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
    if method not in METHODS + LEGACY_METHODS:
        raise choice_error("method", method, METHODS)
    classes, codes = _encode(y)
    P, g, n_groups = _oriented(X, dirs)
    k = len(classes)
    if method == "auto":
        method = "sweep" if k <= 2 and P.shape[1] <= 2 else "flow"
    if method in ("sweep", "sweep_v1") and (k > 2 or P.shape[1] > 2):
        raise SignnetError(
            f"method {method!r} needs two classes and at most two non-zero directions; got {k} "
            f"classes and {P.shape[1]} such features. Use method='flow' instead."
        )
    if k == 1:
        new = codes.copy()
    elif method in ("sweep", "sweep_v1"):
        new = sweep_labels(P, g, codes, legacy=method == "sweep_v1")
    elif method == "flow":
        new = flow_labels(P, g, n_groups, codes, k)
    else:
        new = dense_labels(P, g, codes, k)
    relabeled = int(np.count_nonzero(new != codes))
    return CeilingResult(
        accuracy=(n - relabeled) / n,
        n=n,
        relabeled=relabeled,
        labels=classes[new],
        method=method,
        seconds=time.perf_counter() - start,
    )
