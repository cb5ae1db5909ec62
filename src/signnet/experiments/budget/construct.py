"""Hand-built networks for the budget study: the paper's Figure 1 networks and a two-flip closed shape.

Panel B of Figure 1 flips four weights: one input weight of each middle unit and
both input weights of the bottom unit, so that four units ``relu(+-x1 +- x2 - 0.5)``
bound the diamond ``|x1| + |x2| < 0.5``. Two flips are enough for the same
diamond: with the units ``relu(x1)``, ``relu(-x1)``, ``relu(x2)``, ``relu(-x2)``
(one flipped input weight in the second and in the fourth), the logit
``10 (|x1| + |x2|) - 5`` is positive exactly outside it, because
``relu(t) + relu(-t) = |t|``. This network is built here and evaluated as it is
(a construction, not a training result).
"""

from __future__ import annotations

import torch

from signnet.data.figure1 import get_panel, hand_built
from signnet.nn.networks import MLP

TWO_FLIP_WHY = ("relu(t) + relu(-t) = |t|, so four units relu(x1), relu(-x1), relu(x2), relu(-x2) (one negative input "
                "weight in the second and in the fourth) give the logit 10 (|x1| + |x2|) - 5, positive exactly "
                "outside the diamond |x1| + |x2| < 0.5: class 0 inside, class 1 outside.")


@torch.no_grad()
def two_flip_diamond() -> MLP:
    """A ReLU network 2 -> 4 -> 1 with exactly two negative weights that separates panel B's classes."""
    with torch.random.fork_rng(devices=[]):
        model = MLP(2, (4,), 1, weights="nonneg", flips={0: [(1, 0), (3, 1)]})
    first, last = model.linear_layers
    first.weight.copy_(torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]]))
    first.bias.zero_()
    last.weight.copy_(torch.tensor([[10.0, 10.0, 10.0, 10.0]]))
    last.bias.fill_(-5.0)
    return model.eval()


def paper_network(panel: str) -> tuple[MLP, str]:
    """The paper's hand-built flipped network for ``panel`` and the sentence saying why it works."""
    return hand_built(panel), get_panel(panel).why
