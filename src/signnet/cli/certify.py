"""``signnet certify``: prove from the weights in which inputs a saved network is monotone.

Uses :func:`signnet.certificate.certify` (Theorem 1.1 of Wang et al. applied
path by path): per output, or per logit difference of a softmax head, one entry
per input: 1 (non-decreasing), -1 (non-increasing), 0 (constant) or null (not
provable), and whether the output is convex, concave or affine. With
``--monotonic-cst`` it also says, per constrained input, whether the required
direction is proved, and names the free inputs it proves nothing about.
"""

from __future__ import annotations

import time

from signnet.cli.audit_options import add_audit_options, audit_options
from signnet.cli.common import add_json, add_seed, config_of, emit
from signnet.report.artifacts import run_metadata
from signnet.theory.certificate import certify
from signnet.train.checkpoint import load
from signnet.validation import check_checkpoint_path, check_count

_SYMBOL = {1: "+", -1: "-", 0: "0", None: "?"}


def register(sub) -> None:
    p = sub.add_parser("certify", help="prove monotonicity and convexity of a saved network from its weights",
                       description="Static certificate (Theorem 1.1 path by path): for every output and input, "
                                   "+1 non-decreasing, -1 non-increasing, 0 constant, null not provable.")
    p.add_argument("model", help="checkpoint written by `signnet train --save`")
    p.add_argument("--explain", type=int, default=3, metavar="K",
                   help="name a positive and a negative path for up to K unprovable entries (default 3)")
    add_audit_options(p)
    add_seed(p)
    add_json(p)
    p.set_defaults(run=run)


def certificate_result(cert, explain: int = 3) -> dict:
    """The JSON fields of a certificate, with mixed paths for up to ``explain`` unprovable entries."""
    result = cert.to_dict()
    result["mixed_paths"] = [
        {"output": cert.outputs[j], "input": cert.inputs[i],
         **{k: [list(h) for h in hops] for k, hops in cert.explain(j, i).items()}}
        for j, i in cert.unprovable()[: max(explain, 0)]
    ]
    return result


def summary(cert) -> str:
    lines = []
    for name, row, cvx in zip(cert.outputs, cert.monotone, cert.convex, strict=True):
        entries = " ".join(f"{inp}{_SYMBOL[v]}" for inp, v in zip(cert.inputs, row, strict=True))
        lines.append(f"{name}: {entries}  [{cvx or 'convexity not proved'}]")
    verdict = ("preserves dominance (Theorem 1.1)" if cert.preserves_dominance
               else "monotone in every input" if cert.is_monotone else "not certified monotone")
    lines.append(f"{verdict}; {cert.seconds:.3f} s")
    if cert.monotonic_cst is not None:
        lines.append(f"monotonic_cst {cert.monotonic_cst}: {cert.cst_summary()}")
    return "\n".join(lines)


def run(args) -> int:
    start = time.perf_counter()
    args.explain = check_count(args.explain, "--explain")
    model = load(check_checkpoint_path(args.model))
    cst, device = audit_options(args, model.config["in_features"])
    cert = certify(model, monotonic_cst=cst, device=device)
    config = config_of(args)
    result = {"model": args.model, "head": model.head, **certificate_result(cert, args.explain),
              "seconds": round(time.perf_counter() - start, 4), **run_metadata(config, args.seed)}
    emit(result, args.json, summary(cert))
    return 0
