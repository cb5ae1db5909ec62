"""Drawing 2-D classifiers and small networks (matplotlib, Agg backend).

* :func:`plot_decision` shades the class-1 region of a binary or softmax
  network over a box and scatters the data on top, in the colours of Figure 1.
* :func:`plot_network` draws a one-hidden-layer network as nodes and edges;
  negative weights are drawn in red, as the paper's Figure 1 marks flipped
  weights.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402

CLASS_COLORS = ("#f4a6b7", "#7fb3d5")  # class 0 pink, class 1 blue
POINT_COLORS = ("#c2185b", "#1f4e79")
NEGATIVE, POSITIVE = "#d62728", "#555555"


@torch.no_grad()
def decision_scores(model, grid: np.ndarray) -> np.ndarray:
    """The score whose sign gives class 1: the logit (binary) or logit1 - logit0 (softmax).

    Args:
        grid: points of shape ``(m, 2)``.
    Returns:
        Scores of shape ``(m,)``.
    """
    out = model(torch.as_tensor(grid, dtype=torch.float32))
    if out.shape[1] == 1:
        return out[:, 0].numpy()
    return (out[:, 1] - out[:, 0]).numpy()


def plot_decision(ax, model, X: np.ndarray, y: np.ndarray, title: str = "", *, lim: float = 1.1,
                  resolution: int = 200, max_points: int = 400) -> None:
    """Shade the two decision regions of ``model`` and scatter ``(X, y)`` on ``ax``."""
    xs = np.linspace(-lim, lim, resolution)
    g1, g2 = np.meshgrid(xs, xs)
    grid = np.stack([g1.ravel(), g2.ravel()], axis=1)
    if model is not None:
        scores = decision_scores(model, grid).reshape(g1.shape)
        ax.contourf(g1, g2, (scores > 0).astype(float), levels=[-0.5, 0.5, 1.5], cmap=ListedColormap(CLASS_COLORS), alpha=0.8)
        ax.contour(g1, g2, scores, levels=[0.0], colors="k", linewidths=0.8)
    plot_points(ax, X, y, max_points=max_points)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)


def plot_points(ax, X: np.ndarray, y: np.ndarray, *, max_points: int = 400) -> None:
    """Scatter at most ``max_points`` points of ``(X, y)`` coloured by class."""
    step = max(1, len(X) // max_points)
    for label in (0, 1):
        pts = X[::step][y[::step] == label]
        ax.scatter(pts[:, 0], pts[:, 1], s=6, c=POINT_COLORS[label], edgecolors="none", label=f"class {label}")


def plot_network(ax, model, title: str = "") -> None:
    """Draw a network with one hidden layer: inputs, hidden units, output; negative weights in red.

    Edge width grows with ``|w|``; zero weights are not drawn.
    """
    layers = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    sizes = [layers[0].in_features] + [layer.out_features for layer in layers]
    pos = []
    for col, size in enumerate(sizes):
        ys = np.linspace(0.85, 0.15, size) if size > 1 else np.array([0.5])
        pos.append([(col / (len(sizes) - 1), yy) for yy in ys])
    biggest = max(float(layer.weight.detach().abs().max()) for layer in layers) or 1.0
    for k, layer in enumerate(layers):
        w = layer.weight.detach().numpy()
        for j in range(w.shape[0]):
            for i in range(w.shape[1]):
                if w[j, i] == 0:
                    continue
                (x0, y0), (x1, y1) = pos[k][i], pos[k + 1][j]
                color = NEGATIVE if w[j, i] < 0 else POSITIVE
                ax.plot([x0, x1], [y0, y1], color=color, lw=0.6 + 2.4 * abs(w[j, i]) / biggest, zorder=1,
                        alpha=1.0 if w[j, i] < 0 else 0.6)
    for column in pos:
        for x, yy in column:
            ax.scatter([x], [yy], s=120, c="white", edgecolors="k", zorder=2)
    names = ["inputs", "hidden", "output"] if len(sizes) == 3 else [""] * len(sizes)
    for col, name in enumerate(names):
        ax.text(col / (len(sizes) - 1), 0.0, name, ha="center", va="top", fontsize=7)
    ax.set_xlim(-0.15, 1.15)
    ax.set_ylim(-0.1, 1.0)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=9)


def new_figure(rows: int, cols: int, size: float = 2.3):
    """A figure with a ``rows x cols`` grid of square-ish axes."""
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows), squeeze=False)
    return fig, axes
