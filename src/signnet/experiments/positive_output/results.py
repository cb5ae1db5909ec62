"""The typed results of the positive-output study (Q&A seed 003): the one source of its ``results.json`` schema.

``results.json`` is :meth:`PositiveOutputResults.to_dict` plus the provenance
block of :func:`signnet.report.artifacts.run_metadata` (``versions``,
``platform``, ``argv``; ``config`` and ``seed`` are fields here). Trained
networks' predictions and the full per-epoch histories are kept for the
figures only (``json=False``).
"""

from __future__ import annotations

from dataclasses import dataclass

from signnet.experiments.results import Results, Verdict, doc

PROVENANCE = ("versions", "platform", "argv")  # keys run_metadata adds to results.json beyond config and seed


@dataclass
class MethodRow(Results):
    """``methods.<name>``: the five numbers of the results table."""

    train_negative_fraction: float = doc("fraction of training predictions < 0 after training")
    test_negative_fraction: float = doc("fraction of test predictions < 0 after training")
    min_train_prediction: float = doc("lowest training prediction after training")
    test_mse: float = doc("mean squared error on the test set")
    seconds: float = doc("wall-clock seconds to train the method (rounded to ms)")


@dataclass
class Convergence(Results):
    """How the training predictions moved during training (values of the iterate at an epoch, before its update)."""

    max_violation: dict[str, float] = doc("max(0, -min_i yhat_i) over training points at 10%, 50% and the end")
    negative_fraction: dict[str, float] = doc("fraction of training predictions < 0 at 10%, 50% and the end")
    largest_violation_during_training: float | None = doc("max over epochs of max(0, -min_i yhat_i) (null if not "
                                                          "finite)")
    last_epoch_with_prediction_below_tol: int = doc("last (1-based) epoch with a training prediction below "
                                                    "-tolerance; 0 if none")
    feasible_from_epoch: int | None = doc("first epoch from which no training prediction is below -tolerance "
                                          "to the end of training (last_epoch_with_prediction_below_tol + 1); "
                                          "null if still below at the last recorded epoch")
    epochs_recorded: int = doc("epochs recorded (fewer than configured only if a run diverged)")
    multiplier_mean: dict[str, float] | None = doc("mean multiplier (lambda, or |mu| for the slack form) at "
                                                   "10%, 50% and the end; null without multipliers", default=None)
    multiplier_max: dict[str, float] | None = doc("largest multiplier at 10%, 50% and the end; null without "
                                                  "multipliers", default=None)
    max_abs_residual: dict[str, float] | None = doc("slack form: max_i |yhat_i - s_i^2| at 10%, 50% and the end; "
                                                    "null otherwise", default=None)


@dataclass
class RunDetails(Results):
    """What is measured for every run beyond the table: errors, exact zeros, settings, convergence."""

    train_mse: float | None = doc("mean squared error on the training set")
    min_test_prediction: float | None = doc("lowest test prediction")
    train_below_tol_fraction: float | None = doc("fraction of training predictions below -tolerance")
    test_below_tol_fraction: float | None = doc("fraction of test predictions below -tolerance")
    exact_zero_train_fraction: float | None = doc("fraction of training predictions exactly 0")
    exact_zero_test_fraction: float | None = doc("fraction of test predictions exactly 0")
    dead_train_fraction: float | None = doc("fraction of training examples predicted exactly 0 with a target > 0 "
                                            "(no gradient through a ReLU output)")
    epochs: int | None = doc("epochs configured for the method")
    alpha: float | None = doc("penalty weight (penalty methods; null otherwise)", default=None)
    transform: str | None = doc("output transform (relu, softplus, exp; null otherwise)", default=None)
    constraint: str | None = doc("Lagrangian methods: the constraint as cooper sees it; null otherwise", default=None)
    formulation: str | None = doc("Lagrangian methods: cooper formulation (Lagrangian or AugmentedLagrangian)",
                                  default=None)
    optimizer: str | None = doc("Lagrangian methods: cooper optimizer class", default=None)
    dual_lr: float | None = doc("Lagrangian methods: step size of the multipliers", default=None)
    dual_update_every: int | None = doc("Lagrangian methods: multipliers updated every this many steps",
                                        default=None)
    final_multiplier_mean: float | None = doc("Lagrangian methods: mean |multiplier| at the end", default=None)
    final_multiplier_max: float | None = doc("Lagrangian methods: largest |multiplier| at the end", default=None)
    positive_multipliers: int | None = doc("inequality form: multipliers > 0 at the end", default=None)
    diverged_at_epoch: int | None = doc("Lagrangian runs: epoch at which the run diverged; null if it did not",
                                        default=None)
    final_max_abs_residual: float | None = doc("slack form: max_i |yhat_i - s_i^2| after training", default=None)
    convergence: Convergence | None = doc("convergence during training (null if nothing was recorded)",
                                          default=None)


@dataclass
class MethodDetails(RunDetails):
    """``details.<name>``: everything measured for a method beyond its table row."""

    history: dict[str, list[float]] | None = doc("per-epoch curves thinned to history_points: epoch, "
                                                 "negative_fraction, min_prediction (and multipliers)", default=None)


