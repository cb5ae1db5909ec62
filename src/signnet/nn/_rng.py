"""Seeded draws from torch's global generator, one thread at a time.

``torch.random.fork_rng`` saves the global generator's state, lets the block seed and draw, and
restores the state on exit; but the generator is shared by every thread, so two blocks running at
once on two threads (two estimators fitted side by side, ``cross_val_score`` on joblib's threading
backend) interleave their seeds and draws, and a fit gave different weights from the same
``random_state``. :func:`forked_rng` runs such blocks one at a time. A draw by another thread that
does not use it can still interleave with the block (torch offers no per-thread global generator).
"""

from __future__ import annotations

import contextlib
import threading

import torch

_LOCK = threading.RLock()


@contextlib.contextmanager
def forked_rng(seed: int | None = None):
    """``torch.random.fork_rng(devices=[])`` under a process-wide lock, seeded with ``seed`` when given."""
    with _LOCK, torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        yield
