"""``signnet reproduce``: the paper's Figure 1, measured against the exact monotone ceiling.

For each panel of Figure 1 (:mod:`signnet.data.figure1`) the run

1. draws the panel's clustered data (train and test) and computes the exact
   monotone ceiling of the test set (:func:`signnet.theory.ceiling.monotone_ceiling`),
   the best accuracy any monotone classifier, hence any DNN+, can reach there
   (Theorem 1.1 of Wang et al.);
2. trains, over several seeds, a DNN and a DNN+ at the figure's width and at a
   wide size, and a DNN+ with only the figure's flipped weights allowed to be
   negative; tiny networks often stall in a dead-ReLU minimum, so every
   network gets the best of ``restarts`` initialisations by training loss (the
   same rule and the same initial seeds for every kind, so the comparison stays
   fair); all seeds and restarts of one kind train together in one batched
   computation (:func:`signnet.train.batched.fit_batched`);
3. builds a ReLU DNN+ from the test set's optimal monotone relabelling
   (:mod:`.construct`): it reaches the ceiling, which shows that a trained DNN+
   below the ceiling falls short of its class (an optimisation trap or
   generalisation), not of the theorem's limit;
4. evaluates the hand-built flipped network of :mod:`signnet.data.figure1`;
5. certifies every network (:func:`signnet.theory.certificate.certify`) and checks
   dominance empirically (:func:`signnet.theory.dominance.dominance_violations`).

It adds the softmax loophole (a DNN+ with two logits solves XOR, because a
softmax depends only on the logit difference) and the continuous problems of
:mod:`signnet.data.problems` with wide networks, including ``quadrant``, an
up-set whose class 0 is not convex, hence out of reach of a ReLU DNN+ (a convex
function) but not of a tanh DNN+. The claims are checked in :mod:`.verdicts`.

Seeds: the training data are drawn with ``seed``, the test data with
:func:`held_out_seed` (``seed + 1000``, wrapped into the seed range). Restart
``r`` of training seed ``i`` is initialised with the torch seed
``np.random.SeedSequence(seed).spawn(seeds)[i].spawn(restarts)[r]``
(:func:`init_seeds`), so the runs of ``--seed 0`` and ``--seed 1`` share no
initialisation; models are built under :func:`torch.random.fork_rng`, so the
caller's random state is left as it was.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from signnet.data.figure1 import PANELS, flipped_network, hand_built, panel_data
from signnet.data.problems import PROBLEMS, make_problem
from signnet.experiments.figure1.construct import relu_ceiling_network, tanh_ceiling_network
from signnet.experiments.figure1.results import (
    Accuracies,
    Checks,
    Constructed,
    Continuous,
    Figure1Results,
    FlippedHand,
    FlippedTrained,
    Panel,
    Softmax,
    Trained,
)
from signnet.experiments.figure1.verdicts import continuous_verdicts, panel_verdicts, softmax_verdicts
from signnet.nn.networks import MLP
from signnet.theory.ceiling import monotone_ceiling
from signnet.theory.certificate import certify
from signnet.theory.dominance import dominance_violations
from signnet.train.batched import fit_batched
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
    def quick_config(cls, seeds: int = 1) -> ReproduceConfig:
        """Small settings that finish in well under 30 s."""
        return cls(seeds=seeds, n_train=200, n_test=400, epochs=150, wide=(16, 16), restarts=2,
                   continuous_n=600, continuous_epochs=100, quick=True)


def init_seeds(seed: int, n_seeds: int, restarts: int) -> list[list[int]]:
    """Torch seeds ``[i][r]`` of restart ``r`` of training seed ``i``, spawned from ``np.random.SeedSequence(seed)``.

    Seed ``i`` of a run does not depend on ``n_seeds``, and different ``seed``
    values give unrelated streams (no overlap between ``--seed 0`` and ``--seed 1``).
    """
    children = np.random.SeedSequence(seed).spawn(n_seeds)
    return [[int(g.generate_state(1, np.uint64)[0]) for g in child.spawn(restarts)] for child in children]


TEST_OFFSET = 1000  # the test data of seed s are drawn with seed s + 1000 (wrapped into 0 .. 2**32 - 1)
SEED_RANGE = 2 ** 32  # seeds are integers in 0 .. 2**32 - 1 (signnet.validation.check_seed)


def held_out_seed(seed: int) -> int:
    """The seed of a run's test data: ``seed + 1000``, wrapped into ``0 .. 2**32 - 1`` (so the top seeds work too).

    Below ``2**32 - 1000`` it is ``seed + 1000`` exactly, as it always was.
    """
    return (int(seed) + TEST_OFFSET) % SEED_RANGE


def build_seeded(build, torch_seed: int):
    """``build()`` with torch's RNG seeded by ``torch_seed``, leaving the caller's RNG untouched."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(torch_seed)
        return build()


