"""The two moving parts under the estimators: which networks are built, and how they are trained.

Both sit behind one private function each so that the estimators do not change when the
network (:func:`make_network`) or the trainer (:func:`train_members`) does.

* :func:`make_network` builds a network that is monotone in the constrained inputs by
  construction (Theorem 1.1 of Wang et al. with a signed first layer, Lemma 1.1).
* :func:`train_members` trains ``R`` such networks at once, each on its own rows with early
  stopping on its own validation rows, restoring the weights of its epoch of lowest validation
  loss, as ``sklearn.neural_network.MLPRegressor(early_stopping=True)`` keeps its best
  coefficients. The ``R`` networks are trained as one module with batched layers
  (:class:`~signnet.estimators._stacked.Stacked`); the objective is the *sum* of the members'
  mean losses over their own training rows of each minibatch, so each member gets the gradient
  it would get alone on those rows, and Adam acts element-wise, so each member follows its own
  trajectory (the minibatch order is shared). A member that has stopped leaves the objective and
  its restored weights are written back after every later step (Adam's momentum and weight decay
  would otherwise keep moving them); the run ends when every member has stopped. A minibatch with
  none of a member's training rows gives it a zero gradient, but Adam's momentum still moves it a
  little, as it would not alone. For the ordinal head each member also has its own cut points
  (:class:`~signnet.estimators._cumulative.CutPoints`), trained by the same Adam without weight
  decay, kept at the same best epoch as its weights and restored with them when it stops.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from signnet.estimators._cumulative import CutPoints
from signnet.estimators._stacked import Stacked
from signnet.nn import MONOTONE_ARCHITECTURES, MonotoneMLP
from signnet.nn._rng import forked_rng
from signnet.train import make_optimizer, torch_threads, train_loop
from signnet.train.fit import AUTO_SINGLE_THREAD_BELOW

ARCHITECTURES = MONOTONE_ARCHITECTURES  # what make_network builds
GROUP_SIZE = 4  # networks trained together by one train_members call (see train_groups)


def make_network(monotonic_cst: np.ndarray, hidden: tuple[int, ...], *, architecture: str, activation: str,
                 head: str, seed: int) -> MonotoneMLP:
    """A :class:`signnet.MonotoneMLP` ``(N, d) -> (N, 1)``: for every value of the free (0) inputs, the
    output is non-decreasing in the +1 inputs and non-increasing in the -1 inputs.

    The initial weights are drawn under ``torch.random.fork_rng`` from ``seed`` (``MonotoneMLP``
    takes no generator): torch's global RNG is restored on exit, so the caller's random state is
    left as it was. It is built on one thread (:func:`signnet.torch_threads`, restored on exit): the
    initialisation's probe statistics of a small network run many times faster so on a busy machine.
    """
    with forked_rng(seed), torch_threads(1):  # one thread at a time: fits side by side stay reproducible
        return MonotoneMLP([int(c) for c in monotonic_cst], hidden, architecture=architecture,
                           activation=activation, head=head)


@dataclass
class NetworkFit:
    """What the training of one network of the ensemble recorded, per epoch (index 0 = the first epoch).

    ``validation_rows`` are indices into the rows given to ``fit`` (``None`` without early stopping);
    the network trained on every other row.
    """

    seed: int  # the seed of its initial weights
    validation_rows: np.ndarray | None = None
    loss_curve: list[float] = field(default_factory=list)  # training loss (standardised units for regression)
    validation_loss_curve: list[float] = field(default_factory=list)  # loss on its validation rows (the criterion)
    validation_scores: list[float] = field(default_factory=list)  # R^2 (regression) or accuracy on them
    best_epoch: int | None = None  # epoch whose weights were restored (None without validation)
    best_validation_score: float | None = None  # validation_scores[best_epoch]
    n_iter: int = 0  # epochs it ran before its own stopping rule ended it
    thresholds: np.ndarray | None = None  # ordinal only: its own cut points (K-1,), float64, in its own f_r's units


def _member_losses(out: torch.Tensor, target: torch.Tensor, head: str, cut_points: CutPoints | None = None,
                   members: slice = slice(None)) -> torch.Tensor:
    """Per-row, per-member loss ``(B, R)`` of outputs ``(B, R)`` against targets ``(B, 1)``.

    ``"ordinal"``: the cumulative-link negative log-likelihood with the cut points of ``members``.
    """
    if head == "ordinal":
        return cut_points.losses(out, target, members)
    if head == "binary":
        return F.binary_cross_entropy_with_logits(out, target.expand_as(out), reduction="none")
    return (out - target) ** 2


def train_members(nets: list[MonotoneMLP], X: torch.Tensor, y: torch.Tensor, *, head: str, train_mask: torch.Tensor,
                  validation_rows: list[torch.Tensor] | None, score: Callable[[torch.Tensor, torch.Tensor], float],
                  fits: list[NetworkFit], epochs: int, lr: float, weight_decay: float, batch_size: int | None,
                  patience: int, tol: float, seed: int, device: torch.device, verbose: bool,
                  cut_points: CutPoints | None = None, cancelled: Callable[[], bool] | None = None,
                  row_weights: torch.Tensor | None = None) -> None:
    """Train ``nets`` (``R`` networks of one configuration) in place, recording each in ``fits[r]``.

    Args:
        X: float32 ``(N, d)``; y: float32 ``(N, 1)`` targets (regression) or 0/1 labels ``(N,)``.
        train_mask: ``(N, R)`` float >= 0: row ``i``'s weight in member ``r``'s training loss, 0 where
            it is not a training row of ``r`` (1 on every training row without sample weights); each
            minibatch's loss of ``r`` is the weighted mean over its rows. The minibatches are drawn
            from the rows some member trains on (rows of weight 0 everywhere, e.g. given validation
            rows, never enter them).
        validation_rows: per member, the int64 indices of its validation rows (``None``: no early
            stopping; then ``patience`` applies to each member's training loss and its last weights
            are kept).
        score: ``score(output (m,), y (m, 1) or (m,)[, w (m,)]) -> float``, recorded per epoch on the validation
            rows (``w``: their weights, passed only with ``row_weights``);
            for ``head="ordinal"`` it gets the member's predicted classes instead of its output.
        cut_points: the members' cut points, for ``head="ordinal"`` only (labels ``0..K-1`` in ``y``).
        cancelled: asked after every epoch; ``True`` ends the run there (each member keeps its best
            weights so far). :func:`train_groups` sets it when another group failed or was interrupted.
        row_weights: ``(N,)`` float32 sample weights (``None``: all equal); the validation loss and
            score of each member are then weighted means over its validation rows (whose weights are
            positive: the estimators draw them among such rows).
        Others: as :func:`signnet.fit` (Adam; ``seed`` draws the minibatch order).

    Each epoch every member's training loss and (with validation rows) validation loss and score
    are recorded; its patience counts epochs without an improvement larger than ``tol``; its best
    weights (lowest validation loss, or the last while it runs without validation) are copied back
    into ``nets[r]``. The nets end on the CPU in eval mode.
    """
    n = len(nets)
    wide = Stacked(nets).to(device)
    X, y = X.to(device), y.to(device)
    row_weights = None if row_weights is None else row_weights.to(device)
    target = y.float().reshape(-1, 1)
    packed = torch.cat([target, train_mask.to(device=device, dtype=target.dtype)], dim=1)  # (N, 1 + R)
    sums, counts = torch.zeros(n, device=device, dtype=torch.float64), torch.zeros(n, device=device, dtype=torch.float64)
    best = [float("inf")] * n
    best_val = [float("inf")] * n
    stale = [0] * n
    active = [True] * n
    running = torch.ones(n, dtype=torch.bool, device=device)  # members still training
    val = val_x = None
    if validation_rows is not None:  # each member's validation rows, padded to one length (R, m)
        val = [rows.to(device) for rows in validation_rows]
        m = max(rows.numel() for rows in val)
        padded = torch.stack([torch.cat([rows, rows[:1].expand(m - rows.numel())]) for rows in val])
        val_x = X[padded]  # (R, m, d): member r's own rows only, not all N rows for every member

    def loss(out: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        tgt, member = yb[:, :1], yb[:, 1:]
        per = (_member_losses(out, tgt, head, cut_points) * member).sum(dim=0)  # (R,) summed over each member's rows
        rows = member.sum(dim=0)
        sums.add_(per.detach().double())
        counts.add_(rows.double())
        mean = per / torch.where(rows > 0, rows, 1.0)  # a member without rows in this minibatch: 0
        return torch.where(running, mean, 0.0).sum()  # a stopped member leaves the objective

    def on_step(step) -> None:
        wide.project_()  # method="project": the Euclidean projection onto the signs after every step
        for r in range(n):
            if not active[r]:
                restore(r)  # a stopped member keeps its restored weights (and cut points)

    def on_epoch(epoch: int, model, history) -> bool:
        train_losses = (sums / torch.where(counts > 0, counts, 1.0)).tolist()
        sums.zero_()
        counts.zero_()
        out = None
        if val is not None:
            with torch.no_grad():
                model.eval()
                out = model.forward_members(val_x)  # (R, m, 1)
                model.train()
        for r in range(n):
            if not active[r]:
                continue
            fit = fits[r]
            fit.loss_curve.append(train_losses[r])
            fit.n_iter = epoch + 1
            monitored = train_losses[r]
            if out is not None:
                rows = val[r]
                o = out[r, :rows.numel()]
                w = None if row_weights is None else row_weights[rows]
                with torch.no_grad():
                    terms = _member_losses(o, target[rows], head, cut_points, slice(r, r + 1))[:, 0]  # (m,)
                    monitored = float(terms.mean() if w is None else (terms * w).sum() / w.sum())
                scored = o[:, 0] if cut_points is None else cut_points.predict(o[:, 0], r)
                fit.validation_loss_curve.append(monitored)
                weighted = () if w is None else (w.cpu(),)
                fit.validation_scores.append(score(scored.cpu(), y[rows].cpu(), *weighted))
                if monitored < best_val[r]:
                    best_val[r], fit.best_epoch = monitored, epoch
                    fit.best_validation_score = fit.validation_scores[-1]
                    keep(r)
                elif fit.best_epoch is None:  # the validation loss was never finite: keep the latest weights
                    keep(r)
            else:
                keep(r)
            if monitored < best[r] - tol:
                best[r], stale[r] = monitored, 0
            else:
                stale[r] += 1
                active[r] = stale[r] < patience
            if not active[r]:
                running[r] = False
                restore(r)
        return not any(active) or (cancelled is not None and cancelled())

    def keep(r: int) -> None:
        wide.copy_member_(r, nets[r])
        if cut_points is not None:
            cut_points.keep_(r)

    def restore(r: int) -> None:
        wide.load_member_(r, nets[r])
        if cut_points is not None:
            cut_points.restore_(r)

    for net in nets:
        net.to(device)
    params = [{"params": list(wide.parameters())}]
    if cut_points is not None:
        cut_points.to(device)
        params.append({"params": list(cut_points.parameters()), "weight_decay": 0.0})  # no pull of the cut points to 0
    optimizer = make_optimizer("adam", params, lr=lr, weight_decay=weight_decay)
    small = sum(p.numel() for p in wide.parameters()) < AUTO_SINGLE_THREAD_BELOW

    trains = train_mask.sum(dim=1) > 0  # rows some member trains on: only they fill the minibatches
    X_fit, packed_fit = (X, packed) if bool(trains.all()) else (X[trains.to(device)], packed[trains.to(device)])

    def run() -> None:
        train_loop(wide, X_fit, packed_fit, epochs=epochs, optimizer=optimizer, loss=loss, batch_size=batch_size,
                   generator=seed, on_step=on_step, on_epoch=on_epoch, progress=verbose, name="ensemble")

    if small:
        with torch_threads(1):
            run()
    else:
        run()
    for net in nets:
        net.cpu().eval()
    if cut_points is not None:
        cut_points.cpu()


def member_groups(n: int) -> list[list[int]]:
    """The members ``0..n-1`` split into ``ceil(n / GROUP_SIZE)`` consecutive groups of near-equal size.

    The split depends on ``n`` only, never on the thread count, so a fit's numbers do not depend on
    ``n_jobs``: a group's batched products round the same whether it trains alone or beside another.
    """
    return [g.tolist() for g in np.array_split(np.arange(n), max(1, math.ceil(n / GROUP_SIZE)))]


def group_jobs(n_jobs: int | None, n_groups: int, threads: int) -> int:
    """How many groups train at once: ``n_jobs`` as joblib counts it, against torch's ``threads``.

    ``None`` uses ``threads`` (torch's intra-op thread count: ``torch.set_num_threads``,
    ``OMP_NUM_THREADS``, one in a sweep worker); ``-1`` as well, ``-2`` one fewer, and so on;
    a positive count is taken as given. Never more than ``n_groups``, never fewer than 1.
    """
    jobs = threads if n_jobs is None else n_jobs if n_jobs > 0 else threads + 1 + n_jobs
    return max(1, min(n_groups, jobs))


def train_groups(nets: list[MonotoneMLP], X: torch.Tensor, y: torch.Tensor, *, n_jobs: int | None,
                 train_mask: torch.Tensor, validation_rows: list[torch.Tensor] | None, fits: list[NetworkFit],
                 device: torch.device, verbose: bool, cut_points: CutPoints | None = None, **options) -> None:
    """:func:`train_members` on each group of :func:`member_groups`, up to ``n_jobs`` groups at once.

    Each group is trained exactly as :func:`train_members` trains it alone (its members' objectives
    are separate, and every group draws its minibatch order from ``seed`` over the rows its members train on). Groups of small
    networks (under ``AUTO_SINGLE_THREAD_BELOW`` parameters a group, which :func:`train_members`
    trains on one torch thread anyway) run side by side, one Python thread each with torch on one
    intra-op thread: a small network's step is many small operations, and two groups side by side
    keep two cores busy where torch's own threads would split every small operation. On 2 cores the
    default estimator's COMPAS fit took 4.3 s with its two groups at once and 5.5 s one after the
    other (bench/estimators.py, session 6). Larger groups train one after the other, each on all of
    torch's threads, as before. Either way every group computes on the same number of torch threads
    whatever ``n_jobs`` is, so the results do not depend on it.

    When a group raises (e.g. a non-finite loss) or Ctrl-C interrupts the wait, the running groups
    stop at the end of their current epoch, the queued ones do not start, and the error reaches the
    caller.

    ``n_jobs``: see :func:`group_jobs`. For the ordinal head each group trains its members' own cut
    points (:meth:`CutPoints.part`), written back when it ends. On a CUDA device every member trains
    in one call.
    """
    groups = member_groups(len(nets)) if device.type == "cpu" else [list(range(len(nets)))]
    stop = threading.Event()
    largest = max(sum(p.numel() for i in group for p in nets[i].parameters()) for group in groups)
    small = device.type == "cpu" and largest < AUTO_SINGLE_THREAD_BELOW
    jobs = group_jobs(n_jobs, len(groups), torch.get_num_threads()) if small else 1

    def train(j: int, group: list[int]) -> None:
        if stop.is_set():  # another group failed before this one started
            return
        part = None if cut_points is None else cut_points.part(group)
        try:
            train_members([nets[i] for i in group], X, y, train_mask=train_mask[:, group],
                          validation_rows=None if validation_rows is None else [validation_rows[i] for i in group],
                          fits=[fits[i] for i in group], device=device, verbose=verbose and j == 0, cut_points=part,
                          cancelled=stop.is_set, **options)
        except BaseException:
            stop.set()  # before this thread takes a queued group, and before the caller hears of it
            raise
        if part is not None:
            cut_points.absorb_(group, part)

    if jobs <= 1:
        for j, group in enumerate(groups):
            train(j, group)
        return
    # one intra-op thread for every group, set once around all of them (threads entering and leaving
    # torch_threads side by side would restore each other's settings)
    with torch_threads(1), ThreadPoolExecutor(jobs, thread_name_prefix="signnet-group") as pool:
        try:
            futures = [pool.submit(train, j, group) for j, group in enumerate(groups)]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)  # all done, or the first error
            for future in [*done, *futures]:
                future.result()  # re-raises a group's error here
        except BaseException:  # an error, or Ctrl-C while waiting: the other groups end after their epoch
            stop.set()
            raise
