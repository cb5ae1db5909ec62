"""The claims the zig-zag study checks (Q&A seed 002), each computed from the numbers of its run.

Every verdict is a :class:`~signnet.experiments.results.Verdict`: exact
comparisons between named numbers, with preconditions that make it
"inconclusive" when the run cannot support it (a ``--quick`` run trains one seed
for a few epochs, too little for the training-curve claims). Step and epoch
counts that were never reached enter a comparison as the cap plus one, named so
("not reached: counted as ..."), and always with a failed precondition.
"""

from __future__ import annotations

from signnet.experiments.results import Comparison, Verdict
from signnet.experiments.zigzag.results import ACT_LABELS, Coherence, Training, Trajectory
from signnet.experiments.zigzag.trajectory import GD_MAX_STEPS

MIN_SEEDS = 2  # a median over a single seed is one anecdote, not a comparison of training runs


def _count(name: str, value, cap: int) -> tuple[str, float]:
    """A step / epoch count as a comparison term; ``None`` (never reached) becomes ``cap + 1``, named so."""
    if value is None:
        return f"{name} (not reached: counted as {cap + 1})", float(cap + 1)
    return name, value


def _value(name: str, value) -> tuple[str, float]:
    """A derived number as a comparison term; ``None`` (not computable) becomes 0, named so."""
    return (f"{name} (not computed: counted as 0)", 0.0) if value is None else (name, value)


def _w(o) -> str:
    """``"(1, -1)"``: an optimum as written in the claims."""
    return f"({o.w_star[0]:g}, {o.w_star[1]:g})"


def _less(left: str, a, right: str, b, cap: int, op: str = "<") -> Comparison:
    la, va = _count(left, a, cap)
    lb, vb = _count(right, b, cap)
    return Comparison(la, va, op, lb, vb)


def coherence_verdicts(coh: Coherence) -> list[Verdict]:
    nonneg = [c for c in coh.cases if c.inputs in ("positive", "non-negative")]
    pos, cen = coh.positive_inputs, coh.centered_inputs
    return [
        Verdict("coherence.per_example_one_sign",
                "Every per-example weight gradient of a layer whose inputs are all non-negative has all its "
                "non-zero coordinates of one sign", "measurement",
                [Comparison(f"coherent share of per-example gradients, {c.case}", c.per_example, "==",
                            "all", 1) for c in nonneg],
                requires=[Comparison(f"per-example gradients judged, {c.case}", c.n_per_example, ">", "none", 0)
                          for c in nonneg],
                note="Exact for every example: dL/dw = (dL/dz)\u00b7a with a \u2265 0."),
        Verdict("coherence.minibatch_mixed",
                "The one-sign property does not carry over to minibatch means: some minibatch-mean gradients of "
                "the layer fed by sigmoid units have coordinates of both signs", "measurement",
                [Comparison(f"coherent share of minibatch-mean gradients, {pos.case}", pos.minibatch, "<",
                            "all", 1)],
                requires=[Comparison("minibatch-mean gradients judged", pos.n_minibatch, ">", "none", 0)]),
        Verdict("coherence.centred_inputs_mixed",
                "With zero-centred (tanh) inputs, per-example gradients are coherent less often than with "
                "positive (sigmoid) inputs", "measurement",
                [Comparison(f"coherent share, {cen.case}", cen.per_example, "<",
                            f"coherent share, {pos.case}", pos.per_example)],
                requires=[Comparison("per-example gradients judged, tanh", cen.n_per_example, ">", "none", 0)],
                note="For independent symmetric inputs the share would be 2/2^d; trained tanh units are not "
                     "independent."),
    ]


