"""What every experiment does before it starts, and Figure 1 in the shape of a study.

* :func:`run_study` checks the seed and the output folder and runs a study single-threaded.
* :func:`run_figure1` and :func:`figure1_section` give Figure 1 the same
  ``run(out, *, seed, quick, progress)`` / ``section(out)`` pair as the studies,
  so that the registry (:mod:`signnet.experiments.registry`) lists it like them.

Heavy modules (torch, the experiments) are imported when a function runs, not here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from signnet.validation import check_seed, check_size


def run_study(run: Callable[[Path, int, bool, bool], dict], out, *, seed: int, quick: bool, progress: bool) -> dict:
    """Validate ``seed`` and ``out``, then call ``run(out, seed, quick, progress)`` single-threaded.

    The studies train tiny models, where extra torch threads only add overhead.
    ``seed`` may be a Python or numpy integer in ``0 .. 2**32 - 1``.
    """
    from signnet.report.artifacts import prepare_out_folder
    from signnet.train.fit import torch_threads

    seed = check_seed(seed)
    out = prepare_out_folder(out)
    with torch_threads(1):
        return run(out, seed, bool(quick), bool(progress))


def run_figure1(out, *, seed: int = 0, quick: bool = False, progress: bool = True, seeds: int | None = None,
                config: dict | None = None) -> dict:
    """Reproduce Figure 1 into ``out`` (PNGs, ``results.json``, ``index.html``); return the results.

    Args:
        out: output folder (created if missing).
        seed: base seed of every training run.
        quick: the small settings of :meth:`ReproduceConfig.quick_config` (seconds, for tests).
        progress: a progress bar on stderr.
        seeds: training seeds per network (default 5; 1 with ``quick``).
        config: extra provenance merged into the recorded ``config`` (e.g. the command's ``--out``).
    """
    from signnet.experiments.figure1.report import results_json, write_report
    from signnet.experiments.figure1.run import ReproduceConfig, run_all
    from signnet.report.artifacts import prepare_out_folder, run_metadata

    seed = check_seed(seed)
    cfg = ReproduceConfig.quick_config() if quick else ReproduceConfig()
    if seeds is not None:
        cfg = ReproduceConfig(**{**cfg.__dict__, "seeds": check_size(seeds, "seeds")})
    out = prepare_out_folder(out)
    results, models = run_all(cfg, seed=seed, progress=progress)
    metadata = run_metadata({**(config or {}), **cfg.__dict__}, seed)
    write_report(results, models, out, metadata=metadata)
    return results_json(results, metadata)  # what results.json holds


def figure1_section(out_dir) -> str:
    """The Figure 1 ``<section>`` of the combined report, read back from ``out_dir``."""
    from signnet.experiments.figure1.report import section_html

    return section_html(out_dir)
