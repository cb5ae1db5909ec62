"""The summary of a sweep: ``summary/index.html``, ``summary.json`` and PNG plots.

:func:`summarise` aggregates the table's rows of one spec over seeds (mean, min
and max test accuracy, negative weights, certified share, dominance-violation
rate) per data set, architecture, activation and sign setting; :func:`write_summary`
plots test accuracy against the sign setting (one panel per data set, one colour
per architecture, the exact monotone ceiling dashed) and renders the page from
``templates/summary.html.j2``. The folder is rendered in a staged folder and moved
into place whole (:func:`signnet.report.artifacts.staged_folder`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from markupsafe import Markup

from signnet.report.artifacts import atomic_write_json, atomic_write_text, run_metadata, save_figure, staged_folder
from signnet.report.render import render


def weights_order(values) -> list[str]:
    """Sign settings in reading order: ``nonneg``, budgets ascending, ``free``."""
    values = {str(v) for v in values}
    budgets = sorted((v for v in values if v.isdigit()), key=int)
    return [v for v in ("nonneg",) if v in values] + budgets + [v for v in ("free",) if v in values]


def summarise(rows: list[dict]) -> list[dict]:
    """One entry per (data, hidden, activation, weights): aggregates over seeds, in a stable order."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["data"], r["hidden"], r["activation"], r["weights"]), []).append(r)
    out = []
    for (data, hidden, act, weights), rs in groups.items():
        acc = np.array([r["test_accuracy"] for r in rs])
        rates = [r["dominance_violation_rate"] for r in rs if r["dominance_violation_rate"] is not None]
        out.append({"data": data, "hidden": hidden, "activation": act, "weights": weights, "seeds": len(rs),
                    "test_accuracy_mean": float(acc.mean()), "test_accuracy_min": float(acc.min()),
                    "test_accuracy_max": float(acc.max()),
                    "negative_weights_max": int(max(r["negative_weights"] for r in rs)),
                    "n_weights": int(rs[0]["n_weights"]),
                    # rows of several classes carry none (a folder swept before that rule may: it bounds no softmax DNN+)
                    "ceiling": rs[0]["ceiling"] if rs[0].get("head", "binary") == "binary" else None,
                    "certified_share": float(np.mean([bool(r["certified_monotone"]) for r in rs])),
                    "dominance_violation_rate_mean": float(np.mean(rates)) if rates else None})
    order = {w: i for i, w in enumerate(weights_order(e["weights"] for e in out))}
    out.sort(key=lambda e: (e["data"], e["hidden"], e["activation"], order[e["weights"]]))
    return out


def plot_accuracy(summary: list[dict], path: Path, title: str) -> None:
    """Test accuracy (mean over seeds, bar from min to max) against the sign setting; one panel per data set."""
    import matplotlib.pyplot as plt

    datas = sorted({e["data"] for e in summary})
    cols = min(3, len(datas))
    nrows = -(-len(datas) // cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(5 * cols, 3.8 * nrows), squeeze=False)
    for ax in axes.flat[len(datas):]:
        ax.axis("off")
    for ax, data in zip(axes.flat, datas, strict=False):
        entries = [e for e in summary if e["data"] == data]
        order = weights_order(e["weights"] for e in entries)
        archs = sorted({(e["hidden"], e["activation"]) for e in entries})
        for j, (hidden, act) in enumerate(archs):
            es = {e["weights"]: e for e in entries if (e["hidden"], e["activation"]) == (hidden, act)}
            xs = [i + 0.08 * (j - (len(archs) - 1) / 2) for i, w in enumerate(order) if w in es]
            ws = [w for w in order if w in es]
            mean = np.array([es[w]["test_accuracy_mean"] for w in ws])
            lo = np.clip(mean - np.array([es[w]["test_accuracy_min"] for w in ws]), 0, None)  # rounding: never < 0
            hi = np.clip(np.array([es[w]["test_accuracy_max"] for w in ws]) - mean, 0, None)
            ax.errorbar(xs, mean, yerr=[lo, hi], fmt="o-", ms=4, capsize=2, color=f"C{j}",
                        label=f"hidden {hidden}, {act}")
        ceiling = entries[0]["ceiling"]
        if ceiling is not None:
            ax.axhline(ceiling, ls="--", color="black", lw=1, label="monotone ceiling (any one-logit DNN+)")
        ax.set_xticks(range(len(order)), order)
        ax.set_xlabel("weights: sign constraint or budget k")
        ax.set_ylabel("test accuracy")
        ax.set_title(data, fontsize=10)
        ax.set_ylim(min(0.4, ax.get_ylim()[0]), 1.02)
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(title, fontsize=11, parse_math=False)  # a spec name is text: its `$` are not mathtext
    fig.tight_layout()
    save_figure(fig, path)


def write_summary(folder, spec, rows: list[dict]) -> Path:
    """Render ``folder`` (``index.html``, ``summary.json``, ``accuracy.png``) whole; return the page's path."""
    folder = Path(folder)
    _adopt_an_older_summary(folder)
    summary = summarise(rows)
    seconds = float(sum(r["seconds"] for r in rows))
    with staged_folder(folder, "the sweep summary folder") as tmp:
        figure = None
        if summary:
            plot_accuracy(summary, tmp / "accuracy.png", f"{spec.name}: test accuracy per sign setting "
                                                        f"({len(rows)} runs)")
            figure = tmp / "accuracy.png"
        meta = run_metadata({"spec": spec.settings, "grid": {k: [list(v) if isinstance(v, tuple) else v for v in vs]
                                                              for k, vs in spec.grid.items()}},
                            rows[0]["sweep_seed"] if rows else 0)
        atomic_write_json(tmp / "summary.json", {"name": spec.name, "runs": len(rows), "summary": summary,
                                                 "compute_seconds": round(seconds, 2), **meta})
        page = render("page.html.j2", title=f"signnet sweep: {spec.name}", intro="",
                      sections=[Markup(render("sweep/summary.html.j2", spec=spec, summary=summary, n_runs=len(rows),
                                       n_spec=len(spec.runs), figure=figure, seconds=seconds,
                                       source=spec.source, meta=json.dumps(meta["versions"])))],
                      footer="Generated by signnet sweep; self-contained, opens offline.")
        atomic_write_text(tmp / "index.html", page)
    return folder / "index.html"


def _adopt_an_older_summary(folder: Path) -> None:
    """List the files of a summary that signnet wrote before output folders listed their own (``.signnet-output``).

    Only a folder of exactly what a summary holds (``index.html``, ``summary.json``, PNG figures) is
    adopted, so that resuming an older sweep can replace its summary; anything else stays refused.
    """
    from signnet.report.artifacts import atomic_write_json
    from signnet.report.manifest import MANIFEST, read_manifest

    if not folder.is_dir() or folder.is_symlink() or read_manifest(folder) is not None:
        return
    entries = list(folder.iterdir())
    if entries and all(e.is_file() and not e.is_symlink() and (e.name in ("index.html", "summary.json")
                                                                  or e.suffix == ".png") for e in entries):
        atomic_write_json(folder / MANIFEST, {"written_by": "signnet", "files": sorted(e.name for e in entries)})

