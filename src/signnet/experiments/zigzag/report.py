"""Figures and the HTML section of the zig-zag study (see :mod:`signnet.studies.zigzag`).

:func:`html_section` turns the ``results`` dict of
:func:`signnet.studies.zigzag.run_zigzag` into one HTML ``<section>``: the
claim and its source, the exact reason (``dL/dw = (dL/dz) * a``), a table and
verdict per measurement (sign coherence, trajectories, training curves) and the
three figures, read from the output folder and inlined. :func:`_plot` draws
those figures (:data:`FIGURES`): sign-coherent shares against theory, descent
paths over the loss contours, and training-loss curves. :func:`section_html`
reads a finished run back from ``results.json``.

The claim, its source, the figure names and the activation labels live here
and are imported by the measurement module, so the dependency runs one way.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from signnet.report.artifacts import save_figure
from signnet.report.html import image, paragraph, section, table, verdict

CLAIM = ("When the input of a neuron is always positive, the gradient on its weights is always all positive "
         "or all negative, so updates zig-zag; zero-centred data and activations help.")
SOURCE = ("Q&A seed 002: \u201cWhat is the problem with training Neural Networks with back propagation with "
          "activation functions that only output positive values?\u201d")
FIGURES = ("coherence.png", "trajectories.png", "training_curves.png")
ACT_LABELS = {"sigmoid": "sigmoid", "sigmoid_centered": "sigmoid \u2212 1/2", "tanh": "tanh"}


# --------------------------------------------------------------------------- figures and report

def _plot(results: dict, out: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = results["coherence"]["cases"]
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
    save_figure(fig, out / FIGURES[0])

    traj = results["trajectory"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
    w_star = np.array(traj["w_star"])
    g1, g2 = np.meshgrid(np.linspace(-0.4, 1.6, 200), np.linspace(-1.6, 0.4, 200))
    for ax, name in zip(axes[:2], ("positive", "centered")):
        s = traj["settings"][name]
        H = np.array(s["hessian"])
        d1, d2 = g1 - w_star[0], g2 - w_star[1]
        loss = 0.5 * (H[0, 0] * d1 ** 2 + 2 * H[0, 1] * d1 * d2 + H[1, 1] * d2 ** 2)
        ax.contour(g1, g2, loss, levels=np.geomspace(2e-3, loss.max(), 12), cmap="viridis", linewidths=0.8,
                   alpha=0.7)
        sgd = np.array(s["sgd_path"])
        ax.plot(sgd[:, 0], sgd[:, 1], "-", color="tab:orange", lw=0.8, alpha=0.8,
                label=f"per-example SGD ({s['sgd_steps']} steps)")
        gd = np.array(s["gd_path"])
        ax.plot(gd[:, 0], gd[:, 1], ".-", color="tab:blue", ms=3, lw=1,
                label=f"gradient descent ({s['steps']} steps)")
        ax.plot(*w_star, "r*", ms=12, label="optimum (1, \u22121)")
        title = "positive inputs x ~ U(0,1)\u00b2" if name == "positive" else "centred inputs"
        ax.set_title(f"{title}: condition number {s['condition_number']:.1f}", fontsize=10)
        ax.set_xlabel("w1")
        ax.set_ylabel("w2")
        ax.set_aspect("equal")
        ax.legend(fontsize=7.5, loc="lower left")
    ax = axes[2]
    for name, color in (("positive", "tab:red"), ("centered", "tab:green")):
        s = traj["settings"][name]
        gd = np.array(s["gd_path"])
        ax.semilogy(np.linalg.norm(gd - w_star, axis=1) + 1e-12, color=color, label=f"GD, {name}")
        sgd = np.array(s["sgd_path"])
        ax.semilogy(np.linalg.norm(sgd - w_star, axis=1) + 1e-12, color=color, ls=":", label=f"SGD, {name}")
    ax.axhline(traj["tol"], color="grey", lw=0.7)
    ax.set_xlabel("step")
    ax.set_ylabel("||w \u2212 w*||")
    ax.set_title("Distance to the optimum")
    ax.legend(fontsize=8)
    fig.subplots_adjust(left=0.05, right=0.99, top=0.92, bottom=0.11, wspace=0.28)
    save_figure(fig, out / FIGURES[1])

    tr = results["training"]
    fig, ax = plt.subplots(figsize=(9, 4.8))
    colors = {"sigmoid": "tab:red", "sigmoid_centered": "tab:purple", "tanh": "tab:blue"}
    for c in tr["conditions"]:
        curves = np.array(c["loss"])
        ep = np.arange(curves.shape[1])
        mean = np.exp(np.log(np.clip(curves, 1e-8, None)).mean(0))
        ls = "-" if c["centered"] else "--"
        ax.plot(ep, mean, ls, color=colors[c["activation"]], label=c["label"])
        if curves.shape[0] > 1:
            ax.fill_between(ep, curves.min(0), curves.max(0), color=colors[c["activation"]], alpha=0.12)
    ax.axhline(tr["threshold"], color="grey", lw=0.7, ls="-.")
    ax.set_yscale("log")
    ax.set_ylim(top=4)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training cross-entropy")
    ax.set_title(f"Digits, 64\u219232\u219210 MLP, plain SGD lr {tr['lr']:g}, {tr['seeds']} seed(s) "
                 "(geometric mean, band = min..max)", fontsize=10)
    ax.legend(fontsize=8)
    fig.subplots_adjust(left=0.09, right=0.99, top=0.92, bottom=0.11)
    save_figure(fig, out / FIGURES[2])


def _fmt(v, digits: int = 3) -> str:
    if v is None:
        return "not reached"
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def _fmt_epochs(v) -> str:
    return "not reached" if v is None else f"{v:g}"


def _slope_note(med_stay: dict) -> str:
    """Compare what centring the sigmoid buys with what tanh (centred and 4x steeper) buys, centred inputs."""
    sig, csig, tanh = (med_stay[(a, True)] for a in ("sigmoid", "sigmoid_centered", "tanh"))
    if None in (sig, csig, tanh):
        return ""
    return (f"With centred inputs, centring the sigmoid's output alone takes it from {sig:g} to {csig:g} epochs; "
            f"tanh, which is also four times steeper, needs {tanh:g}: "
            + ("most of tanh's lead comes from its slope, not its centring." if sig - csig < csig - tanh
               else "centring accounts for most of tanh's lead."))


def html_section(results: dict, out: Path) -> str:
    """The zig-zag report as one HTML ``<section>``, figures read from ``out`` and inlined."""
    out = Path(out)
    coh, traj, tr = results["coherence"], results["trajectory"], results["training"]
    pos, cen = coh["positive_inputs"], coh["centered_inputs"]
    s = results["summary"]
    case_rows = [[c["case"], c["d"], c["input_mean"], c["input_negative_fraction"], c["per_example"],
                  c["theory_per_example"], c["minibatch"], c["n_per_example"], c["n_all_zero_per_example"]]
                 for c in coh["cases"]]
    tp, tc = traj["settings"]["positive"], traj["settings"]["centered"]
    traj_rows = [
        ["positive x ~ U(0,1)\u00b2", tp["condition_number"], tp["lr"], _fmt(tp["steps"]), tp["sgd_lr"],
         _fmt(tp["sgd_steps"]), tp["sgd_same_sign_update_fraction"]],
        ["centred (same points minus mean)", tc["condition_number"], tc["lr"], _fmt(tc["steps"]), tc["sgd_lr"],
         _fmt(tc["sgd_steps"]), tc["sgd_same_sign_update_fraction"]],
    ]
    curve_rows = [[c["label"], ", ".join(_fmt(e) for e in c["epochs_to_threshold"]),
                   ", ".join(_fmt(e) for e in c["epochs_to_stay_below"]), c["final_loss_mean"],
                   c["largest_rise"], float(np.mean(c["test_accuracy"]))] for c in tr["conditions"]]
    ratio = traj["steps_ratio"]
    med_stay = {(c["activation"], c["centered"]): c["median_epochs_to_stay_below"] for c in tr["conditions"]}
    parts = [
        paragraph(f"Source: {SOURCE} The claim (CS231n, quoted there): \u201c{CLAIM}\u201d"),
        paragraph(
            "The exact reason: for one example and a unit z = w\u00b7a + b, "
            "\u2202L/\u2202w = (\u2202L/\u2202z)\u00b7a, "
            "the upstream scalar times the input vector. When a \u2265 0, every non-zero coordinate has the sign "
            "of \u2202L/\u2202z. This holds for each example; a minibatch mean sums upstream scalars of both signs "
            "and need not be coherent. A gradient counts as coherent when all its non-zero coordinates share a "
            "sign; all-zero gradients are left out (counted in the table)."),
        paragraph(
            f"Per-example coherence: {pos['per_example']:.3f} with positive (sigmoid) inputs, d = {pos['d']} "
            f"(theory 1) versus {cen['per_example']:.3f} with tanh inputs (2/2^d = {coh['theory_centered']:.3f} "
            f"for independent symmetric inputs; trained hidden units are not independent, so the measured value "
            f"differs from it). Minibatch means: {pos['minibatch']:.3f} versus {cen['minibatch']:.3f}. "
            f"Verdict on \u201call positive or all negative\u201d: "
            f"{verdict(s['per_example_claim_holds'], 'holds exactly for every per-example gradient', 'fails')} "
            f"with non-negative inputs; it does not carry over to minibatch means (only {pos['minibatch']:.3f} "
            f"of those are coherent with sigmoid inputs).", raw=True),
        table(["measured layer", "d", "input mean", "inputs < 0", "per-example coherent", "theory",
               "minibatch coherent", "per-example gradients", "all-zero (left out)"], case_rows),
        image(out / FIGURES[0], "Sign-coherent share of weight gradients."),
        paragraph(
            f"Trajectories: gradient descent from w = 0 with lr = {traj['lr_fraction_of_2_over_L_max']:g} \u00d7 "
            f"2/L_max for each setting (L_max the largest Hessian eigenvalue; the same rule keeps both equally "
            f"far from instability). Steps to ||w \u2212 w*|| \u2264 {traj['tol']:g}: {_fmt(traj['steps_positive'])} "
            f"with positive inputs versus {_fmt(traj['steps_centered'])} centred (ratio {_fmt(ratio, 1)}). "
            f"Positive inputs add \u03bc\u03bc\u1d40 to the Hessian: the (1, \u22121) direction the optimum needs "
            f"becomes the flat one. Per-example SGD (step 1/max\u2099||x\u2099||\u00b2 for each): "
            f"{_fmt(traj['sgd_steps_positive'])} versus {_fmt(traj['sgd_steps_centered'])} steps; with positive "
            f"inputs {tp['sgd_same_sign_update_fraction']:.3f} of its updates have both coordinates of one sign "
            f"(the zig-zag), centred {tc['sgd_same_sign_update_fraction']:.3f}. Verdict: "
            f"{verdict(s['trajectory_centered_faster'], 'centring speeds convergence', 'no speed-up')}.", raw=True),
        table(["inputs", "condition number", "GD lr", "GD steps", "SGD lr", "SGD steps",
               "SGD updates with one sign"], traj_rows),
        image(out / FIGURES[1], "Paths in the (w1, w2) plane over the loss contours, and distance to the optimum."),
        paragraph(
            f"Training curves: digits, 64\u219232\u219210 MLP, plain SGD lr {tr['lr']:g}, minibatch "
            f"{tr['batch_size']}, {tr['epochs']} epochs, {tr['seeds']} seed(s). \u201cCentred sigmoid\u201d is "
            "sigmoid(x) \u2212 1/2: the slope of a sigmoid with a zero-centred output, so comparing it with the "
            "sigmoid isolates centring, whereas tanh(x) = 2\u00b7sigmoid(2x) \u2212 1 is also four times steeper. "
            f"Epochs (per seed) until the training loss first reaches {tr['threshold']:g}, and after which it "
            "stays below it; \u201clargest rise\u201d is the most the loss climbed above its best value so far "
            "(spikes, i.e. instability)."),
        table(["hidden units, inputs", "epochs to threshold", "epochs to stay below", "final loss (mean)",
               "largest rise", "test accuracy"], curve_rows),
        paragraph(
            "Median epochs to stay below the threshold, uncentred \u2192 centred inputs: "
            + "; ".join(f"{ACT_LABELS[a]} {_fmt_epochs(med_stay[(a, False)])} \u2192 "
                        f"{_fmt_epochs(med_stay[(a, True)])}" for a in ACT_LABELS)
            + ". Verdict on \u201czero-centred data and activations help\u201d: "
            + verdict(s["centering_helps"], "holds here (never slower)", "not borne out here") + ". "
            + _slope_note(med_stay), raw=True),
        image(out / FIGURES[2], "Training loss per epoch; dashed: uncentred inputs, solid: centred."),
        paragraph(f"Seed {results['seed']}; {results['elapsed_seconds']:.1f} s"
                  + (" (quick mode: fewer epochs and seeds; numbers are indicative only)."
                     if results["config"]["quick"] else ".")),
    ]
    return section("All-positive inputs give same-sign gradients (zig-zag)", *parts, anchor="zigzag")


def section_html(out_dir: Path) -> str:
    """Read ``out_dir/results.json`` and its figures and return the zig-zag ``<section>``."""
    out_dir = Path(out_dir)
    results = json.loads((out_dir / "results.json").read_text(encoding="utf-8"))
    return html_section(results, out_dir)
