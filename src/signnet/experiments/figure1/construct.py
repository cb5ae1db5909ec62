"""DNN+ networks built by hand from a monotone relabelling: the ceiling is reached, not only bounded.

The exact monotone ceiling (:func:`signnet.theory.ceiling.monotone_ceiling`)
bounds the accuracy of every DNN+ on a data set (Theorem 1.1 of Wang et al.: a
DNN+ is monotone). A trained DNN+ that stops below it (e.g. a constant
classifier at 0.5 on XOR) falls short of its class, not of the theorem's limit. To
show that, this module turns the ceiling's optimal relabelling of a 2-D data set
into an explicit DNN+ (every weight >= 0, biases free) and the caller scores it:

* :func:`relu_ceiling_network`, one hidden ReLU layer. A ReLU DNN+ is non-decreasing
  (Theorem 1.1) and convex (non-negative combinations of convex non-decreasing functions
  of convex functions are convex: a fact the paper does not state), so its class-0 region is a
  convex down-set; the network cuts out the smallest one that holds the
  relabelled class-0 points, ``conv(S0) + R^2_-``, with one unit per facet
  (greedily, only the facets needed to exclude class-1 points). It realises the
  relabelling exactly when no relabelled class-1 point lies in that set (the
  Figure 1 panels); otherwise it falls short (then the best half-plane is used if
  it scores more), which bounds from above what convexity costs on these points (a
  ReLU DNN+ built from another optimal relabelling, or giving up some class-0 points,
  may score more).
* :func:`tanh_ceiling_network`, two hidden tanh layers, realises any monotone
  relabelling of 2-D points: class 1 iff ``x >= u`` for some minimal class-1
  point ``u`` (an up-set is the union of the orthants above its minimal points).
  Layer 1 holds two steep steps per ``u`` (``x1 >= u1``, ``x2 >= u2``), layer 2
  their AND, the output their OR, all with non-negative weights.

Both are built from the labels they are scored against (the ceiling is a
statement about one data set): they show that a DNN+ attains the ceiling there,
not that such a network generalises.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.spatial import ConvexHull

from signnet.nn.networks import MLP

_STEEP = 40.0  # tanh(40) rounds to 1 in float32: the steps are exact at the data points


def _network(hidden: tuple[int, ...], activation: str, params: list[tuple[np.ndarray, np.ndarray]]) -> MLP:
    """An MLP DNN+ with the given weights; its random initialisation leaves the caller's RNG untouched."""
    with torch.random.fork_rng(devices=[]):
        model = MLP(2, hidden, weights="nonneg", activation=activation)
    with torch.no_grad():
        for layer, (W, b) in zip(model.linear_layers, params, strict=True):
            layer.weight.copy_(torch.as_tensor(np.asarray(W, dtype=np.float64)))
            layer.bias.copy_(torch.as_tensor(np.asarray(b, dtype=np.float64)))
    return model.eval()


def _constant(label: int) -> MLP:
    """A DNN+ whose logit is +1 (``label`` 1) or -1 (``label`` 0) everywhere."""
    out_bias = np.array([1.0 if label else -1.0])
    return _network((1,), "relu", [(np.zeros((1, 2)), np.zeros(1)), (np.zeros((1, 1)), out_bias)])


def _split(X, labels) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    if X.ndim != 2 or X.shape[1] != 2 or labels.shape != (len(X),):
        raise ValueError(f"Expected 2-D points (n, 2) and n labels, got {X.shape} and {labels.shape}.")
    return X[labels == 0], X[labels == 1]


def _hull_network(S0: np.ndarray, S1: np.ndarray) -> MLP:
    """Class 0 = the convex down-set ``conv(S0) + R^2_-``, cut out by the facets needed to exclude ``S1``."""
    lo = float(min(S0.min(), S1.min())) - 10.0
    a, b = S0[:, 0].max(), S0[:, 1].max()
    hull = ConvexHull(np.vstack([S0, [[a, lo], [lo, b], [lo, lo]]]))
    eq = hull.equations  # n . x + c <= 0 inside, n a unit outward normal
    eq = eq[(eq[:, 0] > -1e-12) & (eq[:, 1] > -1e-12)]  # drop the artificial facets at lo
    eq[:, :2] = np.clip(eq[:, :2], 0.0, None)
    outside = (S1 @ eq[:, :2].T + eq[:, 2]) > 0  # (n1, facets)
    chosen, todo = [], outside.any(axis=1)
    while todo.any():  # greedy set cover: few units, each excluding many class-1 points
        k = int(np.argmax(outside[todo].sum(axis=0)))
        chosen.append(k)
        todo &= ~outside[:, k]
    if not chosen:  # every class-1 point lies in the convex down-set
        return _constant(0)
    eq = eq[chosen]
    s = np.maximum(S1 @ eq[:, :2].T + eq[:, 2], 0.0).sum(axis=1)
    delta = float(s[s > 0].min())
    return _network((len(chosen),), "relu", [(eq[:, :2], eq[:, 2]),
                                             (np.full((1, len(chosen)), 2.0 / delta), np.array([-1.0]))])


