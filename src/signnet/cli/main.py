"""The ``signnet`` command line and its error boundary.

Each sub-command lives in its own module of :mod:`signnet.cli` and provides
``register(subparsers)``; the experiments (census, zigzag, positive-output) are
registered from :mod:`signnet.experiments.registry` by :mod:`signnet.cli.study`.

The boundary: bad input (a :class:`~signnet.errors.SignnetError`, a usage
error such as ``--n abc``, a file the system refuses) ends the program with
one line on stderr and exit status 2. Commands that write render into a
temporary folder first (:func:`signnet.report.artifacts.staged_folder`), so a
failure or an interrupt (exit status 130) leaves their output as it was.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import sys

from signnet import __version__
from signnet.errors import SignnetError
from signnet.validation import check_seed

# sub-command modules under signnet.cli, in the order `--help` lists them; the studies follow
COMMANDS = ("train", "ceiling", "certify", "check", "reproduce", "sweep", "study")


class UsageError(Exception):
    """A command line argparse cannot parse; ``prog`` names the (sub-)command."""

    def __init__(self, prog: str, message: str):
        super().__init__(message)
        self.prog = prog


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors become one line (no usage block) and exit status 2."""

    def error(self, message: str):  # noqa: D401 - argparse's hook
        raise UsageError(self.prog, f"{message}; see `{self.prog} --help`.")


def build_parser() -> argparse.ArgumentParser:
    """The ``signnet`` parser with every sub-command registered."""
    parser = Parser(prog="signnet", description="Neural networks whose signs are constrained.")
    parser.add_argument("--version", action="version", version=f"signnet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"signnet.cli.{name}").register(sub)
    return parser


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, OSError) and exc.filename is not None:
        text = f"{exc.strerror or type(exc).__name__}: {exc.filename!r}; check the path and its permissions."
    elif isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO):  # no file name to give
        text = f"{exc.strerror or text}; check the output path, its permissions and the free space."
    return text.splitlines()[0] if text else type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``signnet``; returns the exit status (0 done, 2 bad input, 130 interrupted)."""
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
    except UsageError as exc:
        given = list(sys.argv[1:] if argv is None else argv)
        if exc.prog == "signnet" and given and given[0].startswith("-"):  # e.g. `signnet --seed 1 train`
            commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
            command = next((g for g in given if g in commands), "COMMAND")
            print(f"signnet: error: options go after the command: signnet {command} {given[0]} ...; see "
                  f"`signnet {'' if command == 'COMMAND' else command + ' '}--help`.", file=sys.stderr)
            return 2
        print(f"{exc.prog}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    if extra:  # name the sub-command whose options these are not (or signnet's, for those given before it)
        given = list(sys.argv[1:] if argv is None else argv)
        before = args.command in given and extra[0] in given and given.index(extra[0]) < given.index(args.command)
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
        known = extra[0].split("=")[0] in commands[args.command]._option_string_actions
        if before and known:
            print(f"signnet: error: options go after the command: signnet {args.command} {extra[0]} ...; see "
                  f"`signnet {args.command} --help`.", file=sys.stderr)
            return 2
        prog = "signnet" if before else f"signnet {args.command}"
        print(f"{prog}: error: unrecognized arguments: {' '.join(extra)}; see `{prog} --help`.", file=sys.stderr)
        return 2
    try:
        args.seed = check_seed(args.seed, "--seed")
        return int(args.run(args) or 0)
    except (SignnetError, OSError) as exc:
        print(f"signnet {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except (MemoryError, RuntimeError) as exc:
        # numpy's MemoryError ("Unable to allocate ..."); torch's CPU allocator raises a RuntimeError
        if not isinstance(exc, MemoryError) and "can't allocate memory" not in str(exc) \
                and type(exc).__name__ != "OutOfMemoryError":
            raise
        print(f"signnet {args.command}: error: this run needs more memory than the machine gives it "
              f"({_one_line(exc) or 'allocation failed'}); use smaller sizes (points, widths, pairs).", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"signnet {args.command}: interrupted; nothing was written.", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
