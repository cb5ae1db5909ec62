"""Seeds of the zig-zag study, all derived from the run's seed (no two runs or streams share one).

Every random stream of a run with seed ``s`` is ``numpy.random.SeedSequence(s,
spawn_key=(stream, ...))``, the same as a child of ``SeedSequence(s).spawn``:
``--seed 0`` and ``--seed 1`` never draw the same stream, and the streams of one
run are independent. The data split of the digits is ``load_dataset(seed=s)``
and the main trajectory draw ``numpy.random.default_rng(s)``, as before.
"""

from __future__ import annotations

import numpy as np

COHERENCE_STREAM = 0  # (k, 0) initialisation and (k, 1) minibatch order of probe network k
CURVE_STREAM = 1  # (s, 0) initialisation and (s, 1) minibatch order of training-curve seed s
SGD_STREAM = 2  # the example order of per-example SGD in the trajectories
DRAW_STREAM = 3  # (i,) the further data draws of the trajectories


def derived_seed(seed: int, *key: int) -> int:
    """A 63-bit seed for the stream ``key`` of run ``seed``: the state of ``SeedSequence(seed, spawn_key=key)``."""
    state = np.random.SeedSequence(seed, spawn_key=key).generate_state(1, np.uint64)[0]
    return int(state >> np.uint64(1))
