"""The ``signnet`` command line: the error boundary (:mod:`.main`) and one module per sub-command."""

from signnet.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
