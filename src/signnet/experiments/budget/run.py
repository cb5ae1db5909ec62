"""How many negative weights does each problem need? A sweep over negative-weight budgets.

For each of the paper's problems (uniform points: XOR, a boundary of positive
slope, a closed shape, a disconnected class) and each panel of Figure 1 (A, B, C,
clustered points), networks are trained under a budget of at most ``k`` negative
weights, ``k = 0, 1, 2, 4, ...`` and no budget, the training choosing which weights
(:mod:`signnet.sweep.budget`), over widths and seeds. This runs as a sweep
(:func:`signnet.sweep.run_sweep` with a spec shipped in the package:
``specs/budget.toml``, ``budget_full.toml`` with ``--grid full``,
``budget_quick.toml`` with ``--quick``), or reads a finished sweep folder
(``--sweep DIR``, e.g. the full grid run on Ray).

What is measured, and what kind of number it is: the exact monotone ceiling at
k = 0 (theorem), the smallest budget at which training reached 97% test accuracy
(training: an upper bound on what the architectures tried need), the paper's
hand-built networks with 1, 4 and 1 flips and a two-flip network for panel B
(constructions). :func:`compute_budget` returns the typed results;
:func:`run_budget` (``signnet budget`` and ``reproduce --all``) also writes the report.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np

from signnet.errors import SignnetError
from signnet.experiments.budget.construct import TWO_FLIP_WHY, paper_network, two_flip_diamond
from signnet.experiments.budget.report import section_html, write_report  # noqa: F401 (entry points)
from signnet.experiments.budget.results import CLAIM, TARGET, Arch, Budget, BudgetResults, Construction, Problem
from signnet.experiments.budget.verdicts import problem_verdicts
from signnet.experiments.runner import run_study

GRIDS = {"quick": "budget_quick", "default": "budget", "full": "budget_full"}
TITLES = {
    "xor": ("XOR, uniform points (Definition 1.4)", 1),
    "positive_slope": ("boundary of positive slope, uniform points (Corollary 1.1.1)", 1),
    "closed_shape": ("closed shape, uniform points (Corollary 1.1.2)", 4),
    "disconnected": ("disconnected class, uniform points (Corollary 1.1.3)", None),
    "figure1:A": ("Figure 1 A: positive slope, clusters", 1),
    "figure1:B": ("Figure 1 B: closed shape, clusters", 4),
    "figure1:C": ("Figure 1 C: XOR, clusters", 1),
}


def _constructions(data: str, X, y) -> list[Construction]:
    from signnet.sweep.budget import negative_weights
    from signnet.train.fit import accuracy

    if not data.startswith("figure1:"):
        return []
    panel = data.split(":", 1)[1]
    model, why = paper_network(panel)
    out = [Construction("paper's Figure 1 network", negative_weights(model), accuracy(model, X, y), why)]
    if panel == "B":
        model = two_flip_diamond()
        out.append(Construction("signnet's two-flip network", negative_weights(model), accuracy(model, X, y),
                                TWO_FLIP_WHY))
    return out


def _problem(data: str, rows: list[dict], spec) -> Problem:
    from signnet.sweep.data import load_run_data

    title, paper = TITLES.get(data, (data, None))
    ks = sorted({r["budget"] for r in rows if r["budget"] is not None})
    budgets = []
    for k in [*ks, None]:
        rs = [r for r in rows if (r["budget"] == k if k is not None else r["weights"] == "free")]
        if not rs:
            continue
        archs = []
        for hidden in sorted({r["hidden"] for r in rs}, key=lambda h: [int(v) for v in h.split(",")]):
            hs = sorted((r for r in rs if r["hidden"] == hidden), key=lambda r: r["seed"])
            acc = [r["test_accuracy"] for r in hs]
            archs.append(Arch(hidden, acc, max(acc), float(np.mean(acc)), [r["negative_weights"] for r in hs],
                              [bool(r["certified_monotone"]) for r in hs]))
        best = max(archs, key=lambda a: a.best)
        budgets.append(Budget(k, f"k = {k}" if k is not None else "all (free)", best.best, best.hidden, archs))
    reached = [b for b in budgets if b.k is not None and b.best >= TARGET]
    free = next((b for b in budgets if b.k is None), None)
    witness = None
    if reached:  # the best network at the smallest budget reached (ties: fewer hidden units, then the lower seed)
        witness = max((r for r in rows if r["budget"] == reached[0].k),
                      key=lambda r: (r["test_accuracy"], -sum(int(h) for h in r["hidden"].split(",")), -r["seed"]))
    r0 = rows[0]
    data_ = load_run_data(data, n_train=spec.settings["n_train"], n_test=spec.settings["n_test"],
                          noise=spec.settings["noise"], sweep_seed=r0["sweep_seed"])  # the runs' own test set
    return Problem(data=data, title=title, paper_flips=paper, ceiling=float(r0["ceiling"]), n_test=int(r0["n_test"]),
                   budgets=budgets, smallest_k=reached[0].k if reached else None,
                   smallest_k_hidden=witness["hidden"] if witness else None,
                   smallest_k_seed=witness["seed"] if witness else None,
                   smallest_k_successes=(f"{sum(a >= TARGET for x in reached[0].archs for a in x.accuracies)} of "
                                         f"{sum(len(x.accuracies) for x in reached[0].archs)}") if reached else None,
                   smallest_k_accuracy=witness["test_accuracy"] if witness else None,
                   smallest_k_negative_by_layer=witness.get("negative_by_layer") if witness else None,
                   smallest_k_certificate=witness["certificate"] if witness else None,
                   free_best=free.best if free else None,
                   constructions=_constructions(data, data_.X_test, data_.y_test))


def _rows_of(sweep_dir: Path):
    """The spec and rows of a finished sweep folder (``--sweep DIR``)."""
    from signnet.sweep.spec import load_spec
    from signnet.sweep.table import read_rows

    rows = read_rows(sweep_dir / "runs.jsonl")
    if not (sweep_dir / "spec.toml").is_file() or not rows:
        raise SignnetError(f"--sweep {str(sweep_dir)!r} holds no sweep (spec.toml and runs.jsonl); run "
                           "`signnet sweep budget-full --out DIR` first.")
    spec = load_spec(sweep_dir / "spec.toml", sweep_seed=rows[0]["sweep_seed"])
    from signnet.data.problems import PROBLEMS

    other = sorted({run.data for run in spec.runs} - set(TITLES) - set(PROBLEMS))
    if other:
        raise SignnetError(f"--sweep {str(sweep_dir)!r} is not a budget sweep: its data {', '.join(other)} are not "
                           f"generated problems ({', '.join(PROBLEMS)}) or Figure 1's panels; give a sweep of the "
                           "budget-full spec (`signnet sweep budget-full --out DIR`).")
    if not spec.settings["ceiling"]:
        raise SignnetError(f"--sweep {str(sweep_dir)!r} ran without the exact monotone ceiling (ceiling = false in "
                           "its spec), which the budget report compares k = 0 with; run it with ceiling = true.")
    unbudgeted = [d for d in dict.fromkeys(run.data for run in spec.runs)
                  if not any(isinstance(run.weights, int) for run in spec.runs if run.data == d)]
    if unbudgeted:
        raise SignnetError(f"--sweep {str(sweep_dir)!r} has no budgeted runs (integer weights k = 0, 1, ... in its "
                           f"grid) for {', '.join(unbudgeted)}, only free or nonneg ones, so there is no budget to "
                           "report; give a sweep of the budget-full spec (`signnet sweep budget-full --out DIR`).")
    wanted = {r.run_id for r in spec.runs}
    rows = [r for r in rows if r["run_id"] in wanted]
    if len(rows) < len(wanted):
        raise SignnetError(f"--sweep {str(sweep_dir)!r} is not finished ({len(rows)} of {len(wanted)} runs); run the "
                           "same `signnet sweep` command again to finish it.")
    return spec, rows


def compute_budget(out: Path, seed: int = 0, quick: bool = False, progress: bool = False, grid: str | None = None,
                   sweep: str | None = None, workers: int = 1) -> BudgetResults:
    """Run the budget sweep into ``out/sweep`` (or read ``sweep``) and compute the results and verdicts."""
    from signnet.sweep.driver import run_sweep
    from signnet.sweep.spec import load_spec, packaged_spec
    from signnet.validation import check_choice

    start = time.perf_counter()
    if sweep is not None:
        if grid is not None:
            raise SignnetError(f"--grid {grid!r} and --sweep exclude each other: --sweep reports on a finished sweep "
                               "(whatever its grid); drop one of them.")
        source = Path(sweep)
        spec, rows = _rows_of(source)
        if Path(out).resolve().is_relative_to(source.resolve()):
            raise SignnetError(f"--out lies inside the sweep folder --sweep {str(sweep)!r}; give a folder outside it.")
        grid = "sweep"
        (Path(out) / "sweep").mkdir(parents=True, exist_ok=True)  # the report keeps the table it was computed from
        for name in ("spec.toml", "runs.jsonl"):
            if not (Path(out) / "sweep" / name).exists() or not os.path.samefile(source / name,
                                                                                 Path(out) / "sweep" / name):
                shutil.copyfile(source / name, Path(out) / "sweep" / name)
    else:
        grid = check_choice(grid if grid is not None else ("quick" if quick else "default"), "--grid", GRIDS)
        spec = load_spec(packaged_spec(GRIDS[grid]), sweep_seed=seed)
        run_sweep(spec, Path(out) / "sweep", workers=workers, progress=progress)
        from signnet.sweep.table import read_rows

        wanted = {r.run_id for r in spec.runs}
        rows = [r for r in read_rows(Path(out) / "sweep" / "runs.jsonl") if r["run_id"] in wanted]
    datas = list(dict.fromkeys(r.data for r in spec.runs))
    problems = [_problem(d, [r for r in rows if r["data"] == d], spec) for d in datas]
    from signnet.nn.activations import ACTIVATIONS

    def non_monotone(data: str) -> int:  # this problem's runs whose activation Theorem 1.1 does not cover
        return sum(1 for r in rows if r["data"] == data and not ACTIVATIONS[r["activation"]].monotone)

    checks = [v for p in problems for v in problem_verdicts(p, TARGET, non_monotone(p.data))]
    grid_plain = {k: [list(v) if isinstance(v, tuple) else v for v in vs] for k, vs in spec.grid.items()}
    return BudgetResults(study="budget", claim=CLAIM, target=TARGET, seed=int(rows[0]["sweep_seed"]), grid=grid,
                         spec={"name": spec.name, "settings": spec.settings, "grid": grid_plain}, runs=len(rows),
                         problems=problems, checks=checks, elapsed_seconds=round(time.perf_counter() - start, 2))


def run_budget(out: Path, *, seed: int | None = None, quick: bool = False, progress: bool = True,
               grid: str | None = None, sweep: str | None = None, workers: int | None = None) -> dict:
    """Run the study; write ``results.json``, ``budget.png``, ``index.html`` (and ``sweep/``) into ``out``.

    Args:
        out: output folder (created if missing).
        seed: the sweep's seed (data and initialisations; default 0).
        quick: the smoke grid (``budget_quick.toml``) unless ``grid`` is given.
        progress: a progress bar over runs on stderr.
        grid: ``"quick"``, ``"default"`` (``budget.toml``) or ``"full"`` (``budget_full.toml``).
        sweep: report on this finished sweep folder instead of running a grid; ``seed``, ``quick`` and
            ``workers`` are then refused (the sweep was made with its own), as ``grid`` is.
        workers: worker processes of the local engine (default 1).
    """
    from signnet.validation import check_size

    given = [text for text, value in ((f"--seed {seed}", seed), ("--quick", quick or None),
                                      (f"--workers {workers}", workers)) if value is not None]
    if sweep is not None and given:
        raise SignnetError(f"{', '.join(given)} and --sweep exclude each other: --sweep reports on a finished sweep, "
                           f"made with its own seed and grid; drop {'them' if len(given) > 1 else given[0]} or --sweep.")
    seed = 0 if seed is None else seed
    workers = check_size(workers if workers is not None else 1, "--workers")

    def _run(out: Path, seed: int, quick: bool, progress: bool) -> dict:
        return write_report(compute_budget(out, seed, quick, progress, grid, sweep, workers), out)

    return run_study(_run, out, seed=seed, quick=quick, progress=progress)
