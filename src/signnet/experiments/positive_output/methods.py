r"""The task, the shared initial network and the direct methods: ``none``, the penalties, the transforms.

Q&A seed 003 ("How to optimize the weights and bias in your neural network in
order to get as results only positive values?") asks how to make the outputs
of a network non-negative without a ReLU on the last layer; K. Frank's answer
offers a penalty, Lagrange multipliers with slack variables (see
:mod:`.lagrangian`) and an output transform. This module holds the task, the
configuration and the methods trained on one loss:

``none``
    ``f(theta) = (1/n) sum_i (yhat_i - y_i)^2``, no constraint.
``penalty_<alpha>``
    ``f(theta) + alpha * (1/n) sum_i relu(-yhat_i)^2``. Both terms are **means**,
    so ``alpha`` is the weight of the penalty relative to the squared error
    whatever ``n``; the Q&A's mean loss plus *summed* penalty is ``alpha * n`` here.
    The penalty "will not force the elements of pred to be positive, but it
    will encourage them to be positive".
``relu``, ``softplus``, ``exp``
    The prediction is ``t(P_theta(x))``, trained on the mean squared error. No
    prediction can be negative. A ReLU output passes no gradient where its
    input is negative: a training example predicted exactly 0 with ``y > 0``
    cannot pull its prediction up (counted as ``dead_train_fraction``).

Task. ``x ~ U(-2, 2)^4``, ``y = max(0, z(x) + eps)`` with
``z(x) = 1.2 sin(1.5 x1) + 0.8 x2 - 0.5 x3 x4 - 0.6`` and ``eps ~ N(0, noise^2)``:
a censored target, zero for about 60 % of the points, whose least-squares fit
predicts small negative values on the flat part. Every method starts from the
same initial weights (drawn from ``seed`` under :func:`torch.random.fork_rng`,
so the caller's random state is untouched) and trains full batch with Adam,
learning rate ``lr`` with a cosine decay to ``lr_floor * lr``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from signnet.nn.networks import MLP
from signnet.train.loop import Step, train_loop

ALPHAS = (0.1, 1.0, 10.0, 100.0)
PENALTIES = tuple(f"penalty_{a:g}" for a in ALPHAS)
LAGRANGIANS = ("lagrangian_slack", "lagrangian_inequality")
FORMS = {"lagrangian_inequality": "inequality", "lagrangian_slack": "slack"}
TRANSFORMS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {"relu": F.relu, "softplus": F.softplus,
                                                                  "exp": torch.exp}
METHODS = ("none", *PENALTIES, *LAGRANGIANS, *TRANSFORMS)
DIAGNOSTIC = "slack_plain_lagrangian"  # the slack form with the plain Lagrangian: measured, not a method
FIELDS = ("train_negative_fraction", "test_negative_fraction", "min_train_prediction", "test_mse", "seconds")
TOL = 1e-3  # the acceptance threshold for the Lagrangian methods: no training prediction below -TOL
N_FEATURES = 4
CHECKPOINTS = (("10%", 0.1), ("50%", 0.5), ("end", 1.0))
TASK = "y = max(0, 1.2 sin(1.5 x1) + 0.8 x2 - 0.5 x3 x4 - 0.6 + eps), x ~ U(-2, 2)^4, eps ~ N(0, noise^2)"

CONFIG = {
    "n_train": 500, "n_test": 2000, "noise": 0.1, "hidden": [128, 128], "activation": "relu",
    "epochs": 1500, "lagrangian_epochs": 3000, "lr": 1e-2, "lr_floor": 0.0, "optimizer": "adam (full batch)",
    "alphas": list(ALPHAS), "dual_optimizer": "sgd (maximize=True)",
    "inequality_optimizer": "AlternatingDualPrimalOptimizer", "dual_lr_inequality": 10.0,
    "slack_optimizer": "SimultaneousOptimizer", "slack_rho": 10.0, "dual_lr_slack": 10.0, "slack_dual_every": 40,
    "slack_lr": 0.005, "slack_init_offset": 0.1,
    "tolerance": TOL, "history_points": 150,
}
QUICK = {**CONFIG, "n_train": 200, "n_test": 1000, "epochs": 250, "lagrangian_epochs": 800}


def make_data(n_train: int, n_test: int, noise: float, seed: int) -> dict[str, torch.Tensor]:
    """The censored regression task: ``y = max(0, z(x) + eps)``, ``x ~ U(-2, 2)^4``; i.i.d. train and test.

    Returns ``X_train (n_train, 4)``, ``y_train (n_train,)``, ``X_test (n_test, 4)``, ``y_test (n_test,)``
    (float32), drawn from ``numpy.random.default_rng(seed)``.
    """
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    X = rng.uniform(-2.0, 2.0, size=(n, N_FEATURES))
    z = 1.2 * np.sin(1.5 * X[:, 0]) + 0.8 * X[:, 1] - 0.5 * X[:, 2] * X[:, 3] - 0.6
    y = np.maximum(0.0, z + noise * rng.standard_normal(n))
    X, y = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)
    return {"X_train": X[:n_train], "y_train": y[:n_train], "X_test": X[n_train:], "y_test": y[n_train:]}


def initial_model(cfg: dict, seed: int) -> MLP:
    """The free-weight ReLU MLP ``4 -> hidden -> 1`` that every method starts from (the same weights each call).

    The weights are drawn from torch's generator seeded with ``seed`` inside
    :func:`torch.random.fork_rng`: the caller's random state is left as it was.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return MLP(N_FEATURES, tuple(cfg["hidden"]), 1, activation=cfg["activation"], head="regression")


