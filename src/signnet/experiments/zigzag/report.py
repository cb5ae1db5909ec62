"""Figures, ``results.json`` and the HTML page of the zig-zag study (Q&A seed 002).

:func:`write_report` takes the :class:`~.results.ZigzagResults` of
:func:`signnet.experiments.zigzag.run.compute_zigzag` and writes into ``out``:
``results.json`` (its ``to_dict()`` plus the provenance block of
:func:`~signnet.report.artifacts.run_metadata`), the figures (:data:`FIGURES`)
and ``index.html``. The HTML comes from the jinja2 templates in ``templates/``
(one per section: the claim, sign coherence, trajectories, training curves),
with the verdicts as computed by the run; nothing here changes a number.
:func:`section_html` reads a finished run back from ``results.json`` and returns
its ``<section>`` (for ``signnet reproduce --all``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from markupsafe import Markup

from signnet.experiments.zigzag.results import ACT_LABELS, ZigzagResults
from signnet.report.artifacts import atomic_write_json, atomic_write_text, run_metadata, save_figure
from signnet.report.render import render

FIGURES = ("coherence.png", "trajectories.png", "training_curves.png")
TITLE = "signnet zigzag: all-positive inputs and same-sign gradients"


# --------------------------------------------------------------------------- figures

def _plot_coherence(r: dict, path: Path) -> None:
    import matplotlib.pyplot as plt

    cases = r["coherence"]["cases"]
    fig, ax = plt.subplots(figsize=(10, 4.2))
    xs = np.arange(len(cases))
    ax.bar(xs - 0.2, [c["per_example"] for c in cases], 0.4, label="per-example gradients")
    ax.bar(xs + 0.2, [c["minibatch"] for c in cases], 0.4, label="minibatch-mean gradients")
    ax.scatter(xs - 0.2, [c["theory_per_example"] for c in cases], marker="_", s=600, color="black", zorder=3,
               label="theory, per example: 1 (inputs \u2265 0) or 2/2^d (centred)")
    ax.set_xticks(xs, [c["case"].replace(" \u2192 ", "\n\u2192 ") + f" (d = {c['d']})" for c in cases], fontsize=8)
    ax.set_ylabel("fraction sign-coherent")
    ax.set_ylim(0, 1.35)
    ax.legend(fontsize=8, loc="upper center", ncol=3, frameon=False)
    ax.set_title("Share of weight-gradient vectors whose non-zero coordinates share one sign")
    fig.subplots_adjust(left=0.07, right=0.99, top=0.92, bottom=0.2)
    save_figure(fig, path)


def _plot_trajectories(r: dict, path: Path) -> None:
    import matplotlib.pyplot as plt

    traj = r["trajectory"]
    fig, axes = plt.subplots(len(traj["optima"]), 3, figsize=(15, 4.6 * len(traj["optima"])), squeeze=False)
    for row, opt in zip(axes, traj["optima"], strict=True):
        w_star = np.array(opt["w_star"])
        lo, hi = np.minimum(w_star, 0) - 0.6, np.maximum(w_star, 0) + 0.6
        g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
        star = f"({w_star[0]:g}, {w_star[1]:g})".replace("-", "\u2212")
        for ax, name in zip(row[:2], ("positive", "centered"), strict=True):
            H = np.array(traj["settings"][name]["hessian"])
            run = opt["descents"][name]
            d1, d2 = g1 - w_star[0], g2 - w_star[1]
            loss = 0.5 * (H[0, 0] * d1 ** 2 + 2 * H[0, 1] * d1 * d2 + H[1, 1] * d2 ** 2)
            ax.contour(g1, g2, loss, levels=np.geomspace(2e-3, loss.max(), 12), colors="0.6", linewidths=0.7)
            sgd = np.array(run["sgd_path"])
            ax.plot(sgd[:, 0], sgd[:, 1], "-", color="tab:orange", lw=0.8, alpha=0.8,
                    label=f"per-example SGD ({run['sgd_steps']} steps)")
            gd = np.array(run["gd_path"])
            ax.plot(gd[:, 0], gd[:, 1], ".-", color="tab:blue", ms=3, lw=1,
                    label=f"gradient descent ({run['steps']} steps)")
            ax.plot(*w_star, "r*", ms=12, label=f"optimum {star}")
            title = "positive inputs x ~ U(0,1)\u00b2" if name == "positive" else "centred inputs"
            ax.set_title(f"w* = {star}, {title}: condition number "
                         f"{traj['settings'][name]['condition_number']:.1f}", fontsize=10)
            ax.set_xlim(lo[0], hi[0])
            ax.set_ylim(lo[1], hi[1])
            ax.set_xlabel("w1")
            ax.set_ylabel("w2")
            ax.set_aspect("equal")
            ax.legend(fontsize=7.5, loc="best")
        ax = row[2]
        for name, words, color in (("positive", "positive", "tab:red"), ("centered", "centred", "tab:green")):
            run = opt["descents"][name]
            for key, ls, what in (("gd_path", "-", "GD"), ("sgd_path", ":", "SGD")):
                p = np.array(run[key])
                ax.semilogy(np.linalg.norm(p - w_star, axis=1) + 1e-12, color=color, ls=ls, label=f"{what}, {words}")
        ax.axhline(traj["tol"], color="grey", lw=0.7, label=f"tolerance {traj['tol']:g}")
        ax.set_xlabel("step")
        ax.set_ylabel("||w \u2212 w*||")
        ax.set_title(f"Distance to the optimum {star}", fontsize=10)
        ax.legend(fontsize=8)
    fig.subplots_adjust(left=0.05, right=0.99, top=0.95, bottom=0.06, wspace=0.28, hspace=0.3)
    save_figure(fig, path)


def _plot_curves(r: dict, path: Path) -> None:
    import matplotlib.pyplot as plt

    tr = r["training"]
    fig, ax = plt.subplots(figsize=(9, 4.8))
    colors = {"sigmoid": "tab:red", "sigmoid_centered": "tab:purple", "tanh": "tab:blue"}
    for c in tr["conditions"]:
        curves = np.array(c["loss"])
        ep = np.arange(curves.shape[1])
        mean = np.exp(np.log(np.clip(curves, 1e-8, None)).mean(0))
        ax.plot(ep, mean, "-" if c["centered"] else "--", color=colors[c["activation"]], label=c["label"])
        if curves.shape[0] > 1:
            ax.fill_between(ep, curves.min(0), curves.max(0), color=colors[c["activation"]], alpha=0.12)
    ax.axhline(tr["threshold"], color="grey", lw=0.7, ls="-.", label=f"threshold {tr['threshold']:g}")
    ax.set_yscale("log")
    ax.set_ylim(top=4)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training cross-entropy")
    ax.set_title(f"Digits, 64\u219232\u219210 MLP, plain SGD lr {tr['lr']:g}, {tr['seeds']} seed(s) "
                 "(geometric mean, band = min..max)", fontsize=10)
    ax.legend(fontsize=8)
    fig.subplots_adjust(left=0.09, right=0.99, top=0.92, bottom=0.11)
    save_figure(fig, path)


def plot(r: dict, out: Path) -> None:
    """Draw :data:`FIGURES` into ``out`` from a results dict (``results.json``)."""
    import matplotlib
    matplotlib.use("Agg")
    for draw, name in zip((_plot_coherence, _plot_trajectories, _plot_curves), FIGURES, strict=True):
        draw(r, out / name)


# --------------------------------------------------------------------------- HTML

def _steps(v) -> str:
    return "not reached" if v is None else str(v)


def _context(r: dict, out: Path) -> dict:
    """What the templates show: the results dict, the verdicts per section and the table rows."""
    coh, traj, tr = r["coherence"], r["trajectory"], r["training"]
    groups = {k: [v for v in r["checks"] if v["key"].startswith(k + ".")]
              for k in ("coherence", "trajectory", "training")}
    case_rows = [[c["case"], c["d"], c["input_mean"], c["input_negative_fraction"], c["per_example"],
                  c["theory_per_example"], c["minibatch"], c["n_per_example"], c["n_all_zero_per_example"]]
                 for c in coh["cases"]]
    traj_rows = []
    for o in traj["optima"]:
        for name, words in (("positive", "positive x ~ U(0,1)\u00b2"),
                            ("centered", "centred (same points minus mean)")):
            s, d = traj["settings"][name], o["descents"][name]
            traj_rows.append([f"({o['w_star'][0]:g}, {o['w_star'][1]:g}) {o['name']}", words, s["condition_number"],
                              s["lr"], _steps(d["steps"]), d["gd_same_sign_update_fraction"], s["sgd_lr"],
                              _steps(d["sgd_steps"]), d["sgd_same_sign_update_fraction"]])
    draw_rows = []
    for o in traj["optima"]:
        ratios = [x for x in o["draw_ratios"] if x is not None]
        draw_rows.append([f"({o['w_star'][0]:g}, {o['w_star'][1]:g}) {o['name']}", o["steps_ratio"],
                          min(ratios) if ratios else None, float(np.median(ratios)) if ratios else None,
                          max(ratios) if ratios else None, f"{o['draws_centred_faster']} of {traj['draws']}",
                          f"{o['draws_gap_larger_here']} of {traj['draws']}"])
    curve_rows = [[c["label"], ", ".join(_steps(e) for e in c["epochs_to_threshold"]),
                   ", ".join(_steps(e) for e in c["epochs_to_stay_below"]), c["final_loss_mean"],
                   c["largest_rise"], float(np.mean(c["test_accuracy"]))] for c in tr["conditions"]]
    H = np.array(traj["settings"]["positive"]["hessian"])
    steep = np.linalg.eigh(H)[1][:, -1]
    steep = steep * np.sign(steep.sum())
    med = {(c["activation"], c["centered"]): c["median_epochs_to_stay_below"] for c in tr["conditions"]}
    med_stay = [[ACT_LABELS[a]] + ["not reached" if med[(a, c)] is None else f"{med[(a, c)]:g}" for c in (False, True)]
                for a in ACT_LABELS]
    return {"r": r, "out": out, "figures": {name: out / name for name in FIGURES}, "verdicts": groups,
            "case_rows": case_rows, "traj_rows": traj_rows, "draw_rows": draw_rows, "curve_rows": curve_rows,
            "steep": [float(steep[0]), float(steep[1])], "med_stay": med_stay,
            "steep_angle": float(np.degrees(np.arccos(min(1.0, abs(steep.sum()) / np.sqrt(2))))),
            "quick": bool(r["config"]["quick"])}


def html_section(r: dict, out: Path) -> str:
    """The zig-zag report as one HTML ``<section>``, figures read from ``out`` and inlined."""
    return render("zigzag/section.html.j2", **_context(r, Path(out)))


def section_html(out_dir: Path) -> str:
    """Read ``out_dir/results.json`` and its figures and return the zig-zag ``<section>``."""
    out_dir = Path(out_dir)
    return html_section(json.loads((out_dir / "results.json").read_text(encoding="utf-8")), out_dir)


def write_report(results: ZigzagResults, out: Path) -> dict:
    """Write ``results.json``, the figures and ``index.html`` into ``out``; return the ``results.json`` dict."""
    out = Path(out)
    r = results.to_dict()
    r.update(run_metadata(results.config, results.seed))
    plot(r, out)
    atomic_write_json(out / "results.json", r)
    page = render("page.html.j2", title=TITLE, intro="", sections=[Markup(html_section(r, out))],
                  footer="Generated by signnet zigzag; self-contained, opens offline.")
    atomic_write_text(out / "index.html", page)
    return r
