"""Networks per second of signnet.fit_batched, against its previous implementation and a loop of signnet.fit.

Run: .venv/bin/python bench/batched.py [--quick] [--device cpu|cuda|auto] [--threads N] [--compile]
     [--sizes 1,16,256,4096] [--epochs 200] [--budget 20]

Task (issue 10): XOR (``make_problem("xor", n=2000)``), ``MLP(2, (16, 16))``
with a binary head, full-batch Adam, lr 0.01, 200 epochs, projection onto
non-negative weights (a DNN+; the projection costs the same for any mask).

For each ensemble size ``R`` four ways of training ``R`` networks are timed
in the same process, interleaved over ``rounds`` rounds (median taken):

* ``fit_batched``: this version (on ``--device``; with its default ``threads="auto"``: on the CPU
  its chunks of members spread over one Python thread per core, torch on one thread each, unless
  ``--threads`` sets torch's count for every case);
* ``fb 1 thread``: the same with ``threads=1`` (CPU, without ``--threads``): what the threads add;
* ``baseline``: :func:`baseline_fit_batched` below, the implementation before
  issue 10 (autograd through ``torch.baddbmm``, ``torch.optim.Adam``), CPU only;
* ``loop of fit``: ``signnet.fit`` on a few networks (``--loop-nets``), its
  time per network multiplied by ``R`` (an extrapolation, marked ``*``).

Each case runs at most ``--budget`` seconds of estimated wall time: when 200
epochs of ``R`` networks would take longer, it runs fewer epochs and its time is
scaled to 200 epochs (linear in epochs: the step costs the same every epoch);
the column ``epochs run`` says how many. The scaling also multiplies a call's
fixed costs (stacking R networks and copying them back), so a case run for few
epochs looks slower than it is. Networks per second = ``R`` / (seconds
for 200 epochs). Times are wall-clock; the ``cpu`` columns give the process's
CPU time, which moves less than wall time when other jobs load the machine.

Measured (session 6, 2-core AMD EPYC with AVX-512, load average 1.3, ``--sizes 1,16,64,256 --budget 10``),
networks per second, fit_batched (threads="auto") / fb 1 thread / baseline: R = 1 17.9 / 18.0 / 6.8
(2.64x), R = 16 45.6 / 41.9 / 19.2 (2.38x), R = 64 55.5 / 40.9 / 22.2 (2.50x; the threads 1.36x),
R = 256 53.6 / 42.2 / 22.3 (2.40x; 184 epochs run; the threads 1.27x). Issue 10's 3x is not reached at these
sizes. Session 7, ``--sizes 4096 --epochs 30 --budget 100 --rounds 1 --loop-nets 1`` (every case ran its 30
epochs; one round): R = 4096 fit_batched 12.98 s, fb 1 thread 16.12 s, baseline 66.50 s (5.12x), presumably
because the baseline's activations (R x 16 x 2000 floats, 500 MB a layer) fit no cache. On the same
machine one 2048 x 2048 ``torch.mm`` ran 87 GFLOP/s on one thread and 124-140 on two (1.4-1.6x), so a
second thread cannot double even pure arithmetic here.
A second thread adds 1.1-1.4x, not 2x; the step is many small operations, and smaller chunks make
two threads slower than one, which suggests (not measured directly) that the time Python's lock is
held while each operation is dispatched limits them. A hand-fused numba kernel (session 5) and
``compile=True`` on the CPU (0.7-1.2x of the baseline here) were slower. Session 5, on an AVX2
machine of the same size: 1.9-2.2x on one thread.
Ratios of 4.3x quoted earlier came from runs where other jobs slowed the two-threaded baseline.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import torch
import torch.nn.functional as F

import signnet
from signnet import MLP, fit, fit_batched, make_problem
from signnet.train.loop import check_finite, descend


# The implementation of fit_batched before issue 10 (git 5ec402e, src/signnet/train/batched.py), kept as the
# baseline the new one is measured against: autograd through baddbmm and torch.optim.Adam over stacked weights.
def baseline_fit_batched(models, X, y, *, epochs=300, lr=0.01):
    Xt = torch.as_tensor(X, dtype=torch.float32)
    yt = torch.as_tensor(y)
    act = models[0][1]
    n_layers = len(models[0].linear_layers)
    Ws = [torch.nn.Parameter(torch.stack([m.linear_layers[k].weight.detach() for m in models])) for k in range(n_layers)]
    bs = [torch.nn.Parameter(torch.stack([m.linear_layers[k].bias.detach() for m in models])) for k in range(n_layers)]
    masks = [torch.stack([m.linear_layers[k].sign_mask for m in models]) for k in range(n_layers)]
    opt = torch.optim.Adam([*Ws, *bs], lr=lr, foreach=True)
    R = len(models)
    h0 = Xt.unsqueeze(0).expand(R, *Xt.shape)

    def forward():
        h = h0
        for k in range(n_layers):
            h = torch.baddbmm(bs[k].unsqueeze(1), h, Ws[k].transpose(1, 2))
            if k < n_layers - 1:
                h = act(h)
        return h

    def member_losses(out):
        target = yt.float().unsqueeze(0).expand(R, -1)
        return F.binary_cross_entropy_with_logits(out[..., 0], target, reduction="none").mean(1)

    for epoch in range(epochs):
        total = member_losses(forward()).sum()
        descend(opt, total)
        check_finite(total.item(), epoch + 1, "of the batched networks")
        with torch.no_grad():
            for W, mask in zip(Ws, masks, strict=True):
                W.masked_fill_(mask * W < 0, 0.0)
    with torch.no_grad():
        return [float(v) for v in member_losses(forward())]


def build(R: int, device="cpu") -> list[MLP]:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return [MLP(2, (16, 16), weights="nonneg", device=device) for _ in range(R)]


def timed(fn) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="R = 1, 16, 256; one round; 5 s budget")
    parser.add_argument("--device", default="cpu", help="fit_batched's device: cpu, cuda or auto")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--compile", action="store_true", help="fit_batched(compile=True); compile time printed apart")
    parser.add_argument("--sizes", default="1,16,256,4096", help="ensemble sizes R")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--budget", type=float, default=20.0, help="seconds of wall time per case at most (estimated)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--loop-nets", type=int, default=3, help="networks trained by the loop of fit")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    sizes = [1, 16, 256] if args.quick else [int(s) for s in args.sizes.split(",")]
    rounds, budget = (1, 5.0) if args.quick else (args.rounds, args.budget)
    device = "cuda" if args.device == "auto" and torch.cuda.is_available() else "cpu" if args.device == "auto" else args.device
    E = args.epochs
    data = make_problem("xor", n=2000, seed=0)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    gpu = torch.cuda.get_device_name() if device.startswith("cuda") else ""
    print(f"signnet {signnet.__version__}, torch {torch.__version__}, {platform.machine()}, {os.cpu_count()} cores, "
          f"{torch.get_num_threads()} threads, load average {load:.1f}; fit_batched on {device} {gpu}")
    print(f"task: XOR n=2000, MLP(2, (16, 16)) DNN+, Adam lr 0.01, {E} epochs; median of {rounds} round(s); "
          f"at most ~{budget:.0f} s per case (fewer epochs, scaled to {E})")
    if args.compile:
        t = time.perf_counter()
        fit_batched(build(16), data.X, data.y, epochs=2, device=device, compile=True)
        print(f"compile (first call, R=16): {time.perf_counter() - t:.1f} s; later calls of the same shape reuse it")

    def run_batched(R, epochs):
        ms = build(R)
        return timed(lambda: (fit_batched(ms, data.X, data.y, epochs=epochs, device=device, compile=args.compile,
                                          threads=None if args.threads else "auto"),
                              sync(device)))

    def run_one_thread(R, epochs):
        ms = build(R)
        return timed(lambda: fit_batched(ms, data.X, data.y, epochs=epochs, device=device, threads=1))

    def run_baseline(R, epochs):
        ms = build(R)
        return timed(lambda: baseline_fit_batched(ms, data.X, data.y, epochs=epochs))

    def run_loop(R, epochs):
        ms = build(min(R, args.loop_nets))
        wall, cpu = timed(lambda: [fit(m, data.X, data.y, epochs=epochs, patience=None, progress=False) for m in ms])
        return wall * R / len(ms), cpu * R / len(ms)

    cases = {"fit_batched": run_batched, "baseline": run_baseline, "loop of fit": run_loop}
    if device == "cpu" and not args.threads:  # what the threads of threads="auto" add
        cases = {"fit_batched": run_batched, "fb 1 thread": run_one_thread, **{k: v for k, v in cases.items() if k != "fit_batched"}}
    header = (f"{'R':>5} {'case':<12} {'epochs run':>10} {'s (wall)':>9} {'nets/s':>9} {'s (cpu)':>9} "
              f"{'vs baseline':>11} {'vs baseline cpu':>15} {'vs loop':>8}")
    print(header)
    print("-" * len(header))
    for R in sizes:
        for fn in cases.values():  # warm-up
            fn(R, 1)
        probe = {name: fn(R, 3)[0] / 3 for name, fn in cases.items()}  # seconds per epoch, roughly
        run_epochs = {name: max(3, min(E, int(budget / max(p, 1e-9)))) for name, p in probe.items()}
        times = {name: [] for name in cases}
        for r in range(rounds):
            names = list(cases)[r % len(cases):] + list(cases)[:r % len(cases)]
            for name in names:
                wall, cpu = cases[name](R, run_epochs[name])
                times[name].append((wall * E / run_epochs[name], cpu * E / run_epochs[name]))
        med = {name: (statistics.median(w for w, _ in ts), statistics.median(c for _, c in ts)) for name, ts in times.items()}
        for name in cases:
            wall, cpu = med[name]
            star = "*" if name == "loop of fit" and R > args.loop_nets else ""
            vs_base = med["baseline"][0] / wall
            vs_base_cpu = med["baseline"][1] / cpu if cpu > 0 else float("nan")
            print(f"{R:>5} {name:<12} {run_epochs[name]:>10} {wall:>9.2f} {R / wall:>8.1f}{star:1} {cpu:>9.2f} "
                  f"{vs_base:>10.2f}x {vs_base_cpu:>14.2f}x {med['loop of fit'][0] / wall:>7.2f}x", flush=True)
    print("nets/s = R / seconds for the full epochs; * = extrapolated from the loop's networks; "
          "vs = how many times faster than that case (wall, or process CPU time)")


if __name__ == "__main__":
    main()
