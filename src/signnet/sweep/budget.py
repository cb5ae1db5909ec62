"""Training under a negative-weight budget: at most ``k`` negative weights, the training chooses which.

The paper's Figure 1 flips 1, 4 and 1 weights by hand to make a DNN+ solve a
positive-slope boundary, a closed shape and XOR. Here the choice is left to
training. For a budget ``k``:

1. **Free phase.** Train with every weight free (``epochs`` full-batch Adam steps).
2. **Select and project** (``rounds`` times, ``r = 1..R``). Let ``n0`` be the number
   of negative weights after phase 1 and ``k_r = max(k, floor(n0^(1 - r/R) * max(k, 1)^(r/R)))``
   (a geometric path from ``n0`` down to ``k``; ``k_R = k``). The ``k_r`` weights that
   are most negative now (the smallest values, over all layers; ties by position)
   stay free; every other weight is constrained to be ``>= 0`` and projected
   (``w <- max(w, 0)``). Then train ``epochs`` steps with the new mask, projecting
   after every step.

Biases are never constrained (Definition 1.2 of Wang et al. constrains weights
only). After the last round at most ``k`` weights are free and every other one is
``>= 0`` (projection after each step is exact), so the trained network has at most
``k`` negative weights; :func:`train_group` checks it on the trained weights.
With ``k = 0`` the result is a DNN+ (Definition 1.2): the exact monotone ceiling
bounds its accuracy (Theorem 1.1).

Runs with a fixed sign constraint (``"free"``, ``"nonneg"``) go through the same
``rounds + 1`` phases with their mask unchanged, so every run of a sweep gets the
same number of steps and the same Adam restarts, and they can be batched together
(:func:`signnet.train.fit_batched`: members may carry different masks).

The smallest ``k`` at which this training reaches an accuracy is an *upper bound*
on what the architecture needs (a training result): another choice of weights or
a better optimiser may need fewer. Only ``k = 0`` has an exact limit (the ceiling).
"""

from __future__ import annotations

import math

import torch

from signnet.errors import SignnetError
from signnet.nn.networks import MLP
from signnet.train.batched import fit_batched


def negative_weights(model: MLP) -> int:
    """How many weights (not biases) of ``model`` are ``< 0``."""
    return int(sum((layer.weight.detach() < 0).sum() for layer in model.linear_layers))


def n_weights(model: MLP) -> int:
    """How many weights (not biases) ``model`` has."""
    return int(sum(layer.weight.numel() for layer in model.linear_layers))


def round_budgets(n0: int, k: int, rounds: int) -> list[int]:
    """The budgets ``k_1 .. k_R`` of the select-and-project rounds: geometric from ``n0`` down to ``k``."""
    if rounds < 1:
        raise SignnetError(f"`rounds` must be an integer >= 1, got {rounds!r}.")
    out = []
    for r in range(1, rounds + 1):
        t = r / rounds
        k_r = math.floor(max(n0, 1) ** (1 - t) * max(k, 1) ** t + 1e-9)
        out.append(k if r == rounds else max(k, min(k_r, n0)))
    return out


@torch.no_grad()
def keep_most_negative(model: MLP, k: int) -> int:
    """Leave the ``k`` most negative weights of ``model`` free, constrain the rest to ``>= 0`` and project.

    The ranking is over every weight of every layer by value (most negative first),
    ties broken by position (layer, row, column); only weights ``< 0`` can be kept
    free. The masks (``sign_mask`` buffers: 0 free, +1 non-negative) and the
    weights are changed in place. Returns how many weights were left free.
    """
    layers = model.linear_layers
    flat = torch.cat([layer.weight.detach().reshape(-1) for layer in layers])  # (n_weights,)
    order = torch.argsort(flat, stable=True)  # ascending value: most negative first; stable keeps position order
    n_free = min(int(k), int((flat < 0).sum()))
    free = torch.zeros_like(flat, dtype=torch.bool)
    free[order[:n_free]] = True
    start = 0
    for layer in layers:
        size = layer.weight.numel()
        part = free[start:start + size].reshape(layer.weight.shape)
        layer.sign_mask.copy_(torch.where(part, 0.0, 1.0).to(layer.sign_mask.dtype))
        layer.project_()
        start += size
    return n_free


def train_group(models: list[MLP], budgets: list[int | None], X, y, *, epochs: int, rounds: int,
                lr: float) -> list[float]:
    """Train ``models`` in one batched computation; member ``i`` under ``budgets[i]`` (see the module docstring).

    Args:
        models: ``R`` networks of one architecture, ``method="project"``; a member with a
            budget must start with every weight free (``weights="free"``).
        budgets: per member, an integer ``k >= 0`` (at most ``k`` negative weights) or
            ``None`` (keep the member's own fixed sign constraint).
        X, y: training data ``(n, d)`` and ``(n,)``.
        epochs: full-batch Adam steps per phase; ``rounds``: select-and-project rounds.
        lr: Adam's learning rate.

    Returns:
        The final training loss of each member.

    Raises:
        SignnetError: if a budget member ends with more than ``k`` negative weights
            (cannot happen with exact projection; checked on the trained weights).
    """
    if len(budgets) != len(models):
        raise SignnetError(f"`budgets` has {len(budgets)} entries for {len(models)} networks; give one per network.")
    for m, k in zip(models, budgets, strict=True):
        if k is not None and any(bool((layer.sign_mask != 0).any()) for layer in m.linear_layers):
            raise SignnetError("A network trained under a budget must start with every weight free; "
                               "build it with weights='free'.")
    losses = fit_batched(models, X, y, epochs=epochs, lr=lr)
    if any(k is not None for k in budgets):
        n0 = [negative_weights(m) for m in models]
        schedule = [round_budgets(n, k, rounds) if k is not None else None for n, k in zip(n0, budgets, strict=True)]
        for r in range(rounds):
            for m, ks in zip(models, schedule, strict=True):
                if ks is not None:
                    keep_most_negative(m, ks[r])
            losses = fit_batched(models, X, y, epochs=epochs, lr=lr)
    else:
        for _ in range(rounds):
            losses = fit_batched(models, X, y, epochs=epochs, lr=lr)
    for m, k in zip(models, budgets, strict=True):
        if k is not None and negative_weights(m) > k:
            raise SignnetError(f"A network trained under the budget k={k} ended with {negative_weights(m)} "
                               "negative weights; this is a bug in signnet, please report it.")
    return losses
