"""The four panels of the paper's Figure 1, as data, flips and hand-built networks.

Figure 1 of Wang et al. draws, for each problem a DNN+ cannot solve, a small
network in which flipping the sign of one or a few weights makes it solvable.
The figure draws *clusters* of points with a margin between the classes, which
is what lets networks of 2, 3 or 4 hidden units succeed; :func:`panel_data`
draws such clusters.

==========  ============================  ======  =====================================
panel       problem                        width   weights made negative
==========  ============================  ======  =====================================
``A``       boundary of positive slope     2       one input weight (Corollary 1.1.1)
``B``       closed shape                   4       one input weight of each middle unit,
                                                   both input weights of the bottom unit
                                                   (Corollary 1.1.2)
``C``       XOR, a disconnected class      3       one output weight (Theorem 1.2,
                                                   Corollary 1.1.3)
``control`` boundary of negative slope     2       none: a DNN+ solves it
==========  ============================  ======  =====================================

Flips are given as ``{layer_index: [(row, col), ...]}`` over the affine layers
of an :class:`~signnet.MLP` (layer 0 maps inputs to hidden units, layer 1
hidden units to the output logit), as :meth:`signnet.MLP.flip` takes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from signnet.errors import choice_error
from signnet.nn.networks import MLP


@dataclass(frozen=True)
class Cluster:
    """A disc of points of one label: centre ``(x1, x2)``, ``radius``, relative ``weight``."""

    center: tuple[float, float]
    radius: float
    label: int
    weight: float = 1.0


@dataclass(frozen=True)
class Panel:
    """One row of Figure 1."""

    key: str
    title: str
    claim: str  # the paper's statement this row illustrates
    width: int  # hidden units of the figure's network
    flips: dict  # weights made negative, {layer: [(row, col)]}
    clusters: tuple[Cluster, ...]
    hand_weights: dict = field(repr=False)  # explicit weights of the flipped network
    why: str = ""  # one sentence on why the hand-built weights work

    @property
    def negative_weights(self) -> int:
        """How many weights the figure makes negative."""
        return sum(len(v) for v in self.flips.values())


def _diagonal(slope_sign: int, d: float = 0.25, radius: float = 0.15) -> tuple[Cluster, ...]:
    """Three class-1 and three class-0 clusters on both sides of the line ``x2 = slope_sign * x1``."""
    along = np.array([1.0, float(slope_sign)]) / 1.0
    normal = np.array([-float(slope_sign), 1.0]) if slope_sign > 0 else np.array([1.0, 1.0])
    out = []
    for t in (-0.6, 0.0, 0.6):
        base = t * along
        out.append(Cluster(tuple(base + d * normal), radius, 1))
        out.append(Cluster(tuple(base - d * normal), radius, 0))
    return tuple(out)


def _ring() -> tuple[Cluster, ...]:
    inner = (Cluster((0.0, 0.0), 0.2, 0, weight=2.0),)
    angles = np.arange(8) * np.pi / 4
    return inner + tuple(Cluster((0.8 * np.cos(a), 0.8 * np.sin(a)), 0.12, 1) for a in angles)


def _xor() -> tuple[Cluster, ...]:
    c = 0.55
    return (Cluster((c, c), 0.22, 0), Cluster((-c, -c), 0.22, 0),
            Cluster((-c, c), 0.22, 1), Cluster((c, -c), 0.22, 1))


PANELS: dict[str, Panel] = {
    "A": Panel(
        "A", "Boundary of positive slope", "Corollary 1.1.1: a DNN+ cannot form a boundary segment of positive slope.",
        width=2, flips={0: [(0, 0)]}, clusters=_diagonal(+1),
        hand_weights={"W0": [[-1.0, 1.0], [1.0, 1.0]], "b0": [0.0, 0.0], "W1": [[10.0, 0.0]], "b1": [-1.0]},
        why="Unit 0 computes relu(x2 - x1), positive only above the line x2 = x1 thanks to the one negative "
            "input weight; the output 10*relu(x2 - x1) - 1 is positive where x2 - x1 > 0.1. Unit 1 is not needed.",
    ),
    "B": Panel(
        "B", "Closed shape", "Corollary 1.1.2: a DNN+ cannot enclose a class in a closed boundary.",
        width=4, flips={0: [(1, 0), (2, 1), (3, 0), (3, 1)]}, clusters=_ring(),
        hand_weights={"W0": [[1.0, 1.0], [-1.0, 1.0], [1.0, -1.0], [-1.0, -1.0]], "b0": [-0.5] * 4,
                      "W1": [[10.0, 10.0, 10.0, 10.0]], "b1": [-0.5]},
        why="The four units are relu(+-x1 +- x2 - 0.5), one per side of the diamond |x1| + |x2| < 0.5: "
            "all are 0 inside it, so the logit is -0.5 (class 0), and at least one is positive outside it. "
            "The top unit needs no flip, each middle unit one, the bottom unit two.",
    ),
    "C": Panel(
        "C", "XOR, a disconnected class", "Theorem 1.2 and Corollary 1.1.3: a DNN+ cannot solve XOR.",
        width=3, flips={1: [(0, 2)]}, clusters=_xor(),
        hand_weights={"W0": [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], "b0": [0.0, 0.0, 0.0],
                      "W1": [[4.0, 4.0, -4.0]], "b1": [-1.0]},
        why="The logit is 4 relu(x1) + 4 relu(x2) - 4 relu(x1 + x2) - 1. In the first quadrant the negative "
            "output weight cancels the other two units exactly (logit -1), carving that quadrant out of class 1; "
            "in the third all units are 0 (logit -1); in the second and fourth the logit is positive away from the axes.",
    ),
    "control": Panel(
        "control", "Boundary of negative slope (control)", "A DNN+ can solve it: class 1 is an up-set.",
        width=2, flips={}, clusters=_diagonal(-1),
        hand_weights={"W0": [[1.0, 1.0], [1.0, 0.0]], "b0": [0.0, 0.0], "W1": [[10.0, 0.0]], "b1": [-1.0]},
        why="With all weights non-negative, 10*relu(x1 + x2) - 1 is positive exactly above the line x1 + x2 = 0.1.",
    ),
}


def get_panel(key: str) -> Panel:
    """The :class:`Panel` called ``key`` (``"A"``, ``"B"``, ``"C"`` or ``"control"``)."""
    if key not in PANELS:
        raise choice_error("Figure 1 panel", key, PANELS)
    return PANELS[key]


def panel_data(key: str, n: int = 800, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` points of panel ``key``: uniformly inside each cluster's disc.

    Returns:
        ``X`` of shape ``(n, 2)`` (float32) and ``y`` of shape ``(n,)`` (int64).
    """
    panel = get_panel(key)
    rng = np.random.default_rng(seed)
    weights = np.array([c.weight for c in panel.clusters])
    which = rng.choice(len(panel.clusters), size=n, p=weights / weights.sum())
    centers = np.array([c.center for c in panel.clusters])[which]
    radii = np.array([c.radius for c in panel.clusters])[which]
    angle = rng.uniform(0, 2 * np.pi, n)
    r = radii * np.sqrt(rng.uniform(0, 1, n))
    X = centers + np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
    y = np.array([c.label for c in panel.clusters])[which]
    return X.astype(np.float32), y.astype(np.int64)


def flipped_network(key: str, *, method: str = "project") -> MLP:
    """A DNN+ of the panel's width with exactly the figure's weights made non-positive (random init)."""
    panel = get_panel(key)
    return MLP(2, (panel.width,), 1, weights="nonneg", method=method, flips=panel.flips or None)


@torch.no_grad()
def hand_built(key: str) -> MLP:
    """The panel's flipped network with the explicit weights of :attr:`Panel.hand_weights`.

    Its signs obey the flipped mask: every weight is >= 0 except the flipped ones.
    The caller's random state is left untouched (the random initialisation is
    overwritten anyway).
    """
    panel = get_panel(key)
    with torch.random.fork_rng(devices=[]):
        model = flipped_network(key)
    first, last = model.linear_layers
    w = panel.hand_weights
    first.weight.copy_(torch.tensor(w["W0"]))
    first.bias.copy_(torch.tensor(w["b0"]))
    last.weight.copy_(torch.tensor(w["W1"]))
    last.bias.copy_(torch.tensor(w["b1"]))
    return model.eval()
