"""Options shared by the audit commands (``certify``, ``check``): ``--device`` and ``--monotonic-cst``."""

from __future__ import annotations

import argparse

import numpy as np

from signnet.errors import SignnetError
from signnet.theory._cst import as_monotonic_cst
from signnet.theory._device import DEVICES, resolve_device


def add_audit_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--device`` and ``--monotonic-cst``."""
    parser.add_argument("--device", default=None,
                        help=f"where the model runs: {', '.join(DEVICES)} or cuda:N; auto is CUDA when available "
                             "(default: cpu)")
    parser.add_argument("--monotonic-cst", default=None, metavar="C",
                        help="required direction per input, comma-separated: 1 increasing, -1 decreasing, "
                             "0 free (held fixed); write it with '=' when it starts with -1, e.g. "
                             "--monotonic-cst=-1,1,0 (default: the monotonic_cst the network was built with, else every input 1)")


def audit_options(args, n_features: int) -> tuple[np.ndarray | None, object]:
    """``(monotonic_cst, device)`` from the parsed options, checked against ``n_features`` inputs."""
    device = resolve_device(args.device, name="--device")
    if args.monotonic_cst is None:
        return None, device
    text = args.monotonic_cst
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        values = None
    if values is None or any(v not in (-1, 0, 1) for v in values):
        raise SignnetError(f"--monotonic-cst {text!r} must be comma-separated values -1, 0 or 1, one per input, "
                           f"e.g. {','.join(['1'] * n_features)}.")
    return as_monotonic_cst(values, n_features, name="--monotonic-cst", width_of="the network"), device
