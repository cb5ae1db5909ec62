"""One sweep spec on a local Ray and on the local engine: wall time of each, and whether the tables are equal.

Run: .venv/bin/python bench/sweep_engines.py [--workers 2] [--spec bench/specs/engines.toml] [--out DIR]

The spec (216 runs by default) runs twice into fresh folders: with ``--engine ray``
on a local Ray started with ``--workers`` CPUs (its start-up counted in the time),
then with the local engine and as many worker processes. The bench prints both
wall times, their ratio, and whether the two tables are equal once sorted by run
id with the volatile columns (timings, host) left out. Times are printed, never judged.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from signnet.sweep import comparable, load_spec, read_table, run_sweep

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default=str(HERE / "specs" / "engines.toml"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=None, help="keep the two sweep folders here (default: a temporary folder)")
    args = parser.parse_args()
    root = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="signnet-sweep-bench-"))
    spec = load_spec(args.spec)
    print(f"{platform.platform()}, {os.cpu_count()} CPUs; spec {args.spec}: {len(spec.runs)} runs in "
          f"{len(spec.groups())} groups; --workers {args.workers}")
    times = {}
    for engine in ("ray", "local"):
        start = time.perf_counter()
        outcome = run_sweep(spec, root / engine, engine=engine, workers=args.workers, progress=False)
        times[engine] = time.perf_counter() - start
        print(f"  {engine:5s}: {outcome.computed} runs in {times[engine]:.1f} s -> {outcome.table}")
    a, b = (comparable(read_table(root / e / "runs.jsonl")) for e in ("ray", "local"))
    equal = a.equals(b)
    print(f"  ray / local wall time: {times['ray'] / times['local']:.2f}; tables equal (timings aside): {equal} "
          f"({len(a)} and {len(b)} rows, {a.shape[1]} columns compared)")


if __name__ == "__main__":
    main()
