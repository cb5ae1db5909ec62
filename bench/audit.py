"""Benchmark: the audit tools on a device, and the black-box search against plain queries.

1. ``dominance_violations`` and ``find_violation`` on an MLP, ``device="cpu"`` against
   ``device="cuda"`` (skipped without a GPU): median wall time and the ratio cpu / cuda.
2. ``certify`` on the same devices.
3. ``find_violation`` on a ``HistGradientBoostingClassifier`` (a black box): its wall
   time against ``decision_function`` on as many rows as the search queries
   (``n_starts * steps * (2 + constrained features)``), so the ratio is the search's
   own overhead per query.

Run: ``.venv/bin/python bench/audit.py [--repeat 3] [--threads 2]``.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingClassifier

from _timing import median_seconds
from signnet import MLP, certify, dominance_violations, find_violation


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--in-features", type=int, default=32)
    parser.add_argument("--hidden", default="512,512")
    parser.add_argument("--pairs", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    d = args.in_features
    hidden = tuple(int(h) for h in args.hidden.split(","))
    cst = [1, -1, 0] * (d // 3) + [1] * (d % 3)
    net = MLP(d, hidden, monotonic_cst=cst)
    X = np.random.default_rng(0).uniform(-1, 1, (5000, d))
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"MLP({d}, {hidden}) with monotonic_cst, {args.pairs} pairs, {torch.get_num_threads()} CPU threads")
    times: dict = {}
    for dev in devices:
        times[dev] = (
            median_seconds(lambda dev=dev: dominance_violations(net, X, n_pairs=args.pairs, monotonic_cst=cst,
                                                                device=dev), args.repeat),
            median_seconds(lambda dev=dev: find_violation(net, (-1.0, 1.0), n_starts=256, steps=200,
                                                          monotonic_cst=cst, device=dev), args.repeat),
            median_seconds(lambda dev=dev: certify(net, monotonic_cst=cst, device=dev), args.repeat))
        dv, fv, ce = times[dev]
        print(f"  {dev:>4}: dominance_violations {dv:6.3f} s | find_violation {fv:6.3f} s | certify {ce:6.3f} s")
    if "cuda" in times:
        ratios = [c / g for c, g in zip(times["cpu"], times["cuda"], strict=True)]
        print("  cpu / cuda: " + " | ".join(f"{r:.2f}x" for r in ratios))
    rng = np.random.default_rng(0)
    Xt = rng.uniform(-1, 1, (5000, 6))
    y = (Xt[:, 0] + np.sin(4 * Xt[:, 1]) + rng.normal(0, 0.3, 5000) > 0).astype(int)
    trees = HistGradientBoostingClassifier(max_iter=100, random_state=0).fit(Xt, y)
    tree_cst, starts, steps = [1, 1, 0, 0, -1, 1], 64, 200
    n_queries = starts * steps * (2 + sum(c != 0 for c in tree_cst))
    rows = rng.uniform(-1, 1, (n_queries, 6))
    t_search = median_seconds(lambda: find_violation(trees, (-1.0, 1.0), monotonic_cst=tree_cst, n_starts=starts,
                                                     steps=steps), args.repeat)
    t_query = median_seconds(lambda: trees.decision_function(rows), args.repeat)
    print(f"HistGradientBoostingClassifier black box: find_violation {t_search:.3f} s | decision_function on "
          f"{n_queries} rows {t_query:.3f} s | ratio {t_search / t_query:.2f}")


if __name__ == "__main__":
    main()
