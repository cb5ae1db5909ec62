"""Sign reachability through the stages of a certificate: forwards, backwards, and one path.

Forwards (:func:`forward`): shapes, which units depend on the input at all, and
which are provably convex / concave. Backwards (:func:`backward`): from the
outputs, ``R+ <- [P^T R+ + N^T R- > 0]`` and ``R- <- [P^T R- + N^T R+ > 0]`` with
``P``, ``N`` the 0/1 indicators of positive and negative weights; a
non-monotone element-wise map joins both. :func:`walk` follows the stored
reachability along one path of a given sign (``Certificate.explain``).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from signnet.errors import SignnetError
from signnet.theory._certificate_checks import refuse
from signnet.theory._certificate_stages import F32, Stage


class Hop(NamedTuple):
    """One step of a path: unit ``unit`` (flat index) of the output of flattened module ``layer``.

    ``layer == -1`` is the input. ``sign`` is the sign of the weight taken
    (+1/-1), or 0 where the path changes sign inside a non-monotone activation.
    """

    layer: int
    unit: int
    sign: int


def _b(t: torch.Tensor) -> torch.Tensor:
    return (t > 0).to(F32)


def _shape_error(st: Stage, exc: Exception) -> SignnetError:
    why = str(exc).splitlines()[0].rstrip(".") if str(exc) else type(exc).__name__
    return SignnetError(f"Module {st.index} ({type(st.module).__name__}, '{st.name}') does not accept features of "
                        f"shape {st.in_shape} ({why}); check input_shape and the layer sizes.")


def _reshape(st: Stage, dep: torch.Tensor) -> None:
    """Refuse a Flatten/Unflatten that touches the batch dimension; check it accepts ``st.in_shape``."""
    ndim = len(st.in_shape) + 1
    m = st.module
    first = m.start_dim if hasattr(m, "start_dim") else m.dim
    if (first + ndim if first < 0 else first) < 1:
        raise refuse(st.name, m, "it reshapes the batch dimension, so samples do not stay separate; "
                                 "use start_dim=1 (Flatten) or dim >= 1 (Unflatten)")
    try:
        out = m(torch.zeros((2, *st.in_shape), dtype=F32))
    except (RuntimeError, IndexError, TypeError) as exc:
        raise _shape_error(st, exc) from None
    if out.shape[0] != 2 or out[0].numel() != dep[0].numel():
        raise refuse(st.name, m, "it reshapes the batch dimension, so samples do not stay separate")


def forward(stages: list[Stage], shape: tuple) -> tuple[torch.Tensor, torch.Tensor]:
    """Shapes, dependence and the convex/concave flags of every unit; returns the outputs' flags.

    Sets ``st.in_shape`` on every stage. Raises Refusal (a reshape of the batch)
    or SignnetError (features of the wrong shape).
    """
    dep = torch.ones((1, *shape), dtype=F32)
    cvx, ccv = torch.ones_like(dep), torch.ones_like(dep)
    for st in stages:
        st.in_shape = tuple(dep.shape[1:])
        if st.kind in ("linear", "max"):
            x = torch.cat([dep, 1 - cvx, 1 - ccv])  # one pass: dependence, "not convex", "not concave"
            try:
                p, n = st.op.forward(x, 1), st.op.forward(x, -1)
                real = st.module(torch.zeros((1, *st.in_shape), dtype=F32)) if st.check_shape else p
            except RuntimeError as exc:
                raise _shape_error(st, exc) from None
            if tuple(real.shape[1:]) != tuple(p.shape[1:]):  # pragma: no cover - torch pools agree today
                raise refuse(st.name, st.module, f"its output shape {tuple(real.shape[1:])} differs from the "
                                                 f"shape {tuple(p.shape[1:])} certify computes")
            dep = _b(p[:1] + n[:1])
            if st.kind == "max":  # a max of convex units is convex, of concave ones not
                cvx, ccv = 1 - _b(p[1:2]), torch.zeros_like(dep)
            else:
                cvx, ccv = 1 - _b(p[1:2] + n[2:3]), 1 - _b(p[2:3] + n[1:2])
        elif st.kind == "reshape":
            _reshape(st, dep)
            dep, cvx, ccv = st.module(dep), st.module(cvx), st.module(ccv)
        elif st.info != (True, True, True):  # identity-like maps keep both flags
            mono, a_cvx, a_ccv = st.info
            base_cvx, base_ccv = (cvx, ccv) if mono else (cvx * ccv, cvx * ccv)  # non-monotone: of affine only
            cvx, ccv = base_cvx * a_cvx, base_ccv * a_ccv
        cvx, ccv = torch.maximum(cvx, 1 - dep), torch.maximum(ccv, 1 - dep)  # constants are both
    return cvx[0], ccv[0]


def backward(stages: list[Stage], rp: torch.Tensor, rn: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``(R+, R-)`` at every stage boundary (0 = the input); R+ and R- are stacked to read each part once."""
    states = [None] * len(stages) + [(rp, rn)]
    for k in range(len(stages) - 1, -1, -1):
        st = stages[k]
        if st.kind in ("linear", "max"):
            d, any_n = rp.shape[0], bool(rn.any())
            g = torch.cat([rp, rn]) if any_n else rp
            a, b = st.op.vjp(g, 1, st.in_shape), st.op.vjp(g, -1, st.in_shape)
            rp, rn = (_b(a[:d] + b[d:]), _b(a[d:] + b[:d])) if any_n else (_b(a), _b(b))
        elif st.kind == "reshape":
            rp, rn = rp.reshape(rp.shape[0], *st.in_shape), rn.reshape(rn.shape[0], *st.in_shape)
        elif not st.info[0]:
            rp = rn = torch.maximum(rp, rn)
        states[k] = (rp, rn)
    return states


