"""Zig-zag: all-positive inputs give same-sign gradients (Q&A seed 002).

The question (Q&A seed 002, "What is the problem with training Neural Networks
with back propagation with activation functions that only output positive
values?") quotes CS231n: when the input ``x`` of a neuron ``f = w.x + b`` is
always positive, the gradient on ``w`` is "always all positive or all
negative", updates zig-zag, and zero-centred data and activations help.

Three measurements, each with its verdicts (:mod:`.verdicts`):

1. *Sign coherence* (:mod:`.gradients`). MLPs 64 -> d -> 10 (d = 4) are trained
   on the bundled digits with plain SGD; at every step we count, for every unit
   of the measured layer, coherent per-example gradients (exact, from a probe)
   and coherent minibatch-mean gradients. The output layer is fed by the d
   hidden units: sigmoid (inputs strictly positive), ReLU (non-negative) or tanh
   (roughly zero-centred); the first layer by raw pixels (non-negative) or
   standardised pixels.
2. *Trajectories* (:mod:`.trajectory`): gradient descent of a two-weight linear
   neuron toward ``w* = (1, -1)`` and ``w* = (1, 1)``, positive versus centred
   inputs, on the main data draw and on further draws.
3. *Training curves*. A 64 -> 32 -> 10 MLP on digits with sigmoid, centred
   sigmoid (``sigmoid(x) - 1/2``: the same slope, zero-centred output) or tanh
   hidden units, with uncentred (pixels / 16, in [0, 1]) or centred (minus the
   training mean, same scale) inputs; plain SGD; epochs until the training
   loss first falls below a threshold, and until it stays below it.

:func:`compute_zigzag` returns the typed :class:`~.results.ZigzagResults` and
writes nothing; :func:`run_zigzag` (the CLI's and ``reproduce --all``'s entry
point) also writes ``results.json``, the figures and ``index.html``
(:mod:`.report`). No global state is changed: every network is built under
``torch.random.fork_rng`` and every seed is derived with
``numpy.random.SeedSequence(seed, spawn_key=...)``, so no two runs' seeds
(``--seed 0`` and ``--seed 1``) and no two streams of one run coincide.
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

from signnet.data.datasets import load_dataset
from signnet.experiments.runner import run_study
from signnet.experiments.zigzag.gradients import Probe, coherence_counts, per_example_weight_grads
from signnet.experiments.zigzag.report import FIGURES, section_html, write_report  # noqa: F401 (entry points)
from signnet.experiments.zigzag.results import (
    ACT_LABELS,
    CLAIM,
    SOURCE,
    Coherence,
    CoherenceCase,
    Condition,
    Training,
    ZigzagResults,
)
from signnet.experiments.zigzag.seeds import COHERENCE_STREAM, CURVE_STREAM, derived_seed
from signnet.experiments.zigzag.trajectory import trajectory_study
from signnet.experiments.zigzag.verdicts import study_verdicts, summary
from signnet.nn.networks import MLP
from signnet.train.loop import train_loop

D_HIDDEN = 4  # width d of the hidden layer whose outputs feed the measured layer
COHERENCE = {"epochs": 3, "quick_epochs": 1, "lr": 0.5, "batch_size": 64}
CURVES = {"epochs": 30, "quick_epochs": 5, "seeds": 3, "quick_seeds": 1, "lr": 0.5, "batch_size": 64,
          "threshold": 0.3, "hidden": [32]}
# (activation, network inputs, [(measured layer index, case, kind of inputs of that layer, d)])
PROBE_NETS = (
    ("sigmoid", "standardised", ((2, "sigmoid hidden units \u2192 output layer", "positive", D_HIDDEN),
                                 (0, "standardised pixels \u2192 first layer", "centered", 64))),
    ("relu", "standardised", ((2, "ReLU hidden units \u2192 output layer", "non-negative", D_HIDDEN),)),
    ("tanh", "standardised", ((2, "tanh hidden units \u2192 output layer", "centered", D_HIDDEN),)),
    ("tanh", "raw", ((0, "raw pixels in [0, 1] \u2192 first layer", "non-negative", 64),)),
)


def _built(make, seed: int) -> nn.Module:
    """``make()`` with its initialisation drawn from ``seed``; the caller's torch RNG is left as it was."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return make()


def _sgd(model: nn.Module, X: torch.Tensor, y: torch.Tensor, *, epochs: int, lr: float, batch_size: int,
         order_seed: int, on_grad=None, on_epoch=None) -> None:
    """Plain SGD on the cross-entropy through :func:`signnet.train.train_loop`, minibatch order from ``order_seed``.

    ``on_grad(model)`` runs after each backward pass (the gradients of the step
    are in ``.grad``), ``on_epoch(epoch, model)`` after each epoch. A run whose
    loss turns non-finite stops there (``diverge="stop"``).
    """
    train_loop(model, X, y, epochs=epochs, optimizer=torch.optim.SGD(model.parameters(), lr=lr), loss="softmax",
               batch_size=batch_size, generator=torch.Generator().manual_seed(order_seed),
               on_grad=None if on_grad is None else lambda step: on_grad(step.model),
               on_epoch=None if on_epoch is None else lambda epoch, model, history: on_epoch(epoch, model),
               diverge="stop")


