"""The one training loop of signnet: :func:`train_loop`.

Every trainer in signnet (:func:`signnet.fit`, the studies) runs this loop; only
:func:`signnet.fit_batched`, which trains ``R`` networks as one batched
computation, keeps its own epochs and shares the step (:func:`descend`) and the
divergence check (:func:`check_finite`). One epoch is::

    for each minibatch (xb, yb):                    # order drawn from `generator`
        out  = transform(model(xb))                 # (B, k)
        loss = head_loss(out, yb)                   # BCE / cross-entropy / MSE, or loss(out, yb)
        objective = loss + sign_penalty(model) + sum(term(step) for term in extra_loss)
        zero_grad; objective.backward(); on_grad(step); optimizer.step()
        project the method="project" layers         # Euclidean projection onto the allowed signs
        on_step(step)
    with validation=(X_val, y_val): val_loss = head_loss(transform(model(X_val)), y_val)  # eval mode, no_grad
    scheduler.step(); record the epoch in History; on_epoch(epoch, model, history)
    stop on a non-finite loss (raise, or stop with diverge="stop"), on `patience`, or when a hook returns True
    with validation and restore_best: load the weights of the epoch with the lowest validation loss

Early stopping: without validation, ``patience`` counts epochs whose training
loss did not improve on the best by more than ``tol``; with validation, it counts
epochs whose *validation* loss did not (Prechelt 1998, "Early stopping - but
when?"; scikit-learn's ``MLPRegressor(early_stopping=True)`` does the same).

A custom ``step=`` replaces the forward, loss, backward and optimiser step (for
optimisers that do their own backward, such as cooper's
``CooperOptimizer.roll``); the loop still owns the epochs, the minibatches, the
projection, the divergence check, the progress bar, the scheduler and the history.

Sign enforcement follows :mod:`signnet.nn.enforce`: ``"project"`` layers are
projected after every step (and once before training), ``"penalty"`` layers add
:func:`~signnet.nn.enforce.sign_penalty` to the objective, ``"reparam"`` layers
need nothing. The loop changes no global state: the minibatch order comes from
its own ``torch.Generator`` and the thread count is left as the caller set it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

from signnet.errors import SignnetError, choice_error
from signnet.nn.enforce import project_, sign_layers, sign_penalty
from signnet.train.autograd import with_gradients
from signnet.train.checks import integer, non_negative_number, positive_int
from signnet.train.losses import CLASSIFIERS, check_head, count_correct, head_loss

OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD, "adamw": torch.optim.AdamW}
DIVERGE = ("raise", "stop")


@dataclass
class History:
    """Per-epoch record of a training run."""

    loss: list[float] = field(default_factory=list)  # mean data loss per epoch (no sign penalty, no extra terms)
    accuracy: list[float] = field(default_factory=list)  # training accuracy per epoch (classification heads only)
    lr: list[float] = field(default_factory=list)  # learning rate of the first parameter group during each epoch
    epochs: int = 0  # epochs actually run
    stopped_early: bool = False  # the run ended before `epochs` epochs
    stop_reason: str | None = None  # "patience", "callback", "diverged", or "epochs" when all epochs ran
    seconds: float = 0.0  # wall-clock time
    val_loss: list[float] = field(default_factory=list)  # validation data loss per epoch (empty without validation)
    best_epoch: int | None = None  # 0-based epoch of the lowest validation loss (None without validation)


@dataclass
class Step:
    """One optimisation step, as the hooks see it.

    ``output``, ``loss`` and ``objective`` are filled by the default step before
    the hooks run; a custom ``step=`` fills ``loss`` with what it returns.
    """

    epoch: int  # 0-based epoch
    index: int  # 0-based number of the step in the run
    inputs: torch.Tensor  # (B, *) the minibatch
    targets: torch.Tensor  # (B, *) its targets
    model: nn.Module
    optimizer: torch.optim.Optimizer | None
    output: torch.Tensor | None = None  # (B, k) the model output after `transform`
    loss: torch.Tensor | None = None  # () the data loss of the minibatch
    objective: torch.Tensor | None = None  # () what was backpropagated: loss + penalty + extra terms


def make_optimizer(name: str, params, *, lr: float, weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """``torch.optim`` optimiser by name: ``"adam"`` (L2 added to the gradient), ``"adamw"`` (decoupled
    decay: ``w <- w (1 - lr wd)`` before the Adam step, Loshchilov & Hutter 2019) or ``"sgd"``."""
    if name not in OPTIMIZERS:
        raise choice_error("optimizer", name, OPTIMIZERS)
    return OPTIMIZERS[name](params, lr=lr, weight_decay=weight_decay, foreach=True)


def descend(optimizer: torch.optim.Optimizer, objective: torch.Tensor,
            before_step: Callable[[], object] | None = None) -> None:
    """One gradient step: zero the gradients, backpropagate ``objective`` (a scalar), step.

    ``before_step`` runs between the backward pass and the step, when ``.grad`` holds
    this step's gradients. Shared by :func:`train_loop` and :func:`signnet.fit_batched`.
    """
    optimizer.zero_grad(set_to_none=True)
    objective.backward()
    if before_step is not None:
        before_step()
    optimizer.step()


def check_finite(loss: float, epoch: int, name: str | None = None, fix: str = "lower the learning rate") -> None:
    """Raise a :class:`~signnet.errors.SignnetError` if ``loss`` of (1-based) ``epoch`` is not finite."""
    if not math.isfinite(loss):
        what = f"Training {name}" if name else "Training"
        raise SignnetError(f"{what} diverged at epoch {epoch} (loss {loss}); {fix}.")


def _as_loss(value) -> torch.Tensor:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return torch.tensor(float(value))
    raise SignnetError(f"A custom step= must return the minibatch loss (a one-element tensor or a number), "
                       f"got {type(value).__name__}; return the loss it computed.")


def _resolve_optimizer(optimizer, model: nn.Module, custom: bool):
    if optimizer is None:
        if custom:
            return None
        raise SignnetError("train_loop needs optimizer=: a torch.optim optimiser or a function params -> optimiser.")
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer
    if callable(optimizer):
        made = optimizer(model.parameters())
        if isinstance(made, torch.optim.Optimizer):
            return made
    raise SignnetError(f"optimizer must be a torch.optim optimiser or a function params -> optimiser, "
                       f"got {type(optimizer).__name__}; e.g. optimizer=torch.optim.AdamW(model.parameters()).")


def _resolve_scheduler(scheduler, optimizer):
    if scheduler is None or hasattr(scheduler, "step") and not isinstance(scheduler, type):
        return scheduler
    if callable(scheduler):
        if optimizer is None:
            raise SignnetError("A scheduler factory needs optimizer=; pass a scheduler instance instead.")
        return scheduler(optimizer)
    raise SignnetError(f"scheduler must be an lr_scheduler or a function optimizer -> lr_scheduler, "
                       f"got {type(scheduler).__name__}.")


@with_gradients
def train_loop(model: nn.Module, X: torch.Tensor, y: torch.Tensor, *, epochs: int,
               optimizer=None, loss: str | Callable | None = None, batch_size: int | None = None,
               generator: torch.Generator | int | None = None,
               transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
               extra_loss: Callable[[Step], torch.Tensor] | Sequence[Callable[[Step], torch.Tensor]] = (),
               scheduler=None, step: Callable[[Step], torch.Tensor | float] | None = None,
               on_grad: Callable[[Step], object] | None = None, on_step: Callable[[Step], object] | None = None,
               on_epoch: Callable[[int, nn.Module, History], object] | None = None,
               patience: int | None = None, tol: float = 0.0, diverge: str = "raise",
               progress: bool = False, name: str | None = None,
               validation: tuple[torch.Tensor, torch.Tensor] | None = None, restore_best: bool = True) -> History:
    """Train ``model`` on ``(X, y)`` in place and return its :class:`History`.

    Args:
        model: any ``nn.Module``; its signed layers are enforced (module docstring).
        X: inputs ``(n, *)``; y: targets ``(n, *)``. Tensors, moved once to the
            device of the model's parameters; validate them first (:mod:`signnet.validation`).
        epochs: the most epochs to run.
        optimizer: a ``torch.optim.Optimizer``, or a function ``params -> optimiser``
            called with ``model.parameters()``. Optional with ``step=``.
        loss: ``"binary"``, ``"softmax"``, ``"regression"`` (:mod:`signnet.train.losses`)
            or a function ``loss(output, target) -> scalar``; default ``model.head``.
        batch_size: minibatch size; ``None`` for full batch (no shuffling).
        generator: draws the minibatch order each epoch: a ``torch.Generator`` or
            a seed (default seed 0). Global RNG state is never touched.
        transform: applied to the model output before the loss and the accuracy,
            e.g. ``torch.nn.functional.softplus`` for non-negative outputs.
        extra_loss: function(s) ``term(step) -> scalar`` added to the objective
            (``step.output`` and ``step.loss`` are set), e.g. a penalty.
        scheduler: an ``lr_scheduler`` or a function ``optimizer -> lr_scheduler``,
            stepped once after every epoch (``ReduceLROnPlateau`` gets the epoch loss).
        step: custom step ``step(step: Step) -> loss`` that does its own forward,
            backward and optimiser step and returns the data loss (tensor or float);
            incompatible with ``transform``, ``extra_loss`` and ``on_grad``.
        on_grad: ``on_grad(step)`` after the backward pass, before the optimiser step.
        on_step: ``on_step(step)`` after the optimiser step and the projection.
        on_epoch: ``on_epoch(epoch, model, history)`` after each epoch is recorded
            (also an epoch whose loss is not finite, before the divergence check).
            A hook that returns ``True`` (``on_step``, ``on_epoch``) ends the run.
        patience: stop when the epoch loss (the validation loss, with ``validation``)
            has not improved by more than ``tol`` for this many epochs; ``None`` never stops early.
        tol: the improvement that counts for ``patience``.
        diverge: on a non-finite epoch loss, ``"raise"`` a SignnetError naming the
            epoch, or ``"stop"`` and record ``stop_reason="diverged"``.
        progress: a tqdm bar, shown only if the run lasts over 2 s.
        name: names the run in the progress bar and the divergence message.
        validation: held-out tensors ``(X_val, y_val)``, ``(m, *)`` and ``(m, *)``, moved once to
            the model's device. After every epoch their data loss (the training loss function
            after ``transform``, without sign penalty or extra terms) is computed in eval mode
            under ``no_grad`` and recorded in ``history.val_loss``; ``patience`` then follows it,
            and a ``ReduceLROnPlateau`` scheduler gets it. Needs a loss (not only ``step=``).
        restore_best: with ``validation``, load at the end the weights (``state_dict``, copied
            tensors) of the epoch with the lowest validation loss, ``history.best_epoch``.
            They were saved after that epoch's projection, so they obey the signs.

    Example:
        >>> h = train_loop(model, X, y, epochs=100, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        ...                on_epoch=lambda e, m, h: h.loss[-1] < 0.01)  # stop once the loss is below 0.01
    """
    epochs = positive_int(epochs, "epochs", "pass e.g. epochs=100")
    batch_size = positive_int(batch_size, "batch_size", "pass None for full batch", allow_none=True)
    patience = positive_int(patience, "patience", "pass None to never stop early", allow_none=True)
    tol = non_negative_number(tol, "tol", "pass e.g. tol=1e-5")
    if diverge not in DIVERGE:
        raise choice_error("diverge", diverge, DIVERGE)
    extras = [extra_loss] if callable(extra_loss) else list(extra_loss or ())
    if step is not None and (transform is not None or extras or on_grad is not None):
        raise SignnetError("A custom step= does its own forward and backward, so transform=, extra_loss= and "
                           "on_grad= would be ignored; apply them inside the step.")
    head = loss if loss is not None else getattr(model, "head", None)
    if step is None and head is None:
        raise SignnetError(f"{type(model).__name__} has no head; pass loss='binary', 'softmax', 'regression' "
                           f"or a function loss(output, target).")
    if isinstance(head, str):
        check_head(head)
    classify = step is None and head in CLASSIFIERS
    if not isinstance(X, torch.Tensor) or not isinstance(y, torch.Tensor) or X.shape[:1] != y.shape[:1]:
        raise SignnetError("train_loop needs X and y as tensors with one row per example; validate them with "
                           "signnet.validation.as_features and as_targets first.")
    opt = _resolve_optimizer(optimizer, model, step is not None)
    sched = _resolve_scheduler(scheduler, opt)
    lr_source = opt if opt is not None else getattr(sched, "optimizer", None)
    if not isinstance(generator, torch.Generator):
        seed = 0 if generator is None else integer(generator, "generator", "pass a torch.Generator or a seed")
        generator = torch.Generator().manual_seed(seed)
    if validation is not None:
        if step is not None and loss is None:
            raise SignnetError("validation= needs loss= with a custom step=, to compute the validation loss; "
                               "pass e.g. loss='regression'.")
        pair = isinstance(validation, (tuple, list)) and len(validation) == 2
        if (not pair or not all(isinstance(t, torch.Tensor) for t in validation)
                or validation[0].shape[:1] != validation[1].shape[:1] or validation[0].shape[0] == 0):
            raise SignnetError("validation must be a pair of tensors (X_val, y_val) with one row per example; "
                               "validate them with signnet.validation.as_features and as_targets first.")
    if not isinstance(restore_best, bool):
        raise SignnetError(f"restore_best must be True or False, got {restore_best!r}.")
    first = next(model.parameters(), None)
    device = first.device if first is not None else X.device
    X, y = X.to(device), y.to(device)
    if validation is not None:
        X_val, y_val = validation[0].to(device), validation[1].to(device)

    signed = sign_layers(model)
    projected = [layer for layer in signed if layer.method == "project"]
    penalised = any(layer.method == "penalty" for layer in signed)

    def default_step(s: Step) -> None:
        out = model(s.inputs)
        if transform is not None:
            out = transform(out)
        s.output = out
        s.loss = head(out, s.targets) if callable(head) else head_loss(out, s.targets, head)
        objective = s.loss + sign_penalty(model) if penalised else s.loss
        for term in extras:
            objective = objective + term(s)
        s.objective = objective
        descend(opt, objective, None if on_grad is None else lambda: on_grad(s))

    @torch.no_grad()
    def validation_loss() -> float:
        model.eval()
        out = model(X_val)
        if transform is not None:
            out = transform(out)
        value = head(out, y_val) if callable(head) else head_loss(out, y_val, head)
        model.train()
        return float(value)

    n = X.shape[0]
    history, best, stale, count = History(), math.inf, 0, 0
    best_val, best_state = math.inf, None
    start = time.perf_counter()
    project_(model)
    model.train()
    bar = tqdm(range(epochs), desc=name or "training", delay=2.0, mininterval=0.5, disable=not progress,
               leave=False)
    try:
        for epoch in bar:
            order = torch.randperm(n, generator=generator).to(device) if batch_size else None
            total, correct, seen, stop = 0.0, 0, 0, False
            for lo in range(0, n, batch_size or n):
                idx = order[lo:lo + batch_size] if batch_size else slice(None)
                s = Step(epoch, count, X[idx], y[idx], model, opt)
                if step is None:
                    default_step(s)
                else:
                    s.loss = _as_loss(step(s))
                for layer in projected:
                    layer.project_()
                rows = s.inputs.shape[0]
                total += s.loss.item() * rows
                if classify:
                    correct += count_correct(s.output, s.targets, head)
                seen += rows
                count += 1
                if on_step is not None and on_step(s) is True:
                    stop = True
                    break
            epoch_loss = total / seen
            history.loss.append(epoch_loss)
            if classify:
                history.accuracy.append(correct / seen)
            if lr_source is not None:
                history.lr.append(float(lr_source.param_groups[0]["lr"]))
            history.epochs = epoch + 1
            monitored = epoch_loss
            if validation is not None:
                monitored = validation_loss()
                history.val_loss.append(monitored)
                if monitored < best_val:  # the lowest validation loss so far (tol only governs patience)
                    best_val, history.best_epoch = monitored, epoch
                    if restore_best:
                        best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            bar.set_postfix(loss=f"{epoch_loss:.4f}", refresh=False)
            if sched is not None:
                if isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau):
                    sched.step(monitored)
                else:
                    sched.step()
            if on_epoch is not None and on_epoch(epoch, model, history) is True:
                stop = True
            if not math.isfinite(epoch_loss):
                if diverge == "raise":
                    check_finite(epoch_loss, epoch + 1, name, "lower the learning rate or the sign penalty's "
                                 "strength" if penalised else "lower the learning rate")
                history.stopped_early, history.stop_reason = True, "diverged"
                break
            if stop:
                if epoch + 1 < epochs or seen < n:
                    history.stopped_early, history.stop_reason = True, "callback"
                else:
                    history.stop_reason = "epochs"
                break
            if monitored < best - tol:
                best, stale = monitored, 0
            else:
                stale += 1
                if patience is not None and stale >= patience:
                    if epoch + 1 < epochs:  # on the last epoch every epoch ran: no early stop
                        history.stopped_early, history.stop_reason = True, "patience"
                    else:
                        history.stop_reason = "epochs"
                    break
        else:
            history.stop_reason = "epochs"
    finally:
        bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    history.seconds = time.perf_counter() - start
    return history
