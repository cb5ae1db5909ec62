"""Cost of sign enforcement: SignedLinear / SignedConv2d against torch.nn.Linear / Conv2d.

Run: .venv/bin/python bench/layers.py [--quick] [--threads N]

For each enforcement method the bench times one training step's forward and
backward pass of ``SignedLinear(1024, 1024, sign="nonneg")`` on a batch of 512
and divides it by the same for ``torch.nn.Linear(1024, 1024)``, built in the same
process:

* ``project``: the forward pass is nn.Linear's own; the column "with projection"
  adds ``layer.project_()``, the step that runs after every optimiser step.
* ``reparam``: the weight is ``softplus(v)`` (or ``abs(v)``), recomputed by
  ``torch.nn.utils.parametrize`` at each forward and differentiated in backward.
* ``penalty``: the loss includes ``layer.penalty()``.

Method: 3 warm-up steps per case, then ``rounds`` rounds; in each round every
case is timed over ``inner`` steps, in an order that rotates from round to round
(interleaved, so drift in the machine's speed hits every case alike). A case's
ratio is the median over rounds of (case time / reference time in that round).
The issue's targets are printed beside the ratios; nothing is asserted.

A breakdown for reparam splits its overhead into parametrize's bookkeeping and
the transform itself (``F.linear(x, softplus(v))`` without parametrize).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

import signnet
from signnet import SignedConv2d, SignedLinear

TARGETS = {"project": 1.2, "reparam": 1.5}


def make_step(module: nn.Module, x: torch.Tensor, extra=None, post=None, forward=None):
    """One forward + backward pass (loss = sum of outputs [+ extra()]), then ``post()``."""
    params = list(module.parameters())
    run = forward or module

    def step():
        for p in params:
            p.grad = None
        loss = run(x).sum()
        if extra is not None:
            loss = loss + extra()
        loss.backward()
        if post is not None:
            post()

    return step


def measure(cases: dict, rounds: int, inner: int) -> dict:
    """Interleaved timings: ``{name: [seconds per step, one entry per round]}``."""
    names = list(cases)
    for step in cases.values():  # warm-up
        for _ in range(3):
            step()
    times = {name: [] for name in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            step = cases[name]
            start = time.perf_counter()
            for _ in range(inner):
                step()
            times[name].append((time.perf_counter() - start) / inner)
    return times


def ratios(times: dict, ref: str) -> dict:
    """Median over rounds of case / reference (paired by round), and median milliseconds."""
    out = {}
    for name, ts in times.items():
        out[name] = (statistics.median(t / r for t, r in zip(ts, times[ref], strict=True)), 1e3 * statistics.median(ts))
    return out


def linear_cases(batch: int, size: int):
    torch.manual_seed(0)
    x = torch.randn(batch, size)
    ref = nn.Linear(size, size)
    proj = SignedLinear(size, size, sign="nonneg", method="project")
    rep_sp = SignedLinear(size, size, sign="nonneg", method="reparam", transform="softplus")
    rep_abs = SignedLinear(size, size, sign="nonneg", method="reparam", transform="abs")
    pen = SignedLinear(size, size, sign="nonneg", method="penalty", strength=1.0)
    # the same arithmetic as reparam/softplus, without parametrize's bookkeeping
    v = rep_sp.parametrizations.weight.original.detach().clone().requires_grad_(True)
    bias = rep_sp.bias.detach().clone().requires_grad_(True)
    holder = nn.Module()
    holder.v, holder.b = nn.Parameter(v), nn.Parameter(bias)
    cases = {
        "nn.Linear": make_step(ref, x),
        "project": make_step(proj, x),
        "project+proj": make_step(proj, x, post=proj.project_),
        "reparam/softplus": make_step(rep_sp, x),
        "reparam/abs": make_step(rep_abs, x),
        "penalty": make_step(pen, x, extra=pen.penalty),
        "F.linear(x, softplus(v))": make_step(holder, x, forward=lambda t: F.linear(t, F.softplus(holder.v), holder.b)),
    }
    return cases


def conv_cases(batch: int, channels: int, hw: int):
    torch.manual_seed(0)
    x = torch.randn(batch, channels, hw, hw)
    ref = nn.Conv2d(channels, channels, 3, padding=1)
    proj = SignedConv2d(channels, channels, 3, padding=1, sign="nonneg", method="project")
    rep = SignedConv2d(channels, channels, 3, padding=1, sign="nonneg", method="reparam", transform="softplus")
    pen = SignedConv2d(channels, channels, 3, padding=1, sign="nonneg", method="penalty")
    return {
        "nn.Conv2d": make_step(ref, x),
        "project": make_step(proj, x),
        "project+proj": make_step(proj, x, post=proj.project_),
        "reparam/softplus": make_step(rep, x),
        "penalty": make_step(pen, x, extra=pen.penalty),
    }


def transform_cost(size: int, rounds: int, inner: int) -> dict:
    """Forward + backward of the transforms alone on a (size, size) weight, in ms."""
    torch.manual_seed(0)
    v = torch.randn(size, size, requires_grad=True)

    def cost(fn):
        def step():
            v.grad = None
            fn(v).sum().backward()
        return step

    times = measure({"softplus": cost(F.softplus), "abs": cost(torch.abs)}, rounds, inner)
    return {k: 1e3 * statistics.median(ts) for k, ts in times.items()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run, noisier)")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    rounds, inner = (5, 2) if args.quick else (21, 3)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"signnet {signnet.__version__}, torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"{torch.get_num_threads()} threads, load average {load:.1f}; {rounds} rounds x {inner} steps, "
          "median of per-round ratios")

    print("\nSignedLinear(1024, 1024, sign='nonneg') / nn.Linear(1024, 1024), batch 512, forward + backward")
    lin = ratios(measure(linear_cases(512, 1024), rounds, inner), "nn.Linear")
    header = f"{'method':<20}{'ratio':>8}{'with projection':>17}{'target':>8}{'ms/step':>9}"
    print(header)
    print("-" * len(header))
    print(f"{'nn.Linear':<20}{1.0:>8.2f}{'':>17}{'':>8}{lin['nn.Linear'][1]:>9.1f}")
    print(f"{'project':<20}{lin['project'][0]:>8.2f}{lin['project+proj'][0]:>17.2f}{TARGETS['project']:>8.1f}"
          f"{lin['project'][1]:>9.1f}")
    for name in ("reparam/softplus", "reparam/abs"):
        print(f"{name:<20}{lin[name][0]:>8.2f}{'':>17}{TARGETS['reparam']:>8.1f}{lin[name][1]:>9.1f}")
    print(f"{'penalty':<20}{lin['penalty'][0]:>8.2f}{'':>17}{'-':>8}{lin['penalty'][1]:>9.1f}")

    print("\nSignedConv2d(64, 64, 3, padding=1, sign='nonneg') / nn.Conv2d, input (16, 64, 32, 32), forward + backward")
    conv = ratios(measure(conv_cases(16, 64, 32), max(3, rounds // 2), inner), "nn.Conv2d")
    print(header)
    print("-" * len(header))
    print(f"{'nn.Conv2d':<20}{1.0:>8.2f}{'':>17}{'':>8}{conv['nn.Conv2d'][1]:>9.1f}")
    print(f"{'project':<20}{conv['project'][0]:>8.2f}{conv['project+proj'][0]:>17.2f}{TARGETS['project']:>8.1f}"
          f"{conv['project'][1]:>9.1f}")
    print(f"{'reparam/softplus':<20}{conv['reparam/softplus'][0]:>8.2f}{'':>17}{TARGETS['reparam']:>8.1f}"
          f"{conv['reparam/softplus'][1]:>9.1f}")
    print(f"{'penalty':<20}{conv['penalty'][0]:>8.2f}{'':>17}{'-':>8}{conv['penalty'][1]:>9.1f}")

    print("\nWhere reparam's time goes (1024 x 1024 weight, ms per step)")
    tc = transform_cost(1024, rounds, inner)
    base, sp = lin["nn.Linear"][1], lin["reparam/softplus"][1]
    manual = lin["F.linear(x, softplus(v))"][1]
    print(f"  softplus(v) forward + backward alone     {tc['softplus']:7.2f}")
    print(f"  abs(v) forward + backward alone          {tc['abs']:7.2f}")
    print(f"  F.linear(x, softplus(v)), no parametrize {manual:7.2f}  (ratio {lin['F.linear(x, softplus(v))'][0]:.2f})")
    print(f"  parametrize bookkeeping (reparam - above) {sp - manual:6.2f}")
    print(f"  nn.Linear                                {base:7.2f}")


if __name__ == "__main__":
    main()
