"""Census of weight signs in trained ReLU networks: what the study runs.

The question (Q&A seed 000, "Can neural network (e.g., convolutional neural
network) have negative weights?") asks whether a deep ReLU network ends up
with negative weights after enough epochs. One answer claims:

    "Rectified weights of layers after the first one are non-negative
    regardless how many epochs in training" (unless one uses Leaky ReLU),

while another names weight decay and the sign of the upstream error as the
reasons weights become negative.

What is measured. A small ReLU CNN (``SignedConv2d`` 1->8 3x3, ReLU,
``SignedConv2d`` 8->16 3x3, ReLU, flatten, ``SignedLinear`` 256->10) and an MLP
(64->64->32->10) are trained on scikit-learn's bundled 8x8 digits with
``torch.optim.Adam``, minibatches of 64. Weight decay is Adam's coupled L2
term: ``wd * w`` is added to the gradient before Adam's moment estimates, so
it is normalised with the rest of the gradient (it is not the decoupled
shrink ``w <- (1 - lr * wd) * w`` of AdamW). For every layer and every epoch
(epoch 0 is the initialisation) the census records

* ``negative_fraction``: the share of weights ``< 0``;
* ``zero_fraction``: the share exactly ``== 0``;
* ``positive_mean`` / ``negative_mean``: the mean of the positive weights and
  of the negative weights (0 when there are none).

After every optimiser step it counts the weights whose sign that one step
strictly flipped (``step_sign_flips``). After training it records, per layer,
``sign_changed_fraction``: the share of weights whose sign strictly flipped
between initialisation and the end (``w0 > 0 > wT`` or ``w0 < 0 < wT``), and
``relative_change`` ``||W_T - W_0|| / ||W_0||``.

Variants (free weights): CNN and MLP x weight decay {0, 1e-3} x activation
{ReLU, leaky ReLU} x inputs {uncentred = raw pixels scaled to [0, 1], all
non-negative; centred = standardised}. Two controls use ReLU, uncentred
inputs and no weight decay:

* a *non-negative start*: free weights initialised to ``|w|``, so the only
  way a negative weight can appear is that training puts it there;
* the *DNN+ twin*: ``sign="nonneg"`` with ``method="project"``; its negative
  fraction must be exactly 0 at every epoch (the reference).

Biases are free in every network and are not counted. The verdicts are
computed in :mod:`.verdicts`, the report written by :mod:`.report`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from signnet.data.datasets import load_dataset
from signnet.errors import SignnetError
from signnet.experiments.census.results import (
    CLAIM,
    LAYER_NAMES,
    SOURCE,
    TRAINED_ACCURACY,
    CensusConfig,
    CensusResults,
    CensusRun,
    LayerHistory,
    RunHistory,
)
from signnet.experiments.census.verdicts import census_verdicts, claim_refuted, summarise
from signnet.experiments.runner import run_study
from signnet.nn.activations import make_activation
from signnet.nn.layers import SignedConv2d, SignedLinear
from signnet.nn.networks import MLP
from signnet.train.loop import make_optimizer, train_loop

OPTIMIZER = "adam"  # torch.optim.Adam: weight decay is its coupled L2 term (wd * w added to the gradient)
WEIGHT_DECAY_FORM = "coupled L2 (torch.optim.Adam weight_decay): wd*w is added to the gradient"

__all__ = ["SmallCNN", "build_model", "layer_stats", "run", "run_census", "section_html", "signed_layers",
           "train_census_run", "variants"]


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
    return dict(zip(LAYER_NAMES[kind], layers, strict=True))


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


@torch.no_grad()
def strict_sign_flips(before: torch.Tensor, after: torch.Tensor) -> int:
    """How many entries changed sign strictly: ``before > 0 > after`` or ``before < 0 < after``.

    A weight that reaches or leaves exactly 0 is not a flip.
    """
    return int((((before > 0) & (after < 0)) | ((before < 0) & (after > 0))).sum())


def _flipped_share(before: torch.Tensor, after: torch.Tensor) -> float:
    """The share of entries whose sign flipped strictly (see :func:`strict_sign_flips`)."""
    return float((((before > 0) & (after < 0)) | ((before < 0) & (after > 0))).float().mean())


class StepFlipCounter:
    """Counts, per layer, the weights whose sign one optimiser step flipped (call it after every step)."""

    def __init__(self, layers: dict[str, nn.Module]):
        self.layers = layers
        self.previous = {name: layer.weight.detach().clone() for name, layer in layers.items()}
        self.flips = dict.fromkeys(layers, 0)
        self.steps = 0

    def __call__(self, *_) -> None:
        self.steps += 1
        for name, layer in self.layers.items():
            now = layer.weight.detach()
            self.flips[name] += strict_sign_flips(self.previous[name], now)
            self.previous[name].copy_(now)


def _data(seed: int, quick: bool):
    """Digits as ``{False: (Xtr, Xte) uncentred, True: (Xtr, Xte) centred}`` and labels."""
    raw = load_dataset("digits", seed=seed, standardize=False)
    std = load_dataset("digits", seed=seed, standardize=True)
    n = 300 if quick else len(raw.y_train)
    inputs = {
        False: (torch.tensor(raw.X_train[:n] / 16.0), torch.tensor(raw.X_test / 16.0)),  # in [0, 1]
        True: (torch.tensor(std.X_train[:n]), torch.tensor(std.X_test)),  # zero mean, unit variance
    }
    return inputs, torch.tensor(raw.y_train[:n]), torch.tensor(raw.y_test)


def _train(model, X_tr, y_tr, *, epochs, lr, weight_decay, batch_size, seed, on_step, on_epoch) -> None:
    """:data:`OPTIMIZER` on cross-entropy through the shared loop (:func:`signnet.train.loop.train_loop`).

    The minibatch order is drawn from ``torch.Generator().manual_seed(seed)``; the
    loop projects the DNN+ layers (``method="project"``) after every step, then
    calls ``on_step()``; after every epoch it calls ``on_epoch(mean training loss)``.
    """
    train_loop(model, X_tr, y_tr, epochs=epochs, loss="softmax", batch_size=batch_size, generator=seed,
               optimizer=lambda params: make_optimizer(OPTIMIZER, params, lr=lr, weight_decay=weight_decay),
               on_step=lambda step: on_step(), on_epoch=lambda epoch, m, history: on_epoch(history.loss[-1]))


def train_census_run(spec: dict, X_tr, y_tr, X_te, y_te, *, epochs: int, lr: float, batch_size: int,
                     seed: int) -> CensusRun:
    """Train one census variant and record the sign statistics of every layer at every epoch.

    The model is built under ``torch.random.fork_rng`` seeded with ``seed``, so
    the caller's random state is left as it was.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model(spec["model_kind"], spec["activation"], spec["sign"])
    layers = signed_layers(model, spec["model_kind"])
    if spec["init"] == "nonneg":
        with torch.no_grad():
            for layer in layers.values():
                layer.weight.abs_()
    initial = {name: layer.weight.detach().clone() for name, layer in layers.items()}
    stats = {name: {k: [v] for k, v in layer_stats(layer.weight).items()} for name, layer in layers.items()}
    losses: list[float] = []

    def on_epoch(loss: float) -> None:
        losses.append(loss)
        for name, layer in layers.items():
            for k, v in layer_stats(layer.weight).items():
                stats[name][k].append(v)

    counter = StepFlipCounter(layers)
    start = time.perf_counter()
    _train(model, X_tr, y_tr, epochs=epochs, lr=lr, weight_decay=spec["weight_decay"], batch_size=batch_size,
           seed=seed, on_step=counter, on_epoch=on_epoch)
    model.eval()
    with torch.no_grad():
        test_accuracy = float((model(X_te).argmax(1) == y_te).float().mean())
    names = list(layers)
    final = {name: layer.weight.detach() for name, layer in layers.items()}
    return CensusRun(
        model="dnn_plus" if spec["sign"] == "nonneg" else spec["model_kind"], architecture=spec["model_kind"],
        label=spec["label"], sign=spec["sign"], init=spec["init"], weight_decay=spec["weight_decay"],
        activation=spec["activation"], centered=spec["centered"], layers=names,
        n_weights={n: final[n].numel() for n in names},
        initial_negative_fraction={n: stats[n]["negative_fraction"][0] for n in names},
        final_negative_fraction={n: float((final[n] < 0).float().mean()) for n in names},
        final_zero_fraction={n: stats[n]["zero_fraction"][-1] for n in names},
        max_negative_fraction_over_training={n: max(stats[n]["negative_fraction"]) for n in names},
        sign_changed_fraction={n: _flipped_share(initial[n], final[n]) for n in names},
        step_sign_flips=dict(counter.flips), steps=counter.steps,
        relative_change={n: float((final[n] - initial[n]).norm() / initial[n].norm()) for n in names},
        test_accuracy=test_accuracy, final_train_loss=losses[-1], seconds=round(time.perf_counter() - start, 3),
        history=RunHistory(epoch=list(range(epochs + 1)), train_loss=losses,
                           layers={n: LayerHistory(**stats[n]) for n in names}),
    )


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


