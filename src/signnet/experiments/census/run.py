"""Census of weight signs in trained ReLU networks.

The question (Q&A seed 000, "Can neural network (e.g., convolutional neural
network) have negative weights?") asks whether a deep ReLU network ends up
with negative weights after enough epochs. One answer claims:

    "Rectified weights of layers after the first one are non-negative
    regardless how many epochs in training" (unless one uses Leaky ReLU),

while another names weight decay and the sign of the upstream error as the
reasons weights become negative.

What is measured. A small ReLU CNN (``SignedConv2d`` 1->8 3x3, ReLU,
``SignedConv2d`` 8->16 3x3, ReLU, flatten, ``SignedLinear`` 256->10) and an MLP
(64->64->32->10) are trained on scikit-learn's bundled 8x8 digits with Adam,
minibatches of 64. For every layer and every epoch (epoch 0 is the
initialisation) the census records

* ``negative_fraction``: the share of weights ``< 0``;
* ``zero_fraction``: the share exactly ``== 0``;
* ``positive_mean`` / ``negative_mean``: the mean of the positive weights and
  of the negative weights (0 when there are none).

After training it records, per layer, ``sign_changed_fraction``: the share of
weights whose sign strictly flipped between initialisation and the end
(``w0 > 0 > wT`` or ``w0 < 0 < wT``), and ``relative_change``
``||W_T - W_0|| / ||W_0||``.

Variants (free weights): CNN and MLP x weight decay {0, 1e-3} x activation
{ReLU, leaky ReLU} x inputs {uncentred = raw pixels scaled to [0, 1], all
non-negative; centred = standardised}. Two controls use ReLU, uncentred
inputs and no weight decay:

* a *non-negative start*: free weights initialised to ``|w|``, so the only
  way a negative weight can appear is that training puts it there;
* the *DNN+ twin*: ``sign="nonneg"`` with ``method="project"``; its negative
  fraction must be exactly 0 at every epoch (the reference).

Biases are free in every network and are not counted.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from signnet.nn.activations import make_activation
from signnet.report.artifacts import atomic_write_json, atomic_write_text, run_metadata, save_figure
from signnet.data.datasets import load_dataset
from signnet.nn.enforce import project_
from signnet.errors import SignnetError
from signnet.nn.layers import SignedConv2d, SignedLinear
from signnet.nn.networks import MLP
from signnet.report.html import escape, html_page, image, paragraph, section, table, verdict
from signnet.experiments.runner import run_study

CLAIM = ("Rectified weights of layers after the first one are non-negative regardless how many "
         "epochs in training.")
SOURCE = "Q&A seed 000: \u201cCan neural network (e.g., convolutional neural network) have negative weights?\u201d"
FIGURES = ("negative_fraction.png", "weight_means.png")
LAYER_NAMES = {"cnn": ("conv1", "conv2", "linear"), "mlp": ("linear1", "linear2", "linear3")}


class SmallCNN(nn.Module):
    """The census CNN for 8x8 digits: conv 1->8 3x3, act, conv 8->16 3x3, act, linear 256->10.

    Args:
        activation: hidden activation name (``"relu"``, ``"leaky_relu"``, ...).
        sign: sign specification of every layer (``"free"`` or ``"nonneg"``).

    Shape:
        - Input: ``(N, 64)`` or ``(N, 1, 8, 8)``.  - Output: ``(N, 10)``.
    """

    def __init__(self, activation: str = "relu", sign="free"):
        super().__init__()
        self.conv1 = SignedConv2d(1, 8, 3, sign=sign)  # (N, 8, 6, 6)
        self.act1 = make_activation(activation)
        self.conv2 = SignedConv2d(8, 16, 3, sign=sign)  # (N, 16, 4, 4)
        self.act2 = make_activation(activation)
        self.linear = SignedLinear(16 * 4 * 4, 10, sign=sign)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(-1, 1, 8, 8)
        x = self.act2(self.conv2(self.act1(self.conv1(x))))
        return self.linear(x.flatten(1))


def signed_layers(model: nn.Module, kind: str) -> dict[str, nn.Module]:
    """The weight layers of a census model by name, first to last."""
    layers = [m for m in model.modules() if isinstance(m, (SignedLinear, SignedConv2d))]
    return dict(zip(LAYER_NAMES[kind], layers))


def build_model(kind: str, activation: str, sign: str = "free") -> nn.Module:
    """A census model: ``kind`` is ``"cnn"`` or ``"mlp"``."""
    if kind == "cnn":
        return SmallCNN(activation, sign)
    if kind == "mlp":
        return MLP(64, (64, 32), 10, activation=activation, weights=sign, head="softmax")
    raise SignnetError(f"Unknown census model {kind!r}; choose cnn or mlp.")


@torch.no_grad()
def layer_stats(weight: torch.Tensor) -> dict[str, float]:
    """Sign statistics of one weight tensor (see the module docstring)."""
    w = weight.detach()
    pos, neg = w[w > 0], w[w < 0]
    return {
        "negative_fraction": float((w < 0).float().mean()),
        "zero_fraction": float((w == 0).float().mean()),
        "positive_mean": float(pos.mean()) if pos.numel() else 0.0,
        "negative_mean": float(neg.mean()) if neg.numel() else 0.0,
    }


def _data(seed: int, quick: bool):
    """Digits as ``{"uncentred": (Xtr, Xte), "centred": (Xtr, Xte)}`` and labels."""
    raw = load_dataset("digits", seed=seed, standardize=False)
    std = load_dataset("digits", seed=seed, standardize=True)
    n = 300 if quick else len(raw.y_train)
    inputs = {
        False: (torch.tensor(raw.X_train[:n] / 16.0), torch.tensor(raw.X_test / 16.0)),  # in [0, 1]
        True: (torch.tensor(std.X_train[:n]), torch.tensor(std.X_test)),  # zero mean, unit variance
    }
    return inputs, torch.tensor(raw.y_train[:n]), torch.tensor(raw.y_test)


def train_census_run(spec: dict, X_tr, y_tr, X_te, y_te, *, epochs: int, lr: float, batch_size: int,
                     seed: int) -> dict:
    """Train one census variant and record the sign statistics of every layer at every epoch."""
    torch.manual_seed(seed)
    model = build_model(spec["model_kind"], spec["activation"], spec["sign"])
    layers = signed_layers(model, spec["model_kind"])
    if spec["init"] == "nonneg":
        with torch.no_grad():
            for layer in layers.values():
                layer.weight.abs_()
    initial = {name: layer.weight.detach().clone() for name, layer in layers.items()}
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=spec["weight_decay"])
    gen = torch.Generator().manual_seed(seed)
    history = {"epoch": [0], "train_loss": [],
               "layers": {name: {k: [v] for k, v in layer_stats(layer.weight).items()}
                          for name, layer in layers.items()}}
    start = time.perf_counter()
    n = X_tr.shape[0]
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(n, generator=gen)
        total = 0.0
        for lo in range(0, n, batch_size):
            idx = order[lo:lo + batch_size]
            loss = F.cross_entropy(model(X_tr[idx]), y_tr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            project_(model)  # only DNN+ layers (method="project", sign="nonneg") are changed
            total += loss.item() * len(idx)
        history["epoch"].append(epoch)
        history["train_loss"].append(total / n)
        for name, layer in layers.items():
            for k, v in layer_stats(layer.weight).items():
                history["layers"][name][k].append(v)
    model.eval()
    with torch.no_grad():
        test_accuracy = float((model(X_te).argmax(1) == y_te).float().mean())
    final, flipped, rel = {}, {}, {}
    for name, layer in layers.items():
        w0, wT = initial[name], layer.weight.detach()
        final[name] = float((wT < 0).float().mean())
        flipped[name] = float((((w0 > 0) & (wT < 0)) | ((w0 < 0) & (wT > 0))).float().mean())
        rel[name] = float((wT - w0).norm() / w0.norm())
    return {
        "model": "dnn_plus" if spec["sign"] == "nonneg" else spec["model_kind"],
        "architecture": spec["model_kind"], "label": spec["label"], "sign": spec["sign"], "init": spec["init"],
        "weight_decay": spec["weight_decay"], "activation": spec["activation"], "centered": spec["centered"],
        "layers": list(layers),
        "initial_negative_fraction": {name: history["layers"][name]["negative_fraction"][0] for name in layers},
        "final_negative_fraction": final,
        "final_zero_fraction": {name: history["layers"][name]["zero_fraction"][-1] for name in layers},
        "max_negative_fraction_over_training": {name: max(history["layers"][name]["negative_fraction"])
                                                for name in layers},
        "sign_changed_fraction": flipped, "relative_change": rel,
        "test_accuracy": test_accuracy, "final_train_loss": history["train_loss"][-1],
        "seconds": round(time.perf_counter() - start, 3), "history": history,
    }


def variants() -> list[dict]:
    """The census grid: 16 free variants, 2 non-negative starts, 2 DNN+ twins."""
    out = []
    for kind in ("cnn", "mlp"):
        for wd in (0.0, 1e-3):
            for act in ("relu", "leaky_relu"):
                for centered in (False, True):
                    out.append({"model_kind": kind, "weight_decay": wd, "activation": act, "centered": centered,
                                "sign": "free", "init": "default",
                                "label": f"{act}, wd={wd:g}, {'centred' if centered else 'uncentred'}"})
        base = {"model_kind": kind, "weight_decay": 0.0, "activation": "relu", "centered": False}
        out.append({**base, "sign": "free", "init": "nonneg", "label": "relu, non-negative start"})
        out.append({**base, "sign": "nonneg", "init": "default", "label": "DNN+ twin (nonneg, project)"})
    return out


def _summary(runs: list[dict]) -> dict:
    """The numbers that answer the Q&A's claims."""
    free = [r for r in runs if r["sign"] == "free" and r["init"] == "default"]
    later = lambda r: r["layers"][1:]  # noqa: E731  layers after the first

    def mean_final(select, position):
        vals = [r["final_negative_fraction"][r["layers"][position]] for r in free if select(r)]
        return float(np.mean(vals)) if vals else None

    by_wd = {}
    for kind in ("cnn", "mlp"):
        for wd in (0.0, 1e-3):
            for act in ("relu", "leaky_relu"):
                key = f"{kind}/{act}/wd={wd:g}"
                by_wd[key] = [mean_final(lambda r: r["architecture"] == kind and r["weight_decay"] == wd
                                         and r["activation"] == act, p) for p in range(3)]
    relu_later = [r["final_negative_fraction"][n] for r in free if r["activation"] == "relu" for n in later(r)]
    nonneg_start = [r for r in runs if r["init"] == "nonneg"]
    twins = [r for r in runs if r["sign"] == "nonneg"]
    twin_max = max((max(r["max_negative_fraction_over_training"].values()) for r in twins), default=0.0)
    nonneg_later = {r["architecture"]: {n: r["final_negative_fraction"][n] for n in later(r)} for r in nonneg_start}
    flips_later = [r["sign_changed_fraction"][n] for r in free for n in later(r)]
    flips_all = {r["architecture"] + "/" + n: [] for r in free for n in r["layers"]}
    for r in free:
        for n in r["layers"]:
            flips_all[r["architecture"] + "/" + n].append(r["sign_changed_fraction"][n])
    wd_later = {f"{wd:g}": float(np.mean([r["final_negative_fraction"][n] for r in free
                                           if r["weight_decay"] == wd for n in later(r)]))
                for wd in sorted({r["weight_decay"] for r in free})}
    return {
        "mean_later_layers_negative_fraction_by_weight_decay": wd_later,
        "relu_later_layers_min_negative_fraction": min(relu_later) if relu_later else None,
        "relu_later_layers_max_negative_fraction": max(relu_later) if relu_later else None,
        "relu_later_layers_mean_negative_fraction": float(np.mean(relu_later)) if relu_later else None,
        "mean_final_negative_fraction_by_layer_position": by_wd,
        "nonneg_start_later_layers_negative_fraction": nonneg_later,
        "dnn_plus_max_negative_fraction": twin_max,
        "mean_sign_changed_fraction_later_layers": float(np.mean(flips_later)) if flips_later else None,
        "mean_sign_changed_fraction_by_layer": {k: float(np.mean(v)) for k, v in flips_all.items()},
        "claim_refuted": bool(relu_later and min(relu_later) > 0
                              and all(v > 0 for d in nonneg_later.values() for v in d.values())),
    }


