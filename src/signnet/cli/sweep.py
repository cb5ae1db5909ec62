"""``signnet sweep SPEC --out DIR``: run a grid of trainings from a TOML spec, resumable, locally or on Ray.

The spec (:mod:`signnet.sweep.spec`) is validated whole before anything is
written; bad input ends with one line and exit status 2. The table
``DIR/runs.jsonl`` is appended row by row as runs finish (by design, so that an
interrupted sweep resumes where it stopped); ``DIR/summary/`` is rendered whole
at the end. Ctrl-C ends with exit status 130 and SIGTERM with 143, both after
stopping the workers; the finished rows are kept, and a sweep stopped before its
first row leaves ``DIR`` as it found it.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading

from signnet.cli.common import add_json, add_seed, config_of, emit

PACKAGED = ("budget", "budget-full", "budget-quick")


def register(sub) -> None:
    p = sub.add_parser("sweep", help="run a grid of trainings from a TOML spec (resumable; local or Ray)",
                       description="Train, evaluate, certify and dominance-check every run of a TOML spec's grid. "
                                   "Rows are appended to DIR/runs.jsonl as runs finish; running the same command "
                                   "again runs only the missing ones. A summary page goes to DIR/summary/.")
    p.add_argument("spec", help="TOML spec file, or 'budget' / 'budget-full' / 'budget-quick' for the specs shipped "
                                "with signnet")
    p.add_argument("--out", required=True, help="the sweep's folder (new, or an earlier sweep's to resume it)")
    p.add_argument("--engine", default="local", choices=("local", "ray"),
                   help="local (default): processes on this machine; ray: a Ray cluster (pip install signnet[ray])")
    p.add_argument("--address", default=None,
                   help="address of a running Ray cluster for --engine ray, e.g. auto or ray://head:10001 "
                        "(default: start a local Ray with --workers CPUs)")
    p.add_argument("--workers", type=int, default=1, help="worker processes, or CPUs of a local Ray (default 1)")
    p.add_argument("--device", default="cpu", help="torch device of the training: cpu (default), cuda, cuda:1, mps")
    add_seed(p)
    add_json(p)
    p.set_defaults(run=run)


def spec_path(text: str):
    """A packaged spec name (``budget``, ``budget-full``, ``budget-quick``) or a file path."""
    from pathlib import Path

    from signnet.sweep.spec import packaged_spec

    if text in PACKAGED:
        return packaged_spec(text.replace("-", "_"))
    return Path(text)


class Terminated(KeyboardInterrupt):
    """SIGTERM during ``signnet sweep``: raised where the sweep is, so that it stops as on Ctrl-C."""


def _raise_terminated(signum, frame):
    raise Terminated


@contextlib.contextmanager
def sigterm_as_interrupt():
    """For the duration, SIGTERM raises :class:`Terminated` (a ``KeyboardInterrupt``) in the main thread, so a
    sweep stopped by ``kill`` shuts its workers down as on Ctrl-C; the previous handler is put back after.
    Elsewhere than in the main thread, or over a handler Python did not install, nothing is changed."""
    old = signal.getsignal(signal.SIGTERM) if threading.current_thread() is threading.main_thread() else None
    if old is None:
        yield
        return
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _finished_rows(out) -> int:
    """Rows in the table of ``out`` (0 where there is none, or it cannot be read)."""
    from pathlib import Path

    from signnet.errors import SignnetError
    from signnet.sweep.table import read_rows

    try:
        return len(read_rows(Path(out) / "runs.jsonl"))
    except (SignnetError, OSError, ValueError):
        return 0


def run(args) -> int:
    from signnet.report.artifacts import run_metadata
    from signnet.sweep.driver import run_sweep
    from signnet.sweep.spec import load_spec

    try:
        with sigterm_as_interrupt():
            spec = load_spec(spec_path(args.spec), sweep_seed=args.seed)
            outcome = run_sweep(spec, args.out, engine=args.engine, workers=args.workers, device=args.device,
                                address=args.address, progress=True)
    except KeyboardInterrupt as exc:
        what, status = ("terminated", 143) if isinstance(exc, Terminated) else ("interrupted", 130)
        if _finished_rows(args.out):
            print(f"signnet sweep: {what}; every finished run is in {args.out}/runs.jsonl: run the same command "
                  "again to run only the missing ones.", file=sys.stderr)
        else:
            print(f"signnet sweep: {what} before any run finished; nothing was kept.", file=sys.stderr)
        return status
    result = {"runs": outcome.runs, "skipped": outcome.skipped, "computed": outcome.computed,
              "groups": outcome.groups, "seconds": outcome.seconds, "engine": outcome.engine,
              "workers": outcome.workers, "table": str(outcome.table),
              "summary": str(outcome.summary) if outcome.summary else None, "spec": str(args.spec),
              **run_metadata(config_of(args), args.seed)}
    emit(result, args.json,
         f"sweep {spec.name}: {outcome.runs} runs ({outcome.skipped} already in the table, {outcome.computed} run now "
         f"in {outcome.groups} groups) in {outcome.seconds:.1f} s on {outcome.engine} with {outcome.workers} "
         f"worker(s).\ntable: {outcome.table}\nsummary: {outcome.summary}")
    return 0
