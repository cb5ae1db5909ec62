"""Timing shared by the bench scripts (run as ``python bench/<script>.py``, so this folder is on ``sys.path``)."""

from __future__ import annotations

import statistics
import timeit


def median_seconds(fn, repeat: int) -> float:
    """Median wall time of ``repeat`` calls of ``fn()`` after one warm-up call."""
    fn()
    return statistics.median(timeit.repeat(fn, number=1, repeat=repeat))