# --------------------------------------------------------------------------- 1. sign coherence

def coherence_study(seed: int, quick: bool, bar=None) -> Coherence:
    """Train the probe networks and count coherent per-example and minibatch-mean weight gradients."""
    raw = load_dataset("digits", seed=seed, standardize=False)
    std = load_dataset("digits", seed=seed, standardize=True)
    inputs = {"raw": torch.tensor(raw.X_train / 16.0), "standardised": torch.tensor(std.X_train)}
    y = torch.tensor(raw.y_train)
    epochs = COHERENCE["quick_epochs" if quick else "epochs"]
    cases = []
    for k, (act, data, probes) in enumerate(PROBE_NETS):
        model = _built(lambda act=act: MLP(64, (D_HIDDEN,), 10, activation=act, head="softmax"),
                       derived_seed(seed, COHERENCE_STREAM, k, 0))
        counts = {i: {"per_example": np.zeros(3, int), "minibatch": np.zeros(3, int), "in_sum": 0.0, "in_neg": 0,
                      "in_n": 0} for i, *_ in probes}
        with Probe(model, {i for i, *_ in probes}) as probe:
            def count(model, probe=probe, counts=counts):
                for i, c in counts.items():
                    a, z = probe.captured[i]
                    for key, g in (("per_example", per_example_weight_grads(a, z.grad)),  # (B, units, d)
                                   ("minibatch", model[i].weight.grad)):  # (units, d): the minibatch mean
                        cc = coherence_counts(g)
                        c[key] += (cc["coherent"], cc["judged"], cc["all_zero"])
                    c["in_sum"] += float(a.sum())
                    c["in_neg"] += int((a < 0).sum())
                    c["in_n"] += a.numel()

            _sgd(model, inputs[data], y, epochs=epochs, lr=COHERENCE["lr"], batch_size=COHERENCE["batch_size"],
                 order_seed=derived_seed(seed, COHERENCE_STREAM, k, 1), on_grad=count)
        if bar is not None:
            bar.update()
        for i, name, kind, d in probes:
            c = counts[i]
            cases.append(CoherenceCase(
                case=name, activation=act, data=data, layer_index=i, inputs=kind, d=d,
                per_example=c["per_example"][0] / max(c["per_example"][1], 1),
                minibatch=c["minibatch"][0] / max(c["minibatch"][1], 1),
                n_per_example=int(c["per_example"][1]), n_minibatch=int(c["minibatch"][1]),
                n_all_zero_per_example=int(c["per_example"][2]), n_all_zero_minibatch=int(c["minibatch"][2]),
                theory_per_example=1.0 if kind in ("positive", "non-negative") else 2.0 / 2 ** d,
                input_mean=c["in_sum"] / c["in_n"], input_negative_fraction=c["in_neg"] / c["in_n"]))
    by_name = {c.case: c for c in cases}
    return Coherence(d=D_HIDDEN, theory_centered=2.0 / 2 ** D_HIDDEN,
                     positive_inputs=by_name["sigmoid hidden units \u2192 output layer"],
                     centered_inputs=by_name["tanh hidden units \u2192 output layer"], cases=cases)


# --------------------------------------------------------------------------- 3. training curves

