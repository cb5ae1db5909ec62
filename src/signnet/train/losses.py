"""The loss of each head, and how many predictions of a head are right.

A signnet network ends in one of three heads (:class:`signnet.MLP`'s ``head``):

``"binary"``
    One logit ``z``; loss ``BCE(sigmoid(z), y)`` (``binary_cross_entropy_with_logits``);
    the predicted class is ``z > 0``.
``"softmax"``
    ``K`` logits; loss cross-entropy; the predicted class is the arg-max.
``"regression"``
    Real outputs; loss mean squared error; no accuracy.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from signnet.errors import choice_error

HEADS = ("binary", "softmax", "regression")
CLASSIFIERS = ("binary", "softmax")


def check_head(head: str) -> str:
    """Return ``head`` if it is one of :data:`HEADS`, else raise a :class:`~signnet.errors.SignnetError`."""
    if head not in HEADS:
        raise choice_error("loss", head, (*HEADS, "or a callable loss(output, target)"))
    return head


def head_loss(output: torch.Tensor, target: torch.Tensor, head: str) -> torch.Tensor:
    """The mean loss of a head (a scalar tensor).

    Shape:
        - ``"binary"``: output ``(N, 1)``, target ``(N,)`` of 0/1 labels.
        - ``"softmax"``: output ``(N, K)``, target ``(N,)`` of labels in ``[0, K)``.
        - ``"regression"``: output and target of one shape, e.g. ``(N, k)``.
    """
    if head == "binary":
        return F.binary_cross_entropy_with_logits(output[:, 0], target.float())
    if head == "softmax":
        return F.cross_entropy(output, target)
    return F.mse_loss(output, target)


@torch.no_grad()
def count_correct(output: torch.Tensor, target: torch.Tensor, head: str) -> int:
    """How many rows of ``output`` predict the class ``target`` (``"binary"`` or ``"softmax"`` head).

    Shape:
        output ``(N, 1)`` (binary) or ``(N, K)`` (softmax); target ``(N,)``.
    """
    pred = (output[:, 0] > 0).long() if head == "binary" else output.argmax(1)
    return int((pred == target).sum())