def train_best_of(build, X, y, *, seeds: list[list[int]], epochs: int, lr: float) -> list[MLP]:
    """For each group of torch seeds (one per restart), train one network per seed; keep the lowest training loss.

    All networks train together (:func:`signnet.train.batched.fit_batched`);
    returns one network per group.
    """
    members = [build_seeded(build, s) for group in seeds for s in group]
    losses = fit_batched(members, X, y, epochs=epochs, lr=lr)
    best, start = [], 0
    for group in seeds:
        chunk = losses[start:start + len(group)]
        best.append(members[start + int(np.argmin(chunk))])
        start += len(group)
    return best


def negative_weights(model: MLP) -> int:
    """How many weights of ``model`` are strictly negative."""
    return int(sum(int((layer.weight < 0).sum()) for layer in model.linear_layers))


def _accuracies(accs: list[float], hidden) -> Accuracies:
    return Accuracies(accuracy_mean=float(np.mean(accs)), accuracy_std=float(np.std(accs)),
                      accuracies=[float(a) for a in accs], hidden=list(hidden))


def _trained(small: Accuracies, wide: Accuracies) -> Trained:
    return Trained(**{k: getattr(small, k) for k in ("accuracy_mean", "accuracy_std", "accuracies", "hidden")},
                   wide=wide)


def _checks(model: MLP, X: np.ndarray, seed: int) -> Checks:
    cert = certify(model)
    dom = dominance_violations(model, X, n_pairs=2000, seed=seed)
    mixed = None
    unprovable = cert.unprovable()
    if unprovable:
        j, i = unprovable[0]
        mixed = {name: [list(h) for h in hops] for name, hops in cert.explain(j, i).items()}
    return Checks(certified_monotone=bool(cert.preserves_dominance), monotone=cert.monotone, convex=cert.convex,
                  dominance_violations=int(dom.violations), dominance_pairs=int(dom.n_pairs),
                  worst_gap=float(dom.worst_gap), mixed_paths=mixed)


def constructed(model: MLP, X: np.ndarray, y: np.ndarray) -> Constructed:
    """Score a DNN+ of :mod:`.construct` on ``(X, y)``."""
    return Constructed(accuracy=accuracy(model, X, y), activation=model.config["activation"],
                       hidden=list(model.config["hidden"]), negative_weights=negative_weights(model),
                       certified_monotone=bool(certify(model).preserves_dominance))