def run(*, seed: int = 0, quick: bool = False, progress: bool = True) -> CensusResults:
    """Train the census grid and return its typed results, verdicts included (no files are written).

    Args:
        seed: seeds the data split, every initialisation and the minibatch order
            (network ``i`` of the grid uses ``seed * 1000 + i``).
        quick: 300 training images and 2 epochs (a smoke run: the networks do not train,
            so the verdicts about training are inconclusive).
        progress: a progress bar over the runs, on stderr.
    """
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
    config = CensusConfig(
        study="census", quick=quick, epochs=epochs, lr=lr, optimizer=OPTIMIZER, weight_decay_form=WEIGHT_DECAY_FORM,
        batch_size=batch_size, n_train=int(y_tr.shape[0]), n_test=int(y_te.shape[0]), dataset="digits",
        n_runs=len(grid), trained_accuracy=TRAINED_ACCURACY)
    summary = summarise(runs)
    verdicts = census_verdicts(summary, config)
    summary.claim_refuted = claim_refuted(verdicts)
    return CensusResults(study="census", claim=CLAIM, source=SOURCE, config=config, seed=seed, runs=runs,
                         summary=summary, verdicts=verdicts,
                         elapsed_seconds=round(time.perf_counter() - start, 2))


def run_census(out: Path, *, seed: int = 0, quick: bool = False, progress: bool = True) -> dict:
    """Run the census, write ``results.json``, the figures and ``index.html`` into ``out``; return the results.

    Args:
        out: output folder (created if missing).
        seed: seeds the data split, every initialisation and the minibatch order.
        quick: 300 training images and 2 epochs (for tests and smoke runs).
        progress: a progress bar over the runs, on stderr.

    Returns:
        the content of ``results.json`` (the results as a dict plus the provenance block).
    """
    return run_study(_run, out, seed=seed, quick=quick, progress=progress)


def _run(out: Path, seed: int, quick: bool, progress: bool) -> dict:
    from signnet.experiments.census.report import write_report

    return write_report(run(seed=seed, quick=quick, progress=progress), out)


def section_html(out_dir: Path) -> str:
    """Read ``out_dir/results.json`` and its figures and return the census ``<section>`` (see :mod:`.report`)."""
    from signnet.experiments.census.report import section_html as _section_html

    return _section_html(out_dir)

