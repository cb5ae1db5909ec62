"""One sub-command per experiment of the registry: ``signnet census``, ``signnet zigzag``, ...

:func:`register` adds, for every :class:`~signnet.experiments.registry.Experiment`
with ``command=True``, a sub-command with ``--out`` (default ``reports/<name>``),
``--quick``, ``--seed``, ``--json`` and the experiment's own options. The run
renders into a temporary folder beside ``--out`` and moves the finished folder
into place in one step (:func:`~signnet.report.artifacts.staged_folder`).

The one-line text summaries of the studies are here, keyed by experiment name;
an experiment without one prints where its report is.
"""

from __future__ import annotations

import argparse
import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from signnet.cli.common import add_json, add_seed, emit
from signnet.experiments.registry import EXPERIMENTS, Experiment, Option
from signnet.report.render import number

_TYPES = {"int": int, "float": float, "str": str}


class _Given(argparse._StoreAction):
    """``store``, and note in ``args.given`` that the option was given (its default is not a choice of the user)."""

    def __call__(self, parser, namespace, values, option_string=None):
        super().__call__(parser, namespace, values, option_string)
        namespace.given = frozenset({*getattr(namespace, "given", ()), self.dest})


def register(sub) -> None:
    """Add a sub-command for every registered experiment that has one."""
    for exp in EXPERIMENTS:
        if exp.command:
            p = sub.add_parser(exp.name, help=exp.help, description=exp.description)
            p.register("action", None, _Given)  # every valued option (e.g. --seed) notes when it is given
            p.set_defaults(given=frozenset())
            p.add_argument("--out", default=f"reports/{exp.folder}",
                           help=f"output folder, replaced whole when the run succeeds (default reports/{exp.folder})")
            p.add_argument("--quick", action="store_true", help=exp.quick)
            add_options(p, exp.options)
            add_seed(p)
            add_json(p)
            p.set_defaults(run=functools.partial(run, exp))


def add_options(parser: argparse.ArgumentParser, options: tuple[Option, ...]) -> None:
    """Add an experiment's own options to ``parser``."""
    for opt in options:
        parser.add_argument(opt.flag, dest=opt.keyword, type=_TYPES[opt.type], default=opt.default, help=opt.help)


def option_values(args, options: tuple[Option, ...]) -> dict[str, Any]:
    """The experiment's options from ``args``, checked by their ``check`` (only those given)."""
    import signnet.validation as validation

    values = {}
    for opt in options:
        value = getattr(args, opt.keyword)
        if value is None:
            continue
        if opt.check is not None:
            value = getattr(validation, opt.check)(value, opt.flag)
        values[opt.keyword] = value
    return values


def run_experiment(exp: Experiment, out: Path, *, seed: int | None, quick: bool, progress: bool,
                   options: dict[str, Any] | None = None) -> dict:
    """Run ``exp`` into the folder ``out`` (already staged) and return its results as a dict.

    ``seed=None`` (no ``--seed`` given) passes the run function's own default seed, or 0 if it has none; a
    run function whose default is None (budget) so learns that no seed was chosen.
    """
    run = exp.load_run()
    if seed is None:
        default = inspect.signature(run).parameters["seed"].default
        seed = 0 if default is inspect.Parameter.empty else default
    results = run(out, seed=seed, quick=quick, progress=progress, **(options or {}))
    return results.to_dict() if hasattr(results, "to_dict") else results


def run(exp: Experiment, args) -> int:
    """Run one experiment for the command line, staged, and print its summary."""
    from signnet.report.artifacts import staged_folder
    from signnet.validation import check_out_folder

    options = option_values(args, exp.options)
    out = check_out_folder(args.out)
    with staged_folder(out) as tmp:
        results = run_experiment(exp, tmp, seed=args.seed if "seed" in args.given else None, quick=args.quick,
                                 progress=True, options=options)
    report = out / "index.html"
    summary = SUMMARIES.get(exp.name, lambda r: f"{exp.name}: done")(results)
    emit({**results, "report": str(report)}, args.json, f"{summary}\nreport: {report}")
    return 0


