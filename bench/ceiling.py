"""Timing of signnet.monotone_ceiling, and a cross-check against the O(n^2) solver.

Run: .venv/bin/python bench/ceiling.py [--quick]

Data: uniform points in [0, 1]^d, labelled by a noisy rule that is not monotone
(negative weights on half the features, a sine term, Gaussian noise), so the
ceiling sits well below 1. For each size the fast solver ("auto": the 2-D sweep
for d = 2, rendezvous-graph max flow otherwise) is timed on all n points; then
the first min(n, 5000) points are solved by both the fast solver and the dense
O(n^2) reference (method="dense"), and the bench prints whether their relabel
counts agree and the time ratio fast / dense. Times are printed, never judged.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from signnet.theory.ceiling import monotone_ceiling

DENSE_MAX = 5000


def make_data(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    h = max(1, (d + 1) // 2)
    s = X[:, :h].sum(axis=1) - 0.5 * X[:, h:].sum(axis=1) + 0.25 * np.sin(6 * np.pi * X[:, 0])
    s = s + 0.2 * rng.standard_normal(n)
    return X, (s > np.median(s)).astype(np.int64)


def timed(X, y, method):
    start = time.perf_counter()
    res = monotone_ceiling(X, y, method=method)
    return res, time.perf_counter() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (about half a minute)")
    args = parser.parse_args(argv)
    if args.quick:
        cases = [(2, 10_000), (2, 100_000), (10, 5_000)]
    else:
        cases = [(2, 10_000), (2, 100_000), (2, 1_000_000), (10, 5_000), (10, 50_000)]
    print(f"signnet monotone_ceiling bench ({platform.machine()}, numpy {np.__version__})")
    head = (
        f"{'d':>3} {'n':>9} {'method':>6} {'relabeled':>9} {'ceiling':>8} {'fast s':>8} | "
        f"{'check n':>7} {'fast s':>7} {'dense s':>8} {'agree':>5} {'fast/dense':>10}"
    )
    print(head)
    print("-" * len(head))
    for d, n in cases:
        X, y = make_data(n, d)
        res, seconds = timed(X, y, "auto")
        m = min(n, DENSE_MAX)
        sub_fast, t_fast = timed(X[:m], y[:m], "auto")
        sub_dense, t_dense = timed(X[:m], y[:m], "dense")
        agree = sub_fast.relabeled == sub_dense.relabeled
        print(
            f"{d:>3} {n:>9} {res.method:>6} {res.relabeled:>9} {res.accuracy:>8.4f} {seconds:>8.2f} | "
            f"{m:>7} {t_fast:>7.3f} {t_dense:>8.3f} {str(agree):>5} {t_fast / t_dense:>10.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
