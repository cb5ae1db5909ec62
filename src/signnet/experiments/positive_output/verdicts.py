"""The claims of the positive-output study (Q&A seed 003), each checked against the numbers of the run.

Every verdict is a conjunction of exact comparisons (:class:`~signnet.experiments.results.Comparison`);
what training reached is guarded by the precondition that the networks trained
at all (the unconstrained fit beats the best constant prediction on the test
set), so a run whose networks did not train reads "inconclusive", never "holds".
The claims come from K. Frank's answer: a penalty "will not force the elements
of pred to be positive, but it will encourage them"; Lagrange multipliers give
non-negative outputs "only after the optimization has converged"; an output
transform (``relu`` or "perhaps better" ``exp``) ensures them.
"""

from __future__ import annotations

from signnet.experiments.positive_output.methods import ALPHAS, DIAGNOSTIC, FORMS, PENALTIES, TOL, TRANSFORMS
from signnet.experiments.positive_output.results import Diagnostic, MethodDetails, MethodRow, Summary
from signnet.experiments.results import Comparison as C
from signnet.experiments.results import Verdict


def verdicts(methods: dict[str, MethodRow], details: dict[str, MethodDetails], diagnostics: dict[str, Diagnostic],
             summary: Summary) -> list[Verdict]:
    """The study's verdicts, in the order the report shows them."""
    trained = (C("unconstrained (none) test MSE", methods["none"].test_mse, "<",
                 "test-target variance (best constant prediction)", summary.test_target_variance),)
    negatives = (C("unconstrained (none) fraction of training predictions < 0",
                   methods["none"].train_negative_fraction, ">", "zero", 0.0),)
    out = [
        Verdict("none.predicts_negatives", "The unconstrained least-squares fit predicts negative values on the "
                "censored target (the problem the Q&A asks about)", "training",
                (negatives[0], C("unconstrained (none) lowest training prediction",
                                 methods["none"].min_train_prediction, "<", "-tolerance", -TOL)), requires=trained),
        Verdict("transforms.never_negative", "An output transform (relu, softplus, exp) gives no negative "
                "prediction, on training or test points", "measurement",
                tuple(C(f"{t} fraction of {split} predictions < 0", getattr(methods[t], f"{split}_negative_fraction"),
                        "==", "zero", 0.0) for t in TRANSFORMS for split in ("train", "test"))),
        Verdict("transforms.cost_test_error", "The output transforms are not free: each one's test MSE is above the "
                "lowest test MSE of the other methods (none, penalties, Lagrangians)", "training",
                tuple(C(f"{t} test MSE / {c.best_other_method} test MSE", c.ratio_to_best_other, ">",
                        "parity", 1.0) for t, c in summary.transform_cost.items()), requires=trained,
                note="The ratios to the unconstrained fit are stored as summary.transform_cost.<t>.ratio_to_none."),
        Verdict("penalty.fewer_negatives_as_alpha_grows", "A larger penalty weight alpha leaves no more negative "
                "training predictions (non-increasing in alpha)", "training",
                tuple(C(f"{q} fraction of training predictions < 0", methods[q].train_negative_fraction, "<=",
                        f"{p} fraction", methods[p].train_negative_fraction)
                      for p, q in zip(PENALTIES, PENALTIES[1:], strict=False)),
                requires=trained + negatives),
        Verdict("penalty.largest_alpha_fewer_than_smallest", f"alpha = {ALPHAS[-1]:g} leaves fewer negative training "
                f"predictions than alpha = {ALPHAS[0]:g}", "training",
                (C(f"{PENALTIES[-1]} fraction of training predictions < 0",
                   methods[PENALTIES[-1]].train_negative_fraction, "<", f"{PENALTIES[0]} fraction",
                   methods[PENALTIES[0]].train_negative_fraction),),
                requires=trained + negatives),
        Verdict("penalty.does_not_force", f"Even the largest penalty (alpha = {ALPHAS[-1]:g}) leaves negative training "
                "predictions: it encourages, it does not force", "training",
                (C(f"{PENALTIES[-1]} fraction of training predictions < 0",
                   methods[PENALTIES[-1]].train_negative_fraction, ">", "zero", 0.0),),
                requires=trained + negatives),
    ]
    for m in ("lagrangian_inequality", "lagrangian_slack"):
        out += _lagrangian(m, methods[m], summary, trained)
    plain = diagnostics[DIAGNOSTIC]
    recorded = plain.convergence.epochs_recorded if plain.convergence is not None else 0
    out += [
        Verdict(f"{DIAGNOSTIC}.diverges", "Plain descent-ascent on the slack form (cooper's plain Lagrangian, same "
                "step sizes) does not settle: it diverges before the end of training, which is why the slack "
                "method uses the augmented Lagrangian", "training",
                (C(f"{DIAGNOSTIC} epochs completed with finite loss and multipliers", recorded, "<",
                   "epochs configured", plain.epochs),)),
        Verdict("relu.dead_outputs", "A ReLU output predicts exactly 0 for some training examples whose target is "
                "positive; no gradient pulls them back up", "measurement",
                (C("relu fraction of training examples predicted 0 with a target > 0",
                   details["relu"].dead_train_fraction, ">", "zero", 0.0),)),
    ]
    return out


def _lagrangian(m: str, row: MethodRow, summary: Summary, trained: tuple) -> list[Verdict]:
    """Per Lagrangian form: feasible at the end, violated during training, feasible only late in training."""
    f = summary.lagrangian_feasibility[m]
    form = FORMS[m]
    last = f.last_epoch_with_prediction_below_tol
    note = ("Its slacks start at sqrt(max(yhat, 0)) + slack_init_offset and the augmented term keeps yhat close to "
            "s^2 >= 0, so the constraint nearly holds from the first epochs." if form == "slack" else
            "Its multipliers start at 0 and grow only while a constraint is violated.")
    return [
        Verdict(f"{m}.feasible_at_end", f"The {form} form ends with no training prediction below -tolerance",
                "training", (C(f"{m} lowest training prediction", row.min_train_prediction, ">=", "-tolerance", -TOL),),
                requires=trained),
        Verdict(f"{m}.violated_during_training", f"The {form} form violates the constraint during training (the "
                "Q&A: it 'will not force pred to be non-negative during the training process')", "training",
                (C(f"{m} largest violation during training", f.largest_violation_during_training, ">", "tolerance",
                   TOL),), requires=trained),
        Verdict(f"{m}.feasible_only_once_converged", f"The {form} form becomes feasible only late in training: a "
                "training prediction below -tolerance persists into the second half of the epochs (a timing; the "
                "Q&A guarantees non-negativity only 'after the optimization has converged' and does not say when "
                "feasibility comes)", "training",
                (C(f"{m} last epoch with a training prediction below -tolerance", last, ">", "half the epochs",
                   f.epochs / 2),), requires=trained, note=note),
    ]
