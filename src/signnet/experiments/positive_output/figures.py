"""The four figures of the positive-output report (Q&A seed 003), drawn from a run's results.

Each figure has a title, labelled axes and a colour key; they are saved whole
with :func:`signnet.report.artifacts.save_figure`. Nothing here flows back into
the numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from signnet.experiments.positive_output.methods import ALPHAS, LAGRANGIANS, PENALTIES, TOL
from signnet.report.artifacts import save_figure

FIGURES = ("violation.png", "multipliers.png", "penalty_trend.png", "predictions.png")

COLORS = {"none": "#555555", "penalty_0.1": "#f4a582", "penalty_1": "#d6604d", "penalty_10": "#b2182b",
          "penalty_100": "#67001f", "lagrangian_slack": "#2166ac", "lagrangian_inequality": "#1b9e77",
          "slack_plain_lagrangian": "#9970ab", "relu": "#e08214", "softplus": "#8073ac", "exp": "#35978f"}


def draw_figures(out: Path, histories: dict, predictions: dict, y_test, methods: dict) -> None:
    """Write :data:`FIGURES` into ``out``.

    Args:
        histories: per run, the full per-epoch curves (``min_prediction``, ``negative_fraction``, multipliers).
        predictions: per method, ``{"train": (n_train,), "test": (n_test,)}`` tensors.
        y_test: the test targets ``(n_test,)``.
        methods: per method, its table row (:class:`~.results.MethodRow`).
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tracked = ["none", *PENALTIES, *LAGRANGIANS]
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.4))
    for name in tracked:
        h = histories[name]
        epochs = np.arange(1, len(h["min_prediction"]) + 1)
        style = {"color": COLORS[name], "lw": 1.6 if name in LAGRANGIANS else 1.1, "label": name}
        axes[0].plot(epochs, h["negative_fraction"], **style)
        axes[1].plot(epochs, np.maximum(0.0, -h["min_prediction"]), **style)
    axes[0].set(xlabel="epoch", ylabel="fraction of training predictions < 0",
                title="Negative training predictions during training")
    axes[1].set_yscale("symlog", linthresh=TOL)
    axes[1].axhline(TOL, color="k", ls=":", lw=1)
    axes[1].set(xlabel="epoch", ylabel="max(0, \u2212min\u1d62 \u0177\u1d62)  (symlog)",
                title=f"Largest violation (dotted: {TOL:g})")
    axes[0].legend(fontsize=8, ncol=2)
    axes[1].legend(fontsize=8, ncol=2)
    save_figure(fig, out / FIGURES[0])

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.2))
    for name, label in (("lagrangian_inequality", "\u03bb (inequality)"),
                        ("lagrangian_slack", "|\u03bc| (slack, augmented)")):
        h = histories[name]
        epochs = np.arange(1, len(h["multiplier_mean"]) + 1)
        axes[0].plot(epochs, np.maximum(h["multiplier_mean"], 1e-6), color=COLORS[name], label=f"mean {label}")
        axes[0].plot(epochs, np.maximum(h["multiplier_max"], 1e-6), color=COLORS[name], ls="--", label=f"max {label}")
        axes[1].plot(epochs, h["active"], color=COLORS[name], label=name)
    axes[0].set_yscale("log")
    axes[0].set_ylim(1e-6, None)  # a bounded log axis (few ticks); smaller means are shown at the bottom edge
    axes[0].set(xlabel="epoch", ylabel="multiplier", title="Multipliers (one per training example)")
    axes[0].legend(fontsize=8)
    axes[1].set(xlabel="epoch", ylabel="fraction of training examples",
                title="Multipliers pushing \u0177 up (\u03bb\u1d62 > 0; \u03bc\u1d62 < 0)")
    axes[1].legend(fontsize=8)
    cap = 1e3
    for name in ("lagrangian_slack", "slack_plain_lagrangian"):
        h = histories[name]
        if "max_abs_residual" in h and len(h["max_abs_residual"]):
            epochs = np.arange(1, len(h["max_abs_residual"]) + 1)
            label = "augmented (the method)" if name == "lagrangian_slack" else "plain Lagrangian (diagnostic)"
            if name != "lagrangian_slack" and len(epochs) < len(histories["lagrangian_slack"]["min_prediction"]):
                label += f", diverged at epoch {len(epochs) + 1}"
            axes[2].plot(epochs, np.clip(h["max_abs_residual"], 1e-6, cap), color=COLORS[name], label=label)
    axes[2].axhline(TOL, color="k", ls=":", lw=1)
    axes[2].set_yscale("log")
    axes[2].set_ylim(1e-6, 2 * cap)
    axes[2].set(xlabel="epoch", ylabel=f"max\u1d62 |\u0177\u1d62 \u2212 s\u1d62\u00b2| (capped at {cap:g})",
                title="Slack form: equality residual")
    axes[2].legend(fontsize=8)
    save_figure(fig, out / FIGURES[1])

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    for split, marker, color in (("train", "o-", "#b2182b"), ("test", "s--", "#2166ac")):
        fractions = [getattr(methods[p], f"{split}_negative_fraction") for p in PENALTIES]
        axes[0].plot(ALPHAS, fractions, marker, color=color, label=split)
        axes[0].axhline(getattr(methods["none"], f"{split}_negative_fraction"), color=color, ls=":", lw=1,
                        label=f"none ({split})")
    axes[0].set_xscale("log")
    axes[0].set(xlabel="\u03b1", ylabel="fraction of predictions < 0", title="Penalty: negative predictions")
    axes[0].legend(fontsize=8)
    worst = [max(0.0, -methods[p].min_train_prediction) for p in PENALTIES]
    axes[1].plot(ALPHAS, worst, "o-", color="#b2182b", label="penalty")
    axes[1].axhline(max(0.0, -methods["none"].min_train_prediction), color="#555555", ls=":", label="none")
    axes[1].axhline(TOL, color="k", ls="--", lw=1, label=f"{TOL:g}")
    axes[1].set_xscale("log")
    axes[1].set_yscale("log")
    axes[1].set(xlabel="\u03b1", ylabel="\u2212min\u1d62 \u0177\u1d62 (training)",
                title="Penalty: most negative training prediction")
    axes[1].legend(fontsize=8)
    save_figure(fig, out / FIGURES[2])

    shown = ["none", "penalty_100", "lagrangian_inequality", "lagrangian_slack", "relu", "exp"]
    fig, axes = plt.subplots(2, len(shown), figsize=(3.1 * len(shown), 6.4), sharey="row")
    y_te = np.asarray(y_test)
    for j, name in enumerate(shown):
        p = predictions[name]["test"].numpy()
        for i in range(2):
            ax = axes[i, j]
            ax.scatter(y_te, p, s=3, alpha=0.35, color=COLORS[name], label=name if i == 0 else None)
            ax.axhline(0, color="k", lw=0.8, label="\u0177 = 0" if i == 0 and j == 0 else None)
        axes[1, j].set_xlabel("test target y")
        axes[0, j].set_title(name, fontsize=9)
        axes[1, j].set_xlim(-0.02, 0.4)
    axes[1, 0].set_ylim(-0.06, 0.2)
    axes[0, 0].set_ylabel("test prediction \u0177")
    axes[1, 0].set_ylabel("\u0177, zoomed near 0")
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    fig.legend(loc="lower center", ncol=len(shown) + 1, fontsize=8, bbox_to_anchor=(0.5, 0.9), markerscale=3)
    fig.suptitle("Test predictions against test targets (below the black line: negative)", y=0.98)
    save_figure(fig, out / FIGURES[3])
