"""Shared pieces of the sub-commands: common options, list parsing, output.

Every sub-command module defines ``register(subparsers)``, which adds its parser
and sets ``run`` to a function ``run(args) -> int``.
"""

from __future__ import annotations

import argparse

from signnet.errors import SignnetError
from signnet.report.artifacts import to_json


def add_seed(parser: argparse.ArgumentParser) -> None:
    """Add ``--seed`` (every command takes one; :func:`signnet.cli.main.main` checks it)."""
    parser.add_argument("--seed", type=int, default=0,
                        help="random seed in 0..4294967295 (default 0); the same seed repeats the run")


def add_json(parser: argparse.ArgumentParser) -> None:
    """Add ``--json``: print one JSON object instead of a text summary."""
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def parse_int_list(text: str, what: str, *, allow=None, positive: bool = False) -> list[int]:
    """Parse ``"16,16"`` into ``[16, 16]``; an empty string gives ``[]``.

    Raises:
        SignnetError: an entry is not an integer (``"16,,16"``, ``"a"``), is below 1
            with ``positive``, or is not in ``allow``.
    """
    if text.strip() == "":
        return []
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        example = ",".join(str(a) for a in sorted(allow, reverse=True)) if allow is not None else "16,16"
        raise SignnetError(f"{what} {text!r} must be comma-separated integers, e.g. {example}.") from None
    if positive and any(v <= 0 for v in values):
        raise SignnetError(f"{what} {text!r} must hold sizes of 1 or more.")
    if allow is not None and any(v not in allow for v in values):
        raise SignnetError(f"{what} {text!r} may hold only {', '.join(str(a) for a in sorted(allow))}.")
    return values


def config_of(args) -> dict:
    """The command's arguments as recorded in a result's provenance block."""
    return {k: v for k, v in vars(args).items() if k not in ("run", "json")}


def emit(result: dict, as_json: bool, summary: str) -> None:
    """Print ``result`` as JSON, or ``summary`` as text."""
    print(to_json(result) if as_json else summary)
