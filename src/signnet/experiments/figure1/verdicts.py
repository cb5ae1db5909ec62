"""The claims ``signnet reproduce`` checks, as :class:`~signnet.experiments.results.Verdict` data.

Each verdict says which number it rests on (``kind``):

* ``"theorem"``: the exact monotone ceiling bounds *every* DNN+ on that test set
  (Theorem 1.1 of Wang et al.: a DNN+ preserves dominance, so it is a monotone
  classifier); the check is ``accuracy <= ceiling``, exact, for every DNN+ of the
  run, trained or built;
* ``"construction"``: a network built by hand (the figure's flipped networks, or
  the DNN+ of :mod:`.construct` that reaches the ceiling), evaluated as is;
* ``"training"``: what training found; training can stop below what the class
  can represent (e.g. a constant classifier on XOR), which is an optimisation
  trap, not the theorem's limit. Training verdicts require that the free-sign
  DNN trained on the same data reached :data:`SOLVED`; otherwise (e.g. a
  ``--quick`` run that is too short) they are ``"inconclusive"``;
* ``"measurement"``: anything else measured (a certificate, a dominance check).
"""

from __future__ import annotations

import dataclasses

from signnet.experiments.figure1.results import Continuous, Panel, Softmax
from signnet.experiments.results import Comparison as C
from signnet.experiments.results import Verdict

SOLVED = 0.97  # test accuracy counted as "solves the problem"

TRAP_NOTE = ("Where this fails while the construction reaches the ceiling, the gap is not the theorem's limit (a "
             "DNN+ reaches the ceiling on these test points) but what training on another sample did not reach: an "
             "optimisation trap (such as a constant classifier) or generalisation; this run does not separate the two.")

SEEDS_NOTE = ("A mean over seeds: one seed whose restarts all stall lowers it; the accuracy of each seed is in "
              "results.json (flipped_trained.accuracies) and the hand-built network shows what the flips allow.")


def _labelled(label: str, verdicts: list[Verdict]) -> list[Verdict]:
    """Prefix every claim with what it is about (``"Panel A: ..."``), for tables that mix panels."""
    return [dataclasses.replace(v, claim=f"{label}: {v.claim}") for v in verdicts]


def _trained(label: str, accuracy: float) -> tuple[C, ...]:
    """The precondition of a training verdict: the free-sign DNN on the same data trained."""
    return (C(f"trained DNN on {label}", accuracy, ">=", "solved", SOLVED),)


def _bound(key: str, ceiling: float, networks: dict[str, float], uncertified: int | None = None,
           subject: str = "Every DNN+ of this run") -> Verdict:
    """``subject`` scores at most the ceiling; each network's accuracy is compared with it, exactly."""
    comps = [C(name, acc, "<=", "ceiling", ceiling) for name, acc in networks.items()]
    claim = f"{subject} scores at most the exact monotone ceiling of the test set (Theorem 1.1)"
    if uncertified is not None:
        comps.append(C("checked trained DNN+ not certified monotone", uncertified, "==", "none", 0))
        claim += ", and the trained ones checked (first seed) are certified monotone"
    return Verdict(f"{key}.dnn_plus_at_most_ceiling", claim, "theorem", tuple(comps))


def _reaches(key: str, ceiling: float, cons, what: str = "ReLU", note: str = "") -> Verdict:
    return Verdict(
        f"{key}.{what.lower()}_construction_reaches_ceiling",
        f"A {what} DNN+ built from the test set's optimal monotone relabelling reaches the ceiling, "
        "so the ceiling is the limit of the class and not only a bound",
        "construction",
        (C(f"constructed {what} DNN+", cons.accuracy, ">=", "ceiling", ceiling),
         C("its negative weights", cons.negative_weights, "==", "none", 0)), note=note)


def panel_verdicts(key: str, p: Panel) -> list[Verdict]:
    """The verdicts of one Figure 1 panel."""
    dnn_wide = p.dnn.wide.accuracy_mean
    checks = p.checks
    uncertified = sum(not checks[k].certified_monotone for k in ("dnn_plus", "dnn_plus_wide"))
    out = [
        _bound(key, p.ceiling, {"best trained DNN+ (any seed, either size)": p.dnn_plus_best_trained,
                                "constructed DNN+": p.dnn_plus_constructed.accuracy}, uncertified),
        _reaches(key, p.ceiling, p.dnn_plus_constructed),
        Verdict(f"{key}.training_reaches_ceiling",
                "Training finds a DNN+ at the ceiling (best over training seeds and both sizes)", "training",
                (C("best trained DNN+ (any seed, either size)", p.dnn_plus_best_trained, ">=", "ceiling", p.ceiling),),
                requires=_trained(key, dnn_wide), note=TRAP_NOTE),
        Verdict(f"{key}.dnn_solves", "A trained DNN (free signs) solves the panel", "training",
                (C("trained DNN (wide, mean over seeds)", dnn_wide, ">=", "solved", SOLVED),)),
    ]
    n = p.figure_negative_weights
    if key == "control":
        out.insert(0, Verdict(f"{key}.ceiling_is_one", "The control is monotone: its ceiling is 1", "measurement",
                              (C("ceiling", p.ceiling, "==", "one", 1.0),)))
        out.append(Verdict(f"{key}.dnn_plus_solves", "A trained DNN+ solves the control", "training",
                           (C("trained DNN+ (wide, mean over seeds)", p.dnn_plus.wide.accuracy_mean, ">=", "solved",
                              SOLVED),), requires=_trained(key, dnn_wide)))
        out.append(Verdict(f"{key}.hand_built_solves", "The hand-built network, with no negative weight, solves it",
                           "construction",
                           (C("hand-built network", p.flipped_hand.accuracy, ">=", "solved", SOLVED),
                            C("its negative weights", p.flipped_hand.negative_weights, "==", "none", 0))))
        return _labelled(f"Panel {key}", out)
    out.insert(0, Verdict(f"{key}.ceiling_below_solved",
                          "No DNN+ can solve the panel: its exact monotone ceiling is below what counts as solved",
                          "theorem", (C("ceiling", p.ceiling, "<", "solved", SOLVED),)))
    out += [
        Verdict(f"{key}.hand_flips_solve",
                "The hand-built network with the figure's flipped weights solves the panel", "construction",
                (C("hand-built flipped network", p.flipped_hand.accuracy, ">=", "solved", SOLVED),
                 C("its negative weights", p.flipped_hand.negative_weights, "==", "flips in the figure", n))),
        Verdict(f"{key}.trained_flips_solve",
                "A network trained with only the figure's weights allowed to be negative solves the panel",
                "training",
                (C("trained flipped network (mean over seeds)", p.flipped_trained.accuracy, ">=", "solved", SOLVED),
                 C("its negative weights (max over seeds)", p.flipped_trained.negative_weights, "<=",
                   "flips in the figure", n)), requires=_trained(key, dnn_wide), note=SEEDS_NOTE),
        Verdict(f"{key}.flipped_not_certified", "Neither flipped network is certified monotone", "measurement",
                (C("hand-built flipped network certified (1 yes, 0 no)",
                   int(checks["flipped_hand"].certified_monotone), "==", "no", 0),
                 C("trained flipped network certified (1 yes, 0 no)",
                   int(checks["flipped_trained"].certified_monotone), "==", "no", 0))),
    ]
    return _labelled(f"Panel {key}", out)