def run_panel(key: str, cfg: ReproduceConfig, seed: int, bar=None) -> tuple[Panel, dict]:
    """Measure one panel; returns ``(results, models)`` with the first seed's networks for plotting."""
    panel = PANELS[key]
    X_tr, y_tr = panel_data(key, cfg.n_train, seed=seed)
    X_te, y_te = panel_data(key, cfg.n_test, seed=held_out_seed(seed))
    ceiling = monotone_ceiling(X_te, y_te)
    kinds = {
        "dnn": (lambda: MLP(2, (panel.width,), weights="free"), cfg.lr_small),
        "dnn_plus": (lambda: MLP(2, (panel.width,), weights="nonneg"), cfg.lr_small),
        "dnn_wide": (lambda: MLP(2, cfg.wide, weights="free"), cfg.lr_wide),
        "dnn_plus_wide": (lambda: MLP(2, cfg.wide, weights="nonneg"), cfg.lr_wide),
        "flipped_trained": (lambda: flipped_network(key), cfg.lr_small),
    }
    seeds = init_seeds(seed, cfg.seeds, cfg.restarts)
    accs, models, negs = {}, {}, []
    for kind, (build, lr) in kinds.items():
        trained = train_best_of(build, X_tr, y_tr, seeds=seeds, epochs=cfg.epochs, lr=lr)
        accs[kind] = [accuracy(model, X_te, y_te) for model in trained]
        if kind == "flipped_trained":
            negs = [negative_weights(model) for model in trained]
        models[kind] = trained[0]
        if bar is not None:
            bar.update(1)
    models["flipped_hand"] = hand = hand_built(key)
    models["dnn_plus_constructed"] = relu_ceiling_network(X_te, ceiling.labels, y_te)
    width, wide = (panel.width,), cfg.wide
    result = Panel(
        title=panel.title, claim=panel.claim, width=panel.width,
        flips={str(k): [list(i) for i in v] for k, v in panel.flips.items()},
        figure_negative_weights=panel.negative_weights,
        ceiling=float(ceiling.accuracy), ceiling_relabeled=int(ceiling.relabeled),
        ceiling_train=float(monotone_ceiling(X_tr, y_tr).accuracy),
        dnn=_trained(_accuracies(accs["dnn"], width), _accuracies(accs["dnn_wide"], wide)),
        dnn_plus=_trained(_accuracies(accs["dnn_plus"], width), _accuracies(accs["dnn_plus_wide"], wide)),
        dnn_plus_best_trained=float(max(accs["dnn_plus"] + accs["dnn_plus_wide"])),
        dnn_plus_constructed=constructed(models["dnn_plus_constructed"], X_te, y_te),
        flipped_hand=FlippedHand(accuracy=accuracy(hand, X_te, y_te), negative_weights=negative_weights(hand),
                                 weights=panel.hand_weights, why=panel.why),
        flipped_trained=FlippedTrained(
            accuracy=float(np.mean(accs["flipped_trained"])), accuracy_mean=float(np.mean(accs["flipped_trained"])),
            accuracy_std=float(np.std(accs["flipped_trained"])), accuracies=[float(a) for a in accs["flipped_trained"]],
            negative_weights=int(max(negs)), negative_weights_per_seed=negs),
        checks={kind: _checks(model, X_te, seed) for kind, model in models.items()},
    )
    return result, {"data": (X_te, y_te), **models}


def run_softmax(cfg: ReproduceConfig, seed: int) -> tuple[Softmax, dict]:
    """The softmax loophole: a DNN+ with two logits on the XOR panel, against one-logit DNN+s (trained and built)."""
    X_tr, y_tr = panel_data("C", cfg.n_train, seed=seed)
    X_te, y_te = panel_data("C", cfg.n_test, seed=held_out_seed(seed))
    ceiling = monotone_ceiling(X_te, y_te)
    width = (16,) if not cfg.quick else (8,)
    seeds = init_seeds(seed, 1, cfg.restarts)
    soft, = train_best_of(lambda: MLP(2, width, 2, weights="nonneg", head="softmax"), X_tr, y_tr,
                          seeds=seeds, epochs=cfg.epochs, lr=cfg.lr_small)
    binary, = train_best_of(lambda: MLP(2, width, 1, weights="nonneg"), X_tr, y_tr,
                            seeds=seeds, epochs=cfg.epochs, lr=cfg.lr_small)
    built = relu_ceiling_network(X_te, ceiling.labels, y_te)
    cert = certify(soft)
    result = Softmax(
        hidden=list(width), ceiling=float(ceiling.accuracy),
        softmax_accuracy=accuracy(soft, X_te, y_te), binary_accuracy=accuracy(binary, X_te, y_te),
        softmax_negative_weights=negative_weights(soft),
        logit_difference_certificate=cert.monotone, outputs=cert.outputs,
        softmax_checks=_checks(soft, X_te, seed), binary_checks=_checks(binary, X_te, seed),
        dnn_plus_constructed=constructed(built, X_te, y_te),
    )
    return result, {"data": (X_te, y_te), "softmax": soft, "binary": binary, "constructed": built}


