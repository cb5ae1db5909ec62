"""``signnet reproduce``: the paper's Figure 1 as a report; ``--all`` adds the three Q&A studies."""

from __future__ import annotations

import importlib
from pathlib import Path

from signnet.cli.common import add_json, add_seed, emit
from signnet.errors import SignnetError
from signnet.report.artifacts import run_metadata

# the Q&A studies gathered by --all: (folder, module, run function)
STUDIES = (
    ("census", "signnet.experiments.census.run", "run_census"),
    ("zigzag", "signnet.experiments.zigzag.run", "run_zigzag"),
    ("positive-output", "signnet.experiments.positive_output.run", "run_positive_output"),
)


def register(sub) -> None:
    p = sub.add_parser("reproduce", help="reproduce the paper's Figure 1 as an HTML report",
                       description="Reproduce Figure 1 of 'Why do networks need negative weights?' with trained and "
                                   "hand-built networks, measured against the exact monotone ceiling.")
    p.add_argument("--out", default=None, help="output folder (default reports/figure1; with --all, reports)")
    p.add_argument("--seeds", type=int, default=None, help="training seeds per network (default 5; 1 with --quick)")
    p.add_argument("--quick", action="store_true", help="small settings that finish in seconds (for tests)")
    p.add_argument("--all", action="store_true", help="also run the three Q&A studies and gather everything in one page")
    add_seed(p)
    add_json(p)
    p.set_defaults(run=run)


def check_out_folder(out: Path) -> Path:
    """Refuse an output path that exists and is not a folder (nothing is created yet)."""
    if out.exists() and not out.is_dir():
        raise SignnetError(f"Output folder {str(out)!r} is an existing file; give a folder path with --out.")
    return out


def run(args) -> int:
    from signnet.experiments.figure1.report import write_report
    from signnet.experiments.figure1.run import ReproduceConfig, run_all

    if args.seeds is not None and args.seeds <= 0:
        raise SignnetError(f"--seeds must be 1 or more, got {args.seeds}.")
    root = Path(args.out or ("reports" if args.all else "reports/figure1"))
    check_out_folder(root)
    fig_out = check_out_folder(root / "figure1") if args.all else root
    cfg = ReproduceConfig.quick_config() if args.quick else ReproduceConfig()
    if args.seeds is not None:
        cfg = ReproduceConfig(**{**cfg.__dict__, "seeds": args.seeds})
    typed, models = run_all(cfg, seed=args.seed, progress=not args.json)
    config = {"out": str(root), "quick": args.quick, "all": args.all, **cfg.__dict__}
    page = write_report(typed, models, fig_out, metadata=run_metadata(config, args.seed))
    results = typed.to_dict()
    summary = {"report": str(page), "seconds": results["seconds"],
               "panels": {k: {"ceiling": v["ceiling"], "dnn": v["dnn"]["accuracy_mean"],
                              "dnn_plus": v["dnn_plus"]["accuracy_mean"],
                              "flipped_hand": v["flipped_hand"]["accuracy"],
                              "flipped_trained": v["flipped_trained"]["accuracy"]}
                          for k, v in results["panels"].items()}}
    if args.all:
        summary["report"] = str(gather(root, args, fig_out))
    lines = [f"Figure 1 reproduced in {results['seconds']:.0f} s."]
    for key, v in summary["panels"].items():
        lines.append(f"  {key:8s} ceiling {v['ceiling']:.3f}  DNN {v['dnn']:.3f}  DNN+ {v['dnn_plus']:.3f}  "
                     f"flipped hand {v['flipped_hand']:.3f} trained {v['flipped_trained']:.3f}")
    lines.append(f"Report: {summary['report']}")
    emit(summary, args.json, "\n".join(lines))
    return 0


def gather(root: Path, args, fig_out: Path) -> Path:
    """Run the studies into ``root/<study>`` and write ``root/index.html`` linking everything."""
    from signnet.report import html
    from signnet.report.artifacts import atomic_write_text

    sections = [html.section("Figure 1", html.paragraph(
        "The paper's Figure 1, measured against the exact monotone ceiling "
        f"(<a href=\"{fig_out.name}/index.html\">the full Figure 1 report</a>).", raw=True),
        html.image(fig_out / "figure1.png", "Rows: panels A, B, C and a control; columns: data and ceiling, "
                   "trained DNN+, the DNN+ built to reach the ceiling, the hand-built flipped network (negative "
                   "weights in red), its decision regions, the trained flipped network, trained DNN."),
        anchor="figure1")]
    for folder, module_name, func in STUDIES:
        module = importlib.import_module(module_name)
        out = check_out_folder(root / folder)
        getattr(module, func)(out, seed=args.seed, quick=args.quick, progress=not args.json)
        sections.append(module.section_html(out))
        sections.append(html.paragraph(f"<a href=\"{folder}/index.html\">Open the {folder} report on its own.</a>", raw=True))
    page = html.html_page("signnet: Figure 1 and the three Q&A studies", sections,
                          footer="Generated by signnet reproduce --all; self-contained, opens offline.")
    return atomic_write_text(root / "index.html", page)