# ------------------------------------------------------------------ the text summaries
def _census(results: dict) -> str:
    s = results["summary"]
    refuted = {True: "refuted", False: "not refuted", None: "not decided (the networks did not train)"}
    verdicts = ", ".join(f"{v['key'].removeprefix('census.')} {v['status']}" for v in results["verdicts"])
    return (f"census: layers after the first of ReLU networks end with "
            f"{s['relu_later_layers_min_negative_fraction']:.3f}..{s['relu_later_layers_max_negative_fraction']:.3f} "
            f"negative weights; DNN+ twin {s['dnn_plus_max_negative_fraction']:.3f}; "
            f"claim {refuted[s['claim_refuted']]}.\nverdicts: {verdicts}")


def _zigzag(results: dict) -> str:
    coh, traj = results["coherence"], results["trajectory"]
    ratio = traj["steps_ratio"]
    return (f"zigzag: per-example coherence {coh['positive_inputs']['per_example']:.3f} (positive inputs, "
            f"d={coh['d']}) vs {coh['centered_inputs']['per_example']:.3f} (centred; 2/2^d = "
            f"{coh['theory_centered']:.3f}); steps to w* = (1, -1) {traj['steps_positive']} vs "
            f"{traj['steps_centered']}{f' (ratio {ratio:.1f})' if ratio else ''}.")


def _positive_output(results: dict) -> str:
    from signnet.experiments.positive_output.run import LAGRANGIANS, PENALTIES, TRANSFORMS

    m, s = results["methods"], results["summary"]
    pen = ", ".join(f"{m[p]['train_negative_fraction']:.3f}" for p in PENALTIES)
    lag = ", ".join(f"{name} {m[name]['min_train_prediction']:+.1e}" for name in LAGRANGIANS)
    worst_transform = max(m[t]["test_negative_fraction"] for t in TRANSFORMS)
    return (f"positive-output: negative training predictions none {m['none']['train_negative_fraction']:.3f}; "
            f"penalty alpha=0.1..100: {pen}; lowest training prediction {lag} "
            f"(feasible to 1e-3: {all(s['lagrangian_feasible_at_end'].values())}); transforms: largest negative "
            f"fraction {worst_transform:.3f}; {results['elapsed_seconds']:.1f} s.")


def _budget(results: dict) -> str:
    lines = [f"budget: smallest k (negative weights) at which training reached {results['target']:.2f} test accuracy "
             "(training: an upper bound), beside the exact ceiling at k = 0 (theorem) and the paper's flips:"]
    for p in results["problems"]:
        k = "not reached" if p["smallest_k"] is None else f"k <= {p['smallest_k']} (hidden {p['smallest_k_hidden']})"
        paper = "-" if p["paper_flips"] is None else p["paper_flips"]
        lines.append(f"  {p['title']}: {k}; ceiling {number(p['ceiling'])}; paper {paper}")
    return "\n".join(lines) + f"\n{results['runs']} runs, {results['elapsed_seconds']:.1f} s."


def _benchmark(results: dict) -> str:
    lines = [f"benchmark: {results['splits']} split(s) per data set, {results['elapsed_seconds']:.0f} s."]
    for name, ds in results["datasets"].items():
        scores = ", ".join(f"{m['label']} {number(m['metric_mean'])}\u00b1{number(m['metric_std'])}"
                           for m in ds["models"].values() if m["available"])
        ceiling = f"; ceiling {number(ds['ceiling_mean'])}" if ds["ceiling_mean"] is not None else ""
        lines.append(f"  {name} {ds['metric']}: {scores}{ceiling}")
    failed = [v["key"] for v in results["checks"] if v["status"] != "holds"]
    lines.append(f"verdicts: {len(results['checks']) - len(failed)} of {len(results['checks'])} hold"
                 + (f"; not holding: {', '.join(failed)}" if failed else ""))
    return "\n".join(lines)


SUMMARIES: dict[str, Callable[[dict], str]] = {
    "census": _census, "zigzag": _zigzag, "positive-output": _positive_output, "budget": _budget,
    "benchmark": _benchmark,
}
