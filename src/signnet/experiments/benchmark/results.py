"""Typed results of the monotone benchmark, the one source of its ``results.json`` schema.

:func:`signnet.experiments.benchmark.run.compute_benchmark` returns a :class:`BenchmarkResults`;
``to_dict()`` gives the ``results.json`` body (the report adds the provenance block of
:func:`signnet.report.artifacts.run_metadata`). ``python -m signnet.experiments.benchmark.results``
prints the schema.
"""

from __future__ import annotations

from dataclasses import dataclass

from signnet.experiments.results import Results, Verdict, doc, schema_lines


@dataclass
class ModelResult(Results):
    """One model on one data set, over every split (lists hold one entry per split)."""

    name: str = doc("model key: signnet, hgb_monotone, mlp_free or lmn")
    label: str = doc("the model in words")
    constrained: bool = doc("monotone in monotonic_cst by construction")
    available: bool = doc("false when its package is not importable (then every list is empty)")
    note: str = doc("why it is missing, or how it used the validation rows")
    metric: list[float] = doc("test metric per split: RMSE (regression, lower is better) or accuracy (binary)")
    metric_mean: float | None = doc("mean of metric over splits")
    metric_std: float | None = doc("standard deviation of metric over splits (numpy, ddof 0)")
    second: list[float] = doc("second test score per split: R^2 (regression) or ROC AUC of P(y=1) (binary)")
    second_mean: float | None = doc("mean of second over splits")
    fit_seconds: list[float] = doc("wall-clock seconds of fit (validation included) per split")
    fit_seconds_mean: float | None = doc("mean of fit_seconds")
    parameters: int | None = doc("weights and biases of the network, or nodes of all trees (HGB), on split 0")
    violations: list[int] = doc("violating pairs among the audited pairs, per split")
    pairs: list[int] = doc("pairs audited per split: steps from test rows and comparable pairs of test rows")
    violations_total: int | None = doc("violating pairs over all splits")
    audit_method: str = doc("signnet.dominance_violations or the benchmark's sampled pairs")
    witnesses: list[int] = doc("per split: 1 when signnet.find_violation found x <= y (in monotonic_cst's order, inside the "
                               "box of the test rows) with F(x) > F(y), else 0")
    witnesses_total: int | None = doc("splits with a witness")
    witness_gap_max: float | None = doc("largest F(x) - F(y) of the witnesses over splits (the searched output: a "
                                        "torch logit or decision_function, else P(y=1), else the prediction); "
                                        "null when none was found")
    accuracy_minus_ceiling_max: float | None = doc("binary: largest test accuracy minus the test ceiling over splits")


@dataclass
class DatasetResult(Results):
    """One data set: its constraints, its splits, the ceiling and every model."""

    name: str = doc("the key in signnet.TABULAR_DATASETS")
    task: str = doc("regression or binary")
    rows: int = doc("rows used (after the benchmark's row cap, see rows_total)")
    rows_total: int = doc("rows of the data set")
    features: int = doc("columns of X (categoricals one-hot)")
    monotonic_cst: dict[str, int] = doc("the constrained columns and their directions; every other column is free")
    description: str = doc("the data set in one paragraph")
    citation: str = doc("the source file and where the constraints come from")
    metric: str = doc("rmse or accuracy")
    second: str = doc("r2 or roc_auc")
    higher_is_better: bool = doc("true for accuracy, false for RMSE")
    n_fit: int = doc("fitting rows per split")
    n_val: int = doc("validation rows per split (carved from the training rows)")
    n_test: int = doc("test rows per split")
    val_test_overlap: int = doc("rows shared by a split's validation and test rows, summed over splits (0 by construction)")
    tuning_overlap: int = doc("test rows that were validation rows where signnet's defaults were chosen "
                              "(bench/tune_defaults.py: seed 0, splits 0-2), summed over splits")
    ceiling: list[float] = doc("binary: exact monotone ceiling of the test rows per split (empty for regression)")
    ceiling_mean: float | None = doc("mean of ceiling over splits")
    free_groups: list[int] = doc("binary: groups of test rows with identical free features, per split")
    models: dict[str, ModelResult] = doc("every model, by key")
    paired: dict | None = doc("signnet minus HGB monotone split by split (null unless both ran): diffs (per split, in "
                              "the metric's units), mean, ci95 (95% interval of the mean difference, Nadeau & Bengio's "
                              "corrected resampled t; null with one split), test_to_train (test over training rows, "
                              "its correction), signnet_better (splits where signnet scored better), splits")
    figure: str = doc("the partial-dependence figure of split 0 (PNG file name)")


@dataclass
class BenchmarkResults(Results):
    """Everything the benchmark measured, with its verdicts (``results.json`` without provenance)."""

    study: str = doc("'benchmark'")
    seed: int = doc("the run's seed; split, model and audit seeds derive from it with numpy's SeedSequence")
    splits: int = doc("random splits per data set")
    config: dict = doc("settings: data sets, models, fractions, epochs, audited pairs, witness search budget, row cap")
    datasets: dict[str, DatasetResult] = doc("every data set, by name")
    summary: dict = doc("each verdict's status by key: true holds, false fails, null inconclusive")
    checks: list[Verdict] = doc("the claims checked, each computed from the numbers above")
    elapsed_seconds: float = doc("wall-clock time of the run")


if __name__ == "__main__":  # pragma: no cover - prints the schema
    for key, text in schema_lines(BenchmarkResults):
        print(f"{key:48s}{text}")