def softmax_verdicts(s: Softmax, dnn_c: float) -> list[Verdict]:
    """The softmax loophole (``dnn_c``: the wide DNN on panel C, the same data)."""
    proven = sum(v is not None for row in s.logit_difference_certificate for v in row)
    return _labelled("Softmax", [
        _bound("softmax", s.ceiling, {"trained one-logit DNN+": s.binary_accuracy,
                                      "constructed DNN+": s.dnn_plus_constructed.accuracy},
               int(not s.binary_checks.certified_monotone), subject="Every one-logit DNN+ of this run"),
        _reaches("softmax", s.ceiling, s.dnn_plus_constructed),
        Verdict("softmax.training_reaches_ceiling", "Training finds a one-logit DNN+ at the ceiling", "training",
                (C("trained one-logit DNN+", s.binary_accuracy, ">=", "ceiling", s.ceiling),),
                requires=_trained("C", dnn_c), note=TRAP_NOTE),
        Verdict("softmax.loophole",
                "A network with non-negative weights and a two-logit softmax head beats the ceiling: "
                "the decision depends on the logit difference, which Theorem 1.1 does not cover", "training",
                (C("trained softmax DNN+", s.softmax_accuracy, ">", "ceiling", s.ceiling),
                 C("its negative weights", s.softmax_negative_weights, "==", "none", 0)),
                requires=_trained("C", dnn_c)),
        Verdict("softmax.difference_not_monotone",
                "The logit difference is not certified monotone, and it breaks dominance on test pairs", "measurement",
                (C("proven entries of the logit-difference certificate", proven, "==", "none", 0),
                 C("dominance violations", s.softmax_checks.dominance_violations, ">", "none", 0))),
    ])


QUADRANT_NOTE = ("A ReLU DNN+ is convex (a composition of convex non-decreasing maps), so its class-0 region is "
                 "convex; the rule's class 0 is an L shape, which is not.")


def continuous_verdicts(name: str, r: Continuous) -> list[Verdict]:
    """One continuous problem: the bound, both constructions, and what training found.

    The comparisons with the ceiling count test points classified right (of
    ``r.n_test``), so that no rounding of an accuracy hides a one-point gap.
    """
    key = f"continuous.{name}"

    def right(accuracy: float) -> int:
        return round(accuracy * r.n_test)

    ceiling = right(r.ceiling)
    points = f" (test points right, of {r.n_test})"
    bound = [C(f"{what}{points}", right(acc), "<=", "ceiling", ceiling) for what, acc in (
        ("trained ReLU DNN+", r.dnn_plus), ("trained tanh DNN+", r.dnn_plus_tanh),
        ("constructed ReLU DNN+", r.dnn_plus_constructed.accuracy),
        ("constructed tanh DNN+", r.dnn_plus_tanh_constructed.accuracy))]

    def reaches(what: str, cons, note: str = "") -> Verdict:
        return Verdict(
            f"{key}.{what.lower()}_construction_reaches_ceiling",
            f"A {what} DNN+ built from the test set's optimal monotone relabelling reaches the ceiling, "
            "so the ceiling is the limit of the class and not only a bound", "construction",
            (C(f"constructed {what} DNN+{points}", right(cons.accuracy), ">=", "ceiling", ceiling),
             C("its negative weights", cons.negative_weights, "==", "none", 0)), note=note)

    return _labelled(name, [
        Verdict(f"{key}.dnn_plus_at_most_ceiling",
                "Every DNN+ of this run scores at most the exact monotone ceiling of the test set (Theorem 1.1)",
                "theorem", tuple(bound)),
        reaches("tanh", r.dnn_plus_tanh_constructed),
        reaches("ReLU", r.dnn_plus_constructed, QUADRANT_NOTE if name == "quadrant" else ""),
        Verdict(f"{key}.training_reaches_ceiling", "Training finds a DNN+ (ReLU or tanh) at the ceiling", "training",
                (C(f"best trained DNN+{points}", right(max(r.dnn_plus, r.dnn_plus_tanh)), ">=", "ceiling", ceiling),),
                requires=_trained(name, r.dnn), note=TRAP_NOTE),
    ])
