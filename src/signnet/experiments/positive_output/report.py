"""The positive-output report (Q&A seed 003): figures, ``results.json`` and ``index.html``.

:func:`write_report` turns a :class:`~.results.PositiveOutputResults` into files;
:func:`section_html` renders the report's ``<section>`` from a folder's
``results.json`` and figures (``signnet reproduce --all`` gathers it). The HTML
comes from the jinja2 templates in ``templates/`` (autoescaped, one per report
section); it only displays numbers and verdicts computed by :mod:`.run`.
"""

from __future__ import annotations

import json
from pathlib import Path

from markupsafe import Markup

from signnet.experiments.positive_output.figures import FIGURES, draw_figures
from signnet.experiments.positive_output.methods import CHECKPOINTS, DIAGNOSTIC, LAGRANGIANS, PENALTIES, TOL, TRANSFORMS
from signnet.experiments.positive_output.results import PositiveOutputResults
from signnet.report.artifacts import atomic_write_json, atomic_write_text, run_metadata
from signnet.report.render import render

TITLE = "Forcing non-negative outputs: penalty, Lagrange multipliers, transforms"


def write_report(results: PositiveOutputResults, out: Path) -> dict:
    """Write the figures, ``results.json`` and ``index.html`` into ``out``; return what ``results.json`` holds.

    ``results.json`` is ``results.to_dict()`` plus the provenance block of
    :func:`~signnet.report.artifacts.run_metadata` (versions, platform, argv).
    """
    out = Path(out)
    draw_figures(out, results.histories, results.predictions, results.y_test, results.methods)
    payload = {**results.to_dict(), **run_metadata(results.config, results.seed)}
    atomic_write_json(out / "results.json", payload)
    versions = payload["versions"]
    footer = (f"seed {results.seed}; {'quick run; ' if results.quick else ''}{results.elapsed_seconds:.1f} s "
              f"(CPU {results.cpu_seconds:.1f} s); signnet {versions.get('signnet', '?')}, torch "
              f"{versions.get('torch', '?')}, cooper-optim {versions.get('cooper-optim', '?')}.")
    page = render("page.html.j2", title="signnet positive-output: forcing non-negative network outputs", intro="",
                  sections=[Markup(html_section(payload, out))], footer=footer)
    atomic_write_text(out / "index.html", page)
    return payload


def section_html(out_dir: Path) -> str:
    """Read ``out_dir/results.json`` and its figures and return the positive-output ``<section>``."""
    out_dir = Path(out_dir)
    results = json.loads((out_dir / "results.json").read_text(encoding="utf-8"))
    return html_section(results, out_dir)


def html_section(results: dict, out: Path) -> str:
    """The report as one HTML ``<section>`` (figures read from ``out`` and inlined), from a ``results.json`` dict."""
    return render("positive_output/section.html.j2", **context(results, Path(out))).strip()


def context(r: dict, out: Path) -> dict:
    """What the templates show, taken from the ``results.json`` dict ``r`` (formatting only, no new numbers)."""
    m, d, s, cfg = r["methods"], r["details"], r["summary"], r["config"]
    verdicts = {v["key"]: v for v in r["verdicts"]}
    rows = [[name, v["train_negative_fraction"], v["test_negative_fraction"], f"{v['min_train_prediction']:+.2e}",
             f"{v['test_mse']:.4f}", f"{v['seconds']:.2f}"] for name, v in m.items()]
    conv_rows = []
    for name in ("none", *PENALTIES, *LAGRANGIANS):
        c = d[name]["convergence"]
        conv_rows.append([name, *(f"{c['max_violation'][k]:.1e}" for k, _ in CHECKPOINTS),
                          *(c["negative_fraction"][k] for k, _ in CHECKPOINTS),
                          c["last_epoch_with_prediction_below_tol"], c["feasible_from_epoch"]])
    mult_rows = [[name, d[name]["formulation"], d[name]["dual_lr"],
                  *(f"{d[name]['convergence']['multiplier_mean'][k]:.4f}" for k, _ in CHECKPOINTS),
                  *(d[name]["convergence"]["multiplier_max"][k] for k, _ in CHECKPOINTS)] for name in LAGRANGIANS]
    return {
        "r": r, "m": m, "d": d, "s": s, "cfg": cfg, "V": verdicts, "tol": TOL, "out": out,
        "figures": {name.removesuffix(".png"): out / name for name in FIGURES},
        "arch": "\u2192".join(str(h) for h in [4, *cfg["hidden"], 1]),
        "decay_to": "zero" if cfg["lr_floor"] == 0 else f"{cfg['lr_floor']:g}\u00b7lr",
        "rows": rows, "conv_rows": conv_rows, "mult_rows": mult_rows,
        "penalties": PENALTIES, "lagrangians": ("lagrangian_inequality", "lagrangian_slack"),
        "transforms": list(TRANSFORMS), "plain": r["diagnostics"].get(DIAGNOSTIC),
        "verdict_list": r["verdicts"],
    }
