"""Sub-commands of the ``signnet`` command line, one module each.

Every module defines ``register(subparsers)``, which adds its parser and sets
``run`` to a function ``run(args) -> int``. Shared option parsers are here.
"""

from __future__ import annotations

import argparse

from signnet.report.artifacts import to_json
from signnet.errors import SignnetError


def add_seed(parser: argparse.ArgumentParser) -> None:
    """Add ``--seed`` (every command takes one)."""
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0); the same seed repeats the run")


def add_json(parser: argparse.ArgumentParser) -> None:
    """Add ``--json``: print one JSON object instead of a text summary."""
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def parse_int_list(text: str, what: str, *, allow=None, positive: bool = False) -> list[int]:
    """Parse ``"16,16"`` into ``[16, 16]``; an empty string gives ``[]``."""
    if text.strip() == "":
        return []
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise SignnetError(f"{what} {text!r} must be comma-separated integers, e.g. 16,16.") from None
    if positive and any(v <= 0 for v in values):
        raise SignnetError(f"{what} {text!r} must hold sizes of 1 or more.")
    if allow is not None and any(v not in allow for v in values):
        raise SignnetError(f"{what} {text!r} may hold only {sorted(allow)}.")
    return values


def emit(result: dict, as_json: bool, summary: str) -> None:
    """Print ``result`` as JSON, or ``summary`` as text."""
    print(to_json(result) if as_json else summary)
