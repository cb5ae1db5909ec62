"""``signnet positive-output``: non-negative outputs by penalty, Lagrange multipliers or transform (Q&A seed 003)."""

from __future__ import annotations

from pathlib import Path

from signnet.cli.common import add_json, add_seed, emit


def register(sub) -> None:
    p = sub.add_parser(
        "positive-output",
        help="non-negative network outputs: penalty vs Lagrange multipliers vs output transform (Q&A seed 003)",
        description="Fit a regression network to a censored (many zeros) target, whose unconstrained fit predicts "
                    "negative values, and compare a penalty alpha*relu(-pred)^2 (four alphas), exact constraints "
                    "solved with Lagrange multipliers (cooper-optim: slack form and inequality form) and output "
                    "transforms (relu, softplus, exp). Writes results.json, PNG figures and index.html.")
    p.add_argument("--out", default="reports/positive-output", help="output folder (default reports/positive-output)")
    p.add_argument("--quick", action="store_true", help="fewer points and epochs (a smoke run, ~15 s)")
    add_seed(p)
    add_json(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from signnet.experiments.positive_output.run import LAGRANGIANS, PENALTIES, TRANSFORMS, run_positive_output

    out = Path(args.out)
    results = run_positive_output(out, seed=args.seed, quick=args.quick, progress=not args.json)
    m, s = results["methods"], results["summary"]
    report = out / "index.html"
    pen = ", ".join(f"{m[p]['train_negative_fraction']:.3f}" for p in PENALTIES)
    lag = ", ".join(f"{name} {m[name]['min_train_prediction']:+.1e}" for name in LAGRANGIANS)
    worst_transform = max(m[t]["test_negative_fraction"] for t in TRANSFORMS)
    emit({**results, "report": str(report)}, args.json,
         f"positive-output: negative training predictions none {m['none']['train_negative_fraction']:.3f}; "
         f"penalty alpha=0.1..100: {pen}; lowest training prediction {lag} "
         f"(feasible to 1e-3: {all(s['lagrangian_feasible_at_end'].values())}); transforms: largest negative "
         f"fraction {worst_transform:.3f}; {results['elapsed_seconds']:.1f} s.\n"
         f"report: {report}")
    return 0
