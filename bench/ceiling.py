"""Timing of signnet.monotone_ceiling and of the CSV reader of `signnet ceiling`, new beside old.

Run: .venv/bin/python bench/ceiling.py [--quick] [--old-max N] [--prev-max N] [--parts compile,sweep,flow,csv]

Data: uniform points in [0, 1]^d, labelled by a noisy rule that is not monotone
(negative weights on half the features, a sine term, Gaussian noise), so the
ceiling sits well below 1; ``K = 3`` cases cut the same score at its
terciles; ``random`` rows draw the labels uniformly at random instead. Each row times ``method="auto"`` ("new": with the numba-compiled
kernels of ``signnet.theory._ceiling_jit``, ``_ceiling_jit_graph`` and ``_ceiling_jit_flow``) and the
same call with those kernels switched off ("old": the interpreted code, which is
what runs without numba, and what ran before them) in the same process, checks
that both change the same number of labels, and checks the first min(n, 5000)
points against the dense O(n^2) reference. Old runs only up to ``--old-max``
points ("skipped" says where it did not run). Rows solved by the flow solver
also time "prev", the flow solver as it was before the compiled maximum flow of
``signnet.theory._ceiling_jit_flow``: compiled DAG, scipy's Dinic, points in
their input order (no Morton renumbering), and check that it gives the same
labels (up to ``--prev-max`` points). The compile rows time, in fresh processes, the first call
of each compiled kernel with an empty numba cache folder (compilation) and again
with that folder filled (loading). The CSV rows write a file of n rows and 3
columns into a temporary folder and time ``signnet.validation.read_csv`` (pandas'
C reader) against the block reader it falls back to, and ``read_csv`` on the same
file with one bad cell in its last row (the block reader finds and names it). Times
are printed, never judged.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import numpy as np

import signnet.theory._ceiling_flow as ceiling_flow
import signnet.theory._ceiling_sweep as ceiling_sweep
from signnet.csvfile import _read_csv_blocks, read_csv
from signnet.errors import SignnetError
from signnet.theory.ceiling import monotone_ceiling

DENSE_MAX = 5000


def make_data(n: int, d: int, seed: int = 0, classes: int = 2, labels: str = "rule") -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    if labels == "random":  # no rule at all: the hardest flow networks we know of
        return X, rng.integers(0, classes, n)
    h = max(1, (d + 1) // 2)
    s = X[:, :h].sum(axis=1) - 0.5 * X[:, h:].sum(axis=1) + 0.25 * np.sin(6 * np.pi * X[:, 0])
    s = s + 0.2 * rng.standard_normal(n)
    return X, np.digitize(s, np.quantile(s, np.arange(1, classes) / classes)).astype(np.int64)


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def previous_flow(X, y):
    """The flow solver before the compiled maximum flow: scipy's Dinic on the points in input order."""
    with mock.patch.object(ceiling_flow, "jit_flow", lambda: None), \
            mock.patch.object(ceiling_flow, "locality_order", lambda P: np.arange(P.shape[0])):
        return monotone_ceiling(X, y)


def bench_solver(cases, old_max: int, prev_max: int) -> None:
    head = (f"{'d':>2} {'K':>2} {'labels':>6} {'n':>9} {'method':>6} {'relabeled':>9} {'ceiling':>7} {'new s':>7} {'prev s':>7} "
            f"{'prev/new':>8} {'old s':>7} {'old/new':>7} | {'dense n':>7} {'agree':>5}")
    print(head)
    print("-" * len(head))
    for d, k in {case[:2] for case in cases}:  # compile or load the kernels before timing
        monotone_ceiling(*make_data(200, d, classes=k))
    for d, k, n, labels in cases:
        X, y = make_data(n, d, classes=k, labels=labels)
        new, t_new = timed(monotone_ceiling, X, y)
        prev_text, prev_ratio = "-", "-"
        if new.method == "flow":
            if n > prev_max:
                prev_text = "skipped"
            else:
                prev, t_prev = timed(previous_flow, X, y)
                assert np.array_equal(prev.labels, new.labels), "the previous flow solver's labels differ"
                prev_text, prev_ratio = f"{t_prev:.2f}", f"{t_prev / t_new:.2f}"
        if n > old_max:
            old_text, ratio = "skipped", "-"
        else:
            with mock.patch.object(ceiling_sweep, "jit_kernels", lambda: None), \
                    mock.patch.object(ceiling_flow, "jit_plane", lambda: None), \
                    mock.patch.object(ceiling_flow, "jit_graph", lambda: None), \
                    mock.patch.object(ceiling_flow, "jit_flow", lambda: None):
                old, t_old = timed(monotone_ceiling, X, y)
            assert old.relabeled == new.relabeled, (old.relabeled, new.relabeled)
            old_text, ratio = f"{t_old:.2f}", f"{t_old / t_new:.2f}"
        m = min(n, DENSE_MAX)
        agree = monotone_ceiling(X[:m], y[:m]).relabeled == monotone_ceiling(X[:m], y[:m], method="dense").relabeled
        print(f"{d:>2} {k:>2} {labels:>6} {n:>9} {new.method:>6} {new.relabeled:>9} {new.accuracy:>7.4f} {t_new:>7.2f} "
              f"{prev_text:>7} {prev_ratio:>8} {old_text:>7} {ratio:>7} | {m:>7} {str(agree):>5}", flush=True)