@dataclass
class Diagnostic(RunDetails):
    """``diagnostics.slack_plain_lagrangian``: the slack form with the plain Lagrangian (not a method).

    Values that were not finite (a diverged run) are stored as null.
    """

    train_negative_fraction: float | None = doc("fraction of training predictions < 0 after training", default=None)
    test_negative_fraction: float | None = doc("fraction of test predictions < 0 after training", default=None)
    min_train_prediction: float | None = doc("lowest training prediction after training", default=None)
    test_mse: float | None = doc("mean squared error on the test set", default=None)
    seconds: float | None = doc("wall-clock seconds of the run", default=None)


@dataclass
class TransformCost(Results):
    """``summary.transform_cost.<transform>``: a transform's test error against the other methods'."""

    test_mse: float = doc("the transform's test MSE")
    best_other_method: str = doc("the non-transform method with the lowest test MSE (none, penalties, Lagrangians)")
    best_other_test_mse: float = doc("its test MSE")
    ratio_to_best_other: float = doc("test_mse / best_other_test_mse")
    ratio_to_none: float = doc("test_mse / the unconstrained fit's test MSE")


@dataclass
class Feasibility(Results):
    """``summary.lagrangian_feasibility.<method>``: when a Lagrangian form became feasible for good."""

    form: str = doc("inequality or slack")
    epochs: int = doc("epochs trained")
    last_epoch_with_prediction_below_tol: int = doc("last epoch with a training prediction below -tolerance; 0 if "
                                                    "none")
    feasible_from_epoch: int | None = doc("first epoch from which it stays feasible to the end; null if never")
    largest_violation_during_training: float = doc("max over epochs of max(0, -min_i yhat_i)")
    min_train_prediction_at_end: float = doc("lowest training prediction after training")


@dataclass
class Summary(Results):
    """``summary``: the numbers the verdicts rest on, gathered."""

    transforms_never_negative: bool = doc("no transform predicts a negative value on training or test points")
    penalty_negatives_non_increasing: bool = doc("negative training fraction non-increasing in alpha")
    penalty_largest_alpha_fewer_negatives: bool = doc("alpha = 100 leaves fewer negatives than alpha = 0.1")
    penalty_train_negative_fractions: dict[str, float] = doc("negative training fraction per penalty method")
    lagrangian_feasible_at_end: dict[str, bool] = doc("per Lagrangian method: no training prediction below "
                                                      "-tolerance after training")
    lagrangian_violated_during_training: dict[str, bool] = doc("per Lagrangian method: some training prediction "
                                                               "below -tolerance during training")
    penalty_any_below_tol: dict[str, bool] = doc("per penalty method: some training prediction below -tolerance")
    none_train_negative_fraction: float = doc("negative training fraction of the unconstrained fit")
    zero_target_fraction_train: float = doc("fraction of training targets exactly 0")
    relu_exact_zero_train_fraction: float = doc("relu transform: fraction of training predictions exactly 0")
    relu_dead_train_fraction: float = doc("relu transform: fraction predicted 0 with a positive target")
    slack_plain_lagrangian_min_train_prediction: float | None = doc("diagnostic: lowest training prediction "
                                                                    "(null if not finite)")
    test_target_variance: float = doc("variance of the test targets: the test MSE of the best constant prediction")
    transform_cost: dict[str, TransformCost] = doc("per transform: test MSE against the best other method")
    lagrangian_feasibility: dict[str, Feasibility] = doc("per Lagrangian method: when it became feasible for good")


@dataclass
class PositiveOutputResults(Results):
    """Everything ``signnet positive-output`` measured, and its verdicts."""

    study: str = doc("positive_output")
    source: str = doc("the Q&A seed document the study answers")
    quick: bool = doc("smaller settings (a smoke run)")
    tolerance: float = doc("a Lagrangian method is feasible when no training prediction is below -tolerance")
    methods: dict[str, MethodRow] = doc("the results table, one row per method")
    details: dict[str, MethodDetails] = doc("per method: the rest of what was measured")
    diagnostics: dict[str, Diagnostic] = doc("runs that are not methods (slack_plain_lagrangian)")
    summary: Summary = doc("the numbers behind the verdicts")
    verdicts: list[Verdict] = doc("the study's claims, each checked against the numbers of this run")
    figures: list[str] = doc("PNG files written next to results.json")
    config: dict = doc("the settings of the run")
    seed: int = doc("seeds the data and the shared initial weights")
    elapsed_seconds: float = doc("wall-clock seconds of the computation (training and measurement)")
    cpu_seconds: float = doc("CPU seconds of the computation")
    histories: dict = doc("full per-epoch curves of every run (for the figures)", json=False, default=None)
    predictions: dict = doc("train and test predictions of every method (for the figures)", json=False,
                            default=None)
    y_test: object = doc("test targets (for the figures)", json=False, default=None)

    def verdict(self, key: str) -> Verdict:
        """The verdict named ``key``."""
        for v in self.verdicts:
            if v.key == key:
                return v
        raise KeyError(f"No verdict {key!r}; the verdicts are: {', '.join(v.key for v in self.verdicts)}.")
