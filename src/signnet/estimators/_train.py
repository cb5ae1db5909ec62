"""The two moving parts under the estimators: which network is built, and how it is trained.

Both sit behind one private function each so that the estimators do not change when the
network (:func:`make_network`) or the trainer (:func:`train`) does.

* :func:`make_network` builds a network that is monotone in the constrained inputs by
  construction (Theorem 1.1 of Wang et al. with a signed first layer, Lemma 1.1).
* :func:`train` runs :func:`signnet.fit` (Adam) with early stopping on a held-out validation set
  and restores the weights of the epoch with the lowest validation loss, as
  ``sklearn.neural_network.MLPRegressor(early_stopping=True)`` keeps its best coefficients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from signnet.nn import MONOTONE_ARCHITECTURES, MonotoneMLP
from signnet.train import fit

ARCHITECTURES = MONOTONE_ARCHITECTURES  # what make_network builds


def make_network(monotonic_cst: np.ndarray, hidden: tuple[int, ...], *, architecture: str, activation: str,
                 head: str, seed: int) -> nn.Module:
    """A :class:`signnet.MonotoneMLP` ``(N, d) -> (N, 1)``: for every value of the free (0) inputs, the
    output is non-decreasing in the +1 inputs and non-increasing in the -1 inputs.

    The initial weights are drawn under ``torch.random.fork_rng`` from ``seed`` (``MonotoneMLP``
    takes no generator): torch's global RNG is restored on exit, so the caller's random state is
    left as it was.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return MonotoneMLP([int(c) for c in monotonic_cst], hidden, architecture=architecture,
                           activation=activation, head=head)


@dataclass
class TrainResult:
    """What one training run recorded, per epoch (index 0 = the first epoch)."""

    loss_curve: list[float] = field(default_factory=list)  # training loss (standardised units for regression)
    validation_loss: list[float] = field(default_factory=list)  # loss on the validation set (empty without one)
    validation_scores: list[float] = field(default_factory=list)  # score(validation output) per epoch
    best_epoch: int | None = None  # epoch whose weights were restored (None without validation)
    n_iter: int = 0  # epochs run


def train(net: nn.Module, X: torch.Tensor, y: torch.Tensor, *, head: str,
          validation: tuple[torch.Tensor, torch.Tensor] | None,
          score: Callable[[torch.Tensor], float] | None, epochs: int, lr: float, weight_decay: float,
          batch_size: int | None, patience: int, tol: float, seed: int, device: torch.device,
          verbose: bool) -> TrainResult:
    """Train ``net`` in place on ``(X, y)`` (float32 tensors ``(n, d)``; targets ``(n, 1)`` or labels ``(n,)``).

    :func:`signnet.fit` with Adam, ``threads="auto"`` (one thread for small networks) and, with
    ``validation = (X_val, y_val)``: training stops after ``patience`` epochs without a
    validation-loss improvement larger than ``tol`` and the weights of the epoch of lowest
    validation loss are restored; ``score(output on X_val)`` (on the CPU) is recorded each epoch.
    Without it, ``patience`` applies to the training loss and the last weights are kept.
    The net ends on the CPU, in eval mode.
    """
    scores: list[float] = []
    callback = None
    if validation is not None:
        X_val = validation[0].to(device)

        def callback(epoch: int, model: nn.Module, history) -> None:
            with torch.no_grad():
                scores.append(score(model(X_val).cpu()))

    history = fit(net, X, y, epochs=epochs, lr=lr, optimizer="adam", batch_size=batch_size, weight_decay=weight_decay,
                  patience=patience, tol=tol, seed=seed, progress=verbose, callback=callback, threads="auto",
                  validation=validation, restore_best=True, device=device)
    net.cpu().eval()
    return TrainResult(loss_curve=list(history.loss), validation_loss=list(history.val_loss), validation_scores=scores,
                       best_epoch=history.best_epoch, n_iter=history.epochs)