class CenteredSigmoid(nn.Module):
    """``sigmoid(x) - 1/2``: the slope of a sigmoid with a zero-centred output."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(x) - 0.5


def _curve_model(activation: str) -> nn.Module:
    if activation == "sigmoid_centered":
        model = MLP(64, tuple(CURVES["hidden"]), 10, activation="sigmoid", head="softmax")
        model[1] = CenteredSigmoid()
        return model
    return MLP(64, tuple(CURVES["hidden"]), 10, activation=activation, head="softmax")


def _first_below(loss: list[float], threshold: float):
    return next((e for e, v in enumerate(loss) if v <= threshold), None)


def _stays_below(loss: list[float], threshold: float):
    e = None
    for i in range(len(loss) - 1, -1, -1):
        if loss[i] > threshold:
            break
        e = i
    return e


def _largest_rise(loss: list[float]) -> float:
    """The largest amount by which the loss climbs above its best value so far (0 for a monotone curve)."""
    best, rise = loss[0], 0.0
    for v in loss[1:]:
        rise, best = max(rise, v - best), min(best, v)
    return rise


def _full_loss(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float(F.cross_entropy(model(X), y))


def training_curves(seed: int, quick: bool, bar=None) -> Training:
    """Training loss per epoch for each activation x input centring, over several seeds.

    Seed ``s`` gives every condition the same initialisation seed and minibatch
    order (a paired comparison), derived from the run's seed.
    """
    raw = load_dataset("digits", seed=seed, standardize=False)
    X_unc, X_te_unc = torch.tensor(raw.X_train / 16.0), torch.tensor(raw.X_test / 16.0)  # (N, 64) in [0, 1]
    mu = X_unc.mean(0)
    y, y_te = torch.tensor(raw.y_train), torch.tensor(raw.y_test)
    epochs = CURVES["quick_epochs" if quick else "epochs"]
    n_seeds = CURVES["quick_seeds" if quick else "seeds"]
    threshold = CURVES["threshold"]
    conditions = []
    for act in ACT_LABELS:
        for centered in (False, True):
            X, X_te = (X_unc - mu, X_te_unc - mu) if centered else (X_unc, X_te_unc)
            curves, accs = [], []
            for s in range(n_seeds):
                model = _built(lambda act=act: _curve_model(act), derived_seed(seed, CURVE_STREAM, s, 0))
                loss = [_full_loss(model, X, y)]
                _sgd(model, X, y, epochs=epochs, lr=CURVES["lr"], batch_size=CURVES["batch_size"],
                     order_seed=derived_seed(seed, CURVE_STREAM, s, 1),
                     on_epoch=lambda epoch, model, loss=loss, X=X: loss.append(_full_loss(model, X, y)))
                loss += [np.inf] * (epochs + 1 - len(loss))  # a diverged run stopped early: pad as diverged
                loss = [v if np.isfinite(v) else 1e6 for v in loss]  # keep the JSON valid; marks divergence
                with torch.no_grad():
                    accs.append(float((model(X_te).argmax(1) == y_te).float().mean()))
                curves.append(loss)
                if bar is not None:
                    bar.update()
            first = [_first_below(c, threshold) for c in curves]
            stay = [_stays_below(c, threshold) for c in curves]
            conditions.append(Condition(
                activation=act, centered=centered,
                label=f"{ACT_LABELS[act]}, {'centred' if centered else 'uncentred'} inputs",
                loss=curves, test_accuracy=accs, epochs_to_threshold=first, epochs_to_stay_below=stay,
                median_epochs_to_threshold=None if None in first else float(np.median(first)),
                median_epochs_to_stay_below=None if None in stay else float(np.median(stay)),
                final_loss_mean=float(np.mean([c[-1] for c in curves])),
                largest_rise=float(max(_largest_rise(c) for c in curves))))
    return Training(lr=CURVES["lr"], optimizer="sgd", batch_size=CURVES["batch_size"], epochs=epochs,
                    seeds=n_seeds, threshold=threshold, hidden=list(CURVES["hidden"]), conditions=conditions)


# --------------------------------------------------------------------------- the study

def compute_zigzag(seed: int = 0, quick: bool = False, progress: bool = False) -> ZigzagResults:
    """Run the three measurements and check the claims; writes nothing (see :func:`run_zigzag`).

    Args:
        seed: the data split, and the root of every derived seed (initialisations,
            minibatch orders, trajectory data and SGD order).
        quick: one epoch for coherence, one seed of 5 epochs for the curves
            (verdicts that need the full curves are then inconclusive).
        progress: a progress bar on stderr.
    """
    start = time.perf_counter()
    n_curves = 6 * CURVES["quick_seeds" if quick else "seeds"]
    bar = tqdm(total=len(PROBE_NETS) + n_curves, desc="zigzag", disable=not progress, leave=False, file=sys.stderr)
    try:
        coherence = coherence_study(seed, quick, bar)
        trajectory = trajectory_study(seed)
        training = training_curves(seed, quick, bar)
    finally:
        bar.close()
    checks = study_verdicts(coherence, trajectory, training)
    config = {"study": "zigzag", "quick": quick, "d": D_HIDDEN, "dataset": "digits",
              "coherence": {"epochs": COHERENCE["quick_epochs" if quick else "epochs"], "lr": COHERENCE["lr"],
                            "optimizer": "sgd", "batch_size": COHERENCE["batch_size"]},
              "trajectory": {"n": trajectory.n, "tol": trajectory.tol, "draws": trajectory.draws,
                             "optima": [o.w_star for o in trajectory.optima],
                             "lr_rule": "0.5 * 2 / L_max (GD); 1 / max ||x_n||^2 (SGD)"},
              "training": {"lr": training.lr, "optimizer": training.optimizer, "batch_size": training.batch_size,
                           "epochs": training.epochs, "seeds": training.seeds, "threshold": training.threshold,
                           "hidden": training.hidden},
              "seeds": "numpy SeedSequence(seed, spawn_key=(stream, ...)); torch models built under fork_rng"}
    return ZigzagResults(study="zigzag", claim=CLAIM, source=SOURCE, seed=seed, config=config, coherence=coherence,
                         trajectory=trajectory, training=training, summary=summary(checks, training), checks=checks,
                         elapsed_seconds=round(time.perf_counter() - start, 2))


def run_zigzag(out: Path, *, seed: int = 0, quick: bool = False, progress: bool = True) -> dict:
    """Run the study; write ``results.json``, figures and ``index.html`` into ``out``; return the results.json dict.

    Args:
        out: output folder (created if missing).
        seed: see :func:`compute_zigzag`.
        quick: one epoch for coherence, one seed of 5 epochs for the curves (tests, smoke runs).
        progress: a progress bar on stderr.
    """
    return run_study(_run, out, seed=seed, quick=quick, progress=progress)


def _run(out: Path, seed: int, quick: bool, progress: bool) -> dict:
    return write_report(compute_zigzag(seed, quick, progress), out)
