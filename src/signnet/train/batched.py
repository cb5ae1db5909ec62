"""Training many networks at once: :func:`fit_batched`.

Experiments over seeds and restarts train hundreds of small networks (2 to 64
hidden units), where one :func:`signnet.fit` spends its time in Python and
framework overhead rather than arithmetic. :func:`fit_batched` stacks ``R``
networks of one architecture into one computation (:mod:`signnet.train.stacked`:
one flat parameter tensor ``(R, p)``, batched matrix products, a hand-written
backward pass and optimiser step). Because the objective is the *sum* of the
members' losses and the optimisers act element-wise, every member follows the
trajectory it would follow under :func:`signnet.fit` alone with the same
options (up to floating-point rounding), including its own early stopping:

* ``validation`` / ``validation_fraction``: each member's validation loss is
  measured after every epoch;
* ``patience``: a member whose monitored loss (validation loss with validation
  data, else training loss) has not improved by more than ``tol`` for
  ``patience`` epochs stops: its parameters are frozen (its updates are masked
  out) while the others go on, and the run ends when every member has stopped;
* ``restore_best``: with validation data, each member ends with the weights of
  its epoch of lowest validation loss.

Enforcement: ``method="project"`` layers are projected after every step (and
once before training; members may carry different masks, e.g. different
flips), ``method="penalty"`` layers add ``strength * sum(relu(-s w)^2)``;
``"reparam"`` is refused. The trained weights are copied back into the given
modules.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor

import torch
from tqdm.auto import tqdm

from signnet.errors import SignnetError, choice_error
from signnet.nn.networks import MLP
from signnet.train.checks import non_negative_number, positive_int, positive_number, seed_value
from signnet.train.fit import check_validation_options, split_rows, torch_threads
from signnet.train.loop import OPTIMIZERS, check_finite
from signnet.train.stacked import Optimizer, Stack, compiled_step, make_step
from signnet.validation import as_features, as_targets, check_device

__all__ = ["BatchedHistory", "fit_batched"]

_SHARED = ("in_features", "hidden", "out_features", "activation", "method", "strength", "head")
METHODS = ("project", "penalty")
CHUNK_BYTES = 2**20


class BatchedHistory(list):
    """What :func:`fit_batched` returns: a list of each member's final training loss, with per-member records.

    As a list (what ``fit_batched`` returned before validation existed): ``R``
    floats, the mean training loss of each member's final weights (after
    ``restore_best``). Attributes, each a list with one entry per member:

    * ``loss``: training loss per epoch run (as :attr:`signnet.train.History.loss`).
    * ``val_loss``: validation loss after each epoch (empty lists without validation).
    * ``best_epoch``: 0-based index into ``val_loss`` of the lowest validation loss
      (the epoch whose weights ``restore_best`` kept), ``None`` without validation.
    * ``epochs``: epochs the member ran; ``stop_reason``: ``"patience"`` or ``"epochs"``.

    ``seconds``: wall-clock time of the run; ``device``: where it ran.
    """

    def __init__(self, final, loss, val_loss, best_epoch, epochs, stop_reason, seconds, device):
        super().__init__(final)
        self.loss, self.val_loss, self.best_epoch = loss, val_loss, best_epoch
        self.epochs, self.stop_reason, self.seconds, self.device = epochs, stop_reason, seconds, device


def _check_models(models) -> list[MLP]:
    if isinstance(models, torch.nn.Module) and not isinstance(models, torch.nn.ModuleList):
        # list() would take an MLP (an nn.Sequential) apart into its layers
        raise SignnetError(f"fit_batched takes a list of networks, got one {type(models).__name__}; pass [model] "
                           "to train one.")
    models = list(models)
    if not models:
        raise SignnetError("fit_batched needs at least one network; pass a non-empty list of signnet.MLP.")
    for m in models:
        if not isinstance(m, MLP):
            raise SignnetError(f"fit_batched trains signnet.MLP networks, got {type(m).__name__}; build them with signnet.MLP.")
    ref = {k: models[0].config[k] for k in _SHARED}
    for r, m in enumerate(models):
        differ = [k for k in _SHARED if m.config[k] != ref[k]]
        if differ:
            k = differ[0]
            raise SignnetError(f"fit_batched needs networks of one architecture (widths, activation, head, method, "
                               f"strength), but network {r} has {k}={m.config[k]!r} where network 0 has "
                               f"{ref[k]!r}; train differing networks in separate calls.")
    if ref["method"] not in METHODS:
        raise SignnetError(f"fit_batched supports method='project' or 'penalty', got {ref['method']!r}; "
                           "train reparametrised networks with signnet.fit.")
    for r, m in enumerate(models):
        dtypes = {p.dtype for p in m.parameters()}
        if dtypes != {torch.float32}:
            other = sorted(str(d).replace("torch.", "") for d in dtypes - {torch.float32})
            raise SignnetError(f"fit_batched trains in float32, but network {r} has {', '.join(other)} parameters; "
                               "convert it with .float(), or train it with signnet.fit, which keeps its dtype.")
    return models


def _use_compile(compile, dev: torch.device) -> bool:
    if compile == "auto":
        return dev.type == "cuda"
    if not isinstance(compile, bool):
        raise SignnetError(f"`compile` must be True, False or 'auto', got {compile!r}; pass e.g. compile='auto'.")
    return compile


def _targets(y: torch.Tensor, head: str, device) -> torch.Tensor:
    """Targets in the stacked layout: ``(n,)`` float (binary), ``(n,)`` long (softmax), ``(k, n)`` (regression)."""
    if head == "binary":
        return y.to(device, torch.float32)
    if head == "softmax":
        return y.to(device)
    return y.t().contiguous().to(device)


def fit_batched(models, X, y, *, epochs: int = 300, lr: float = 0.01, optimizer: str = "adam",
                batch_size: int | None = None, weight_decay: float = 0.0, patience: int | None = None,
                tol: float = 1e-5, seed: int = 0, progress: bool = False, threads: int | str | None = "auto",
                validation=None, validation_fraction: float | None = None, restore_best: bool = True,
                device=None, compile: bool | str = False) -> BatchedHistory:
    """Train ``R`` networks on ``(X, y)`` in one batched computation, each as :func:`signnet.fit` would alone.

    Args:
        models: ``R`` :class:`~signnet.MLP` networks of one architecture (widths,
            activation, head, ``method`` in ``"project"``/``"penalty"``); sign masks
            may differ. Trained in place.
        X: features ``(n, d)``; y: labels ``(n,)`` or regression targets ``(n,)``/``(n, k)``.
        epochs, lr, optimizer, batch_size, weight_decay, tol, seed: as :func:`signnet.fit`
            (``seed`` draws the minibatch order, shared by all members, and the
            ``validation_fraction`` split).
        patience: per member, stop after this many epochs without an improvement
            larger than ``tol`` of the validation loss (with validation data) or of
            the training loss; ``None`` (the default) runs every epoch.
        progress: a tqdm bar (shown only if the run lasts over 2 s).
        threads: ``None`` keeps torch's thread count; an integer runs under
            :func:`~signnet.train.fit.torch_threads` (which restores the count);
            ``"auto"`` (the default, unlike ``fit``): on the CPU the members are
            processed in chunks sized for one core's cache, the chunks spread over as
            many Python threads as torch's thread count (``torch.get_num_threads()``),
            each running torch on one intra-op thread; on a
            shared 2-core machine torch's own two threads made those many small
            operations up to 10x slower (bench/batched.py). Which thread runs a chunk
            does not change its arithmetic: the results are the same bit for bit as
            with ``threads=1``. On a GPU the count is left alone.
        validation: held-out ``(X_val, y_val)``; each member's loss on it is recorded after every epoch.
        validation_fraction: instead of ``validation``, a fraction in (0, 1) of
            ``(X, y)`` held out, the rows :func:`signnet.fit` holds out with the same
            ``seed`` (``signnet.train.fit.split_rows``, stratified for classification).
        restore_best: with validation, each member ends with the weights of its
            epoch of lowest validation loss.
        device: ``None`` (where the first model's parameters are), ``"auto"`` (CUDA
            when available), ``"cpu"``, ``"cuda"`` or a ``torch.device``. The data
            move there once; the results are copied back into the models.
        compile: ``True`` fuses each step with ``torch.compile`` (the first call
            compiles, which takes from seconds on a GPU to minutes on a busy CPU,
            and on the CPU needs a C++ compiler); ``"auto"`` compiles on CUDA only;
            ``False`` (the default) runs eagerly. Compiled steps round differently
            (Adam's ``addcdiv`` becomes a division and a product).

    Returns:
        A :class:`BatchedHistory`: the list of the members' final training losses,
        with per-member ``loss``, ``val_loss``, ``best_epoch``, ``epochs`` and ``stop_reason``.

    Raises:
        SignnetError: for mixed architectures, a ``"reparam"`` method, bad options,
            or a non-finite loss during training (naming the epoch).
    """
    models = _check_models(models)
    if optimizer not in OPTIMIZERS:
        raise choice_error("optimizer", optimizer, OPTIMIZERS)
    epochs = positive_int(epochs, "epochs", "pass e.g. epochs=300")
    lr = positive_number(lr, "Learning rate", "try lr=0.01")
    batch_size = positive_int(batch_size, "batch_size", "pass None for full batch", allow_none=True)
    weight_decay = non_negative_number(weight_decay, "weight_decay", "pass 0 for no weight decay")
    patience = positive_int(patience, "patience", "pass None to never stop early", allow_none=True)
    tol = non_negative_number(tol, "tol", "pass e.g. tol=1e-5")
    seed = seed_value(seed)
    validation_fraction = check_validation_options(validation, validation_fraction, restore_best)
    dev = check_device(device)
    cfg = models[0].config
    head = models[0].head
    Xt = as_features(X, cfg["in_features"])
    yt = as_targets(y, Xt.shape[0], head, cfg["out_features"])
    if validation_fraction is not None:
        train_rows, val_rows = split_rows(yt, validation_fraction, head, seed)  # the rows fit would hold out
        Xt, yt, Xv, yv = Xt[train_rows], yt[train_rows], Xt[val_rows], yt[val_rows]
    elif validation is not None:
        if not isinstance(validation, (tuple, list)) or len(validation) != 2:
            raise SignnetError(f"`validation` must be a pair (X_val, y_val), got {type(validation).__name__}; "
                               "pass validation=(X_val, y_val).")
        Xv = as_features(validation[0], cfg["in_features"], name="X_val")
        yv = as_targets(validation[1], Xv.shape[0], head, cfg["out_features"], name="y_val")
    else:
        Xv = yv = None
    dev = dev if dev is not None else next(models[0].parameters()).device
    jobs = 1
    if threads == "auto":
        threads = 1 if dev.type == "cpu" else None
        jobs = torch.get_num_threads() if dev.type == "cpu" else 1  # 1 in a sweep worker (torch_threads(1))
    elif threads is not None:
        threads = positive_int(threads, "threads", "pass e.g. threads=1, 'auto', or None to keep torch's setting")
    run = _Run(models, Xt, yt, Xv, yv, dev, epochs=epochs, lr=lr, optimizer=optimizer, batch_size=batch_size,
               weight_decay=weight_decay, patience=patience, tol=tol, seed=seed, restore_best=restore_best,
               progress=progress, compile=_use_compile(compile, dev), jobs=jobs)
    if threads is None:
        return run()
    with torch_threads(threads):
        return run()


class _Run:
    """One call of :func:`fit_batched`, with its options validated."""

    def __init__(self, models, Xt, yt, Xv, yv, dev, **opts):
        self.models, self.dev, self.o = models, dev, opts
        cfg, head = models[0].config, models[0].head
        act = models[0][1] if len(models[0]) > 1 else None
        self.stack = Stack((cfg["in_features"], *cfg["hidden"], cfg["out_features"]), act, head)
        self.XT, self.T = Xt.t().contiguous().to(dev), _targets(yt, head, dev)
        self.val = None if Xv is None else (Xv.t().contiguous().to(dev), _targets(yv, head, dev))
        self.method, self.strength = cfg["method"], float(cfg["strength"])
        self.compiled = opts.pop("compile")
        jobs = opts.pop("jobs")
        self.spec = (self.stack.widths, cfg["activation"], head, self.method, self.strength, opts["optimizer"], opts["lr"],
                     opts["weight_decay"])
        self.R = len(models)
        # CPU: members per forward/backward pass, so that one layer's activations take about 1 MB (L2-sized)
        per_member = 4 * max(cfg["hidden"] or [1]) * min(Xt.shape[0], opts["batch_size"] or Xt.shape[0])
        self.chunk = self.R if dev.type != "cpu" else max(1, CHUNK_BYTES // per_member)
        self.jobs = min(jobs, math.ceil(self.R / self.chunk))  # threads that take the chunks (1: the calling one)
        self.pool = None

    def _project(self, P, lo, hi) -> None:
        if self.method == "project":
            P.copy_(torch.clamp(P, lo, hi))

    def __call__(self) -> BatchedHistory:
        o, stack, dev = self.o, self.stack, self.dev
        start = time.perf_counter()
        P, S = stack.gather(self.models, dev)
        self.S, R = S, P.shape[0]
        lo = torch.where(S > 0, 0.0, -math.inf)  # the allowed orthant of each parameter: lo <= p <= hi
        hi = torch.where(S < 0, 0.0, math.inf)
        self._project(P, lo, hi)
        opt = Optimizer(o["optimizer"], P, o["lr"], o["weight_decay"])
        if self.jobs > 1 and not self.compiled:
            self.pool = ThreadPoolExecutor(self.jobs, thread_name_prefix="signnet-chunk")
        step = self._make_step(opt)

        def descend(XT, T):
            return step(P, opt.m, opt.v, XT, T, lo, hi, S, *opt.scalars())
        n = self.XT.shape[1]
        gen = torch.Generator().manual_seed(o["seed"])
        patience, tol = o["patience"], o["tol"]
        tracking = patience is not None
        keep_best = self.val is not None and o["restore_best"]
        active = torch.ones(R, dtype=torch.bool, device=dev)
        stop_at = torch.full((R,), o["epochs"], dtype=torch.long, device=dev)
        best = torch.full((R,), math.inf, device=dev)
        stale = torch.zeros(R, dtype=torch.long, device=dev)
        frozen = P.clone() if tracking else None
        lowest = torch.full((R,), math.inf, device=dev)
        best_P = P.clone() if keep_best else None
        any_frozen = False
        losses, val_losses = [], []
        bar = tqdm(range(o["epochs"]), desc="fit_batched", delay=2.0, mininterval=0.5, disable=not o["progress"],
                   leave=False)
        try:
            for epoch in bar:
                if o["batch_size"]:
                    order = torch.randperm(n, generator=gen).to(dev)
                    total = torch.zeros(R, device=dev)
                    for lo_i in range(0, n, o["batch_size"]):
                        idx = order[lo_i:lo_i + o["batch_size"]]
                        total += descend(self.XT[:, idx], self.T[..., idx]) * len(idx)
                        if any_frozen:
                            P.copy_(torch.where(active.unsqueeze(1), P, frozen))
                    epoch_loss = total / n
                else:
                    epoch_loss = descend(self.XT, self.T)
                    if any_frozen:
                        P.copy_(torch.where(active.unsqueeze(1), P, frozen))
                losses.append(epoch_loss)
                monitored = epoch_loss
                if self.val is not None:
                    with torch.no_grad():
                        monitored = stack.losses(stack.forward(P, self.val[0]), self.val[1])
                    val_losses.append(monitored)
                    if keep_best:
                        better = active & (monitored < lowest)
                        lowest = torch.where(better, monitored, lowest)
                        best_P.copy_(torch.where(better.unsqueeze(1), P, best_P))
                if tracking:
                    improved = monitored < best - tol
                    best = torch.where(improved & active, monitored, best)
                    stale = torch.where(improved, 0, stale + 1)
                    newly = active & (stale >= patience)
                    stop_at = torch.where(newly, epoch + 1, stop_at)
                    frozen.copy_(torch.where(newly.unsqueeze(1), P, frozen))
                    active = active & ~newly
                    stats = torch.stack([epoch_loss.sum(), active.sum().float()]).tolist()
                    any_frozen = stats[1] < R
                else:
                    stats = [epoch_loss.sum().item(), R]
                check_finite(stats[0], epoch + 1, "of the batched networks")
                if stats[1] == 0:
                    break
        finally:
            bar.close()
            if self.pool is not None:
                self.pool.shutdown()
        if keep_best:  # a member whose validation loss was never finite keeps its last weights, as fit does
            P = torch.where(torch.isfinite(lowest).unsqueeze(1), best_P, P)
        with torch.no_grad():
            final = stack.losses(stack.forward(P, self.XT), self.T)
        stack.scatter(P, self.models)
        for m in self.models:
            m.eval()
        return self._history(final, losses, val_losses, stop_at, ~active,
                             time.perf_counter() - start)

    def _make_step(self, opt: Optimizer):
        """The step of every member on a minibatch, ``step(P, m, v, XT, T, lo, hi, S, step_size, bc2_sqrt) -> losses (R,)``."""
        if self.compiled:
            compiled = compiled_step(self.spec)

            def run(P, m, v, XT, T, lo, hi, S, step_size, bc2_sqrt):
                scal = torch.tensor([step_size, bc2_sqrt], dtype=P.dtype, device=P.device)
                return compiled(P, m, v, XT, T, lo, hi, S, scal[0], scal[1])

            return run
        self.stack.ws = {}
        chunk = None if self.chunk >= self.R else self.chunk
        return make_step(self.stack, opt, self.method, self.strength, chunk, self.pool if chunk else None, self.jobs)

    def _history(self, final, losses, val_losses, stop_at, stopped, seconds) -> BatchedHistory:
        stops = stop_at.cpu().tolist()
        loss = torch.stack(losses).cpu().t().tolist()
        val = torch.stack(val_losses).cpu().t().tolist() if val_losses else [[] for _ in stops]
        return BatchedHistory(
            [float(v) for v in final.cpu()],
            loss=[row[:e] for row, e in zip(loss, stops, strict=True)],
            val_loss=[row[:e] if val_losses else row for row, e in zip(val, stops, strict=True)],
            best_epoch=[_lowest(row[:e]) if val_losses else None for row, e in zip(val, stops, strict=True)],
            epochs=stops,
            # patience that runs out on the last epoch is no early stop (every epoch ran), as in fit
            stop_reason=["patience" if s and e < self.o["epochs"] else "epochs"
                         for s, e in zip(stopped.cpu().tolist(), stops, strict=True)],
            seconds=seconds, device=str(self.dev))


def _lowest(losses: list[float]) -> int | None:
    """The 0-based epoch of the lowest finite loss (the first of equals), ``None`` when none is finite."""
    finite = [(v, e) for e, v in enumerate(losses) if math.isfinite(v)]
    return min(finite)[1] if finite else None

