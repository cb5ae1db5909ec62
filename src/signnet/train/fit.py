"""Training a signed network: :func:`fit`, built on :func:`signnet.train.loop.train_loop`.

``fit`` validates its input at the boundary, builds the optimiser and runs the
one training loop: the loss follows the model's ``head`` (binary cross-entropy
on one logit, cross-entropy on K logits, or mean squared error),
``method="project"`` layers are projected after each optimiser step and
``method="penalty"`` layers add :func:`signnet.nn.enforce.sign_penalty` to the loss.

Runs are seeded and deterministic on the CPU: the same seed, data, arguments and
torch thread count give bit-identical weights.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import torch
from torch import nn

from signnet.errors import SignnetError, choice_error
from signnet.nn.enforce import sign_layers
from signnet.train.autograd import with_gradients
from signnet.train.checks import non_negative_number, positive_int, positive_number, seed_value
from signnet.train.loop import OPTIMIZERS, History, make_optimizer, train_loop
from signnet.train.losses import CLASSIFIERS, HEADS, head_loss
from signnet.validation import as_features, as_targets, check_device, check_fraction

__all__ = ["History", "accuracy", "fit", "head_loss", "split_rows", "torch_threads"]

AUTO_SINGLE_THREAD_BELOW = 100_000  # parameters: fit(threads="auto") trains smaller networks on one thread


@contextmanager
def torch_threads(n: int = 1):
    """Run the enclosed block with ``n`` intra-op threads in torch, then restore the setting.

    This changes torch's process-wide thread count for the duration of the block,
    so it is the caller's explicit choice. Small networks spend their time in
    per-operation overhead; extra threads add synchronisation and, on a busy
    machine, stall each tiny operation for milliseconds, so one thread is often
    faster for them.
    """
    n = positive_int(n, "threads", "pass e.g. 1")
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


@torch.no_grad()
def accuracy(model: nn.Module, X, y) -> float:
    """Share of rows of ``X`` ``(n, d)`` whose predicted class equals ``y`` ``(n,)``."""
    first = next(model.parameters(), None)
    dtype = first.dtype if first is not None and first.is_floating_point() else None
    Xt = as_features(X, model.config["in_features"], dtype=dtype)
    yt = as_targets(y, Xt.shape[0], model.head, model.config["out_features"])
    if first is not None:
        Xt, yt = Xt.to(first.device), yt.to(first.device)
    return int((model.predict(Xt) == yt).sum()) / len(yt)


def check_validation_options(validation, validation_fraction, restore_best) -> float | None:
    """The checks of ``fit``'s and ``fit_batched``'s validation options; returns ``validation_fraction`` as a float (or None)."""
    if validation is not None and validation_fraction is not None:
        raise SignnetError("Pass either `validation` (held-out data) or `validation_fraction` (a share of X to "
                           f"hold out), not both; got validation_fraction={validation_fraction!r} as well.")
    if validation_fraction is not None:
        validation_fraction = check_fraction(validation_fraction, "validation_fraction", inclusive=False)
    if not isinstance(restore_best, bool):
        raise SignnetError(f"restore_best must be True or False, got {restore_best!r}.")
    return validation_fraction


@with_gradients
def fit(model: nn.Module, X, y, *, epochs: int = 500, lr: float = 1e-2, optimizer: str = "adam",
        batch_size: int | None = None, weight_decay: float = 0.0, patience: int | None = 50,
        tol: float = 1e-5, seed: int = 0, progress: bool = True, callback=None,
        threads: int | str | None = None, validation=None, validation_fraction: float | None = None,
        restore_best: bool = True, device=None) -> History:
    """Train ``model`` on ``(X, y)`` in place and return its :class:`History`.

    Args:
        model: a :class:`signnet.MLP` (or any module with ``head`` and ``config``).
        X: features, ``(n, d)``, finite.
        y: labels ``(n,)`` (classification) or targets ``(n,)``/``(n, k)`` (regression).
        epochs: the most epochs to run.
        lr: learning rate (> 0).
        optimizer: ``"adam"`` (L2 weight decay added to the gradient), ``"adamw"``
            (decoupled weight decay) or ``"sgd"``.
        batch_size: minibatch size; ``None`` for full batch.
        weight_decay: weight decay passed to the optimiser (>= 0).
        patience: stop when the loss has not improved by more than ``tol`` for this
            many epochs; ``None`` never stops early. With validation data the loss
            watched is the validation loss, else the training loss.
        tol: the improvement that counts for ``patience`` (>= 0).
        seed: seeds the minibatch order through a private ``torch.Generator``
            (seed the model's initialisation yourself, e.g. ``torch.manual_seed``
            before building it).
        progress: show a progress bar (it appears only if the run lasts over 2 s).
        callback: optional ``callback(epoch, model, history)`` called after each
            epoch; returning ``True`` ends the run.
        threads: ``None`` leaves torch's thread count as it is; an integer runs
            the training under :func:`torch_threads`, which restores the count
            afterwards; ``"auto"`` means 1 for networks under 100,000 parameters
            and torch's setting otherwise. Tiny networks train many times faster
            on one thread (see :func:`torch_threads`), most of all on a busy machine.
        validation: held-out data ``(X_val, y_val)``, shaped as ``X`` and ``y``; its loss
            (the training loss without sign penalty, in eval mode) is recorded each
            epoch in ``history.val_loss`` and drives ``patience``.
        validation_fraction: a number in (0, 1): hold out this share of ``(X, y)`` as
            validation data instead, drawn with a private generator seeded by ``seed``,
            stratified by class for ``binary`` and ``softmax`` heads (each class gives
            ``round(fraction * its count)`` rows, which must leave it in both parts).
            Not together with ``validation``.
        restore_best: with validation data, end with the weights of the epoch of lowest
            validation loss (``history.best_epoch``); they obey the signs.
        device: ``None`` trains where the model's parameters are; ``"auto"`` (CUDA when
            torch sees it, else the CPU), ``"cpu"``, ``"cuda"`` or a ``torch.device``
            moves the model there (``model.to(device)``, in place) before training.

    The data are moved once to the training device.
    Enforcement: ``project`` layers are projected after every step,
    ``penalty`` layers add :func:`signnet.nn.enforce.sign_penalty` to the loss.
    """
    if optimizer not in OPTIMIZERS:
        raise choice_error("optimizer", optimizer, OPTIMIZERS)
    epochs = positive_int(epochs, "epochs", "pass e.g. epochs=500")
    batch_size = positive_int(batch_size, "batch_size", "pass None for full batch", allow_none=True)
    lr = positive_number(lr, "Learning rate", "try lr=0.01")
    weight_decay = non_negative_number(weight_decay, "weight_decay", "pass 0 for no weight decay")
    patience = positive_int(patience, "patience", "pass None to never stop early", allow_none=True)
    tol = non_negative_number(tol, "tol", "pass e.g. tol=1e-5")
    seed = seed_value(seed)
    if any(p.is_inference() for p in model.parameters()):
        raise SignnetError("The model's weights were created under torch.inference_mode(), where torch can never "
                           "train them; build the model outside inference_mode.")
    if threads == "auto":
        small = sum(p.numel() for p in model.parameters()) < AUTO_SINGLE_THREAD_BELOW
        threads = 1 if small else None
    elif threads is not None:
        threads = positive_int(threads, "threads", "pass e.g. threads=1, 'auto', or None to keep torch's setting")
    validation_fraction = check_validation_options(validation, validation_fraction, restore_best)
    device = check_device(device)
    head, in_features, out_features = _head_and_widths(model)
    first = next(model.parameters(), None)
    dtype = first.dtype if first is not None and first.is_floating_point() else torch.float32  # the model's own
    Xt = as_features(X, in_features, dtype=dtype)
    if out_features is None:
        out_features = _output_width(model, Xt[:1])
    try:
        yt = as_targets(y, Xt.shape[0], head, out_features, dtype=dtype)
    except SignnetError as error:
        if getattr(model, "head", None) is not None:
            raise
        raise SignnetError(f"{error} The model has no `head` attribute, so fit trains it as binary (one logit); "
                           "set model.head = 'regression' for real-valued targets or 'softmax' for classes.") from None
    held_out = None
    if validation is not None:
        if not isinstance(validation, (tuple, list)) or len(validation) != 2:
            raise SignnetError(f"validation must be a pair (X_val, y_val), got {type(validation).__name__}; "
                               "pass validation=(X_val, y_val).")
        Xv = as_features(validation[0], in_features, name="X_val", dtype=dtype)
        held_out = (Xv, as_targets(validation[1], Xv.shape[0], head, out_features, dtype=dtype, name="y_val"))
    elif validation_fraction is not None:
        train_rows, val_rows = split_rows(yt, validation_fraction, head, seed)
        held_out = (Xt[val_rows], yt[val_rows])
        Xt, yt = Xt[train_rows], yt[train_rows]
    if device is not None:
        model.to(device)
    first = next(model.parameters(), None)
    target = first.device if first is not None else Xt.device
    Xt, yt = Xt.to(target), yt.to(target)  # moved once (already in the model's dtype); the loop's .to is a no-op
    if held_out is not None:
        held_out = (held_out[0].to(target), held_out[1].to(target))
    _warn_decay_of_reparametrised(model, weight_decay)
    opt = make_optimizer(optimizer, model.parameters(), lr=lr, weight_decay=weight_decay)

    def run() -> History:
        return train_loop(model, Xt, yt, epochs=epochs, optimizer=opt, loss=head, batch_size=batch_size,
                          generator=torch.Generator().manual_seed(seed), patience=patience, tol=tol,
                          progress=progress, on_epoch=callback, validation=held_out, restore_best=restore_best)

    if threads is None:
        return run()
    with torch_threads(threads):
        return run()


# t(0) of the reparametrisations whose zero is not at v = 0: weight decay pulls v to 0, so w toward t(0)
_DECAY_TARGET = {"softplus": "softplus(0) = 0.693", "exp": "exp(0) = 1"}


def _warn_decay_of_reparametrised(model: nn.Module, weight_decay: float) -> None:
    """Weight decay acts on ``v`` of ``w = s * t(v)``: with softplus or exp it pulls ``|w|`` toward ``t(0)``, not 0."""
    if weight_decay <= 0:
        return
    pulled = sorted({layer.transform for layer in sign_layers(model)
                     if layer.method == "reparam" and layer.transform in _DECAY_TARGET})
    if pulled:
        warnings.warn(f"weight_decay acts on the parameter v of method='reparam' layers (w = s * t(v)); with "
                      f"transform={pulled[0]!r} it pulls |w| toward {_DECAY_TARGET[pulled[0]]}, not toward 0. For "
                      "decay toward 0 use transform='abs' or 'square', or method='project'.", UserWarning, stacklevel=4)


def _head_and_widths(model: nn.Module) -> tuple[str, int | None, int | None]:
    """``(head, in_features, out_features)``: ``model.head`` (default ``"binary"``) and ``model.config``'s widths.

    Without a config the input width is read from the first layer where that is certain
    (:func:`signnet.theory._audit_inputs.expected_features`), else left unchecked.
    """
    from signnet.theory._audit_inputs import expected_features

    head = getattr(model, "head", None)
    if head is None:
        head = "binary"
    elif not isinstance(head, str) or head not in HEADS:
        shown = repr(head) if isinstance(head, str) else f"a {type(head).__name__}"
        raise SignnetError(f"fit reads model.head as the kind of output, one of {', '.join(HEADS)}, but this model's "
                           f"head is {shown}; give fit a module whose head attribute names the kind (e.g. wrap it).")
    config = getattr(model, "config", None)
    if isinstance(config, dict) and "in_features" in config and "out_features" in config:
        return head, config["in_features"], config["out_features"]
    return head, expected_features(model), None if head == "softmax" else 1  # softmax: _output_width


def _output_width(model: nn.Module, x: torch.Tensor) -> int:
    """Outputs of a module without ``config``: the width of its output on one row ``x`` ``(1, d)``, in eval
    mode and without gradients (no batch statistic moves), the mode restored after."""
    was = model.training
    try:
        with torch.no_grad():
            return int(model.eval()(x.to(next((p.device for p in model.parameters()), x.device))).shape[-1])
    finally:
        model.train(was)


def split_rows(y: torch.Tensor, fraction: float, head: str, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Row indices ``(train, validation)`` that hold out ``fraction`` of the rows of ``y`` ``(n, *)``.

    The rows are drawn with a private ``torch.Generator`` seeded by ``seed`` (no global state).
    For the classification heads (``"binary"``, ``"softmax"``) the split is stratified: each
    class gives ``round(fraction * count)`` of its rows, and a class that would be missing from
    either part is refused with one sentence. Both index tensors are sorted.
    """
    generator = torch.Generator().manual_seed(seed)
    if head in CLASSIFIERS:
        groups = [(int(c), torch.nonzero(y == c).flatten()) for c in torch.unique(y)]
    else:
        groups = [(None, torch.arange(y.shape[0]))]
    held = []
    for label, rows in groups:
        k = round(fraction * len(rows))
        if not 0 < k < len(rows):
            what = f"class {label} ({len(rows)} rows)" if label is not None else f"the {len(rows)} rows"
            part = "validation" if k == 0 else "training"
            raise SignnetError(f"validation_fraction={fraction:g} leaves {what} without a row in the {part} part; "
                               f"pass a validation_fraction nearer 0.5, or more data.")
        held.append(rows[torch.randperm(len(rows), generator=generator)[:k]])
    val = torch.sort(torch.cat(held)).values
    keep = torch.ones(y.shape[0], dtype=torch.bool)
    keep[val] = False
    return torch.nonzero(keep).flatten(), val
