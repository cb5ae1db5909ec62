"""Typed results of the budget study ("How many negative weights does each problem need?").

:func:`signnet.experiments.budget.run.compute_budget` returns a
:class:`BudgetResults`; ``to_dict()`` is the ``results.json`` body (the report
adds the provenance block). Every field carries its description (``doc``).

Which number is which:

* ``ceiling`` — exact (Theorem 1.1 of Wang et al.: no DNN+, i.e. no network with
  k = 0, scores more on this test set); a ceiling below the target proves that
  at least one negative weight is needed, for every architecture;
* ``smallest_k`` — what training reached: the smallest budget at which some
  trained network scored the target. An upper bound on what the architectures
  tried need (an optimiser may miss a sparser solution), not the class's minimum;
* ``paper_flips`` and ``constructions`` — hand-built networks, evaluated as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from signnet.experiments.results import Results, Verdict, doc

TARGET = 0.97  # the test accuracy that counts as solving a problem
CLAIM = ("How many negative weights does each problem need? The paper's Figure 1 flips 1, 4 and 1 weights by hand "
         "to solve a boundary of positive slope (A), a closed shape (B) and XOR (C).")


@dataclass
class Arch(Results):
    """Networks of one architecture trained under one budget, over seeds."""

    hidden: str = doc("hidden widths, comma-separated")
    accuracies: list[float] = doc("test accuracy per training seed")
    best: float = doc("highest test accuracy over the seeds")
    mean: float = doc("mean test accuracy over the seeds")
    negative_weights: list[int] = doc("trained weights < 0, per seed (at most the budget)")
    certified_monotone: list[bool] = doc("certify() proves the network monotone, per seed")


@dataclass
class Budget(Results):
    """One budget k on one problem: every architecture."""

    k: int | None = doc("the budget: at most k negative weights; null for no budget (every weight free)")
    label: str = doc("'k = 4' or 'all (free)'")
    best: float = doc("highest test accuracy of any network under this budget (any architecture, any seed)")
    best_hidden: str = doc("architecture of that network")
    archs: list[Arch] = doc("per architecture")


@dataclass
class Construction(Results):
    """A hand-built network, evaluated on the problem's test set."""

    name: str = doc("where it comes from: the paper's Figure 1, or signnet")
    negative_weights: int = doc("weights < 0 of the network")
    accuracy: float = doc("test accuracy")
    why: str = doc("why its weights solve the problem")


@dataclass
class Problem(Results):
    """One problem: accuracy against the budget k, the exact ceiling at k = 0, the paper's flips."""

    data: str = doc("the sweep's data name (a problem of signnet.data, or figure1:<panel>)")
    title: str = doc("the problem in words")
    paper_flips: int | None = doc("weights the paper's Figure 1 flips for this problem (null: no figure network)")
    ceiling: float = doc("exact monotone ceiling of the test set: the best any k = 0 network (DNN+) can score")
    n_test: int = doc("test points")
    budgets: list[Budget] = doc("per budget, ascending; the free networks last")
    smallest_k: int | None = doc("smallest budget k at which a trained network reached the target (training; an "
                                 "upper bound on what the architectures tried need); null if none did")
    smallest_k_hidden: str | None = doc("architecture of the first network that reached it")
    smallest_k_seed: int | None = doc("training seed of that network")
    smallest_k_successes: str | None = doc("trained networks reaching the target at that budget, e.g. '3 of 20' "
                                           "(every architecture and seed)")
    smallest_k_accuracy: float | None = doc("its test accuracy")
    smallest_k_negative_by_layer: str | None = doc("its negative weights per affine layer, first to last (e.g. '0,0,1')")
    smallest_k_certificate: str | None = doc("its certificate per input, as JSON (null: not proven monotone)")
    free_best: float | None = doc("highest test accuracy of the free networks (no budget); null when the sweep has "
                                  "no free runs")
    constructions: list[Construction] = doc("hand-built networks for this problem")


@dataclass
class BudgetResults(Results):
    """Everything the budget study measured, with its verdicts (``results.json`` without provenance)."""

    study: str = doc("'budget'")
    claim: str = doc("the question")
    target: float = doc("the test accuracy that counts as solving a problem")
    seed: int = doc("the sweep's seed: draws the data and, with each training seed, the initialisation")
    grid: str = doc("which packaged spec ran: quick, default or full (or 'sweep' for an existing sweep folder)")
    spec: dict = doc("the spec's settings and grid")
    runs: int = doc("runs of the sweep")
    problems: list[Problem] = doc("per problem")
    checks: list[Verdict] = doc("the claims checked, each computed from the numbers above")
    elapsed_seconds: float = doc("wall-clock time of the study (sweep included)")
