"""One batched group of sweep runs: train, evaluate, certify, dominance-check; one table row per run.

:func:`run_group` is what every engine executes (in the driver, in a worker
process, or as a Ray task): it takes :class:`~signnet.sweep.spec.RunConfig`
objects of one group (same data and architecture), trains them together with
:func:`signnet.sweep.budget.train_group` on one torch thread, and returns one
flat row per run (:data:`COLUMNS`). Its numbers depend only on the configs: the
data are drawn from the sweep's seed and each network is initialised under
``torch.random.fork_rng`` from a seed derived from ``(sweep_seed, seed)``, so the
same group gives the same rows in any process. The columns in
:data:`VOLATILE_COLUMNS` (timings, where and when it ran) are the exception.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import time

import numpy as np
import torch

from signnet.sweep.spec import RunConfig

_INIT_STREAM, _DOMINANCE_STREAM = 3, 4

COLUMNS = {  # column: meaning (the table's schema; the README lists it)
    "run_id": "16 hex digits: SHA-256 of the run's configuration (stable across processes and machines)",
    "data": "problem, Figure 1 panel (figure1:A) or bundled data set",
    "hidden": "hidden widths, comma-separated (e.g. '16,16')",
    "activation": "hidden activation",
    "weights": "'free', 'nonneg', or a budget k (as text)",
    "budget": "the budget k (at most k negative weights), null for a fixed sign constraint",
    "seed": "training seed from the grid",
    "sweep_seed": "the sweep's --seed: draws the data; with seed, the initialisation",
    "epochs": "full-batch Adam steps per phase",
    "lr": "Adam's learning rate",
    "rounds": "select-and-project rounds (every run trains rounds + 1 phases)",
    "n_train": "training points",
    "n_test": "test points",
    "noise": "label noise of a generated problem",
    "protocol": "version of the run's computation",
    "head": "binary (one logit) or softmax",
    "n_weights": "weights of the network (biases not counted)",
    "negative_weights": "trained weights < 0",
    "negative_by_layer": "trained weights < 0 per affine layer, first to last, comma-separated (e.g. '0,0,1')",
    "train_accuracy": "accuracy on the training points",
    "test_accuracy": "accuracy on the test points",
    "final_loss": "training loss after the last step",
    "ceiling": "exact monotone ceiling of a two-class test set (no DNN+ scores more on it; Theorem 1.1); null if not "
               "computed or for several classes (an argmax over non-decreasing logits is not monotone, so the ordinal "
               "ceiling bounds no softmax DNN+)",
    "certified_monotone": "certify() proves every output non-decreasing in every input",
    "certificate_unproven": "certificate entries (output, input) not proven monotone",
    "certificate": "certificate per output and input as JSON (1, -1, 0, null)",
    "convex": "certificate's convexity per output, comma-separated (convex, concave, affine, none)",
    "dominance_pairs": "comparable test-based pairs x <= y checked",
    "dominance_violations": "checked pairs with F(x) > F(y)",
    "dominance_violation_rate": "dominance_violations / dominance_pairs",
    "device": "torch device of the training",
    "versions": "signnet, torch, numpy, python versions as JSON",
    "seconds": "wall time of the run's group divided by its size (volatile)",
    "group_seconds": "wall time of the whole batched group (volatile)",
    "finished_at": "UTC time the row was computed (volatile)",
    "host": "machine that computed the row (volatile)",
}
VOLATILE_COLUMNS = ("seconds", "group_seconds", "finished_at", "host")


def init_seed(sweep_seed: int, seed: int, stream: int = _INIT_STREAM) -> int:
    """The torch seed of a run's initialisation, derived from ``(sweep_seed, seed)`` with numpy's SeedSequence.

    ``stream`` selects another derived seed of the same run (the dominance check's pairs).
    """
    return int(np.random.SeedSequence(sweep_seed, spawn_key=(stream, seed)).generate_state(1)[0])


def _versions() -> str:
    import signnet

    return json.dumps({"signnet": signnet.__version__, "torch": torch.__version__, "numpy": np.__version__,
                       "python": platform.python_version()}, sort_keys=True)


def _build(cfg: RunConfig, d: int, n_out: int, head: str, device: str):
    from signnet.nn.networks import MLP

    weights = "nonneg" if cfg.weights == "nonneg" else "free"
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(init_seed(cfg.sweep_seed, cfg.seed))
        model = MLP(d, cfg.hidden, n_out, activation=cfg.activation, weights=weights, head=head)
    return model.to(device)


def run_group(configs: list[RunConfig], device: str = "cpu") -> list[dict]:
    """Train, evaluate, certify and dominance-check every run of one group; return one row per run.

    Args:
        configs: runs sharing :attr:`RunConfig.group_key` (see :meth:`Spec.groups`).
        device: torch device of the training (evaluation and checks run on the CPU).
    """
    from signnet.sweep.budget import n_weights, negative_weights, train_group
    from signnet.sweep.data import load_run_data
    from signnet.theory.ceiling import monotone_ceiling
    from signnet.theory.certificate import certify
    from signnet.theory.dominance import dominance_violations
    from signnet.train.fit import accuracy, torch_threads

    start = time.perf_counter()
    c0 = configs[0]
    if any(c.group_key != c0.group_key for c in configs):
        raise ValueError("run_group needs runs of one group (same data, architecture and settings).")
    data = load_run_data(c0.data, n_train=c0.n_train, n_test=c0.n_test, noise=c0.noise, sweep_seed=c0.sweep_seed)
    d, n_out = data.X_train.shape[1], (1 if data.head == "binary" else data.n_classes)
    with torch_threads(1):
        models = [_build(c, d, n_out, data.head, device) for c in configs]
        budgets = [c.weights if isinstance(c.weights, int) else None for c in configs]
        losses = train_group(models, budgets, data.X_train, data.y_train, epochs=c0.epochs, rounds=c0.rounds, lr=c0.lr)
        # two classes only: with K >= 3 a softmax DNN+'s argmax is not monotone in any class order and can beat it
        ceiling = monotone_ceiling(data.X_test, data.y_test).accuracy if c0.ceiling and data.head == "binary" else None
        rows = []
        for cfg, model, loss in zip(configs, models, losses, strict=True):
            model = model.to("cpu").eval()
            cert = certify(model)
            if cfg.dominance_pairs > 0:
                dom = dominance_violations(model, data.X_test, n_pairs=cfg.dominance_pairs,
                                           seed=init_seed(cfg.sweep_seed, cfg.seed, _DOMINANCE_STREAM))
                dom_pairs, dom_viol, dom_rate = dom.n_pairs, dom.violations, dom.rate
            else:
                dom_pairs, dom_viol, dom_rate = 0, None, None
            rows.append({
                "run_id": cfg.run_id, "data": cfg.data, "hidden": ",".join(str(h) for h in cfg.hidden),
                "activation": cfg.activation, "weights": str(cfg.weights),
                "budget": cfg.weights if isinstance(cfg.weights, int) else None, "seed": cfg.seed,
                "sweep_seed": cfg.sweep_seed, "epochs": cfg.epochs, "lr": cfg.lr, "rounds": cfg.rounds,
                "n_train": int(len(data.y_train)), "n_test": int(len(data.y_test)), "noise": cfg.noise,
                "protocol": cfg.protocol, "head": data.head, "n_weights": n_weights(model),
                "negative_weights": negative_weights(model),
                "negative_by_layer": ",".join(str(int((layer.weight.detach() < 0).sum())) for layer in model.linear_layers),
                "train_accuracy": accuracy(model, data.X_train, data.y_train),
                "test_accuracy": accuracy(model, data.X_test, data.y_test), "final_loss": float(loss),
                "ceiling": ceiling, "certified_monotone": bool(cert.preserves_dominance),
                "certificate_unproven": len(cert.unprovable()),
                "certificate": json.dumps(cert.monotone, separators=(",", ":")),
                "convex": ",".join(c or "none" for c in cert.convex),
                "dominance_pairs": dom_pairs, "dominance_violations": dom_viol, "dominance_violation_rate": dom_rate,
                "device": str(device), "versions": _versions(),
            })
    elapsed = time.perf_counter() - start
    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    host = f"{platform.node()}:{os.getpid()}"
    for row in rows:
        row.update({"seconds": round(elapsed / len(rows), 4), "group_seconds": round(elapsed, 4),
                    "finished_at": now, "host": host})
    return rows
