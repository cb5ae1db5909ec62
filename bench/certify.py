"""Benchmark: how long :func:`signnet.certificate.certify` takes on a ~10M-parameter MLP.

Prints, for a DNN+ and an ordinary (mixed-sign) DNN, the median wall time of a
certificate and its ratio to one forward pass of a batch of 1000 inputs. The
certificate works backwards from the outputs (one row per output), so its cost
is close to that of a forward pass of a batch of ``n_outputs`` samples plus one
or two passes over the weights to split them by sign.

Run: ``.venv/bin/python bench/certify.py [--threads 2] [--repeat 5]``.
"""

from __future__ import annotations

import argparse

import torch

from _timing import median_seconds
from signnet import MLP
from signnet.theory.certificate import certify


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--in-features", type=int, default=1000)
    parser.add_argument("--hidden", default="2000,2000,2000")
    parser.add_argument("--outputs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    hidden = tuple(int(h) for h in args.hidden.split(","))
    head = "binary" if args.outputs == 1 else "softmax"
    x = torch.randn(args.batch, args.in_features)
    print(f"MLP({args.in_features}, {hidden}, {args.outputs}), head={head}, {torch.get_num_threads()} threads")
    for weights in ("nonneg", "free"):
        model = MLP(args.in_features, hidden, args.outputs, weights=weights, head=head).eval()
        n_params = sum(p.numel() for p in model.parameters())
        with torch.no_grad():
            t_fwd = median_seconds(lambda model=model: model(x), args.repeat)
        t_cert = median_seconds(lambda model=model: certify(model), args.repeat)
        cert = certify(model)
        print(f"  {weights:>6}: {n_params / 1e6:.2f}M parameters | certify {t_cert * 1000:7.1f} ms | "
              f"forward(batch {args.batch}) {t_fwd * 1000:7.1f} ms | ratio {t_cert / t_fwd:.3f} | "
              f"preserves dominance: {cert.preserves_dominance}, convex: {cert.convex[0]}")


if __name__ == "__main__":
    main()
