"""First-epoch loss of a sign-constrained network under init="abs" and init="sign", against a free network.

Run: .venv/bin/python bench/init.py [--seeds 5] [--epochs 50]

Network: MLP(d, (64, 64)), ReLU, first layer free and the later two layers
non-negative (weights=["free", "nonneg", "nonneg"]: the shape of a monotone
network whose first layer is free), and a DNN+ (every layer non-negative). Tasks: scikit-learn's diabetes (regression,
X and y standardised, mean squared error) and breast cancer (binary, X
standardised, cross-entropy). For each init the model is built with
torch.manual_seed(seed) and trained full batch with Adam (lr 1e-2) by
signnet.fit; the bench prints the first-epoch training loss (full batch: the loss
at initialisation) and the loss after --epochs epochs, each the mean over the
seeds, and their ratio to the unconstrained network (weights="free", torch's
default initialisation) measured in the same process. The last variant initialises
the DNN+ with sign_init_network_(model, inputs=X): for the task's own (correlated)
features instead of independent standard normal ones.
"""

from __future__ import annotations

import argparse
import platform

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer, load_diabetes

from signnet import MLP, fit
from signnet.nn import sign_init_network_

VARIANTS = {  # name -> MLP keyword arguments
    "free (baseline)": dict(weights="free"),
    'nonneg, init="abs"': dict(weights=["free", "nonneg", "nonneg"], init="abs"),
    'nonneg, init="sign"': dict(weights=["free", "nonneg", "nonneg"], init="sign"),
    'DNN+, init="abs"': dict(weights="nonneg", init="abs"),
    'DNN+, init="sign"': dict(weights="nonneg", init="sign"),
    'DNN+, sign on data': dict(weights="nonneg"),  # then sign_init_network_(model, inputs=X)
}


def standardise(a: np.ndarray) -> np.ndarray:
    return (a - a.mean(0)) / a.std(0)


def tasks() -> dict[str, tuple[np.ndarray, np.ndarray, str]]:
    Xd, yd = load_diabetes(return_X_y=True)
    Xb, yb = load_breast_cancer(return_X_y=True)
    return {"diabetes (regression)": (standardise(Xd), standardise(yd), "regression"),
            "breast cancer (binary)": (standardise(Xb), yb, "binary")}


def losses(X, y, head, kwargs, seeds: int, epochs: int, on_data: bool = False) -> tuple[float, float]:
    first, last = [], []
    for seed in range(seeds):
        torch.manual_seed(seed)
        model = MLP(X.shape[1], (64, 64), head=head, **kwargs)
        if on_data:
            sign_init_network_(model, inputs=X)
        h = fit(model, X, y, epochs=epochs, lr=1e-2, patience=None, seed=seed, progress=False, threads=1)
        first.append(h.loss[0])
        last.append(h.loss[-1])
    return float(np.mean(first)), float(np.mean(last))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=50)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {platform.python_implementation()} {platform.python_version()}, "
          f"{args.seeds} seeds, MLP(d, (64, 64)) ReLU, Adam lr 1e-2 full batch")
    for task, (X, y, head) in tasks().items():
        print(f"\n{task}: n={len(X)}, d={X.shape[1]}")
        print(f"{'variant':<22} {'first-epoch loss':>17} {'ratio':>7} {f'loss after {args.epochs}':>17} {'ratio':>7}")
        base = None
        for name, kwargs in VARIANTS.items():
            first, last = losses(X, y, head, kwargs, args.seeds, args.epochs, on_data="on data" in name)
            base = base or (first, last)
            print(f"{name:<22} {first:>17.4f} {first / base[0]:>7.2f} {last:>17.4f} {last / base[1]:>7.2f}")


if __name__ == "__main__":
    main()