def _plot(results: dict, out: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = results["runs"]
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.2), sharex=True, sharey=True)
    cmap = plt.get_cmap("tab10")
    for row, kind in enumerate(("cnn", "mlp")):
        mine = [r for r in runs if r["architecture"] == kind]
        for col in range(3):
            ax = axes[row, col]
            for i, r in enumerate(mine):
                name = r["layers"][col]
                h = r["history"]
                style = {"color": "black", "lw": 2.2} if r["sign"] == "nonneg" else \
                    {"color": "tab:red", "lw": 2.0, "ls": "--"} if r["init"] == "nonneg" else \
                    {"color": cmap(i % 10), "lw": 1.2, "ls": "-" if r["weight_decay"] == 0 else ":"}
                ax.plot(h["epoch"], h["layers"][name]["negative_fraction"], label=r["label"], **style)
            ax.set_title(f"{kind.upper()} {r['layers'][col]}" + (" (first layer)" if col == 0 else ""))
            ax.axhline(0.5, color="grey", lw=0.6, ls="-.")
            ax.set_ylim(-0.03, 0.75)
            if row == 1:
                ax.set_xlabel("epoch (0 = initialisation)")
            if col == 0:
                ax.set_ylabel("fraction of weights < 0")
    handles, labels = axes[1, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.suptitle("Negative-weight fraction per layer during training (digits); DNN+ twin in black")
    fig.subplots_adjust(left=0.06, right=0.99, top=0.92, bottom=0.2, wspace=0.08, hspace=0.22)
    save_figure(fig, out / FIGURES[0])

    fig, axes = plt.subplots(2, 3, figsize=(13, 6.5), sharex=True)
    for row, kind in enumerate(("cnn", "mlp")):
        chosen = [r for r in runs if r["architecture"] == kind and r["activation"] == "relu"
                  and not r["centered"] and r["sign"] == "free"]
        for col in range(3):
            ax = axes[row, col]
            for r in chosen:
                name = r["layers"][col]
                h = r["history"]["layers"][name]
                lab = ("non-negative start" if r["init"] == "nonneg" else f"wd={r['weight_decay']:g}")
                line, = ax.plot(r["history"]["epoch"], h["positive_mean"], label=f"{lab}: mean of w>0")
                ax.plot(r["history"]["epoch"], h["negative_mean"], color=line.get_color(), ls="--",
                        label=f"{lab}: mean of w<0")
            ax.axhline(0, color="grey", lw=0.6)
            ax.set_title(f"{kind.upper()} {r['layers'][col]}")
            if row == 1:
                ax.set_xlabel("epoch")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle("Mean of the positive and of the negative weights (ReLU, uncentred inputs)")
    fig.subplots_adjust(left=0.06, right=0.99, top=0.91, bottom=0.16, wspace=0.22, hspace=0.25)
    save_figure(fig, out / FIGURES[1])


def html_section(results: dict, out: Path) -> str:
    """The census report as one HTML ``<section>``, figures read from ``out`` and inlined."""
    out = Path(out)
    s = results["summary"]
    runs = results["runs"]
    cfg = results["config"]
    rows = []
    for r in runs:
        rows.append([r["model"], r["activation"], f"{r['weight_decay']:g}", "yes" if r["centered"] else "no",
                     r["init"], *[f"{r['layers'][i]}: {r['initial_negative_fraction'][r['layers'][i]]:.3f} \u2192 "
                                  f"{r['final_negative_fraction'][r['layers'][i]]:.3f}" for i in range(3)],
                     ", ".join(f"{r['sign_changed_fraction'][n]:.3f}" for n in r["layers"]),
                     r["test_accuracy"]])
    pos_rows = [[k, *[("" if v is None else v) for v in vals]]
                for k, vals in s["mean_final_negative_fraction_by_layer_position"].items()]
    nn_start = s["nonneg_start_later_layers_negative_fraction"]
    nn_text = "; ".join(f"{k.upper()}: " + ", ".join(f"{n} {v:.3f}" for n, v in d.items()) for k, d in nn_start.items())
    parts = [
        paragraph(f"Source: {SOURCE} One answer claims: \u201c{CLAIM}\u201d (negative weights only with "
                  "Leaky ReLU); another names weight decay and the sign of the upstream error as the reasons."),
        paragraph(
            f"Measured: a ReLU CNN (conv 1\u21928 3\u00d73, conv 8\u219216 3\u00d73, linear 256\u219210) and an "
            f"MLP (64\u219264\u219232\u219210) trained on the bundled 8\u00d78 digits ({cfg['n_train']} training "
            f"images, {cfg['epochs']} epochs, Adam lr {cfg['lr']:g}, minibatch {cfg['batch_size']}; weight decay is "
            "Adam's L2 term). Per layer "
            "and epoch: the share of weights &lt; 0, and the mean of the positive and of the negative weights. "
            "\u201cSign changed\u201d is the share of weights whose sign strictly flipped between initialisation "
            "and the end. Uncentred inputs are raw pixels scaled to [0, 1] (all non-negative); centred inputs "
            "are standardised. The non-negative start is a free network whose initial weights are |w|; "
            "the DNN+ twin is constrained (sign=\"nonneg\", projection after every step).", raw=True),
        paragraph(
            f"Verdict on the claim: {verdict(s['claim_refuted'], 'refuted', 'not refuted')}. With ReLU, the "
            f"layers after the first end with between {s['relu_later_layers_min_negative_fraction']:.3f} and "
            f"{s['relu_later_layers_max_negative_fraction']:.3f} "
            f"of their weights negative (mean {s['relu_later_layers_mean_negative_fraction']:.3f}); a free "
            f"network started with every weight non-negative acquires negative weights after the first layer "
            f"({escape(nn_text)}); Leaky ReLU is not needed for this. Only the explicitly constrained DNN+ twin "
            f"stays at {s['dnn_plus_max_negative_fraction']:.3f} at every epoch.", raw=True),
        paragraph(
            "Why: the gradient on a weight of a later layer is (upstream error) \u00d7 (non-negative ReLU "
            "output); the upstream error has either sign, so a step can push a weight below zero. The default "
            "initialisation is symmetric, so about half of the weights start negative; by the end, "
            f"{s['mean_sign_changed_fraction_later_layers']:.3f} of the weights of layers after the first have "
            "flipped sign (mean over the free runs). L2 weight decay multiplies a weight by (1 \u2212 lr\u00b7wd) "
            "and never flips its sign by itself; the mean negative fraction of the layers after the first is "
            + ", ".join(f"{v:.3f} with weight decay {k}" for k, v in
                        s["mean_later_layers_negative_fraction_by_weight_decay"].items())
            + " (table below: mean final negative fraction per layer position)."),
        table(["model/activation/weight decay (mean over centred and uncentred inputs)", "layer 1", "layer 2",
               "layer 3"], pos_rows),
        image(out / FIGURES[0], "Share of negative weights per layer and epoch; black: DNN+ twin (exactly 0), "
              "red dashed: free network with a non-negative start, dotted: weight decay 1e-3."),
        image(out / FIGURES[1], "Mean of the positive weights (solid) and of the negative weights (dashed)."),
        table(["model", "activation", "weight decay", "centred", "init", "layer 1: init \u2192 end",
               "layer 2: init \u2192 end", "layer 3: init \u2192 end", "sign changed (per layer)",
               "test accuracy"], rows),
        paragraph(f"Seed {results['seed']}; {results['elapsed_seconds']:.1f} s"
                  + (" (quick mode: a subset and few epochs; numbers are indicative only)." if cfg["quick"] else "."),
                  raw=False),
    ]
    return section("Do ReLU networks end up with negative weights? (census)", *parts, anchor="census")


def section_html(out_dir: Path) -> str:
    """Read ``out_dir/results.json`` and its figures and return the census ``<section>``."""
    import json

    out_dir = Path(out_dir)
    results = json.loads((out_dir / "results.json").read_text(encoding="utf-8"))
    return html_section(results, out_dir)



def run_census(out: Path, *, seed: int = 0, quick: bool = False, progress: bool = True) -> dict:
    """Run the census, write ``results.json``, the figures and ``index.html`` into ``out``; return the results.

    Args:
        out: output folder (created if missing).
        seed: seeds the data split, every initialisation and the minibatch order.
        quick: 300 training images and 2 epochs (for tests and smoke runs).
        progress: a progress bar over the runs, on stderr.
    """
    return run_study(_run, out, seed=seed, quick=quick, progress=progress)


def _run(out: Path, seed: int, quick: bool, progress: bool) -> dict:
    start = time.perf_counter()
    epochs, lr, batch_size = (2, 3e-3, 64) if quick else (20, 3e-3, 64)
    inputs, y_tr, y_te = _data(seed, quick)
    grid = variants()
    runs = []
    bar = tqdm(grid, desc="census", disable=not progress, leave=False, file=sys.stderr)
    for i, spec in enumerate(bar):
        X_tr, X_te = inputs[spec["centered"]]
        runs.append(train_census_run(spec, X_tr, y_tr, X_te, y_te, epochs=epochs, lr=lr,
                                     batch_size=batch_size, seed=seed * 1000 + i))
    bar.close()
    config = {"study": "census", "quick": quick, "epochs": epochs, "lr": lr, "optimizer": "adam",
              "batch_size": batch_size, "n_train": int(y_tr.shape[0]), "n_test": int(y_te.shape[0]),
              "dataset": "digits", "n_runs": len(grid)}
    results = {"study": "census", "claim": CLAIM, "source": SOURCE, "runs": runs}
    results["summary"] = _summary(runs)
    results.update(run_metadata(config, seed))
    results["elapsed_seconds"] = round(time.perf_counter() - start, 2)
    _plot(results, out)
    atomic_write_json(out / "results.json", results)
    page = html_page("signnet census: negative weights in ReLU networks", [html_section(results, out)])
    atomic_write_text(out / "index.html", page)
    return results
