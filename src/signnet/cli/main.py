"""The ``signnet`` command line.

Each sub-command lives in its own module of :mod:`signnet.commands` and
provides ``register(subparsers)``. Bad input (a :class:`~signnet.errors.SignnetError`,
a missing file) ends the program with one readable line on stderr and exit
status 2; nothing is written.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from signnet import __version__
from signnet.errors import SignnetError

# sub-command modules under signnet.commands, in the order `--help` lists them
COMMANDS = ("train", "ceiling", "certify", "check", "reproduce", "census", "zigzag", "positive_output")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="signnet", description="Neural networks whose signs are constrained.")
    parser.add_argument("--version", action="version", version=f"signnet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"signnet.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"signnet.cli.{name}":
                continue  # not built yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``signnet``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except (SignnetError, FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"signnet {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"signnet {args.command}: interrupted; nothing was written.", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