def run_continuous(cfg: ReproduceConfig, seed: int, bar=None) -> tuple[dict[str, Continuous], dict]:
    """Wide DNN, ReLU DNN+ and tanh DNN+ on every continuous problem, and the two constructed DNN+s."""
    results, models = {}, {}
    seeds = init_seeds(seed, 1, cfg.restarts)
    for name in PROBLEMS:
        prob = make_problem(name, cfg.continuous_n, seed=seed)
        test = make_problem(name, cfg.continuous_n, seed=held_out_seed(seed))
        ceiling = monotone_ceiling(test.X, test.y)
        acc, models[name] = {}, {"data": (test.X, test.y)}
        for kind, weights, act in (("dnn", "free", "relu"), ("dnn_plus", "nonneg", "relu"),
                                   ("dnn_plus_tanh", "nonneg", "tanh")):
            model, = train_best_of(lambda w=weights, a=act: MLP(2, cfg.wide, weights=w, activation=a), prob.X, prob.y,
                                   seeds=seeds, epochs=cfg.continuous_epochs, lr=cfg.lr_wide)
            acc[kind] = accuracy(model, test.X, test.y)
            models[name][kind] = model
            if bar is not None:
                bar.update(1)
        models[name]["dnn_plus_constructed"] = relu_ceiling_network(test.X, ceiling.labels, test.y)
        models[name]["dnn_plus_tanh_constructed"] = tanh_ceiling_network(test.X, ceiling.labels)
        results[name] = Continuous(
            ceiling=float(ceiling.accuracy), n_test=len(test.y), description=prob.description, **acc,
            dnn_plus_constructed=constructed(models[name]["dnn_plus_constructed"], test.X, test.y),
            dnn_plus_tanh_constructed=constructed(models[name]["dnn_plus_tanh_constructed"], test.X, test.y))
    return results, models


def run_all(cfg: ReproduceConfig, seed: int = 0, progress: bool = True) -> tuple[Figure1Results, dict]:
    """Run every part and check its claims; returns ``(results, models)`` (models for the figures)."""
    start = time.perf_counter()
    total = len(PANELS) * 5 + len(PROBLEMS) * 3
    bar = tqdm(total=total, desc="reproducing Figure 1", disable=not progress, unit="batch")
    panels, models = {}, {"panels": {}}
    with torch_threads(1):
        for key in PANELS:
            panels[key], models["panels"][key] = run_panel(key, cfg, seed, bar)
        softmax, models["softmax"] = run_softmax(cfg, seed)
        continuous, models["continuous"] = run_continuous(cfg, seed, bar)
    bar.close()
    verdicts = [v for key, p in panels.items() for v in panel_verdicts(key, p)]
    verdicts += softmax_verdicts(softmax, panels["C"].dnn.wide.accuracy_mean)
    verdicts += [v for name, r in continuous.items() for v in continuous_verdicts(name, r)]
    results = Figure1Results(panels=panels, softmax=softmax, continuous=continuous, verdicts=verdicts,
                             init_seeds=init_seeds(seed, cfg.seeds, cfg.restarts),
                             seconds=round(time.perf_counter() - start, 2), config=asdict(cfg), seed=int(seed))
    return results, models