_FIRST_CALL = """
import time
import numpy as np
start = time.perf_counter()
from signnet.theory.ceiling import monotone_ceiling
imported = time.perf_counter() - start
X = np.random.default_rng(0).random((200, 2))
start = time.perf_counter()
monotone_ceiling(X, (X.sum(axis=1) > 1).astype(int))
sweep = time.perf_counter() - start
start = time.perf_counter()
monotone_ceiling(X, np.digitize(X.sum(axis=1), [0.7, 1.3]))
print(imported, sweep, time.perf_counter() - start)
"""


def bench_compile() -> None:
    """First calls in fresh processes: with an empty numba cache folder, then with it filled."""
    import numba

    print(f"numba {numba.__version__}: first calls on 200 points in a fresh process, seconds "
          "(the first sweep call includes importing numba)")
    head = f"{'numba cache':>12} {'import signnet':>14} {'2-D sweep':>9} {'3 classes, 2-D':>14}"
    print(head)
    print("-" * len(head))
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NUMBA_CACHE_DIR": tmp}
        for label in ("empty", "filled"):
            out = subprocess.run([sys.executable, "-c", _FIRST_CALL], env=env, capture_output=True, text=True, check=True)
            imported, sweep, flow = map(float, out.stdout.split())
            print(f"{label:>12} {imported:>14.2f} {sweep:>9.2f} {flow:>14.2f}", flush=True)


def bench_csv(sizes, old_max: int) -> None:
    head = f"{'CSV rows':>9} {'MB':>6} {'write s':>7} {'new s':>7} {'blocks s':>8} {'blk/new':>7} {'bad s':>7}"
    print(head)
    print("-" * len(head))
    import pandas as pd

    for n in sizes:
        X, y = make_data(n, 2)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "data.csv")
            frame = pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1], "y": y})
            _, t_write = timed(frame.to_csv, path, index=False, float_format="%.6f")
            mb = os.path.getsize(path) / 1e6
            (Xn, yn, _), t_new = timed(read_csv, path, "y")
            if n > old_max:
                old_text, ratio = "skipped", "-"
            else:
                (Xo, yo, _), t_old = timed(_read_csv_blocks, Path(path), path, "y")
                assert np.array_equal(Xn, Xo) and np.array_equal(yn, yo)
                old_text, ratio = f"{t_old:.2f}", f"{t_old / t_new:.2f}"
            with open(path, "a") as fh:
                fh.write("1,oops,0\n")
            start = time.perf_counter()
            try:
                read_csv(path, "y")
            except SignnetError as exc:
                assert "oops" in str(exc), exc
            t_bad = time.perf_counter() - start
        print(f"{n:>9} {mb:>6.0f} {t_write:>7.2f} {t_new:>7.2f} {old_text:>8} {ratio:>7} {t_bad:>7.2f}", flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (about a minute)")
    parser.add_argument("--old-max", type=int, default=None,
                        help="largest n the old solver and the old CSV reader run on (default 10^6; 10^5 with --quick)")
    parser.add_argument("--prev-max", type=int, default=10**6,
                        help="largest n the previous flow solver (scipy's Dinic, input order) runs on (default 10^6)")
    parser.add_argument("--parts", default="compile,sweep,flow,csv",
                        help="comma-separated parts to run: compile (numba first calls), sweep (2-D binary), "
                             "flow (3 classes, d >= 3), csv")
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))
    old_max = args.old_max if args.old_max is not None else (10**5 if args.quick else 10**6)
    if args.quick:
        cases = [(2, 2, 10**5), (2, 2, 10**6), (2, 3, 10**4), (3, 2, 10**5), (3, 2, 10**4, "random")]
        csv_sizes = [10**5]
    else:
        cases = [(2, 2, 10**6), (2, 2, 4 * 10**6), (2, 2, 10**7), (2, 3, 10**5), (10, 2, 10**5), (3, 2, 10**6),
                 (3, 2, 10**5, "random")]
        csv_sizes = [10**6, 10**7]
    cases = [c if len(c) == 4 else (*c, "rule") for c in cases]
    print(f"signnet monotone_ceiling bench ({platform.machine()}, {os.cpu_count()} cpus, numpy {np.__version__}, "
          f"load average {os.getloadavg()[0]:.1f})")
    if "compile" in parts:
        bench_compile()
    bench_solver([c for c in cases if ("sweep" if c[:2] == (2, 2) else "flow") in parts], old_max, args.prev_max)
    if "csv" in parts:
        bench_csv(csv_sizes, old_max)


if __name__ == "__main__":
    main()
