"""``signnet census``: how many weights of trained ReLU networks are negative (Q&A seed 000)."""

from __future__ import annotations

from pathlib import Path

from signnet.cli.common import add_json, add_seed, emit


def register(sub) -> None:
    p = sub.add_parser(
        "census", help="count negative weights per layer while ReLU networks train (Q&A seed 000)",
        description="Train a small ReLU CNN and MLP on the bundled digits (weight decay 0/1e-3, ReLU/leaky ReLU, "
                    "centred/uncentred inputs, plus a non-negative start and DNN+ twins) and record the share of "
                    "negative weights per layer and epoch. Writes results.json, PNG figures and index.html.")
    p.add_argument("--out", default="reports/census", help="output folder (default reports/census)")
    p.add_argument("--quick", action="store_true", help="a small subset and 2 epochs (a smoke run, ~10 s)")
    add_seed(p)
    add_json(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from signnet.experiments.census.run import run_census

    out = Path(args.out)
    results = run_census(out, seed=args.seed, quick=args.quick, progress=not args.json)
    s = results["summary"]
    report = out / "index.html"
    verdicts = ", ".join(f"{v['key'].removeprefix('census.')} {v['status']}" for v in results["verdicts"])
    refuted = {True: "refuted", False: "not refuted", None: "not decided (the networks did not train)"}
    emit({**results, "report": str(report)}, args.json,
         f"census: layers after the first of ReLU networks end with "
         f"{s['relu_later_layers_min_negative_fraction']:.3f}..{s['relu_later_layers_max_negative_fraction']:.3f} "
         f"negative weights; DNN+ twin {s['dnn_plus_max_negative_fraction']:.3f}; "
         f"claim {refuted[s['claim_refuted']]}.\nverdicts: {verdicts}\n"
         f"report: {report}")
    return 0