def _halfplane_network(X: np.ndarray, target: np.ndarray, angles: int = 91) -> MLP:
    """The best half-plane ``n . x > t`` with ``n >= 0`` for ``target`` (one ReLU unit)."""
    best = (-1, None)
    for theta in np.linspace(0.0, np.pi / 2, angles):
        n = np.array([np.cos(theta), np.sin(theta)])
        proj = X @ n
        order = np.argsort(proj, kind="stable")
        p, t = proj[order], target[order]
        # class 0 for the first k points, class 1 for the rest; cut only between distinct projections
        correct = np.concatenate([[0], np.cumsum(t == 0)]) + np.concatenate([np.cumsum((t == 1)[::-1])[::-1], [0]])
        ok = np.ones(len(p) + 1, bool)
        ok[1:-1] = p[1:] > p[:-1]
        k = int(np.argmax(np.where(ok, correct, -1)))
        if correct[k] > best[0]:
            best = (int(correct[k]), (n, k, p))
    n, k, p = best[1]
    if k in (0, len(p)):
        return _constant(1 if k == 0 else 0)
    gap = p[k] - p[k - 1]  # relu(n . x - p[k-1]) is 0 up to p[k-1] and >= gap from p[k] on
    return _network((1,), "relu", [(n[None, :], np.array([-p[k - 1]])), (np.array([[2.0 / gap]]), np.array([-1.0]))])


def relu_ceiling_network(X, labels, y=None) -> MLP:
    """A one-hidden-layer ReLU DNN+ whose class-0 region is a convex down-set fitted to ``labels == 0``.

    Two candidates, the better on ``y`` (``labels`` if not given) is returned:
    the facets of ``conv(S0) + R^2_-`` needed to exclude the class-1 points
    (logit ``C * sum_k relu(n_k . x + c_k) - 1``, ``n_k >= 0``), exact whenever
    no relabelled class-1 point lies in that set; and the best half-plane with a
    non-negative normal (one unit), for when the first swallows many class-1 points.

    Args:
        X: points ``(n, 2)``.
        labels: a monotone labelling of them (0/1), e.g. ``monotone_ceiling(X, y).labels``.
        y: the labels the network is scored on (default ``labels``).
    """
    S0, S1 = _split(X, labels)
    if len(S1) == 0 or len(S0) == 0:
        return _constant(0 if len(S1) == 0 else 1)
    X = np.asarray(X, dtype=np.float64)
    target = np.asarray(labels if y is None else y)
    candidates = [_hull_network(S0, S1), _halfplane_network(X, target)]
    Xt = torch.as_tensor(X, dtype=torch.float32)
    scores = [int((m.predict(Xt).numpy() == target).sum()) for m in candidates]
    return candidates[int(np.argmax(scores))]


def _thresholds(values: np.ndarray, coords: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each value, a threshold halfway to the next smaller coordinate, and the half gap."""
    grid = np.unique(coords)
    pos = np.searchsorted(grid, values)
    below = np.where(pos > 0, grid[np.maximum(pos - 1, 0)], values - 1.0)
    half = (values - below) / 2.0
    return values - half, half


def minimal_points(S1: np.ndarray) -> np.ndarray:
    """The minimal elements of a set of 2-D points under the coordinate-wise order."""
    order = np.lexsort((S1[:, 1], S1[:, 0]))
    out, best = [], np.inf
    for p in S1[order]:
        if p[1] < best:
            out.append(p)
            best = p[1]
    return np.array(out).reshape(-1, 2)


def tanh_ceiling_network(X, labels) -> MLP:
    """A two-hidden-layer tanh DNN+ that labels every point of ``X`` as the monotone ``labels`` do.

    Returns:
        An :class:`~signnet.MLP` (``weights="nonneg"``, tanh) with hidden sizes
        ``(2m, m)``, ``m`` the number of minimal class-1 points.
    """
    X = np.asarray(X, dtype=np.float64)
    S0, S1 = _split(X, labels)
    if len(S1) == 0 or len(S0) == 0:
        return _constant(0 if len(S1) == 0 else 1)
    U = minimal_points(S1)
    m = len(U)
    W0, b0 = np.zeros((2 * m, 2)), np.zeros(2 * m)
    for i in (0, 1):
        t, half = _thresholds(U[:, i], X[:, i])
        gain = _STEEP / half
        W0[i::2, i] = gain  # unit 2u+i: tanh(gain (x_i - t)) = +1 iff x_i >= u_i on the data
        b0[i::2] = -gain * t
    W1, b1 = np.zeros((m, 2 * m)), np.full(m, -_STEEP)
    for u in range(m):
        W1[u, 2 * u:2 * u + 2] = _STEEP  # tanh(40 (g1 + g2 - 1)): +1 iff both steps are +1
    W2, b2 = np.ones((1, m)), np.array([m - 1.0])  # sum_u h_u + m - 1: +1 if any h_u = +1, else -1
    return _network((2 * m, m), "tanh", [(W0, b0), (W1, b1), (W2, b2)])
