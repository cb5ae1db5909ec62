"""``signnet reproduce``: the paper's Figure 1, measured against the exact monotone ceiling.

For each panel of Figure 1 (:mod:`signnet.figure1`) the run

1. draws the panel's clustered data (train and test) and computes the exact
   monotone ceiling of the test set (:func:`signnet.ceiling.monotone_ceiling`),
   the best accuracy any monotone classifier, hence any DNN+, can reach there;
2. trains, over several seeds, a DNN and a DNN+ at the figure's width and at a
   wide size, and a DNN+ with only the figure's flipped weights allowed to be
   negative; tiny networks often stall in a dead-ReLU minimum, so every
   network gets the best of ``restarts`` initialisations by training loss (the
   same rule for every kind, so the comparison stays fair); all seeds and
   restarts of one kind train together in one batched computation
   (:func:`signnet.batched.fit_batched`);
3. evaluates the hand-built flipped network of :mod:`signnet.figure1`;
4. certifies every network (:func:`signnet.certificate.certify`) and checks
   dominance empirically (:func:`signnet.dominance.dominance_violations`).

It adds the softmax loophole (a DNN+ with two logits solves XOR, because a
softmax depends only on the logit difference) and the continuous problems of
:mod:`signnet.problems` with wide networks, including ``quadrant``, an up-set
that a ReLU DNN+ (a convex function) cannot fit but a tanh DNN+ can.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from signnet.train.batched import fit_batched
from signnet.theory.ceiling import monotone_ceiling
from signnet.theory.certificate import certify
from signnet.theory.dominance import dominance_violations
from signnet.data.figure1 import PANELS, flipped_network, hand_built, panel_data
from signnet.nn.networks import MLP
from signnet.data.problems import PROBLEMS, make_problem
from signnet.train.fit import accuracy, torch_threads


@dataclass(frozen=True)
class ReproduceConfig:
    """Settings of a reproduction run (the defaults finish in about 3 minutes on 2 cores)."""

    seeds: int = 5  # training seeds per network kind
    n_train: int = 400  # training points per panel
    n_test: int = 1000  # test points per panel (the ceiling is computed on these)
    epochs: int = 300  # full-batch Adam epochs per training run
    lr_small: float = 0.05  # Adam learning rate, figure-width networks
    lr_wide: float = 0.01  # Adam learning rate, wide networks
    wide: tuple[int, ...] = (64, 64)  # hidden widths of the wide networks
    restarts: int = 3  # initialisations per trained network, best training loss kept
    continuous_n: int = 2000  # points per continuous problem
    continuous_epochs: int = 300  # epochs for the continuous problems
    quick: bool = False  # the --quick settings (for tests)

    @classmethod
    def quick_config(cls, seeds: int = 1) -> "ReproduceConfig":
        """Small settings that finish in well under 30 s."""
        return cls(seeds=seeds, n_train=200, n_test=400, epochs=150, wide=(16, 16), restarts=2,
                   continuous_n=600, continuous_epochs=100, quick=True)


def train_best_of(build, X, y, *, seeds: list[int], restarts: int, epochs: int, lr: float) -> list[MLP]:
    """For each seed, train ``restarts`` networks from ``build()`` and keep the lowest final training loss.

    Member ``r`` of seed ``s`` is initialised under ``torch.manual_seed(s * 100 + r)``. All
    ``len(seeds) * restarts`` networks train together (:func:`signnet.batched.fit_batched`).
    """
    members = []
    for s in seeds:
        for r in range(restarts):
            torch.manual_seed(s * 100 + r)
            members.append(build())
    losses = fit_batched(members, X, y, epochs=epochs, lr=lr)
    best = []
    for i in range(len(seeds)):
        chunk = losses[i * restarts:(i + 1) * restarts]
        best.append(members[i * restarts + int(np.argmin(chunk))])
    return best


def negative_weights(model: MLP) -> int:
    """How many weights of ``model`` are strictly negative."""
    return int(sum(int((layer.weight < 0).sum()) for layer in model.linear_layers))


def _summary(accs: list[float]) -> dict:
    return {"accuracy_mean": float(np.mean(accs)), "accuracy_std": float(np.std(accs)),
            "accuracies": [float(a) for a in accs]}


def _checks(model: MLP, X: np.ndarray, seed: int) -> dict:
    cert = certify(model)
    dom = dominance_violations(model, X, n_pairs=2000, seed=seed)
    out = {"certified_monotone": bool(cert.preserves_dominance), "monotone": cert.monotone, "convex": cert.convex,
           "dominance_violations": int(dom.violations), "dominance_pairs": int(dom.n_pairs),
           "worst_gap": float(dom.worst_gap)}
    unprovable = cert.unprovable()
    if unprovable:
        j, i = unprovable[0]
        paths = cert.explain(j, i)
        out["mixed_paths"] = {name: [list(h) for h in hops] for name, hops in paths.items()}
    return out


def run_panel(key: str, cfg: ReproduceConfig, seed: int, bar=None) -> tuple[dict, dict]:
    """Measure one panel; returns ``(results, models)`` with the seed-0 networks for plotting."""
    panel = PANELS[key]
    X_tr, y_tr = panel_data(key, cfg.n_train, seed=seed)
    X_te, y_te = panel_data(key, cfg.n_test, seed=seed + 1000)
    ceiling = monotone_ceiling(X_te, y_te)
    kinds = {
        "dnn": (lambda: MLP(2, (panel.width,), weights="free"), cfg.lr_small),
        "dnn_plus": (lambda: MLP(2, (panel.width,), weights="nonneg"), cfg.lr_small),
        "dnn_wide": (lambda: MLP(2, cfg.wide, weights="free"), cfg.lr_wide),
        "dnn_plus_wide": (lambda: MLP(2, cfg.wide, weights="nonneg"), cfg.lr_wide),
        "flipped_trained": (lambda: flipped_network(key), cfg.lr_small),
    }
    accs, models = {}, {}
    seeds = [seed + s for s in range(cfg.seeds)]
    for kind, (build, lr) in kinds.items():
        trained = train_best_of(build, X_tr, y_tr, seeds=seeds, restarts=cfg.restarts, epochs=cfg.epochs, lr=lr)
        accs[kind] = [accuracy(model, X_te, y_te) for model in trained]
        if kind == "flipped_trained":
            negs = [negative_weights(model) for model in trained]
        models[kind] = trained[0]
        if bar is not None:
            bar.update(1)
    hand = hand_built(key)
    models["flipped_hand"] = hand
    result = {
        "title": panel.title, "claim": panel.claim, "width": panel.width,
        "flips": {str(k): [list(i) for i in v] for k, v in panel.flips.items()},
        "figure_negative_weights": panel.negative_weights,
        "ceiling": float(ceiling.accuracy), "ceiling_relabeled": int(ceiling.relabeled),
        "ceiling_train": float(monotone_ceiling(X_tr, y_tr).accuracy),
        "dnn": {**_summary(accs["dnn"]), "hidden": [panel.width], "wide": {**_summary(accs["dnn_wide"]), "hidden": list(cfg.wide)}},
        "dnn_plus": {**_summary(accs["dnn_plus"]), "hidden": [panel.width],
                     "wide": {**_summary(accs["dnn_plus_wide"]), "hidden": list(cfg.wide)}},
        "flipped_hand": {"accuracy": accuracy(hand, X_te, y_te), "negative_weights": negative_weights(hand),
                         "weights": panel.hand_weights, "why": panel.why},
        "flipped_trained": {"accuracy": float(np.mean(accs["flipped_trained"])), **_summary(accs["flipped_trained"]),
                            "negative_weights": int(max(negs)), "negative_weights_per_seed": negs},
        "checks": {kind: _checks(model, X_te, seed) for kind, model in models.items()},
    }
    return result, {"data": (X_te, y_te), **models}


def run_softmax(cfg: ReproduceConfig, seed: int) -> tuple[dict, dict]:
    """The softmax loophole: a DNN+ with two logits on the XOR panel, against a one-logit DNN+."""
    X_tr, y_tr = panel_data("C", cfg.n_train, seed=seed)
    X_te, y_te = panel_data("C", cfg.n_test, seed=seed + 1000)
    width = (16,) if not cfg.quick else (8,)
    soft, = train_best_of(lambda: MLP(2, width, 2, weights="nonneg", head="softmax"), X_tr, y_tr,
                          seeds=[seed], restarts=cfg.restarts, epochs=cfg.epochs, lr=cfg.lr_small)
    binary, = train_best_of(lambda: MLP(2, width, 1, weights="nonneg"), X_tr, y_tr,
                            seeds=[seed], restarts=cfg.restarts, epochs=cfg.epochs, lr=cfg.lr_small)
    cert = certify(soft)
    result = {
        "hidden": list(width), "ceiling": float(monotone_ceiling(X_te, y_te).accuracy),
        "softmax_accuracy": accuracy(soft, X_te, y_te), "binary_accuracy": accuracy(binary, X_te, y_te),
        "softmax_negative_weights": negative_weights(soft),
        "logit_difference_certificate": cert.monotone, "outputs": cert.outputs,
        "softmax_checks": _checks(soft, X_te, seed), "binary_checks": _checks(binary, X_te, seed),
    }
    return result, {"data": (X_te, y_te), "softmax": soft, "binary": binary}


def run_continuous(cfg: ReproduceConfig, seed: int, bar=None) -> tuple[dict, dict]:
    """Wide DNN, ReLU DNN+ and tanh DNN+ on every continuous problem of :mod:`signnet.problems`."""
    results, models = {}, {}
    for name in PROBLEMS:
        prob = make_problem(name, cfg.continuous_n, seed=seed)
        test = make_problem(name, cfg.continuous_n, seed=seed + 1000)
        row = {"ceiling": float(monotone_ceiling(test.X, test.y).accuracy), "description": prob.description}
        models[name] = {"data": (test.X, test.y)}
        for kind, weights, act in (("dnn", "free", "relu"), ("dnn_plus", "nonneg", "relu"),
                                   ("dnn_plus_tanh", "nonneg", "tanh")):
            model, = train_best_of(lambda: MLP(2, cfg.wide, weights=weights, activation=act), prob.X, prob.y,
                                   seeds=[seed], restarts=cfg.restarts, epochs=cfg.continuous_epochs, lr=cfg.lr_wide)
            row[kind] = accuracy(model, test.X, test.y)
            models[name][kind] = model
            if bar is not None:
                bar.update(1)
        results[name] = row
    return results, models


def run_all(cfg: ReproduceConfig, seed: int = 0, progress: bool = True) -> tuple[dict, dict]:
    """Run every part; returns ``(results, models)``."""
    start = time.perf_counter()
    total = len(PANELS) * 5 + len(PROBLEMS) * 3
    bar = tqdm(total=total, desc="reproducing Figure 1", disable=not progress, unit="batch")
    results, models = {"panels": {}}, {"panels": {}}
    with torch_threads(1):
        for key in PANELS:
            results["panels"][key], models["panels"][key] = run_panel(key, cfg, seed, bar)
        results["softmax"], models["softmax"] = run_softmax(cfg, seed)
        results["continuous"], models["continuous"] = run_continuous(cfg, seed, bar)
    bar.close()
    results["seconds"] = round(time.perf_counter() - start, 2)
    results["config"] = asdict(cfg)
    return results, models
