"""Training a signed network: :func:`fit` and its :class:`History`.

``fit`` knows the three enforcement methods (:mod:`signnet.enforce`): it
projects ``method="project"`` layers after each optimiser step and adds the
penalty of ``method="penalty"`` layers to the loss. The loss follows the
model's ``head``: binary cross-entropy on one logit, cross-entropy on K
logits, or mean squared error.

Runs are seeded and deterministic on the CPU: the same seed, data and
arguments give bit-identical weights.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from signnet.nn.enforce import project_, sign_layers, sign_penalty
from signnet.errors import SignnetError, choice_error
from signnet.validation import as_features, as_targets

OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}


@contextmanager
def torch_threads(n: int = 1):
    """Run the enclosed block with ``n`` intra-op threads in torch, then restore the setting.

    Small networks spend their time in per-operation overhead; extra threads add
    synchronisation and, on a busy machine, stall each tiny operation for
    milliseconds. Experiments on tiny models therefore run single-threaded.
    """
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


@dataclass
class History:
    """Per-epoch record of a training run."""

    loss: list[float] = field(default_factory=list)  # training loss (without sign penalty)
    accuracy: list[float] = field(default_factory=list)  # training accuracy (classification only)
    epochs: int = 0  # epochs actually run
    stopped_early: bool = False  # the stopping rule fired
    seconds: float = 0.0  # wall-clock time


def head_loss(output: torch.Tensor, target: torch.Tensor, head: str) -> torch.Tensor:
    """The loss of a head: BCE on one logit, cross-entropy on K logits, or MSE."""
    if head == "binary":
        return F.binary_cross_entropy_with_logits(output[:, 0], target.float())
    if head == "softmax":
        return F.cross_entropy(output, target)
    return F.mse_loss(output, target)


@torch.no_grad()
def accuracy(model: nn.Module, X, y) -> float:
    """Share of rows of ``X`` whose predicted class equals ``y``."""
    Xt = as_features(X, model.config["in_features"])
    yt = as_targets(y, Xt.shape[0], model.head, model.config["out_features"])
    return int((model.predict(Xt) == yt).sum()) / len(yt)


def fit(model: nn.Module, X, y, *, epochs: int = 500, lr: float = 1e-2, optimizer: str = "adam",
        batch_size: int | None = None, weight_decay: float = 0.0, patience: int | None = 50,
        tol: float = 1e-5, seed: int = 0, progress: bool = True, callback=None,
        threads: int | None = None) -> History:
    """Train ``model`` on ``(X, y)`` in place and return its :class:`History`.

    Args:
        model: a :class:`signnet.MLP` (or any module with ``head`` and ``config``).
        X: features, ``(n, d)``, finite.
        y: labels ``(n,)`` (classification) or targets ``(n,)``/``(n, k)`` (regression).
        epochs: the most epochs to run.
        lr: learning rate.
        optimizer: ``"adam"`` or ``"sgd"``.
        batch_size: minibatch size; ``None`` for full batch.
        weight_decay: L2 weight decay passed to the optimiser.
        patience: stop when the loss has not improved by ``tol`` for this many
            epochs; ``None`` never stops early.
        tol: the improvement that counts for ``patience``.
        seed: seeds the minibatch order (set ``torch.manual_seed`` yourself
            before building the model to seed its initialisation).
        progress: show a progress bar (it appears only if the run lasts over 2 s).
        callback: optional ``callback(epoch, model, history)`` called after each epoch.
        threads: torch intra-op threads while training; ``None`` uses 1 for networks
            under 100,000 parameters (faster, see :func:`torch_threads`) and torch's
            setting otherwise.

    Enforcement: ``project`` layers are projected after every step,
    ``penalty`` layers add :func:`signnet.enforce.sign_penalty` to the loss.
    """
    if optimizer not in OPTIMIZERS:
        raise choice_error("optimizer", optimizer, OPTIMIZERS)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs <= 0:
        raise SignnetError(f"epochs must be a positive integer, got {epochs!r}.")
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
        raise SignnetError(f"batch_size must be a positive integer or None, got {batch_size!r}.")
    if not lr > 0:
        raise SignnetError(f"Learning rate {lr!r} must be positive.")
    if threads is None:
        small = sum(p.numel() for p in model.parameters()) < 100_000
        threads = 1 if small else torch.get_num_threads()
    with torch_threads(threads):
        return _fit(model, X, y, epochs=epochs, lr=lr, optimizer=optimizer, batch_size=batch_size,
                    weight_decay=weight_decay, patience=patience, tol=tol, seed=seed, progress=progress,
                    callback=callback)


def _fit(model, X, y, *, epochs, lr, optimizer, batch_size, weight_decay, patience, tol, seed, progress,
         callback) -> History:
    head = getattr(model, "head", "binary")
    Xt = as_features(X, model.config["in_features"] if hasattr(model, "config") else None)
    yt = as_targets(y, Xt.shape[0], head, model.config["out_features"] if hasattr(model, "config") else 1)
    opt = OPTIMIZERS[optimizer](model.parameters(), lr=lr, weight_decay=weight_decay, foreach=True)
    signed = sign_layers(model)
    projected = [layer for layer in signed if layer.method == "project"]
    penalised = any(layer.method == "penalty" for layer in signed)
    gen = torch.Generator().manual_seed(seed)
    n = Xt.shape[0]
    history, best, stale = History(), float("inf"), 0
    start = time.perf_counter()
    project_(model)
    model.train()
    bar = tqdm(range(epochs), desc="training", delay=2.0, mininterval=0.5, disable=not progress, leave=False)
    for epoch in bar:
        order = torch.randperm(n, generator=gen) if batch_size else None
        total, correct = 0.0, 0
        for lo in range(0, n, batch_size or n):
            idx = order[lo:lo + batch_size] if batch_size else slice(None)
            xb, yb = Xt[idx], yt[idx]
            out = model(xb)
            loss = head_loss(out, yb, head)
            opt.zero_grad(set_to_none=True)
            (loss + sign_penalty(model) if penalised else loss).backward()
            opt.step()
            for layer in projected:
                layer.project_()
            total += loss.item() * xb.shape[0]
            if head != "regression":
                with torch.no_grad():
                    pred = (out[:, 0] > 0).long() if head == "binary" else out.argmax(1)
                    correct += int((pred == yb).sum())
        epoch_loss = total / n
        history.loss.append(epoch_loss)
        if head != "regression":
            history.accuracy.append(correct / n)
        history.epochs = epoch + 1
        bar.set_postfix(loss=f"{epoch_loss:.4f}", refresh=False)
        if callback is not None:
            callback(epoch, model, history)
        if not np.isfinite(epoch_loss):
            raise SignnetError(f"Training diverged at epoch {epoch + 1} (loss {epoch_loss}); lower the learning rate.")
        if epoch_loss < best - tol:
            best, stale = epoch_loss, 0
        else:
            stale += 1
            if patience is not None and stale >= patience:
                history.stopped_early = True
                break
    bar.close()
    model.eval()
    history.seconds = time.perf_counter() - start
    return history
