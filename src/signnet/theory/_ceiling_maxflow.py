"""Maximum flow and the minimal minimum cut for the flow solver of :mod:`signnet.theory.ceiling`.

:func:`source_side` takes the arcs of the rendezvous network built by
:func:`signnet.theory._ceiling_flow.flow_labels` and returns the source side of
its minimal minimum cut: the nodes reachable from the source in the residual
network of a maximum flow. That set is the same for every maximum flow (it is
the intersection of all minimum cuts' source sides), so the backend changes the
time, never the labels.

Backends, tried in this order:

* OR-Tools' ``SimpleMaxFlow`` (optional: ``pip install ortools``), a
  push-relabel solver (Goldberg and Tarjan 1988) in C++; its
  ``GetSourceSideMinCut`` returns exactly the reachable set above.
* scipy's ``maximum_flow(method="dinic")`` (Dinic 1970), followed by a
  breadth-first search of the residual network -- what runs without OR-Tools.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

__all__ = ["ortools_max_flow", "source_side"]


@functools.cache
def ortools_max_flow():
    """``ortools.graph.python.max_flow`` (OR-Tools' C++ push-relabel), or ``None`` where OR-Tools is not installed."""
    try:
        from ortools.graph.python import max_flow
    except ImportError:
        return None
    return max_flow


def source_side(tails: np.ndarray, heads: np.ndarray, caps: np.ndarray, n_nodes: int) -> np.ndarray:
    """Source side of the minimal minimum cut from node 0 (source) to node 1 (sink).

    Args:
        tails, heads: int arrays of shape (m,), the arcs ``tails[e] -> heads[e]``,
            node ids in ``[0, n_nodes)``, ``n_nodes < 2**31``.
        caps: shape (m,), non-negative integer capacities.
        n_nodes: number of nodes.

    Returns:
        bool array of shape (n_nodes,): True for the nodes reachable from the
        source in the residual network of a maximum flow.
    """
    lib = ortools_max_flow()
    if lib is not None:
        solver = lib.SimpleMaxFlow()
        solver.add_arcs_with_capacity(tails.astype(np.int32), heads.astype(np.int32), caps.astype(np.int64))
        status = solver.solve(0, 1)
        if status != solver.OPTIMAL:  # cannot happen for finite capacities summing below 2**63
            raise RuntimeError(f"OR-Tools' SimpleMaxFlow ended with status {status} on the ceiling's flow network.")
        reached = np.zeros(n_nodes, bool)
        reached[np.asarray(solver.get_source_side_min_cut(), np.int64)] = True
        reached[0] = True  # OR-Tools lists no node when there is no arc
        return reached
    graph = sparse.csr_array((caps.astype(np.int32), (tails, heads)), shape=(n_nodes, n_nodes))
    flow = csgraph.maximum_flow(graph, 0, 1, method="dinic").flow
    residual = (graph - flow).tocsr()
    residual.data[residual.data < 0] = 0
    residual.eliminate_zeros()
    reached = np.zeros(n_nodes, bool)
    reached[csgraph.breadth_first_order(residual, 0, directed=True, return_predecessors=False)] = True
    return reached
