"""Training signed networks: :func:`fit`, batched training of many networks, checkpoints.

* :mod:`.fit` — the training loop, :func:`fit`, :class:`History`, :func:`accuracy`.
* :mod:`.batched` — :func:`fit_batched`, R same-shape networks in one computation.
* :mod:`.checkpoint` — :func:`save` / :func:`load` (config + state_dict).
"""

from signnet.train.batched import fit_batched
from signnet.train.checkpoint import load, save
from signnet.train.fit import History, accuracy, fit, torch_threads

__all__ = ["History", "accuracy", "fit", "fit_batched", "load", "save", "torch_threads"]
