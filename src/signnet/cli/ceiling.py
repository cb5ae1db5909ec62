"""``signnet ceiling``: the best accuracy any monotone (DNN+) classifier can reach on a data set.

By Theorem 1.1 of Wang et al. a DNN+ is monotone, so on labelled data it is
right on at most ``n - m`` points, ``m`` the fewest relabels that make the
labels monotone (:func:`signnet.ceiling.monotone_ceiling`). ``--orient``
also searches which features to negate first (:func:`signnet.orientation.best_orientation`).

Data: a CSV file with a header row (the label column is ``--label``, every
other column a numeric feature), or ``--problem NAME`` for a generated problem.
"""

from __future__ import annotations

import time

import numpy as np

from signnet.cli.common import add_json, add_seed, config_of, emit, parse_int_list
from signnet.data.problems import PROBLEMS, make_problem
from signnet.errors import SignnetError
from signnet.report.artifacts import run_metadata
from signnet.report.render import number
from signnet.theory.ceiling import monotone_ceiling
from signnet.validation import check_choice, check_count, check_float, check_size, read_csv


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
                   help="per feature +1 (non-decreasing), -1 (non-increasing) or 0 (free), e.g. 1,-1,0; "
                        "write --directions=-1,1 when the list starts with a minus")
    p.add_argument("--orient", action="store_true", help="also search the features to negate for the best ceiling")
    p.add_argument("--max-exact", type=int, default=12, help="--orient tries all flips up to this many features")
    add_seed(p)
    add_json(p)
    p.set_defaults(run=run)


def run(args) -> int:
    start = time.perf_counter()
    if (args.data is None) == (args.problem is None):
        raise SignnetError("Give either a CSV file or --problem NAME (not both, not neither), "
                           "e.g. `signnet ceiling data.csv --label y` or `signnet ceiling --problem xor`.")
    if args.directions is not None and args.orient:
        raise SignnetError("--orient searches the directions itself; drop --directions or --orient.")
    args.n = check_size(args.n, "--n")
    args.noise = check_float(args.noise, "--noise", minimum=0.0, maximum=0.5)
    args.max_exact = check_count(args.max_exact, "--max-exact")
    directions = None if args.directions is None else parse_int_list(args.directions, "--directions", allow={-1, 0, 1})
    if args.problem is not None:
        check_choice(args.problem, "problem", PROBLEMS)
        prob = make_problem(args.problem, args.n, noise=args.noise, seed=args.seed)
        X, y, features, source = prob.X, prob.y, ["x1", "x2"], args.problem
    else:
        X, y, features = read_csv(args.data, args.label)
        source = args.data
    classes = np.unique(y)
    if classes.size < 2:
        raise SignnetError(f"The labels of {source!r} hold one class only ({classes[0]:g}); "
                           "a ceiling needs at least two classes.")
    if directions is not None and len(directions) != X.shape[1]:
        raise SignnetError(f"--directions {args.directions!r} must have one entry per feature: it gives "
                           f"{len(directions)} but {source!r} has {X.shape[1]} ({', '.join(features)}).")
    res = monotone_ceiling(X, y, directions)
    config = config_of(args)
    labels = [int(c) if float(c).is_integer() else float(c) for c in classes.tolist()]
    result = {"data": source, "n": res.n, "features": features, "classes": labels,
              "directions": directions if directions is not None else [1] * X.shape[1],
              "ceiling": res.accuracy, "relabeled": res.relabeled, "method": res.method}
    text = f"{source}: monotone ceiling {number(res.accuracy, 4)} ({res.relabeled} of {res.n} labels must change)"
    if args.orient:
        from signnet.theory.orientation import best_orientation

        o = best_orientation(X, y, max_exact=args.max_exact, progress=True)
        result["orientation"] = {"flips": list(o.flips), "flipped_features": [features[k] for k in o.flips],
                                 "directions": list(o.directions), "ceiling": o.ceiling, "exact": o.exact,
                                 "relabeled": o.relabeled}
        names = ", ".join(features[k] for k in o.flips) or "none"
        text += f"; best orientation flips {names}: ceiling {number(o.ceiling, 4)}{'' if o.exact else ' (local search)'}"
    result["seconds"] = round(time.perf_counter() - start, 4)
    result.update(run_metadata(config, args.seed))
    emit(result, args.json, f"{text}; {result['seconds']:.2f} s")
    return 0
