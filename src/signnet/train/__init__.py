"""Training signed networks: one training loop, :func:`fit`, batched training, checkpoints.

* :mod:`.loop` — :func:`train_loop`, the one training loop (hooks: ``on_grad``,
  ``on_step``, ``on_epoch``, ``transform``, ``extra_loss``, ``scheduler``, a custom
  ``step``), its :class:`History` and :class:`Step`, the shared :func:`descend`
  and :func:`check_finite`.
* :mod:`.losses` — the loss of each head and the count of right predictions.
* :mod:`.fit` — :func:`fit` (validated, on the loop), :func:`accuracy`, :func:`torch_threads`.
* :mod:`.batched` — :func:`fit_batched`, R same-shape networks in one computation, and its
  :class:`BatchedHistory`; :mod:`.stacked` — their flat layout, hand-written backward and optimisers.
* :mod:`.checkpoint` — :func:`save` / :func:`load` (config + state_dict).
"""

from signnet.train.batched import BatchedHistory, fit_batched
from signnet.train.checkpoint import load, save
from signnet.train.fit import accuracy, fit, torch_threads
from signnet.train.loop import History, Step, check_finite, descend, make_optimizer, train_loop
from signnet.train.losses import head_loss

__all__ = ["BatchedHistory", "History", "Step", "accuracy", "check_finite", "descend", "fit", "fit_batched", "head_loss", "load",
           "make_optimizer", "save", "torch_threads", "train_loop"]