def cosine(optimizer: torch.optim.Optimizer, epochs: int, floor: float) -> torch.optim.lr_scheduler.LambdaLR:
    """Learning rate ``lr * (floor + (1 - floor) * (1 + cos(pi t / T)) / 2)`` over ``T = epochs``."""
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda t: floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * min(t, epochs) / epochs)))


def penalty_alpha(method: str) -> float:
    """``alpha`` of ``"penalty_<alpha>"`` (0.0 for any other method)."""
    return float(method.split("_", 1)[1]) if method.startswith("penalty_") else 0.0


class Recorder:
    """Per-epoch statistics of the training predictions (and multipliers), kept as tensors until the end."""

    def __init__(self):
        self.rows: dict[str, list[torch.Tensor]] = {}

    def add(self, **values: torch.Tensor) -> None:
        for key, value in values.items():
            self.rows.setdefault(key, []).append(value.detach().reshape(()))

    def predictions(self, pred: torch.Tensor) -> None:
        """Record the fraction of negative training predictions and the lowest one (``pred``: ``(n,)``)."""
        self.add(negative_fraction=(pred < 0).float().mean(), min_prediction=pred.min())

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: torch.stack(v).double().numpy() for k, v in self.rows.items() if v}


def mse(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``(1/n) sum_i (yhat_i - y_i)^2`` for ``output (n, 1)`` and ``target (n,)``."""
    return F.mse_loss(output[:, 0], target)


Predict = Callable[[torch.Tensor], torch.Tensor]


def train_direct(method: str, data: dict, cfg: dict, seed: int) -> tuple[Predict, Recorder, dict]:
    """``none``, ``penalty_<alpha>`` and the output transforms: Adam on a mean-squared-error loss.

    Trained by :func:`signnet.train.train_loop` (full batch, one step per epoch):
    the transform is its ``transform=`` hook, the penalty an ``extra_loss=`` term,
    the cosine decay its ``scheduler=`` and the record an ``on_step=`` callback.
    A non-finite loss raises a :class:`~signnet.errors.SignnetError` naming the
    method and the epoch.

    Returns ``predict(X) -> (m,)`` (the trained network, transform applied), the
    per-epoch record of the training predictions (before each update) and the
    method's settings (``alpha``, ``transform``, ``epochs``).
    """
    model = initial_model(cfg, seed)
    transform = TRANSFORMS.get(method)
    alpha = penalty_alpha(method)
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    rec = Recorder()

    def penalty(step: Step) -> torch.Tensor:  # alpha * (1/n) sum_i relu(-yhat_i)^2; step.output is (n, 1)
        return alpha * F.relu(-step.output[:, 0]).square().mean()

    train_loop(model, data["X_train"], data["y_train"], epochs=cfg["epochs"], optimizer=opt, loss=mse,
               transform=transform, extra_loss=(penalty,) if alpha else (),
               scheduler=cosine(opt, cfg["epochs"], cfg["lr_floor"]),
               on_step=lambda step: rec.predictions(step.output.detach()[:, 0]), name=method)

    def predict(X_: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            o = model(X_)[:, 0]
            return transform(o) if transform is not None else o

    return predict, rec, {"alpha": alpha or None, "transform": method if transform is not None else None,
                          "epochs": cfg["epochs"]}
