"""The one list of experiments: the command line and ``signnet reproduce --all`` both read it.

Each :class:`Experiment` names a run function ``run(out, *, seed, quick, progress, **options)``
that writes ``results.json``, its figures and ``index.html`` into the folder ``out``
and returns the results, and a section function ``section(out_dir) -> str`` that
reads that folder back into an HTML ``<section>`` for the combined report.
Functions are referenced by import path, so reading the registry imports
nothing heavy; :meth:`Experiment.load_run` imports the module when it runs.

To add an experiment: write its package under :mod:`signnet.experiments`, add an
entry to :data:`EXPERIMENTS`; it then gets a sub-command (unless ``command`` is
``False``), a folder ``reports/<name>`` and a section in ``reproduce --all`` (unless
``in_all`` is ``False``: the benchmark, which takes minutes, runs only on its own).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Option:
    """An extra command-line option of an experiment, passed to its run function as a keyword."""

    flag: str  # the command-line flag, e.g. "--seeds"; the keyword is the flag without dashes, "-" as "_"
    type: str  # "int", "float" or "str"
    default: Any  # the value when the flag is not given (None: the run function's own default)
    help: str  # one line for --help
    check: str | None = None  # a function of signnet.validation applied at the command line, e.g. "check_size"

    @property
    def keyword(self) -> str:
        """The keyword argument of the run function: ``--max-steps`` gives ``max_steps``."""
        return self.flag.lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class Experiment:
    """One experiment: where its code is, how the command line and the combined report show it."""

    name: str  # sub-command and folder under reports/, e.g. "positive-output"
    title: str  # a short title
    module: str  # import path of the module holding `run` and `section`
    run: str  # run(out, *, seed, quick, progress, **options) -> results; "pkg.module:name" for another module
    section: str  # section(out_dir) -> str, the <section> of the combined report; "pkg.module:name" likewise
    help: str  # one line for `signnet --help`
    description: str  # the sub-command's --help description
    quick: str  # help of --quick
    command: bool = True  # a sub-command of its own (Figure 1 is reached through `signnet reproduce`)
    options: tuple[Option, ...] = ()  # extra options beyond --out, --seed, --quick, --json
    in_all: bool = True  # part of `signnet reproduce --all` (False keeps a long run, the benchmark, out of it)

    @property
    def folder(self) -> str:
        """The folder under the reports root, also the default ``--out`` as ``reports/<folder>``."""
        return self.name

    def load_run(self) -> Callable[..., Any]:
        """Import the module and return the run function."""
        return _load(self.module, self.run)

    def load_section(self) -> Callable[..., str]:
        """Import the module and return the section function."""
        return _load(self.module, self.section)


def _load(module: str, name: str) -> Callable[..., Any]:
    """``name`` from ``module``; a name written ``"other.module:function"`` comes from that other module."""
    if ":" in name:
        module, name = name.split(":", 1)
    return getattr(importlib.import_module(module), name)


EXPERIMENTS: tuple[Experiment, ...] = (
    Experiment(
        name="figure1", title="Figure 1", command=False,
        module="signnet.experiments.runner", run="run_figure1", section="figure1_section",
        help="reproduce the paper's Figure 1 as an HTML report",
        description="Reproduce Figure 1 of 'Why do networks need negative weights?' with trained and hand-built "
                    "networks, measured against the exact monotone ceiling.",
        quick="small settings that finish in seconds (for tests)",
        options=(Option("--seeds", "int", None, "training seeds per network (default 5; 1 with --quick)",
                        check="check_size"),),
    ),
    Experiment(
        name="census", title="Do ReLU networks end up with negative weights?",
        module="signnet.experiments.census.run", run="run_census", section="section_html",
        help="count negative weights per layer while ReLU networks train (Q&A seed 000)",
        description="Train a small ReLU CNN and MLP on the bundled digits (weight decay 0/1e-3, ReLU/leaky ReLU, "
                    "centred/uncentred inputs, plus a non-negative start and DNN+ twins) and record the share of "
                    "negative weights per layer and epoch. Writes results.json, PNG figures and index.html.",
        quick="a small subset and 2 epochs (a smoke run, ~10 s)",
    ),
    Experiment(
        name="zigzag", title="All-positive inputs give same-sign gradients",
        module="signnet.experiments.zigzag.run", run="run_zigzag", section="section_html",
        help="same-sign gradients from all-positive inputs, and the zig-zag (Q&A seed 002)",
        description="Measure how often weight gradients have coordinates of one sign (positive versus centred "
                    "inputs), gradient-descent paths of a two-weight neuron, and sigmoid/tanh training curves. "
                    "Writes results.json, PNG figures and index.html.",
        quick="fewer epochs and one seed (a smoke run, ~10 s)",
    ),
    Experiment(
        name="positive-output", title="Non-negative outputs: penalty, Lagrange multipliers or a transform",
        module="signnet.experiments.positive_output.run", run="run_positive_output", section="section_html",
        help="non-negative network outputs: penalty vs Lagrange multipliers vs output transform (Q&A seed 003)",
        description="Fit a regression network to a censored (many zeros) target, whose unconstrained fit predicts "
                    "negative values, and compare a penalty alpha*relu(-pred)^2 (four alphas), exact constraints "
                    "solved with Lagrange multipliers (cooper-optim: slack form and inequality form) and output "
                    "transforms (relu, softplus, exp). Writes results.json, PNG figures and index.html.",
        quick="fewer points and epochs (a smoke run, ~15 s)",
    ),
    Experiment(
        name="budget", title="How many negative weights does each problem need?",
        module="signnet.experiments.budget.run", run="run_budget", section="section_html",
        help="train under a budget of k negative weights on the paper's problems and Figure 1's panels (a sweep)",
        description="For XOR, the positive-slope, closed-shape and disconnected problems and Figure 1's panels, train "
                    "networks allowed at most k negative weights (the training choosing which) over widths and seeds, "
                    "as a sweep (signnet sweep with the spec shipped in the package); report the smallest k reaching "
                    "0.97 test accuracy beside the exact ceiling at k = 0 and the paper's hand-built flips (1, 4, 1). "
                    "Writes results.json, budget.png, index.html and the sweep's table in sweep/.",
        quick="a smoke grid: short trainings, one seed (~30 s)",
        options=(Option("--grid", "str", None, "default (about 140 runs, ~2-3 min on 2 cores), full (about 1,000 runs) "
                        "or quick; default: default, quick with --quick"),
                 Option("--sweep", "str", None, "report on this finished sweep folder (e.g. `signnet sweep budget-full "
                        "--out DIR --engine ray`) instead of running a grid"),
                 Option("--workers", "int", None, "worker processes of the local engine (default 1)",
                        check="check_size")),
    ),
    Experiment(
        name="benchmark", title="Monotone models on real tabular data", in_all=False,
        module="signnet.experiments.benchmark.run", run="run_benchmark", section="section_html",
        help="monotone models against HistGradientBoosting and peers on real tabular data: one protocol, ceiling, audit",
        description="Fit signnet's monotone estimators (when installed), HistGradientBoosting with monotonic_cst, "
                    "an unconstrained MLP and monotonicnetworks (when installed) on Auto MPG, diabetes, breast "
                    "cancer, COMPAS, Adult and heart disease under one protocol: seeded random splits, every choice "
                    "on validation rows carved from the training rows, test metric mean +- std, parameters, fit "
                    "seconds, audited violating pairs and, for binary labels, the exact monotone ceiling of the "
                    "test rows. Writes results.json, partial-dependence PNGs and index.html. Not part of "
                    "`reproduce --all` (it takes minutes).",
        quick="auto_mpg, heart and compas, 2 splits, 30 epochs (a smoke run, under 2 minutes)",
        options=(Option("--datasets", "str", None, "comma-separated data sets (default: all six; with --quick "
                        "auto_mpg,heart,compas)"),
                 Option("--splits", "int", None, "random splits per data set (default 3; 2 with --quick)",
                        check="check_size")),
    ),
)


def get(name: str) -> Experiment:
    """The experiment called ``name``.

    Raises:
        SignnetError: no experiment has that name.
    """
    for exp in EXPERIMENTS:
        if exp.name == name:
            return exp
    from signnet.errors import choice_error

    raise choice_error("experiment", name, [e.name for e in EXPERIMENTS])


def names() -> list[str]:
    """The names of all experiments, in report order."""
    return [e.name for e in EXPERIMENTS]
