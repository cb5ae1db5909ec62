"""Sign specifications: which sign each weight of a layer may take.

A *sign mask* is a tensor of the weight's shape with entries

* ``+1``: the weight must be non-negative (the paper's DNN+ constraint, Definition 1.2),
* ``-1``: the weight must be non-positive,
* ``0``: the weight is free.

Every signed layer accepts any of these *sign specifications* and turns it into a
mask with :func:`sign_mask`:

``"free"``, ``"nonneg"``, ``"nonpos"``
    the same sign for every weight;
a mask of the weight's shape
    entries in {+1, -1, 0}, as above;
a vector with one entry per input feature (or input channel)
    scikit-learn's ``monotonic_cst`` convention for a *first* layer: +1 makes the
    layer non-decreasing in that feature, -1 non-increasing, 0 leaves it free.
    Column ``i`` of the mask is set to ``cst[i]``.

:func:`flip_mask` negates chosen entries of a mask: the paper's Figure 1 makes a
DNN+ solve XOR by flipping the sign of a single weight.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import torch

from signnet.errors import SignnetError, choice_error

NAMED_SIGNS = {"free": 0, "nonneg": 1, "nonpos": -1}


def sign_mask(spec, shape: Sequence[int]) -> torch.Tensor:
    """Turn a sign specification into a mask of ``shape``.

    Args:
        spec: ``"free"``, ``"nonneg"``, ``"nonpos"``, a mask of ``shape`` with
            entries in {+1, -1, 0}, or a per-input vector of length ``shape[1]``
            (``monotonic_cst`` convention: +1 increasing, -1 decreasing, 0 free).
        shape: the weight's shape, ``(out, in)`` or ``(out, in, kh, kw)``.

    Returns:
        A float tensor of ``shape`` with entries in {+1., -1., 0.}.

    Examples:
        >>> sign_mask("nonneg", (2, 3))
        tensor([[1., 1., 1.],
                [1., 1., 1.]])
        >>> sign_mask([1, -1, 0], (2, 3))
        tensor([[ 1., -1.,  0.],
                [ 1., -1.,  0.]])
    """
    shape = tuple(int(s) for s in shape)
    if isinstance(spec, str):
        if spec not in NAMED_SIGNS:
            raise choice_error("sign specification", spec, [*NAMED_SIGNS, "a mask", "a per-input vector"])
        return torch.full(shape, float(NAMED_SIGNS[spec]), device="cpu")  # checked and built on the CPU, even
        # under a `with torch.device("meta")` block; the layer moves it to its own device
    try:
        values = torch.as_tensor(np.asarray(spec, dtype=np.float64), dtype=torch.float32, device="cpu")
    except (TypeError, ValueError) as exc:
        raise SignnetError(
            f"Sign specification {spec!r} is neither a name nor numeric; "
            "give 'free', 'nonneg', 'nonpos', a mask or a per-input vector of +1/-1/0."
        ) from exc
    bad = ~((values == 1) | (values == -1) | (values == 0))
    if bad.any():
        raise SignnetError(
            f"Sign specification has entries {sorted(set(values[bad].tolist()))} outside "
            "{+1, -1, 0}; use +1 for non-negative, -1 for non-positive, 0 for free."
        )
    if tuple(values.shape) == shape:
        return values.clone()
    if values.dim() == 1 and len(shape) >= 2 and values.shape[0] == shape[1]:
        view = [1, shape[1]] + [1] * (len(shape) - 2)
        return values.reshape(view).expand(shape).clone()
    raise SignnetError(
        f"Sign mask of shape {tuple(values.shape)} does not match the weight of shape {shape}; "
        f"give a mask of shape {shape} or a per-input vector of length {shape[1] if len(shape) > 1 else shape[0]}."
    )


def flip_mask(mask: torch.Tensor, indices: Iterable) -> torch.Tensor:
    """Return a copy of ``mask`` with the sign of the chosen entries negated.

    Args:
        mask: a sign mask (entries +1, -1, 0).
        indices: weight positions, each a tuple of the weight's rank, e.g.
            ``[(0, 1)]`` flips the weight from input 1 to unit 0 of a linear layer.

    Raises:
        SignnetError: if an index is out of range or names a free (0) entry:
            a free weight has no sign to flip.
    """
    out = mask.clone()
    for index in indices:
        idx = tuple(int(i) for i in (index if isinstance(index, Sequence) else (index,)))
        if len(idx) != mask.dim() or any(not 0 <= i < s for i, s in zip(idx, mask.shape, strict=True)):
            raise SignnetError(
                f"Weight index {idx} is not inside a weight of shape {tuple(mask.shape)}; "
                f"give {mask.dim()} indices, each below the matching size."
            )
        if out[idx] == 0:
            raise SignnetError(
                f"Weight {idx} is free (sign 0), so there is no sign to flip; "
                "flip only constrained weights, or set the sign with a mask."
            )
        out[idx] = -out[idx]
    return out


def describe_mask(mask: torch.Tensor) -> str:
    """Short text for a mask: 'free', 'nonneg', 'nonpos' or 'mixed(+a/-b/0c)'."""
    values = set(torch.unique(mask).tolist())
    for name, sign in NAMED_SIGNS.items():
        if values == {float(sign)}:
            return name
    pos, neg = int((mask > 0).sum()), int((mask < 0).sum())
    free = mask.numel() - pos - neg
    return f"mixed(+{pos}/-{neg}/0:{free})"
