"""``signnet check``: look for broken dominance in a saved network, on its problem's data.

Runs :func:`signnet.theory.dominance.dominance_violations` (sampled comparable pairs)
and :func:`signnet.theory.search.find_violation` (gradient search in the data's
bounding box). A DNN+ must show none (Theorem 1.1 of Wang et al.). With
``--monotonic-cst`` the pairs follow the constraints (free inputs held fixed)
and "certified" means every constrained direction is proved.
"""

from __future__ import annotations

import time

import numpy as np

from signnet.cli.audit_options import add_audit_options, audit_options
from signnet.cli.common import add_json, add_seed, config_of, emit
from signnet.data.datasets import DATASETS, load_dataset
from signnet.data.problems import PROBLEMS, make_problem
from signnet.errors import SignnetError, choice_error
from signnet.report.artifacts import run_metadata
from signnet.theory.certificate import certify
from signnet.theory.dominance import dominance_violations
from signnet.theory.search import find_violation
from signnet.train.checkpoint import load, read_checkpoint
from signnet.validation import check_checkpoint_path, check_choice, check_int, check_size


def register(sub) -> None:
    p = sub.add_parser("check", help="search a saved network for pairs x <= y with F(x) > F(y)",
                       description="Empirical dominance check (Theorem 1.1): sampled comparable pairs plus a "
                                   "gradient search for a violating pair.")
    p.add_argument("model", help="checkpoint written by `signnet train --save`")
    p.add_argument("--problem", default=None,
                   help="problem or data set giving the data (default: the one recorded in the checkpoint)")
    p.add_argument("--n", type=int, default=None,
                   help="points drawn for a generated problem (default: as trained, else 2000)")
    p.add_argument("--pairs", type=int, default=10000, help="comparable pairs to sample (default 10000)")
    p.add_argument("--starts", type=int, default=64, help="random starts of the search (default 64)")
    p.add_argument("--steps", type=int, default=200, help="Adam steps of the search (default 200)")
    add_audit_options(p)
    add_seed(p)
    add_json(p)
    p.set_defaults(run=run)


def problem_data(name: str, n: int, seed: int) -> np.ndarray:
    """The feature matrix of a generated problem or of a bundled data set (train and test rows)."""
    if name in PROBLEMS:
        return make_problem(name, n, seed=seed).X
    if name in DATASETS:
        d = load_dataset(name, seed=seed)
        return np.concatenate([d.X_train, d.X_test])
    raise choice_error("problem", name, [*PROBLEMS, *DATASETS])


def run(args) -> int:
    start = time.perf_counter()
    if args.n is not None:  # two points at least: a pair of one point with itself compares nothing
        args.n = check_int(args.n, "--n", minimum=2)
    args.pairs = check_size(args.pairs, "--pairs")
    args.starts = check_size(args.starts, "--starts")
    args.steps = check_size(args.steps, "--steps")
    if args.problem is not None:
        check_choice(args.problem, "problem", [*PROBLEMS, *DATASETS])
    path = check_checkpoint_path(args.model)
    extra = read_checkpoint(path).get("extra") or {}
    model = load(path)
    cst, device = audit_options(args, model.config["in_features"])
    problem = args.problem or extra.get("problem")
    if problem is None:
        raise SignnetError(f"Checkpoint {args.model!r} records no problem; name one with --problem, "
                           "e.g. --problem xor.")
    n = args.n if args.n is not None else int(extra.get("n", 2000))
    X = problem_data(problem, n, args.seed)
    expected = model.config["in_features"]
    if X.shape[1] != expected:
        raise SignnetError(f"The network in {args.model!r} takes {expected} input(s) but {problem!r} has "
                           f"{X.shape[1]} feature(s); check it on the problem it was trained on.")
    report = dominance_violations(model, X, n_pairs=args.pairs, seed=args.seed, monotonic_cst=cst, device=device)
    low, high = X.min(axis=0), X.max(axis=0)
    violation = find_violation(model, (low, high), n_starts=args.starts, steps=args.steps, seed=args.seed, output=None,
                               monotonic_cst=cst, device=device)
    cert = certify(model, monotonic_cst=cst, device=device)
    config = config_of(args)
    certified = cert.preserves_dominance if cst is None else cert.satisfies_monotonic_cst
    result = {"model": args.model, "problem": problem, "n": int(X.shape[0]), "head": model.head,
              **report.to_dict(), "violation": None if violation is None else violation.to_dict(),
              "certified_dominance": cert.preserves_dominance,
              **({} if cst is None else {"certified_monotonic_cst": certified, "cst_summary": cert.cst_summary()}),
              "seconds": round(time.perf_counter() - start, 3), **run_metadata(config, args.seed)}
    found = ("no violating pair found by the search" if violation is None else
             f"search found x={np.round(violation.x, 4).tolist()} <= y={np.round(violation.y, 4).tolist()} "
             f"with {violation.output}(x) - {violation.output}(y) = {violation.gap:.4g}")
    emit(result, args.json,
         f"{problem}: {report.violations} of {report.n_pairs} comparable pairs violate dominance "
         f"(worst gap {report.worst_gap:.4g}); {found}; certified: {certified}; "
         f"{result['seconds']:.1f} s")
    return 0
