"""The data a sweep run trains on: a generated problem, a Figure 1 panel or a bundled data set.

Names (the spec's ``grid.data``):

* a problem of :data:`signnet.data.PROBLEMS` (``"xor"``, ``"positive_slope"``, ...):
  ``n_train`` and ``n_test`` points drawn uniformly from ``[-1, 1]^2`` with two
  seeds derived from the sweep's seed (train and test never share a draw);
* ``"figure1:A"``, ``"figure1:B"``, ``"figure1:C"``, ``"figure1:control"``: the
  clustered points of a panel of the paper's Figure 1 (:func:`signnet.data.panel_data`): ``n_train``
  and ``n_test`` points drawn as for a problem; ``noise`` does not apply;
* a bundled data set of :data:`signnet.data.DATASETS` (``"breast_cancer"``, ``"wine"``,
  ``"digits"``): scikit-learn's split (25% test, stratified, seeded by the sweep's seed),
  standardised on the training part; ``n_train``/``n_test``/``noise`` do not apply (a row records
  the sizes of the split).

Label noise applies to the generated problems only; a spec with ``noise > 0`` and other
data is refused (:func:`signnet.sweep.spec.parse_spec`).

Binary labels give a ``"binary"`` head (one logit), more classes a ``"softmax"`` head.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from signnet.errors import SignnetError

FIGURE1_PREFIX = "figure1:"
_TRAIN, _TEST = 1, 2  # SeedSequence spawn keys of the two draws


@dataclass(frozen=True)
class RunData:
    """Train and test arrays of one sweep data name: ``X_*`` ``(n, d)`` float32, ``y_*`` ``(n,)`` int64."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int

    @property
    def head(self) -> str:
        return "binary" if self.n_classes == 2 else "softmax"


def _names() -> list[str]:
    from signnet.data import DATASETS, PANELS, PROBLEMS

    return [*PROBLEMS, *(FIGURE1_PREFIX + k for k in PANELS), *(d for d in DATASETS if d != "diabetes")]


def check_data_name(name: str) -> str:
    """``name`` if it is a problem, a Figure 1 panel or a bundled classification data set; else a one-line error."""
    names = _names()
    if name not in names:
        raise SignnetError(f"Spec key `grid.data` holds the unknown name {name!r}; choose from: {', '.join(names)}.")
    return name


def is_generated(name: str) -> bool:
    """Whether ``name`` is a generated problem (the data that ``n_train``, ``n_test`` and ``noise`` all apply to)."""
    from signnet.data import PROBLEMS

    return name in PROBLEMS


def _seed(sweep_seed: int, stream: int) -> int:
    return int(np.random.SeedSequence(sweep_seed, spawn_key=(stream,)).generate_state(1)[0])


def load_run_data(name: str, *, n_train: int, n_test: int, noise: float, sweep_seed: int) -> RunData:
    """Draw or load the data called ``name`` (see the module docstring)."""
    from signnet.data import DATASETS, load_dataset, make_problem, panel_data

    check_data_name(name)
    if name.startswith(FIGURE1_PREFIX):
        key = name[len(FIGURE1_PREFIX):]
        X_tr, y_tr = panel_data(key, n=n_train, seed=_seed(sweep_seed, _TRAIN))
        X_te, y_te = panel_data(key, n=n_test, seed=_seed(sweep_seed, _TEST))
        return RunData(name, X_tr, y_tr, X_te, y_te, 2)
    if name in DATASETS:
        ds = load_dataset(name, seed=sweep_seed)
        return RunData(name, ds.X_train, ds.y_train, ds.X_test, ds.y_test,
                       int(max(ds.y_train.max(), ds.y_test.max())) + 1)
    tr = make_problem(name, n=n_train, noise=noise, seed=_seed(sweep_seed, _TRAIN))
    te = make_problem(name, n=n_test, noise=noise, seed=_seed(sweep_seed, _TEST))
    return RunData(name, tr.X, tr.y, te.X, te.y, 2)
