"""The peer model: a Lipschitz monotonic network from ``monotonicnetworks`` (optional extra ``signnet[peers]``).

Kitouni, Nolte & Williams, "Expressive Monotonic Neural Networks", ICLR 2023: a network ``g`` whose
Lipschitz constant (in the infinity-norm sense) is at most ``lam`` through weight normalisation,
plus the residual ``lam * sum_i cst_i x_i``; the sum is non-decreasing in the +1 features and
non-increasing in the -1 features. Architecture here: LipschitzLinear
(kind ``"one-inf"``) -> GroupSort -> LipschitzLinear (``"inf"``) -> GroupSort -> LipschitzLinear
(``"inf"``), each layer with Lipschitz constant ``lam ** (1/3)``, on standardised features (and a standardised
target for regression); the benchmark fits ``lam`` = 1 and 4 and keeps the one with the lower
validation loss. Trained with Adam (lr 2e-3, minibatches of 64, or 256 from 2000 fitting rows); the
weights of the epoch with the lowest validation loss are restored.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from signnet.train.loop import train_loop


def lmn_available() -> str:
    """An empty string when ``monotonicnetworks`` is importable, else the note shown in the table."""
    if importlib.util.find_spec("monotonicnetworks") is None:
        return "monotonicnetworks is not installed (pip install signnet[peers])"
    return ""


def _network(d: int, hidden, cst, lam: float) -> torch.nn.Module:
    import monotonicnetworks as lmn

    per_layer = lam ** (1 / (len(hidden) + 1))
    layers, width = [], d
    for i, h in enumerate(hidden):
        layers += [lmn.LipschitzLinear(width, h, kind="one-inf" if i == 0 else "inf", lipschitz_const=per_layer),
                   lmn.GroupSort(h // 2)]
        width = h
    layers.append(lmn.LipschitzLinear(width, 1, kind="inf", lipschitz_const=per_layer))
    return lmn.MonotonicWrapper(torch.nn.Sequential(*layers), lipschitz_const=lam,
                                monotonic_constraints=[float(c) for c in cst])


class _LipschitzMonotoneBase(BaseEstimator):
    def __init__(self, *, task="regression", monotonic_cst=(), hidden=(32, 32), lipschitz_const=1.0, seed=0,
                 max_epochs=200, patience=20, lr=2e-3, batch_size=None):
        self.task = task
        self.monotonic_cst = monotonic_cst
        self.hidden = hidden
        self.lipschitz_const = lipschitz_const
        self.seed = seed
        self.max_epochs = max_epochs
        self.patience = patience
        self.lr = lr
        self.batch_size = batch_size

    def _loss(self, out, y):
        if self.task == "binary":
            return torch.nn.functional.binary_cross_entropy_with_logits(out, y)
        return torch.nn.functional.mse_loss(out, y)

    def fit(self, X, y, *, X_val, y_val):
        """Train on ``(X, y)``; keep the weights of the epoch with the lowest loss on ``(X_val, y_val)``."""
        X, X_val = (torch.as_tensor(np.asarray(a, np.float32)) for a in (X, X_val))
        y, y_val = np.asarray(y, np.float64), np.asarray(y_val, np.float64)
        self.y_mean_, self.y_scale_ = (0.0, 1.0) if self.task == "binary" else (float(y.mean()), float(y.std()) or 1.0)
        t, t_val = (torch.as_tensor(((a - self.y_mean_) / self.y_scale_).astype(np.float32))[:, None] for a in (y, y_val))
        gen = torch.Generator().manual_seed(int(self.seed))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(self.seed))  # the initialisation, inside fork_rng: the global state is restored
            net = _network(X.shape[1], self.hidden, self.monotonic_cst, self.lipschitz_const)
        batch = self.batch_size or (64 if len(X) < 2000 else 256)
        history = train_loop(net, X, t, epochs=self.max_epochs, optimizer=torch.optim.Adam(net.parameters(), lr=self.lr),
                             loss=self._loss, batch_size=batch, generator=gen, patience=self.patience, tol=1e-6,
                             validation=(X_val, t_val), restore_best=True)
        best_epoch, best_loss = history.best_epoch + 1, history.val_loss[history.best_epoch]
        net.eval()
        self.network_, self.best_epoch_, self.best_val_loss_, self.n_features_in_ = net, best_epoch, best_loss, X.shape[1]
        self.n_parameters_ = int(sum(p.numel() for p in net.parameters()))
        return self

    def _raw(self, X) -> np.ndarray:
        with torch.no_grad():
            return self.network_(torch.as_tensor(np.asarray(X, np.float32))).numpy()[:, 0].astype(np.float64)


class LipschitzMonotoneRegressor(RegressorMixin, _LipschitzMonotoneBase):
    """A Lipschitz monotonic network for regression (see the module docstring)."""

    def predict(self, X) -> np.ndarray:
        """(n,) predictions in ``y``'s units."""
        return self._raw(X) * self.y_scale_ + self.y_mean_


class LipschitzMonotoneClassifier(ClassifierMixin, _LipschitzMonotoneBase):
    """A Lipschitz monotonic network for binary labels {0, 1} (see the module docstring)."""

    def fit(self, X, y, *, X_val, y_val):
        self.classes_ = np.array([0, 1])
        return super().fit(X, y, X_val=X_val, y_val=y_val)

    def decision_function(self, X) -> np.ndarray:
        """(n,) logits."""
        return self._raw(X)

    def predict_proba(self, X) -> np.ndarray:
        """(n, 2) probabilities of classes 0 and 1."""
        p = 1.0 / (1.0 + np.exp(-self._raw(X)))
        return np.stack([1 - p, p], axis=1)

    def predict(self, X) -> np.ndarray:
        """(n,) labels: 1 where the logit is above 0."""
        return (self._raw(X) > 0).astype(np.int64)


def LipschitzMonotone(*, task, **kwargs):  # noqa: N802 - a factory read like a class
    """The regressor or the classifier for ``task``."""
    cls = LipschitzMonotoneClassifier if task == "binary" else LipschitzMonotoneRegressor
    return cls(task=task, **kwargs)
