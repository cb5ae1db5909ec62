"""Fit of the three MonotoneMLP architectures (and a free MLP for reference), on standardised data.

Run: PYTHONPATH=src .venv/bin/python bench/monotone_architectures.py [--quick] [--seeds 10] [--init sign|abs]
     [--tasks sqrt,tanh3,cube]

Data sets (targets standardised to mean 0, std 1, so an RMSE of 1 is the constant predictor):

* ``sqrt``, ``tanh3`` and ``cube``: 1-D, 64 grid points of sqrt on [0, 4] (concave), tanh(3x)
  on [-1, 1] (S-shaped: convex, then concave) and x^3 on [-1, 1] (concave, then convex); the
  training RMSE is printed beside the exact best RMSE of
  any convex non-decreasing function on the grid (what a ReLU dnn+ can reach at best).
* ``synthetic``: 1,000 points, 5 features with ``monotonic_cst = [1, -1, 0, 1, 0]``,
  ``y = tanh(2 x0) - cbrt(x1) + sin(2 x2) + log1p(exp(x3)) + x4 x2 / 2 + noise``;
  test RMSE on 30 % held out.
* ``auto_mpg``, ``diabetes`` (regression: test RMSE) and ``heart``, ``breast_cancer``,
  ``compas`` (binary: test accuracy), from :func:`signnet.data.tabular.load_tabular`
  with its ``monotonic_cst`` (other features free); 30 % held out, features and
  regression targets standardised with the training part's mean and std.

Every network: hidden (32, 32), Adam lr 1e-2, full batch, one thread, ``--seeds``
seeds (model init and split). The 1-D and synthetic sets train for ``--epochs``;
the tabular sets stop early (unless ``--no-early-stopping``): the last 20 % of the
training part is held out, and the weights with the lowest validation loss are
kept once 50 epochs bring no improvement. Means and standard deviations over
seeds are printed, with the seconds per fit. Nothing is judged.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from scipy.optimize import lsq_linear

from signnet import MLP, MONOTONE_ARCHITECTURES, MonotoneMLP, fit
from signnet.train.losses import head_loss

TABULAR = ("auto_mpg", "diabetes", "heart", "breast_cancer", "compas")
PATIENCE = 50  # epochs without a better validation loss before a tabular fit stops


def convex_rmse_bound(y: np.ndarray) -> float:
    """Best RMSE of a convex non-decreasing function on an equally spaced grid (bounded least squares)."""
    n = len(y)
    k = np.arange(n)
    A = np.column_stack([np.ones(n), k] + [np.maximum(k - j, 0) for j in range(1, n - 1)])
    theta = lsq_linear(A, y, bounds=(np.r_[-np.inf, np.zeros(n - 1)], np.full(n, np.inf))).x
    return float(np.sqrt(np.mean((A @ theta - y) ** 2)))


def standardise(a: np.ndarray, ref: np.ndarray) -> np.ndarray:
    std = ref.std(axis=0)
    return ((a - ref.mean(axis=0)) / np.where(std > 0, std, 1.0)).astype(np.float32)  # a constant column becomes 0


def grid_task(name: str):
    grid, f = {"sqrt": (np.linspace(0, 4, 64), np.sqrt), "tanh3": (np.linspace(-1, 1, 64), lambda x: np.tanh(3 * x)),
               "cube": (np.linspace(-1, 1, 64), lambda x: x ** 3)}[name]
    X, y = standardise(grid[:, None], grid[:, None]), standardise(f(grid), f(grid))
    return lambda seed: (X, y, X, y), [1], convex_rmse_bound(y.astype(np.float64))


def synthetic_task():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1000, 5))
    y = (np.tanh(2 * X[:, 0]) - np.cbrt(X[:, 1]) + np.sin(2 * X[:, 2]) + np.log1p(np.exp(X[:, 3]))
         + X[:, 4] * X[:, 2] / 2 + 0.1 * rng.standard_normal(1000))
    return _splitter(X, y), [1, -1, 0, 1, 0], None


def tabular_task(name: str):
    from signnet.data.tabular import load_tabular

    data = load_tabular(name)
    X = data.X.to_numpy(dtype=np.float64)
    cst = [int(data.monotonic_cst.get(c, 0)) for c in data.X.columns]
    return _splitter(X, np.asarray(data.y, dtype=np.float64), data.task == "regression"), cst, None


def _splitter(X, y, regression: bool = True):
    def split(seed):
        order = np.random.default_rng(seed).permutation(len(y))
        test, train = order[: int(0.3 * len(y))], order[int(0.3 * len(y)):]
        Xtr, Xte = (standardise(X[part], X[train]) for part in (train, test))
        if not regression:
            return Xtr.astype(np.float32), y[train].astype(np.int64), Xte.astype(np.float32), y[test].astype(np.int64)
        return Xtr.astype(np.float32), standardise(y[train], y[train]), Xte.astype(np.float32), standardise(y[test], y[train])
    return split


def run(task, cst, model_name: str, seed: int, epochs: int, early: bool, init: str = "sign") -> tuple[float, float]:
    """(test RMSE, or test accuracy for a binary task; seconds of the fit)."""
    Xtr, ytr, Xte, yte = task(seed)
    head = "binary" if ytr.dtype == np.int64 else "regression"
    torch.manual_seed(seed)  # a bench script, not library code: the global seed drives the layers' init
    if model_name == "free MLP":
        net = MLP(len(cst), (32, 32), head=head)
    else:
        net = MonotoneMLP(cst, (32, 32), architecture=model_name, head=head, init=init)
    callback = None
    if early:  # hold out the last 20 % of the training part; keep the weights of the best validation loss
        cut = int(0.8 * len(ytr))
        Xtr, ytr, Xva, yva = Xtr[:cut], ytr[:cut], torch.from_numpy(Xtr[cut:]), torch.from_numpy(ytr[cut:])
        best = {"loss": float("inf"), "epoch": 0, "state": None}

        def callback(epoch, model, history):
            with torch.no_grad():
                loss = float(head_loss(model(Xva), yva if head == "binary" else yva[:, None], head))
            if loss < best["loss"]:
                best.update(loss=loss, epoch=epoch, state={k: v.clone() for k, v in model.state_dict().items()})
            return epoch - best["epoch"] >= PATIENCE
    start = time.perf_counter()
    fit(net, Xtr, ytr, epochs=epochs, lr=1e-2, patience=None, progress=False, threads=1, callback=callback)
    seconds = time.perf_counter() - start
    if early:
        net.load_state_dict(best["state"])
    with torch.no_grad():
        out = net(torch.from_numpy(Xte))[:, 0]
        if head == "binary":
            return float(((out > 0).long() == torch.from_numpy(yte)).double().mean()), seconds
        return float(((out - torch.from_numpy(yte)) ** 2).mean().sqrt()), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, 200 epochs")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--no-early-stopping", action="store_true", help="train the tabular sets for all epochs")
    parser.add_argument("--init", default="sign", choices=("sign", "abs"), help="MonotoneMLP's init")
    parser.add_argument("--tasks", default=None, help="comma-separated subset, e.g. sqrt,tanh3,cube (default: all)")
    args = parser.parse_args()
    seeds, epochs = (2, 200) if args.quick else (args.seeds, args.epochs)
    tasks = {"sqrt": grid_task("sqrt"), "tanh3": grid_task("tanh3"), "cube": grid_task("cube"),
             "synthetic": synthetic_task(), **{name: tabular_task(name) for name in TABULAR}}
    if args.tasks:
        tasks = {name: tasks[name] for name in args.tasks.split(",")}
    print(f"Test RMSE (standardised target; train RMSE for sqrt/tanh3/cube) or test accuracy (heart, breast_cancer, "
          f"compas), mean +- std over {seeds} seeds, {epochs} epochs")
    for name, (task, cst, bound) in tasks.items():
        extra = f"  (best convex non-decreasing fit: {bound:.4f})" if bound is not None else ""
        print(f"\n{name}{extra}")
        for model_name in (*MONOTONE_ARCHITECTURES, "free MLP"):
            early = name in TABULAR and not args.no_early_stopping
            runs = np.array([run(task, cst, model_name, s, epochs, early, args.init) for s in range(seeds)])
            print(f"  {model_name:12s} {runs[:, 0].mean():.4f} +- {runs[:, 0].std():.4f}   {runs[:, 1].mean():.2f} s/fit")


if __name__ == "__main__":
    main()