def state(trace: dict, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Boolean ``(R+, R-)``, shape (n_outputs, units), at boundary ``k``, per certified output.

    Only raw outputs are propagated: the propagation is linear over the OR
    semiring, so the reach of ``z_l - z_k`` is that of ``z_l`` joined with the
    sign-swapped reach of ``z_k`` (K rows for a K-logit softmax, not K (K - 1) / 2).
    """
    p, n = (t.reshape(t.shape[0], -1) > 0 for t in trace["states"][k])
    hi, lo = [a for a, _ in trace["pairs"]], [b for _, b in trace["pairs"]]
    if not lo or lo[0] is None:
        return p[hi], n[hi]
    return p[hi] | n[lo], n[hi] | p[lo]


@torch.no_grad()
def walk(trace: dict, j: int, i: int, sign: int) -> list[Hop]:
    """Follow the stored reachability from input ``i`` along a path of total ``sign`` to output ``j``."""
    unit, s = i, sign
    if trace["per_channel"]:  # the first pixel of channel i that starts such a path
        per = math.prod(trace["shape"][1:])
        start = state(trace, 0)[0 if sign > 0 else 1][j][i * per:(i + 1) * per]
        unit = i * per + int(torch.nonzero(start)[0])
    path = [Hop(-1, unit, 0)]
    for k, st in enumerate(trace["stages"]):
        rp, rn = state(trace, k + 1)
        want = {1: rp[j], -1: rn[j]}
        if st.kind in ("linear", "max"):
            e = torch.zeros(math.prod(st.in_shape), dtype=F32)
            e[unit] = 1.0
            for edge in (1, -1):
                hit = (st.op.forward(e.reshape(1, *st.in_shape), edge).reshape(-1) > 0) & want[s * edge]
                if bool(hit.any()):
                    unit, s = int(torch.nonzero(hit)[0]), s * edge
                    path.append(Hop(st.index, unit, edge))
                    break
            else:  # pragma: no cover - the states guarantee a next hop
                raise AssertionError(f"no path continues at module {st.index}, unit {unit}")
        elif st.kind == "act" and not st.info[0] and not bool(want[s][unit]):
            s = -s
            path.append(Hop(st.index, unit, 0))
    return path
