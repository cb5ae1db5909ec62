"""Figure, ``results.json`` and the HTML page of the budget study.

:func:`write_report` takes the :class:`~.results.BudgetResults` of
:func:`signnet.experiments.budget.run.compute_budget` and writes ``results.json``
(plus provenance), ``budget.png`` (test accuracy against the budget k, one panel
per problem: the exact ceiling at k = 0, the target, the paper's flips and the
hand-built networks marked) and ``index.html`` from ``templates/``.
:func:`section_html` reads a finished run back for ``signnet reproduce --all``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from markupsafe import Markup

from signnet.experiments.budget.results import BudgetResults
from signnet.report.artifacts import atomic_write_json, atomic_write_text, run_metadata, save_figure
from signnet.report.render import number, render

FIGURE = "budget.png"
TITLE = "signnet budget: how many negative weights does each problem need?"


def _x(k, ks: list[int]) -> float:
    """Position of budget ``k`` on the categorical axis of ``ks`` (ascending, then 'all'); between ticks if absent."""
    if k is None:
        return float(len(ks))
    return float(np.interp(k, ks, np.arange(len(ks))))


def plot(r: dict, path: Path) -> None:
    """Test accuracy against the budget k, one panel per problem (see the module docstring)."""
    import matplotlib.pyplot as plt

    probs = r["problems"]
    cols = min(4, len(probs))
    nrows = -(-len(probs) // cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(4.3 * cols, 3.7 * nrows), squeeze=False)
    for ax in axes.flat[len(probs):]:
        ax.axis("off")
    for ax, p in zip(axes.flat, probs, strict=False):
        ks = [b["k"] for b in p["budgets"] if b["k"] is not None]
        hiddens = sorted({a["hidden"] for b in p["budgets"] for a in b["archs"]},
                         key=lambda h: [int(v) for v in h.split(",")])
        for j, hidden in enumerate(hiddens):
            xs, means = [], []
            for b in p["budgets"]:
                for a in b["archs"]:
                    if a["hidden"] == hidden:
                        x = _x(b["k"], ks) + 0.1 * (j - (len(hiddens) - 1) / 2)
                        ax.scatter([x] * len(a["accuracies"]), a["accuracies"], s=9, color=f"C{j}", alpha=0.5)
                        xs.append(x)
                        means.append(a["mean"])
            ax.plot(xs, means, "-", color=f"C{j}", lw=1.2, label=f"trained, hidden {hidden} (mean; dots: seeds)")
        ax.plot([-0.3, 0.3], [p["ceiling"]] * 2, "-", color="black", lw=3,
                label="exact ceiling at k = 0 (theorem)")
        ax.axhline(r["target"], ls=":", color="0.4", lw=1, label=f"target {r['target']:.2f}")
        if p["paper_flips"] is not None:
            ax.axvline(_x(p["paper_flips"], ks), ls="--", color="tab:red", lw=1,
                       label=f"paper's flips (k = {p['paper_flips']})")
        for c, marker, color in zip(p["constructions"], ("*", "D"), ("tab:red", "tab:green"), strict=False):
            ax.scatter([_x(c["negative_weights"], ks)], [c["accuracy"]], marker=marker, s=90, color=color, zorder=4,
                       edgecolors="black", linewidths=0.5, label=f"{c['name']} (k = {c['negative_weights']})")
        if p["smallest_k"] is not None:
            ax.annotate(f"training: k \u2264 {p['smallest_k']}", (_x(p["smallest_k"], ks), r["target"]),
                        xytext=(4, -14), textcoords="offset points", fontsize=8)
        ax.set_xticks(range(len(ks) + 1), [str(k) for k in ks] + ["all"])
        ax.set_xlabel("budget k: at most k negative weights")
        ax.set_ylabel("test accuracy")
        ax.set_ylim(0.35, 1.03)
        ax.set_title(p["title"], fontsize=9)
        ax.legend(fontsize=6, loc="lower right")
    fig.suptitle("Test accuracy against the negative-weight budget", fontsize=11)
    fig.tight_layout()
    save_figure(fig, path)


def where(by_layer: str | None) -> str:
    """Negative weights per layer in words: ``"0,0,1"`` gives ``"1 in layer 3 (output)"``."""
    if not by_layer:
        return "\u2013"
    counts = [int(v) for v in by_layer.split(",")]
    parts = [f"{c} in layer {i + 1}{' (output)' if i == len(counts) - 1 else ''}" for i, c in enumerate(counts) if c]
    return ", ".join(parts) or "none"


def _context(r: dict, out: Path) -> dict:
    rows = []
    for p in r["problems"]:
        cons = "; ".join(f"{c['name']}: k = {c['negative_weights']}, accuracy {number(c['accuracy'])}"
                         for c in p["constructions"])
        rows.append({"title": p["title"], "ceiling": p["ceiling"], "paper": p["paper_flips"], "k": p["smallest_k"],
                     "hidden": p["smallest_k_hidden"], "successes": p["smallest_k_successes"],
                     "free": p["free_best"], "constructions": cons,
                     "where": where(p["smallest_k_negative_by_layer"]),
                     "certificate": json.loads(p["smallest_k_certificate"])[0] if p["smallest_k_certificate"] else None,
                     "output_only": bool(p["smallest_k_negative_by_layer"]) and
                     all(int(c) == 0 for c in p["smallest_k_negative_by_layer"].split(",")[:-1]),
                     "lower": 1 if p["ceiling"] < r["target"] else 0})
    return {"r": r, "rows": rows, "figure": out / FIGURE, "quick": r["grid"] == "quick"}


def html_section(r: dict, out: Path) -> str:
    """The budget report as one HTML ``<section>``, the figure read from ``out`` and inlined."""
    return render("budget/section.html.j2", **_context(r, Path(out)))


def section_html(out_dir: Path) -> str:
    """Read ``out_dir/results.json`` and its figure and return the budget ``<section>``."""
    out_dir = Path(out_dir)
    return html_section(json.loads((out_dir / "results.json").read_text(encoding="utf-8")), out_dir)


def write_report(results: BudgetResults, out: Path) -> dict:
    """Write ``results.json``, the figure and ``index.html`` into ``out``; return the ``results.json`` dict."""
    out = Path(out)
    r = results.to_dict()
    r.update(run_metadata(results.spec, results.seed))
    plot(r, out / FIGURE)
    atomic_write_json(out / "results.json", r)
    page = render("page.html.j2", title=TITLE, intro="", sections=[Markup(html_section(r, out))],
                  footer="Generated by signnet budget; self-contained, opens offline.")
    atomic_write_text(out / "index.html", page)
    return r
