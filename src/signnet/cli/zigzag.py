"""``signnet zigzag``: all-positive inputs give same-sign gradients (Q&A seed 002)."""

from __future__ import annotations

from pathlib import Path

from signnet.cli.common import add_json, add_seed, emit


def register(sub) -> None:
    p = sub.add_parser(
        "zigzag", help="same-sign gradients from all-positive inputs, and the zig-zag (Q&A seed 002)",
        description="Measure how often weight gradients have coordinates of one sign (positive versus centred "
                    "inputs), gradient-descent paths of a two-weight neuron, and sigmoid/tanh training curves. "
                    "Writes results.json, PNG figures and index.html.")
    p.add_argument("--out", default="reports/zigzag", help="output folder (default reports/zigzag)")
    p.add_argument("--quick", action="store_true", help="fewer epochs and one seed (a smoke run, ~10 s)")
    add_seed(p)
    add_json(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from signnet.experiments.zigzag.run import run_zigzag

    out = Path(args.out)
    results = run_zigzag(out, seed=args.seed, quick=args.quick, progress=not args.json)
    coh, traj = results["coherence"], results["trajectory"]
    report = out / "index.html"
    ratio = traj["steps_ratio"]
    emit({**results, "report": str(report)}, args.json,
         f"zigzag: per-example coherence {coh['positive_inputs']['per_example']:.3f} (positive inputs, d={coh['d']}) "
         f"vs {coh['centered_inputs']['per_example']:.3f} (centred; 2/2^d = {coh['theory_centered']:.3f}); "
         f"steps to the optimum {traj['steps_positive']} vs {traj['steps_centered']}"
         f"{f' (ratio {ratio:.1f})' if ratio else ''}.\n"
         f"report: {report}")
    return 0
