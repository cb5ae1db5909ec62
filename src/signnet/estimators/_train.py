"""The two moving parts under the estimators: which network is built, and how it is trained.

Both sit behind one private function each so that the estimators do not change when the
network (:func:`make_network`) or the trainer (:func:`train`) does.

* :func:`make_network` builds a network that is monotone in the constrained inputs by
  construction (Theorem 1.1 of Wang et al. with a signed first layer, Lemma 1.1).
* :func:`train` runs Adam with early stopping on a held-out validation set and restores the
  weights of the epoch with the lowest validation loss, as
  ``sklearn.neural_network.MLPRegressor(early_stopping=True)`` keeps its best coefficients.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from signnet.nn import MONOTONE_ARCHITECTURES, MonotoneMLP
from signnet.train import torch_threads
from signnet.train.loop import make_optimizer, train_loop
from signnet.train.losses import head_loss

ARCHITECTURES = MONOTONE_ARCHITECTURES  # what make_network builds
SINGLE_THREAD_BELOW = 100_000  # parameters: smaller networks train on one thread (signnet.fit(threads="auto"))


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
    """Train ``net`` in place on ``(X, y)`` (float32 tensors, ``(n, d)`` and ``(n, 1)`` / ``(n,)``).

    With ``validation = (X_val, y_val)``, training stops after ``patience`` epochs without a
    validation-loss improvement larger than ``tol`` and the weights of the best epoch are
    restored; ``score(output on X_val)`` is recorded each epoch. Without it, ``patience``
    applies to the training loss (signnet's ``fit`` rule) and the last weights are kept.
    The net ends on the CPU, in eval mode.
    """
    net.to(device)
    result = TrainResult()
    best = {"loss": math.inf, "state": None, "stale": 0}
    if validation is not None:
        X_val, y_val = (t.to(device) for t in validation)

        def on_epoch(epoch: int, model: nn.Module, history) -> bool:
            with torch.no_grad():
                out = model(X_val)
                loss = float(head_loss(out, y_val, head))
                result.validation_loss.append(loss)
                result.validation_scores.append(score(out.cpu()))
            if loss < best["loss"] - tol:
                best.update(loss=loss, state=_snapshot(model), stale=0, epoch=epoch)
            else:
                best["stale"] += 1
            return best["stale"] >= patience
    else:
        on_epoch = None
    opt = make_optimizer("adam", net.parameters(), lr=lr, weight_decay=weight_decay)
    small = sum(p.numel() for p in net.parameters()) < SINGLE_THREAD_BELOW and device.type == "cpu"
    with torch_threads(1) if small else nullcontext():
        history = train_loop(net, X, y, epochs=epochs, optimizer=opt, loss=head, batch_size=batch_size,
                             generator=torch.Generator().manual_seed(seed), on_epoch=on_epoch,
                             patience=None if validation is not None else patience, tol=tol,
                             progress=verbose, name=type(net).__name__)
    if best["state"] is not None:
        net.load_state_dict(best["state"])
        result.best_epoch = best["epoch"]
    result.loss_curve = list(history.loss)
    result.n_iter = history.epochs
    net.cpu().eval()
    return result



def _snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    """A copy of the model's parameters and buffers (cheaper than ``copy.deepcopy(state_dict())``)."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}
