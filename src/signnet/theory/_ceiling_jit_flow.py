"""numba-compiled maximum flow of the ceiling's flow network (optional, like :mod:`signnet.theory._ceiling_jit`).

The network of :func:`signnet.theory._ceiling_flow.flow_labels`: a source with an
arc of capacity 1 to each left copy ``i`` (node ``i``), an arc of capacity 1
from each right copy ``j`` (node ``n + j``) to a sink, and arcs of unbounded
capacity between the ``n_nodes`` inner nodes (the rendezvous DAG). A maximum
flow is a maximum matching of the violation graph.

:func:`source_side` runs augmenting paths (Ford and Fulkerson 1956), one
breadth-first search from each left copy in turn, with one rule that makes a
single pass exact: a search that reaches no free right copy marks every node it
saw *dead* -- those nodes reach no free right copy, and augmenting along a path
they cannot reach changes no residual arc leaving them, so they never will --
and later searches skip dead nodes. After the pass every left copy is matched or
dead, so no augmenting path is left and the flow is maximum; the nodes
reachable from the source in the residual network are then exactly the dead
ones (every free left copy is dead, and a dead node's residual arcs lead only
to dead nodes). Each node dies once, so failed searches cost O(arcs) in all;
a successful search costs the part of the network it saw before its first
free right copy (breadth-first: the nearest one). A backward step looks only at
the arcs that carry flow into the node (kept in a list per node).

Successful searches have no useful bound (on uniformly random labels they grow
to a large part of the network), so the kernel takes a budget of arc scans and
reports when it ran out; the caller then solves the network with scipy's
Dinic instead.
"""

from __future__ import annotations

import numpy as np

from signnet.theory._ceiling_jit import _njit

__all__ = ["source_side"]


@_njit()
def _csr(keys, n_nodes):
    """Arc ids (int64) grouped by ``keys[arc]`` and the group offsets (n_nodes + 1,): a counting sort."""
    ptr = np.zeros(n_nodes + 1, np.int64)
    for k in keys:
        ptr[k + 1] += 1
    for v in range(n_nodes):
        ptr[v + 1] += ptr[v]
    pos = ptr[:-1].copy()
    ids = np.empty(keys.size, np.int64)
    for e in range(keys.size):
        ids[pos[keys[e]]] = e
        pos[keys[e]] += 1
    return ptr, ids


@_njit(inline="always")
def _add_flow(e, delta, flow, heads, first, nxt, prv):
    """Add ``delta`` (+-1) to arc ``e``; keep each node's list of entering arcs that carry flow."""
    flow[e] += delta
    h = heads[e]
    if delta > 0 and flow[e] == 1:  # joins the list of h
        nxt[e] = first[h]
        prv[e] = -1
        if first[h] >= 0:
            prv[first[h]] = e
        first[h] = e
    elif delta < 0 and flow[e] == 0:  # leaves it
        if prv[e] >= 0:
            nxt[prv[e]] = nxt[e]
        else:
            first[h] = nxt[e]
        if nxt[e] >= 0:
            prv[nxt[e]] = prv[e]


@_njit()
def source_side(tails, heads, n, n_nodes, order, budget):
    """Nodes on the source side of the minimal minimum cut of the ceiling's flow network.

    Args:
        tails, heads: int64 (m,), the inner arcs ``tails[e] -> heads[e]`` (unbounded capacity).
        n: number of points; nodes ``0..n-1`` are the left copies, ``n..2n-1`` the right copies.
        n_nodes: number of nodes (>= 2n).
        order: int64 permutation of ``0..n-1``, the order in which left copies are searched
            from (it changes the time, never the result).
        budget: how many arcs the searches may scan in all before the kernel gives up.

    Returns:
        ``(reached, done)``: ``reached`` bool (n_nodes,), True for the nodes reachable from
        the source in the residual network of a maximum flow (the source and the sink
        themselves are not nodes here); ``done`` False where the budget ran out first
        (``reached`` is then meaningless).
    """
    out_ptr, out_id = _csr(tails, n_nodes)
    in_ptr, in_id = _csr(heads, n_nodes)
    flow = np.zeros(tails.size, np.int32)
    first = np.full(n_nodes, -1, np.int64)  # first arc entering the node that carries flow
    nxt = np.full(tails.size, -1, np.int64)  # next / previous such arc of the same head
    prv = np.full(tails.size, -1, np.int64)
    used = np.zeros(n, np.bool_)  # right copy j carries a unit to the sink
    state = np.zeros(n_nodes, np.int8)  # 0 unseen, 1 seen by the current search, 2 dead
    parent = np.empty(n_nodes, np.int64)  # arc that reached the node; forward if >= 0, backward as ~arc
    queue = np.empty(n_nodes, np.int64)
    work = 0
    for src in order:
        if work > budget:
            return state == 2, False
        if state[src] == 2:
            continue
        queue[0] = src
        head_, tail_ = 0, 1
        state[src] = 1
        found = -1
        while head_ < tail_ and found < 0:
            u = queue[head_]
            head_ += 1
            for p in range(out_ptr[u], out_ptr[u + 1]):  # forward arcs: unbounded capacity
                work += 1
                e = out_id[p]
                w = heads[e]
                if state[w] == 0:
                    state[w] = 1
                    parent[w] = e
                    queue[tail_] = w
                    tail_ += 1
                    if n <= w < 2 * n and not used[w - n]:
                        found = w
                        break
            if found >= 0:
                break
            e = first[u]
            while e >= 0:  # backward along arcs that carry flow
                work += 1
                w = tails[e]
                if state[w] == 0:
                    state[w] = 1
                    parent[w] = ~e
                    queue[tail_] = w
                    tail_ += 1
                e = nxt[e]
        if found < 0:  # nothing free is reachable from what this search saw: all of it is dead
            for t in range(tail_):
                state[queue[t]] = 2
            continue
        used[found - n] = True
        w = found
        while w != src:
            e = parent[w]
            if e >= 0:
                _add_flow(e, 1, flow, heads, first, nxt, prv)
                w = tails[e]
            else:
                _add_flow(~e, -1, flow, heads, first, nxt, prv)
                w = heads[~e]
        for t in range(tail_):
            state[queue[t]] = 0
    return state == 2, True
