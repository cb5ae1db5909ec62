"""``signnet ceiling``: the best accuracy any monotone (DNN+) classifier can reach on a data set.

By Theorem 1.1 of Wang et al. a DNN+ is monotone, so on labelled data it is
right on at most ``n - m`` points, ``m`` the fewest relabels that make the
labels monotone (:func:`signnet.ceiling.monotone_ceiling`). ``--orient``
also searches which features to negate first (:func:`signnet.orientation.best_orientation`).

Data: a CSV file with a header row (the label column is ``--label``, every
other column a numeric feature), or ``--problem NAME`` for a generated problem.
"""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path

import numpy as np

from signnet.report.artifacts import run_metadata
from signnet.theory.ceiling import monotone_ceiling
from signnet.errors import SignnetError
from signnet.data.problems import PROBLEMS, make_problem
from signnet.cli.common import add_json, add_seed, emit, parse_int_list


def register(sub) -> None:
    p = sub.add_parser("ceiling", help="exact accuracy ceiling of a monotone (DNN+) classifier on a data set",
                       description="Fewest labels to change so that the labels are monotone, and the accuracy "
                                   "ceiling this sets for any DNN+ (Theorem 1.1).")
    p.add_argument("data", nargs="?", default=None, help="CSV file with a header row")
    p.add_argument("--label", default="y", help="name of the label column (default y)")
    p.add_argument("--problem", default=None, help=f"use a generated problem instead of a CSV: {', '.join(PROBLEMS)}")
    p.add_argument("--n", type=int, default=2000, help="points drawn for --problem (default 2000)")
    p.add_argument("--noise", type=float, default=0.0, help="label noise for --problem (default 0)")
    p.add_argument("--directions", default=None,
                   help="per feature +1 (non-decreasing), -1 (non-increasing) or 0 (free), e.g. 1,-1,0")
    p.add_argument("--orient", action="store_true", help="also search the features to negate for the best ceiling")
    p.add_argument("--max-exact", type=int, default=12, help="--orient tries all flips up to this many features")
    add_seed(p)
    add_json(p)
    p.set_defaults(run=run)


def read_csv(path: str, label: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Features ``X`` (n, d) float, labels ``y`` (n,) and feature names from a CSV with a header.

    Raises:
        SignnetError: missing or empty file, no such label column, ragged rows,
            missing, non-numeric, NaN or infinite values, or no feature column.
    """
    p = Path(path)
    if not p.exists():
        raise SignnetError(f"Data file {path!r} does not exist; give the path of a CSV file with a header row.")
    if not p.is_file():
        raise SignnetError(f"Data path {path!r} is not a file; give the path of a CSV file with a header row.")
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            rows = [r for r in csv.reader(fh) if any(c.strip() for c in r)]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise SignnetError(f"Data file {path!r} is not a readable CSV text file ({type(exc).__name__}); "
                           "save it as UTF-8 CSV.") from None
    if not rows:
        raise SignnetError(f"Data file {path!r} is empty; it needs a header row and at least one data row.")
    header = [h.strip() for h in rows[0]]
    if label not in header:
        raise SignnetError(f"Data file {path!r} has no label column {label!r}; its columns are "
                           f"{', '.join(header)}. Name the label column with --label.")
    if len(header) < 2:
        raise SignnetError(f"Data file {path!r} has only the label column {label!r}; it needs at least one feature column.")
    if len(rows) < 2:
        raise SignnetError(f"Data file {path!r} has a header but no data rows; add at least one row.")
    values = np.empty((len(rows) - 1, len(header)))
    for r, row in enumerate(rows[1:]):
        line = r + 2
        if len(row) != len(header):
            raise SignnetError(f"Line {line} of {path!r} has {len(row)} fields but the header has {len(header)}; "
                               "give every row one value per column.")
        for c, cell in enumerate(row):
            text = cell.strip()
            if text == "":
                raise SignnetError(f"Line {line} of {path!r} has no value in column {header[c]!r}; fill or drop the row.")
            try:
                v = float(text)
            except ValueError:
                what = "label" if header[c] == label else "feature"
                raise SignnetError(f"Column {header[c]!r} on line {line} of {path!r} holds {text!r}, which is not a "
                                   f"number; every {what} must be numeric (encode classes as 0/1).") from None
            if not math.isfinite(v):
                raise SignnetError(f"Column {header[c]!r} on line {line} of {path!r} is {text!r}; values must be "
                                   "finite: drop or impute NaN and infinite values.")
            values[r, c] = v
    j = header.index(label)
    features = [h for k, h in enumerate(header) if k != j]
    return np.delete(values, j, axis=1), values[:, j], features


def run(args) -> int:
    start = time.perf_counter()
    if (args.data is None) == (args.problem is None):
        raise SignnetError("Give either a CSV file or --problem NAME (not both, not neither), "
                           "e.g. `signnet ceiling data.csv --label y` or `signnet ceiling --problem xor`.")
    if args.problem is not None:
        if args.problem not in PROBLEMS:
            raise SignnetError(f"Unknown problem {args.problem!r}; choose one of: {', '.join(PROBLEMS)}.")
        prob = make_problem(args.problem, args.n, noise=args.noise, seed=args.seed)
        X, y, features, source = prob.X, prob.y, ["x1", "x2"], args.problem
    else:
        X, y, features = read_csv(args.data, args.label)
        source = args.data
    classes = np.unique(y)
    if classes.size < 2:
        raise SignnetError(f"The labels hold one class only ({classes[0]:g}); a ceiling needs at least two classes.")
    if args.directions is not None and args.orient:
        raise SignnetError("--orient searches the directions itself; drop --directions or --orient.")
    directions = None if args.directions is None else parse_int_list(args.directions, "--directions", allow={-1, 0, 1})
    res = monotone_ceiling(X, y, directions)
    config = {k: v for k, v in vars(args).items() if k not in ("run", "json")}
    labels = [int(c) if float(c).is_integer() else float(c) for c in classes.tolist()]
    result = {"data": source, "n": res.n, "features": features, "classes": labels,
              "directions": directions if directions is not None else [1] * X.shape[1],
              "ceiling": res.accuracy, "relabeled": res.relabeled, "method": res.method}
    text = f"{source}: monotone ceiling {res.accuracy:.4f} ({res.relabeled} of {res.n} labels must change)"
    if args.orient:
        from signnet.theory.orientation import best_orientation

        o = best_orientation(X, y, max_exact=args.max_exact)
        result["orientation"] = {"flips": list(o.flips), "flipped_features": [features[k] for k in o.flips],
                                 "directions": list(o.directions), "ceiling": o.ceiling, "exact": o.exact,
                                 "relabeled": o.relabeled}
        names = ", ".join(features[k] for k in o.flips) or "none"
        text += f"; best orientation flips {names}: ceiling {o.ceiling:.4f}{'' if o.exact else ' (local search)'}"
    result["seconds"] = round(time.perf_counter() - start, 4)
    result.update(run_metadata(config, args.seed))
    emit(result, args.json, f"{text}; {result['seconds']:.2f} s")
    return 0
