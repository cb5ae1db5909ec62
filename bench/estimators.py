"""Benchmark: fit time of the default :class:`signnet.MonotoneClassifier` on COMPAS (issue 9: under 10 s on 2 cores).

Fits the default estimator (with the data set's ``monotonic_cst``) on all of COMPAS and on an
80/20 split, and, in the same process, the same with ``n_jobs=1`` (its groups of networks one after
the other instead of side by side; the same predictions), scikit-learn's ``MLPClassifier(early_stopping=True)`` and
``HistGradientBoostingClassifier(monotonic_cst=...)`` as baselines; prints median wall and CPU
seconds of ``fit``, their ratio to each baseline, and the test accuracy of each on the split.

Run: ``.venv/bin/python bench/estimators.py [--repeat 3] [--data compas]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from signnet import MonotoneClassifier
from signnet.data.tabular import load_tabular


def timed_fit(make, X, y, repeat: int) -> tuple[float, float]:
    """Median (wall, CPU) seconds of ``make().fit(X, y)`` over ``repeat`` runs, after one warm-up."""
    make().fit(X, y)
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        make().fit(X, y)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="compas")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    data = load_tabular(args.data)
    X, y = data.X, data.y
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
    models = {
        "MonotoneClassifier()": lambda: MonotoneClassifier(monotonic_cst=data.monotonic_cst, random_state=0),
        "MonotoneClassifier(n_jobs=1)": lambda: MonotoneClassifier(monotonic_cst=data.monotonic_cst, random_state=0,
                                                                   n_jobs=1),
        "MLPClassifier(early_stopping=True)": lambda: MLPClassifier(early_stopping=True, random_state=0),
        "HistGradientBoostingClassifier": lambda: HistGradientBoostingClassifier(monotonic_cst=data.monotonic_cst,
                                                                                 random_state=0),
    }
    print(f"{args.data}: {X.shape[0]} rows x {X.shape[1]} features, monotonic_cst={data.monotonic_cst}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    ours = None
    for name, make in models.items():
        wall, cpu = timed_fit(make, X, y, args.repeat)
        accuracy = make().fit(X_train, y_train).score(X_test, y_test)
        ours = ours or (wall, cpu)
        print(f"  {name:<36} fit {wall:6.2f} s wall, {cpu:6.2f} s CPU | ours / this: wall {ours[0] / wall:6.2f}, "
              f"CPU {ours[1] / cpu:6.2f} | test accuracy {accuracy:.4f}")
    fitted = models["MonotoneClassifier()"]().fit(X, y)
    print(f"  MonotoneClassifier: {fitted.n_networks} network(s), {fitted.n_iter_} epochs at most, best epochs "
          f"{[f.best_epoch for f in fitted.fits_]}, "
          f"constrained features {np.flatnonzero(fitted.monotonic_cst_).tolist()}")


if __name__ == "__main__":
    main()
