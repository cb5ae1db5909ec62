"""Partial-dependence figures, ``results.json`` and the HTML page of the monotone benchmark.

:func:`write_report` takes the :class:`~.results.BenchmarkResults` and the split-0 fitted models
of :func:`signnet.experiments.benchmark.run.compute_benchmark` and writes into ``out``:
``results.json`` (``to_dict()`` plus the provenance block of
:func:`~signnet.report.artifacts.run_metadata`), one ``pd_<set>.png`` per data set (partial
dependence of each monotone feature, :class:`sklearn.inspection.PartialDependenceDisplay`, the
constrained models beside the unconstrained one, on the test rows of split 0) and ``index.html``
(templates in ``templates/``). :func:`section_html` reads a finished run back from ``results.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from markupsafe import Markup

from signnet.experiments.benchmark.results import BenchmarkResults
from signnet.report.artifacts import atomic_write_json, atomic_write_text, run_metadata, save_figure
from signnet.report.render import render

TITLE = "signnet benchmark: monotone models on real tabular data"
PD_ROWS = 300  # test rows averaged over by the partial-dependence curves
PD_STYLE = {"signnet": ("tab:red", "-"), "hgb_monotone": ("tab:green", "-"), "lmn": ("tab:purple", "-"),
            "mlp_free": ("tab:gray", "--")}


def _plot_pd(name: str, labels: dict[str, str], fitted: dict, X, test_rows, cst, path: Path) -> None:
    """Partial dependence of every monotone feature, one panel each, every fitted model as a line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.inspection import PartialDependenceDisplay
    from sklearn.pipeline import Pipeline

    columns = list(X.columns)
    features = [c for c, s in zip(columns, cst, strict=True) if s != 0]
    rows = X.to_numpy()[test_rows][:PD_ROWS]
    fig, axes = plt.subplots(1, len(features), figsize=(3.6 * len(features), 3.4), squeeze=False)
    for key, (color, style) in PD_STYLE.items():
        if key not in fitted:
            continue
        scaler, est = fitted[key]
        pipe = Pipeline([("scale", scaler), ("model", est)])
        PartialDependenceDisplay.from_estimator(pipe, rows, features, feature_names=columns, kind="average",
                                                grid_resolution=20, ax=axes[0],
                                                line_kw={"label": labels[key], "color": color, "linestyle": style})
    for ax, feature in zip(axes[0], features, strict=True):
        if ax.get_legend() is not None:
            ax.get_legend().remove()  # one legend for the figure, above the panels
        ax.relim()  # each display set the limits of its own curves: fit them to every curve
        ax.autoscale(enable=True, axis="y")
        ax.autoscale_view()
        sign = "+1 increasing" if cst[columns.index(feature)] > 0 else "\u22121 decreasing"
        ax.set_title(f"{feature} ({sign})", fontsize=9)
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles[:len(fitted)], names[:len(fitted)], loc="upper center", ncol=len(fitted), fontsize=8,
               frameon=False)
    fig.suptitle(f"{name}: partial dependence on the monotone features (split 0, {len(rows)} test rows)",
                 fontsize=10, y=0.02, va="bottom")
    fig.subplots_adjust(left=0.08, right=0.98, top=0.84, bottom=0.24, wspace=0.35)
    save_figure(fig, path)


def _pm(mean, std, digits: int = 3) -> str:
    return "\u2013" if mean is None else f"{mean:.{digits}f} \u00b1 {std:.{digits}f}"


def _witnesses(m: dict) -> str:
    """``"0 / 3"``, or ``"3 / 3 (largest gap 0.116)"``: splits with a find_violation witness, over splits."""
    text = f"{m['witnesses_total']} / {len(m['witnesses'])}"
    return text if m["witness_gap_max"] is None else f"{text} (largest gap {m['witness_gap_max']:.3g})"


def _context(r: dict, out: Path) -> dict:
    tables = {}
    for name, ds in r["datasets"].items():
        rows, binary = [], ds["task"] == "binary"
        for m in ds["models"].values():
            if not m["available"]:
                rows.append([m["label"], m["note"]] + [""] * (7 if binary else 6))
                continue
            ceiling = [_pm(ds["ceiling_mean"], float(np.std(ds["ceiling"])))] if binary else []
            rows.append([m["label"] + ("" if m["constrained"] else " (free)"), _pm(m["metric_mean"], m["metric_std"]),
                         *ceiling, m["second_mean"], m["parameters"], m["fit_seconds_mean"],
                         f"{m['violations_total']} / {sum(m['pairs'])}", m["audit_method"], _witnesses(m)])
        tables[name] = rows
    groups = {k: [v for v in r["checks"] if v["key"].startswith(k + ".")] for k in r["datasets"]}
    return {"r": r, "out": out, "tables": tables, "verdicts": groups, "quick": bool(r["config"]["quick"])}


def html_section(r: dict, out: Path) -> str:
    """The benchmark as one HTML ``<section>``, figures read from ``out`` and inlined."""
    return render("benchmark/section.html.j2", **_context(r, Path(out)))


def section_html(out_dir: Path) -> str:
    """Read ``out_dir/results.json`` and its figures and return the benchmark ``<section>``."""
    out_dir = Path(out_dir)
    return html_section(json.loads((out_dir / "results.json").read_text(encoding="utf-8")), out_dir)


def write_report(results: BenchmarkResults, plots: dict, out: Path) -> dict:
    """Write ``results.json``, the figures and ``index.html`` into ``out``; return the ``results.json`` dict."""
    out = Path(out)
    r = results.to_dict()
    r.update(run_metadata(results.config, results.seed))
    for name, ds in results.datasets.items():
        fitted, X, test_rows, cst = plots[name]
        labels = {k: m.label for k, m in ds.models.items()}
        _plot_pd(name, labels, fitted, X, test_rows, cst, out / ds.figure)
    atomic_write_json(out / "results.json", r)
    page = render("page.html.j2", title=TITLE, intro="", sections=[Markup(html_section(r, out))],
                  footer="Generated by signnet benchmark; self-contained, opens offline.")
    atomic_write_text(out / "index.html", page)
    return r
