"""The claims the budget study checks, each computed from the numbers of its run.

Kinds (:data:`signnet.experiments.results.KINDS`): the ceiling verdicts are
``theorem`` (the exact monotone ceiling bounds every k = 0 network, Theorem 1.1),
the smallest budget reached is ``training`` (an upper bound that a better
optimiser could lower), the hand-built networks are ``construction``.
"""

from __future__ import annotations

from signnet.experiments.budget.results import Problem
from signnet.experiments.results import Comparison, Verdict


def _key(p: Problem, what: str) -> str:
    return f"budget.{p.data.replace(':', '_')}.{what}"


def problem_verdicts(p: Problem, target: float, non_monotone_runs: int = 0) -> list[Verdict]:
    """The verdicts of one problem (see the module docstring).

    ``non_monotone_runs``: this problem's runs whose activation is not non-decreasing (e.g. GELU). Theorem
    1.1 needs non-decreasing activations, so the check of the trained k = 0 networks against the ceiling
    is inconclusive when there is any (a one-unit GELU network with non-negative weights scores 1.000 on
    a problem of ceiling 0.74). "At least one negative weight is needed" is a fact about the ceiling and
    the class of DNN+s with non-decreasing activations, whatever was trained, so it keeps its status.
    """
    out = []
    by_k = {b.k: b for b in p.budgets}
    monotone = (Comparison("runs with an activation that is not non-decreasing", non_monotone_runs, "==", "zero", 0),)
    if 0 in by_k:
        out.append(Verdict(
            _key(p, "k0_below_ceiling"), f"{p.title}: no trained network with k = 0 (a DNN+) scores above the exact "
            "monotone ceiling of the test set", "theorem",
            (Comparison("best test accuracy at k = 0", by_k[0].best, "<=", "exact ceiling", p.ceiling),),
            requires=monotone))
    out.append(Verdict(
        _key(p, "needs_a_negative_weight"), f"{p.title}: at least one negative weight is needed to reach the target "
        "accuracy, for any widths and depth with non-decreasing activations (the exact ceiling bounds every DNN+)",
        "theorem", (Comparison("exact ceiling", p.ceiling, "<", "target", target),)))
    free = (Comparison("best test accuracy of the free networks", p.free_best, ">=", "target", target)
            if p.free_best is not None else  # a sweep without free runs cannot show that training works here
            Comparison("free networks (no budget) in the sweep", 0, ">=", "one", 1))
    if p.smallest_k is not None:
        comps = [Comparison(f"best test accuracy at k = {p.smallest_k}", by_k[p.smallest_k].best, ">=", "target",
                            target)]
        comps += [Comparison(f"best test accuracy at k = {k}", by_k[k].best, "<", "target", target)
                  for k in sorted(k for k in by_k if k is not None and k < p.smallest_k)]
        claim = (f"{p.title}: training under a budget reaches the target with at most {p.smallest_k} negative "
                 f"weight{'s' if p.smallest_k != 1 else ''}, and not with any smaller budget tried")
    else:
        largest = max((k for k in by_k if k is not None), default=None)
        comps = [Comparison(f"best test accuracy at k = {largest}", by_k[largest].best if largest is not None else 0.0,
                            ">=", "target", target)]
        claim = f"{p.title}: training under a budget reaches the target with one of the budgets tried"
    out.append(Verdict(_key(p, "smallest_k"), claim, "training", tuple(comps), requires=(free,),
                       note="An upper bound on what the architectures tried need: a better optimiser or another "
                            "choice of weights may need fewer. Inconclusive when even the free networks miss the target, or "
                            "when the sweep has none."))
    for c in p.constructions:
        out.append(Verdict(
            _key(p, "paper_construction" if c.name.startswith("paper") else "signnet_construction"),
            f"{p.title}: {c.name} with {c.negative_weights} negative weight{'s' if c.negative_weights != 1 else ''} "
            "reaches the target", "construction",
            (Comparison(f"test accuracy of {c.name}", c.accuracy, ">=", "target", target),)))
    if p.paper_flips is not None:
        found = p.smallest_k if p.smallest_k is not None else -1
        out.append(Verdict(
            _key(p, "training_vs_paper"), f"{p.title}: training found a solution with no more negative weights than "
            "the paper's hand-built network", "training",
            (Comparison("smallest k reached by training", found, "<=", "the paper's flips", p.paper_flips),),
            requires=(Comparison("smallest k reached by training (-1: none)", found, ">=", "zero", 0),)))
    return out