def trajectory_verdicts(traj: Trajectory) -> list[Verdict]:
    opp, same = traj.optima
    cap = GD_MAX_STEPS

    def reached(o):
        return [Comparison(f"GD runs toward {_w(o)} that reached the tolerance",
                           sum(s is not None for s in (o.steps_positive, o.steps_centered)), "==", "runs", 2)]

    def faster(o):
        return Verdict(
            f"trajectory.centred_faster_{'opposite' if o is opp else 'same'}_signs",
            f"Gradient descent with centred inputs reaches w* = {_w(o)} "
            f"({o.name}) in fewer steps than with positive inputs", "measurement",
            [_less(f"GD steps, centred, w* = {_w(o)}", o.steps_centered,
                   f"GD steps, positive, w* = {_w(o)}", o.steps_positive, cap)],
            requires=reached(o))

    draws = traj.draws
    return [
        faster(opp), faster(same),
        Verdict("trajectory.gap_largest_for_opposite_signs",
                "On this draw the gap is larger when the optimum needs weights of opposite signs", "measurement",
                [Comparison(*_value("step ratio positive / centred, w* = (1, -1)", opp.steps_ratio), ">",
                            *_value("step ratio positive / centred, w* = (1, 1)", same.steps_ratio))],
                requires=reached(opp) + reached(same)),
        Verdict("trajectory.draws_opposite_signs_always_faster",
                "On every further data draw, centring speeds gradient descent toward the opposite-sign optimum "
                "(1, -1)", "measurement",
                [Comparison("draws where centred GD needs fewer steps, w* = (1, -1)", opp.draws_centred_faster,
                            "==", "further draws", draws)],
                requires=[Comparison("further draws", draws, ">", "none", 0)]),
        Verdict("trajectory.draws_same_signs_always_faster",
                "On every further data draw, centring speeds gradient descent toward the same-sign optimum (1, 1)",
                "measurement",
                [Comparison("draws where centred GD needs fewer steps, w* = (1, 1)", same.draws_centred_faster,
                            "==", "further draws", draws)],
                requires=[Comparison("further draws", draws, ">", "none", 0)]),
        Verdict("trajectory.draws_gap_larger_for_opposite_signs",
                "On every further draw the speed-up from centring is larger for the opposite-sign optimum than "
                "for the same-sign one", "measurement",
                [Comparison("draws where the ratio for (1, -1) exceeds that for (1, 1)", opp.draws_gap_larger_here,
                            "==", "further draws", draws)],
                requires=[Comparison("further draws", draws, ">", "none", 0)],
                note="For w* = (1, 1), which lies near the steep direction of positive inputs, the step count "
                     "depends on the draw; see the table for how often centring helps there."),
        Verdict("trajectory.sgd_updates_one_sign",
                "With positive inputs every per-example SGD update has both coordinates of one sign (it lies in "
                "the first or third quadrant), toward either optimum; with centred inputs not", "measurement",
                [Comparison(f"SGD updates with one sign, positive inputs, w* = {_w(o)}",
                            o.descents["positive"].sgd_same_sign_update_fraction, "==", "all", 1)
                 for o in (opp, same)]
                + [Comparison(f"SGD updates with one sign, centred inputs, w* = {_w(o)}",
                              o.descents["centered"].sgd_same_sign_update_fraction, "<", "all", 1)
                   for o in (opp, same)]),
    ]


def training_verdicts(tr: Training) -> list[Verdict]:
    med = {(c.activation, c.centered): c.median_epochs_to_stay_below for c in tr.conditions}
    label = {(c.activation, c.centered): c.label for c in tr.conditions}
    cap = tr.epochs
    requires = [Comparison("seeds per condition", tr.seeds, ">=", "the least for a median", MIN_SEEDS),
                Comparison("conditions whose loss stayed below the threshold", sum(v is not None for v in med.values()),
                           "==", "conditions", len(med))]

    def stay(key):
        return f"median epochs to stay below {tr.threshold:g}, {label[key]}", med[key]

    def le(a, b):
        (la, va), (lb, vb) = stay(a), stay(b)
        return _less(la, va, lb, vb, cap, "<=")

    sig, csig, tanh = (med[(a, True)] for a in ("sigmoid", "sigmoid_centered", "tanh"))
    slope = (sig - csig, csig - tanh) if None not in (sig, csig, tanh) else (None, None)
    return [
        Verdict("training.centred_inputs_never_slower",
                "For every activation, centred inputs took no more epochs (median over the seeds) for the "
                "training loss to stay below the threshold", "training",
                [le((a, True), (a, False)) for a in ACT_LABELS], requires=requires),
        Verdict("training.centred_sigmoid_never_slower",
                "Centring the sigmoid's output (sigmoid \u2212 1/2, the same slope) took no more epochs (median "
                "over the seeds), with either inputs", "training",
                [le(("sigmoid_centered", c), ("sigmoid", c)) for c in (False, True)], requires=requires),
        Verdict("training.tanh_lead_mostly_slope",
                "With centred inputs, most of tanh's lead over the sigmoid comes from its slope (four times "
                "steeper), not from the centring of its output", "training",
                [Comparison(*_value("epochs saved by centring the sigmoid's output", slope[0]), "<",
                            *_value("further epochs saved by tanh", slope[1]))],
                requires=requires,
                note="tanh(x) = 2\u00b7sigmoid(2x) \u2212 1: centred and four times steeper; sigmoid \u2212 1/2 "
                     "isolates the centring."),
    ]


def study_verdicts(coh: Coherence, traj: Trajectory, tr: Training) -> list[Verdict]:
    """Every verdict of the study, in the order of the report."""
    return coherence_verdicts(coh) + trajectory_verdicts(traj) + training_verdicts(tr)


def summary(checks: list[Verdict], tr: Training) -> dict:
    """The ``summary`` block of ``results.json``: verdicts in short (null when inconclusive) and the medians."""
    short = {v.key: (None if v.status == "inconclusive" else v.holds) for v in checks}
    return {
        "per_example_claim_holds": short.get("coherence.per_example_one_sign"),
        "minibatch_always_coherent": None if short.get("coherence.minibatch_mixed") is None
        else not short.get("coherence.minibatch_mixed"),
        "trajectory_centered_faster": short.get("trajectory.centred_faster_opposite_signs"),
        "trajectory_centered_faster_same_signs": short.get("trajectory.centred_faster_same_signs"),
        "median_epochs_to_threshold": {c.label: c.median_epochs_to_threshold for c in tr.conditions},
        "median_epochs_to_stay_below": {c.label: c.median_epochs_to_stay_below for c in tr.conditions},
        "centering_helps": None if None in (short.get("training.centred_inputs_never_slower"),
                                            short.get("training.centred_sigmoid_never_slower"))
        else short.get("training.centred_inputs_never_slower") and short.get("training.centred_sigmoid_never_slower"),
        "verdicts": short,
    }
