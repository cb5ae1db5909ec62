"""Training many small networks at once: :func:`fit_batched`.

Experiments over seeds and restarts train dozens of tiny networks (2 to 64
hidden units), where the time goes into Python and framework overhead rather
than arithmetic. :func:`fit_batched` stacks ``R`` networks of the same
architecture into one batched computation: layer ``k`` becomes weights of shape
``(R, H_out, H_in)`` and the forward pass a batched matrix product. Because the
loss is the *sum* of the members' losses, Adam's update and the sign projection
act element-wise, and each member has its own parameters, every member follows
exactly the trajectory it would follow alone (up to floating-point reduction
order). The trained weights are copied back into the given modules.

The epochs cannot run through :func:`signnet.train.loop.train_loop` (its
model is one module); they share its step, :func:`~signnet.train.loop.descend`,
and its divergence check, :func:`~signnet.train.loop.check_finite`.

Only ``method="project"`` networks are supported (the projection is applied to
the stacked weights with the stacked sign masks, so members may carry
different masks, e.g. different flips).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from signnet.errors import SignnetError
from signnet.nn.networks import MLP
from signnet.train.checks import non_negative_number, positive_int, positive_number
from signnet.train.loop import check_finite, descend
from signnet.validation import as_features, as_targets


def _check(models: list[MLP]) -> None:
    if not models:
        raise SignnetError("fit_batched needs at least one network.")
    ref = {k: v for k, v in models[0].config.items() if k not in ("weights", "flips", "monotonic_cst")}
    for m in models:
        if not isinstance(m, MLP):
            raise SignnetError(f"fit_batched trains signnet.MLP networks, got {type(m).__name__}.")
        cfg = {k: v for k, v in m.config.items() if k not in ("weights", "flips", "monotonic_cst")}
        if cfg != ref:
            raise SignnetError("fit_batched needs networks of one architecture (widths, activation, head, method).")
        if m.config["method"] != "project":
            raise SignnetError(f"fit_batched supports method='project' only, got {m.config['method']!r}.")


def fit_batched(models: list[MLP], X, y, *, epochs: int = 300, lr: float = 0.01,
                weight_decay: float = 0.0) -> list[float]:
    """Train every network of ``models`` on ``(X, y)``, full batch with Adam, in one batched computation.

    Args:
        models: ``R`` :class:`~signnet.MLP` networks of one architecture with
            ``method="project"``, on one device (the data are moved there); trained in place.
        X: features ``(n, d)``; y: labels ``(n,)`` for the models' head.
        epochs: full-batch Adam steps.
        lr, weight_decay: Adam's settings (``lr > 0``, ``weight_decay >= 0``).

    Returns:
        The final training loss of each member (a list of ``R`` floats).

    Raises:
        SignnetError: for mixed architectures, a method other than ``"project"``,
            bad options, or a non-finite loss during training (naming the epoch).
    """
    _check(models)
    epochs = positive_int(epochs, "epochs", "pass e.g. epochs=300")
    lr = positive_number(lr, "Learning rate", "try lr=0.01")
    weight_decay = non_negative_number(weight_decay, "weight_decay", "pass 0 for no weight decay")
    head = models[0].head
    Xt = as_features(X, models[0].config["in_features"])
    yt = as_targets(y, Xt.shape[0], head, models[0].config["out_features"])
    device = models[0].linear_layers[0].weight.device  # the data follow the networks (all on one device)
    Xt, yt = Xt.to(device), yt.to(device)
    act = models[0][1] if len(models[0]) > 1 else None
    n_layers = len(models[0].linear_layers)
    Ws = [torch.nn.Parameter(torch.stack([m.linear_layers[k].weight.detach() for m in models]))
          for k in range(n_layers)]
    bs = [torch.nn.Parameter(torch.stack([m.linear_layers[k].bias.detach() for m in models])) for k in range(n_layers)]
    masks = [torch.stack([m.linear_layers[k].sign_mask for m in models]) for k in range(n_layers)]
    opt = torch.optim.Adam([*Ws, *bs], lr=lr, weight_decay=weight_decay, foreach=True)
    R = len(models)
    h0 = Xt.unsqueeze(0).expand(R, *Xt.shape)  # (R, n, d)

    def forward() -> torch.Tensor:
        h = h0
        for k in range(n_layers):
            h = torch.baddbmm(bs[k].unsqueeze(1), h, Ws[k].transpose(1, 2))  # (R, n, H_k)
            if k < n_layers - 1:
                h = act(h)
        return h

    def member_losses(out: torch.Tensor) -> torch.Tensor:  # (R,)
        if head == "binary":
            target = yt.float().unsqueeze(0).expand(R, -1)
            return F.binary_cross_entropy_with_logits(out[..., 0], target, reduction="none").mean(1)
        if head == "softmax":
            return F.cross_entropy(out.transpose(1, 2), yt.unsqueeze(0).expand(R, -1), reduction="none").mean(1)
        return F.mse_loss(out, yt.unsqueeze(0).expand(R, *yt.shape), reduction="none").flatten(1).mean(1)

    for epoch in range(epochs):
        total = member_losses(forward()).sum()  # (): members' losses add up, so each gets its own gradient
        descend(opt, total)
        check_finite(total.item(), epoch + 1, "of the batched networks")
        with torch.no_grad():
            for W, mask in zip(Ws, masks, strict=True):
                W.masked_fill_(mask * W < 0, 0.0)
    with torch.no_grad():
        final = member_losses(forward())
        for r, m in enumerate(models):
            for k, layer in enumerate(m.linear_layers):
                layer.weight.copy_(Ws[k][r])
                layer.bias.copy_(bs[k][r])
            m.eval()
    return [float(v) for v in final]
