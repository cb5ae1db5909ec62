"""What every study does before it starts: check the seed and the output folder, limit threads."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from signnet.report.artifacts import prepare_out_folder
from signnet.errors import SignnetError
from signnet.train.fit import torch_threads


def run_study(run: Callable[[Path, int, bool, bool], dict], out, *, seed: int, quick: bool, progress: bool) -> dict:
    """Validate ``seed`` and ``out``, then call ``run(out, seed, quick, progress)`` single-threaded.

    The studies train tiny models, where extra torch threads only add overhead.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SignnetError(f"seed must be a non-negative integer, got {seed!r}.")
    out = prepare_out_folder(out)
    with torch_threads(1):
        return run(out, seed, quick, progress)
