"""Figures and the HTML page of ``signnet reproduce`` (see :mod:`signnet.reproduce`).

:func:`write_report` writes, in one folder, ``figure1.png`` (laid out like the
paper's Figure 1: one row per problem; columns data, DNN+, the flipped network
drawn with its negative weights in red, the flipped DNN+'s decision, DNN),
``softmax.png``, ``continuous.png``, ``results.json`` and ``index.html``.
Every file is written whole (temporary file, then rename), and the PNGs are
embedded in the HTML, which therefore opens offline.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from signnet.report import html
from signnet.report.artifacts import atomic_write_json, atomic_write_text, save_figure
from signnet.report.plotting import new_figure, plot_decision, plot_network, plot_points

SCHEMA = """results.json:
  panels.{A,B,C,control}:
    ceiling                      exact monotone ceiling of the test set (best accuracy of any DNN+)
    dnn, dnn_plus                accuracy_mean, accuracy_std, accuracies over seeds, at the figure's width;
                                 .wide holds the same at the wide size
    flipped_hand                 accuracy, negative_weights, weights (W0, b0, W1, b1), why
    flipped_trained              accuracy (mean over seeds), accuracy_std, negative_weights (max over seeds)
    checks.<network>             certified_monotone, monotone, convex, dominance_violations, worst_gap, mixed_paths
  softmax                        softmax_accuracy, binary_accuracy, logit_difference_certificate, ceiling
  continuous.<problem>           ceiling, dnn, dnn_plus (ReLU), dnn_plus_tanh accuracies
  config, seed, versions, seconds"""


def figure1_png(models: dict, results: dict, path: Path) -> Path:
    """Draw the Figure 1 grid (rows A, B, C, control) to ``path``."""
    keys = list(models["panels"])
    fig, axes = new_figure(len(keys), 5)
    for row, key in enumerate(keys):
        m, r = models["panels"][key], results["panels"][key]
        X, y = m["data"]
        ax = axes[row]
        plot_decision(ax[0], None, X, y, f"{key}: {r['title']}\nceiling {r['ceiling']:.3f}")
        plot_decision(ax[1], m["dnn_plus_wide"], X, y,
                      f"DNN+ {'x'.join(map(str, r['dnn_plus']['wide']['hidden']))}: {r['dnn_plus']['wide']['accuracy_mean']:.3f}")
        plot_network(ax[2], m["flipped_hand"], f"flipped: {r['flipped_hand']['negative_weights']} weight(s) in red")
        plot_decision(ax[3], m["flipped_hand"], X, y, f"DNN+ with flips: {r['flipped_hand']['accuracy']:.3f}")
        plot_decision(ax[4], m["dnn"], X, y, f"DNN {r['width']} units: {r['dnn']['accuracy_mean']:.3f}")
    fig.suptitle("Figure 1 of Wang et al., reproduced: DNN+ (non-negative weights) vs flipped weights vs DNN",
                 fontsize=11)
    fig.subplots_adjust(hspace=0.45)
    return save_figure(fig, path)


def softmax_png(models: dict, results: dict, path: Path) -> Path:
    """The softmax loophole: one-logit DNN+ vs two-logit DNN+ on XOR."""
    m, r = models["softmax"], results["softmax"]
    X, y = m["data"]
    fig, axes = new_figure(1, 3, size=3.0)
    plot_decision(axes[0, 0], None, X, y, f"XOR clusters, ceiling {r['ceiling']:.3f}")
    plot_decision(axes[0, 1], m["binary"], X, y, f"DNN+, one logit: {r['binary_accuracy']:.3f}")
    plot_decision(axes[0, 2], m["softmax"], X, y, f"DNN+, softmax over 2 logits: {r['softmax_accuracy']:.3f}")
    return save_figure(fig, path)


def continuous_png(models: dict, results: dict, path: Path) -> Path:
    """Wide networks on the continuous problems: data, DNN+ (ReLU), DNN+ (tanh), DNN."""
    names = list(models["continuous"])
    fig, axes = new_figure(len(names), 4, size=2.1)
    for row, name in enumerate(names):
        m, r = models["continuous"][name], results["continuous"][name]
        X, y = m["data"]
        plot_points(axes[row, 0], X, y)
        axes[row, 0].set_title(f"{name}: ceiling {r['ceiling']:.3f}", fontsize=8)
        axes[row, 0].set_aspect("equal")
        axes[row, 0].set_xticks([])
        axes[row, 0].set_yticks([])
        plot_decision(axes[row, 1], m["dnn_plus"], X, y, f"DNN+ ReLU: {r['dnn_plus']:.3f}", lim=1.0)
        plot_decision(axes[row, 2], m["dnn_plus_tanh"], X, y, f"DNN+ tanh: {r['dnn_plus_tanh']:.3f}", lim=1.0)
        plot_decision(axes[row, 3], m["dnn"], X, y, f"DNN: {r['dnn']:.3f}", lim=1.0)
    return save_figure(fig, path, dpi=80)


def _claims(results: dict) -> list[tuple[str, bool]]:
    out = []
    for key in ("A", "B", "C"):
        r = results["panels"][key]
        out += [
            (f"{key}: the ceiling is below 0.95 ({r['ceiling']:.3f})", r["ceiling"] < 0.95),
            (f"{key}: DNN+ stays at or below the ceiling (figure width {r['dnn_plus']['accuracy_mean']:.3f}, "
             f"wide {r['dnn_plus']['wide']['accuracy_mean']:.3f})",
             max(r["dnn_plus"]["accuracy_mean"], r["dnn_plus"]["wide"]["accuracy_mean"]) <= r["ceiling"] + 0.01),
            (f"{key}: the DNN reaches 0.97 (figure width {r['dnn']['accuracy_mean']:.3f}, wide "
             f"{r['dnn']['wide']['accuracy_mean']:.3f})", r["dnn"]["wide"]["accuracy_mean"] >= 0.97),
            (f"{key}: flipping {r['figure_negative_weights']} weight(s) solves it (hand-built "
             f"{r['flipped_hand']['accuracy']:.3f}, trained {r['flipped_trained']['accuracy']:.3f})",
             min(r["flipped_hand"]["accuracy"], r["flipped_trained"]["accuracy"]) >= 0.97),
            (f"{key}: the flipped networks are not certified monotone",
             not r["checks"]["flipped_hand"]["certified_monotone"] and not r["checks"]["flipped_trained"]["certified_monotone"]),
        ]
    c = results["panels"]["control"]
    out.append((f"control: DNN+ matches DNN (DNN+ {c['dnn_plus']['wide']['accuracy_mean']:.3f}, DNN {c['dnn']['wide']['accuracy_mean']:.3f})",
                c["dnn_plus"]["wide"]["accuracy_mean"] >= c["dnn"]["wide"]["accuracy_mean"] - 0.02))
    s = results["softmax"]
    out.append((f"softmax loophole: a DNN+ with two logits beats the ceiling ({s['softmax_accuracy']:.3f} > {s['ceiling']:.3f})",
                s["softmax_accuracy"] > s["ceiling"]))
    return out


def _weights_table(w: dict) -> str:
    rows = [[f"unit {j}", *[f"{v:+.2f}" for v in row], f"{w['b0'][j]:+.2f}"] for j, row in enumerate(w["W0"])]
    first = html.table(["hidden unit", "w(x1)", "w(x2)", "bias"], rows)
    out_row = [["output", *[f"{v:+.2f}" for v in w["W1"][0]], f"{w['b1'][0]:+.2f}"]]
    second = html.table(["", *[f"w(unit {j})" for j in range(len(w["W1"][0]))], "bias"], out_row)
    return first + second


def _checks_table(checks: dict) -> str:
    rows = []
    for kind, c in checks.items():
        rows.append([kind, "yes" if c["certified_monotone"] else "no", json.dumps(c["monotone"]), str(c["convex"]),
                     f"{c['dominance_violations']} / {c['dominance_pairs']}", c["worst_gap"]])
    return html.table(["network", "certified monotone", "certificate (per input)", "convexity",
                       "dominance violations", "worst gap F(x)-F(y)"], rows)


def render_html(results: dict, out: Path) -> str:
    """The report page; images are read from ``out`` and embedded."""
    claims = _claims(results)
    claim_rows = [[text, html.verdict(ok)] for text, ok in claims]
    parts = [html.section(
        "What is checked", html.paragraph(
            "Wang et al. prove that a network whose weights are all non-negative (a DNN+) preserves element-wise "
            "dominance: x <= y in every coordinate implies F(x) <= F(y) (Theorem 1.1). On any data set its accuracy "
            "is therefore capped by the exact monotone ceiling, the best accuracy of any monotone classifier, which "
            "signnet computes by bipartite matching (Koenig's theorem). Each panel below is measured against it."),
        html.table(["claim", "verdict"], claim_rows, raw_cells=True), anchor="claims")]
    parts.append(html.section("Figure 1", html.image(out / "figure1.png", "Rows: panels A, B, C and a control. Columns: "
                              "test data with its ceiling; a wide DNN+; the hand-built flipped network (negative "
                              "weights in red); its decision regions; a trained DNN at the figure's width."),
                              anchor="figure1"))
    rows = []
    for key, r in results["panels"].items():
        rows.append([key, r["width"], r["ceiling"], r["dnn"]["accuracy_mean"], r["dnn"]["wide"]["accuracy_mean"],
                     r["dnn_plus"]["accuracy_mean"], r["dnn_plus"]["wide"]["accuracy_mean"],
                     r["flipped_hand"]["accuracy"], f"{r['flipped_trained']['accuracy']:.3f} ± {r['flipped_trained']['accuracy_std']:.3f}",
                     r["flipped_trained"]["negative_weights"]])
    parts.append(html.section("Accuracy on the test sets", html.table(
        ["panel", "width", "ceiling", "DNN", "DNN wide", "DNN+", "DNN+ wide", "flipped (hand)", "flipped (trained)",
         "negative weights"], rows), html.paragraph(
        "Trained accuracies are means over seeds; every network is the best of a few initialisations by training "
        "loss, the same rule for every kind. 'Negative weights' counts the trained flipped network's weights below 0."),
        anchor="table"))
    for key, r in results["panels"].items():
        parts.append(html.section(
            f"Panel {key}: {r['title']}", html.paragraph(r["claim"]),
            html.paragraph(f"Hand-built flipped network ({r['flipped_hand']['negative_weights']} negative weight(s)), "
                           f"test accuracy {r['flipped_hand']['accuracy']:.3f}. {r['flipped_hand']['why']}"),
            _weights_table(r["flipped_hand"]["weights"]),
            html.paragraph("Certificates (1: provably non-decreasing in that input, -1: non-increasing, null: not "
                           "provable) and the empirical dominance check on comparable test pairs:"),
            _checks_table(r["checks"]), anchor=f"panel-{key}"))
    s = results["softmax"]
    parts.append(html.section(
        "The softmax loophole", html.paragraph(
            "A softmax over two logits depends only on their difference z1 - z0. With non-negative weights each logit "
            "is non-decreasing, but their difference is not, so Theorem 1.1 says nothing about the decision: "
            f"a DNN+ with a two-logit softmax head reaches {s['softmax_accuracy']:.3f} on XOR, above the monotone "
            f"ceiling {s['ceiling']:.3f}, while the one-logit DNN+ reaches {s['binary_accuracy']:.3f}. The certificate "
            f"of the logit difference is {json.dumps(s['logit_difference_certificate'])} (null: not provable), and "
            f"the dominance check finds {s['softmax_checks']['dominance_violations']} violating pairs."),
        html.image(out / "softmax.png", "XOR clusters: one-logit DNN+ vs two-logit softmax DNN+."), anchor="softmax"))
    rows = [[name, r["ceiling"], r["dnn"], r["dnn_plus"], r["dnn_plus_tanh"], r["description"]]
            for name, r in results["continuous"].items()]
    parts.append(html.section(
        "Continuous problems, wide networks", html.table(
            ["problem", "ceiling", "DNN", "DNN+ (ReLU)", "DNN+ (tanh)", "rule"], rows),
        html.paragraph(
            "With ReLU (any convex non-decreasing activation) a DNN+ is also convex, so its class-0 region is a convex "
            "set. 'quadrant' is an up-set (ceiling 1) whose class 0 is an L shape, not convex: the ReLU DNN+ falls "
            "short of the ceiling there while the tanh DNN+, monotone but not convex, reaches it."),
        html.image(out / "continuous.png", "Columns: test data, DNN+ (ReLU), DNN+ (tanh), DNN."), anchor="continuous"))
    parts.append(html.section(
        "Reproduce", html.paragraph(f"Seed {results['seed']}, {results['seconds']:.1f} s. Command:"),
        html.code_block("signnet reproduce " + " ".join(results.get("argv", [])[2:])),
        html.paragraph("Versions:"), html.code_block(json.dumps(results["versions"], indent=1)),
        html.paragraph("Output affine: the paper's Definition 1.1 puts a ReLU on the output layer, which forces "
                       "sigmoid(P) >= 1/2; signnet's output layer is affine, which keeps Theorem 1.1 (Lemma 1.1)."),
        anchor="reproduce"))
    return html.html_page("signnet: why do networks need negative weights?", parts,
                          footer="Generated by signnet; self-contained, opens offline.")


def write_report(results: dict, models: dict, out: Path) -> Path:
    """Write the PNGs, ``results.json`` and ``index.html`` to ``out``; returns the page's path.

    Everything is rendered into a temporary folder beside ``out`` first and moved
    into ``out`` only when all of it succeeded, each file by an atomic rename: a
    failure leaves ``out`` as it was.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.parent) as tmp:
        stage = Path(tmp)
        figure1_png(models, results, stage / "figure1.png")
        softmax_png(models, results, stage / "softmax.png")
        continuous_png(models, results, stage / "continuous.png")
        atomic_write_json(stage / "results.json", results)
        atomic_write_text(stage / "index.html", render_html(results, stage))
        out.mkdir(parents=True, exist_ok=True)
        for name in ("figure1.png", "softmax.png", "continuous.png", "results.json", "index.html"):
            os.replace(stage / name, out / name)
    return out / "index.html"
