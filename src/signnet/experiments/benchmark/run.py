"""The monotone benchmark: every model under one protocol on the real tabular data sets.

For each data set of :func:`signnet.load_tabular` and each of ``splits`` seeded random splits,
every model of :mod:`.models` (signnet's estimators when importable, HistGradientBoosting with
``monotonic_cst``, an unconstrained MLP of the same widths, and monotonicnetworks when importable)
is fitted on the fitting rows, makes its choices on validation rows carved from the training rows,
and is scored on the test rows (:mod:`.protocol`): mean +- std of the metric, parameter count, fit
seconds, violating pairs found by the audit, whether :func:`signnet.find_violation` found a witness
in the box of the test rows, and for binary labels the exact monotone ceiling of the test rows.
:func:`compute_benchmark` returns the typed :class:`~.results.BenchmarkResults` and writes nothing;
:func:`run_benchmark` (``signnet benchmark``) also writes ``results.json``, the partial-dependence
figures and ``index.html`` (:mod:`.report`).

Sizes: the default run (3 splits, 6 data sets) and ``--quick`` (2 splits, auto_mpg, heart and
compas, networks stopped after 30 epochs, fewer audited pairs, a smaller witness search). Data
sets above :data:`MAX_ROWS` rows (Adult) use a seeded random subset of that many rows, the same
for every split.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from signnet.data.tabular import TABULAR_DATASETS, load_tabular
from signnet.errors import SignnetError
from signnet.experiments.benchmark.models import MODEL_NAMES, MODELS, Unavailable, check_models
from signnet.experiments.benchmark.protocol import (
    TEST_FRACTION,
    TUNING_SEED,
    TUNING_SPLITS,
    VAL_FRACTION,
    ceiling_of,
    derived_seed,
    run_model,
    split_indices,
)
from signnet.experiments.benchmark.report import section_html, write_report  # noqa: F401 (entry points)
from signnet.experiments.benchmark.results import BenchmarkResults, DatasetResult, ModelResult
from signnet.experiments.benchmark.verdicts import dataset_verdicts, summary
from signnet.experiments.runner import run_study
from signnet.validation import check_size

MAX_ROWS = 10000  # rows used at most per data set (Adult has 45222)
ROWS_STREAM = 4
# witness: (n_starts, steps) of find_violation; (64, 200) took at most 0.6 s per model and split on Adult's 10,000 rows
FULL = {"splits": 3, "max_epochs": None, "pairs": 2000, "witness": (64, 200), "datasets": TABULAR_DATASETS}
QUICK = {"splits": 2, "max_epochs": 30, "pairs": 500, "witness": (16, 100), "datasets": ("auto_mpg", "heart", "compas")}


def parse_datasets(text) -> tuple[str, ...]:
    """``"auto_mpg,heart"`` -> ``("auto_mpg", "heart")``; raises SignnetError naming ``--datasets``."""
    names = tuple(t.strip() for t in str(text).split(","))
    if not text or not all(names):
        raise SignnetError(f"--datasets {text!r} must be comma-separated names, e.g. auto_mpg,heart; "
                           f"choose from: {', '.join(TABULAR_DATASETS)}.")
    for n in names:
        if n not in TABULAR_DATASETS:
            raise SignnetError(f"--datasets: unknown data set {n!r}; choose from: {', '.join(TABULAR_DATASETS)}.")
    if len(set(names)) < len(names):
        raise SignnetError(f"--datasets {text!r} names a data set twice; give each once.")
    return names


def _rows(n: int, seed: int) -> np.ndarray:
    if n <= MAX_ROWS:
        return np.arange(n)
    return np.sort(np.random.default_rng(derived_seed(seed, ROWS_STREAM, 0)).choice(n, MAX_ROWS, replace=False))


def tuning_rows(y: np.ndarray, task: str) -> np.ndarray:
    """Rows of the whole data set (sorted) that were validation rows where signnet's defaults were chosen.

    ``bench/tune_defaults.py`` scored its candidates on the validation rows of splits ``0..TUNING_SPLITS-1``
    of seed ``TUNING_SEED`` (on Adult, on up to 1,000 of each; this counts them all, an upper bound).
    """
    keep = _rows(len(y), TUNING_SEED)
    held = [split_indices(y[keep], task, seed=TUNING_SEED, split=k)[1] for k in range(TUNING_SPLITS)]
    return np.unique(keep[np.concatenate(held)])


def _model_result(name: str, runs: list, ceilings: list[float], skipped: str) -> ModelResult:
    spec = MODELS[name]
    if not runs:
        return ModelResult(name=name, label=spec.label, constrained=spec.constrained, available=False, note=skipped,
                           metric=[], metric_mean=None, metric_std=None, second=[], second_mean=None,
                           fit_seconds=[], fit_seconds_mean=None, parameters=None, violations=[], pairs=[],
                           violations_total=None, audit_method="", witnesses=[], witnesses_total=None,
                           witness_gap_max=None, accuracy_minus_ceiling_max=None)
    metric = [r.metric for r in runs]
    gaps = [m - c for m, c in zip(metric, ceilings, strict=True)] if ceilings else []
    found = [r.witness_gap for r in runs if r.witness_gap is not None]
    return ModelResult(
        name=name, label=spec.label, constrained=spec.constrained, available=True, note=spec.note(runs[0].fitted[1]),
        metric=metric, metric_mean=float(np.mean(metric)), metric_std=float(np.std(metric)),
        second=[r.second for r in runs], second_mean=float(np.mean([r.second for r in runs])),
        fit_seconds=[r.fit_seconds for r in runs], fit_seconds_mean=float(np.mean([r.fit_seconds for r in runs])),
        parameters=runs[0].parameters, violations=[r.violations for r in runs], pairs=[r.pairs for r in runs],
        violations_total=int(sum(r.violations for r in runs)), audit_method=runs[0].audit_method,
        witnesses=[int(r.witness_gap is not None) for r in runs], witnesses_total=len(found),
        witness_gap_max=max(found) if found else None,
        accuracy_minus_ceiling_max=float(max(gaps)) if gaps else None)


def paired_difference(a: list[float], b: list[float], higher_is_better: bool, test_to_train: float) -> dict:
    """``a - b`` split by split, its mean with a 95% interval, and the splits where ``a`` is better.

    The splits are the pairing: both models saw the same rows, so the difference of each split removes
    what the rows do to both. The splits are repeated random cuts of the same rows, so their differences
    are correlated and a plain paired t interval is too narrow; the interval is Nadeau & Bengio's
    corrected resampled t (Inference for the generalization error, Machine Learning 52, 2003): the
    variance of the mean is ``(1 / J + test_to_train) * s^2`` instead of ``s^2 / J`` for ``J`` splits,
    ``s^2`` the sample variance of the differences and ``test_to_train`` the test rows over the training
    rows of a split. With ``test_to_train = 0`` it is the plain paired t interval. With one split there
    is no interval (``ci95`` None).
    """
    from scipy import stats

    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    mean = float(d.mean())
    ci = None
    if d.size >= 2:
        half = float(stats.t.ppf(0.975, d.size - 1) * np.sqrt((1 / d.size + test_to_train) * d.var(ddof=1)))
        ci = [mean - half, mean + half]
    better = int(np.sum(d > 0) if higher_is_better else np.sum(d < 0))
    return {"diffs": d.tolist(), "mean": mean, "ci95": ci, "test_to_train": float(test_to_train),
            "signnet_better": better, "splits": int(d.size)}


def run_dataset(name: str, *, seed: int, splits: int, models, max_epochs, pairs: int, witness=(16, 100), bar=None):
    """One data set under the protocol; returns ``(DatasetResult without verdicts, split-0 fits, X, test rows)``."""
    data = load_tabular(name)
    keep = _rows(len(data.y), seed)
    X, y, cst = data.X.to_numpy()[keep], data.y[keep], data.cst
    runs = {m: [] for m in models}
    notes, ceilings, groups, overlap, fitted = {}, [], [], 0, {}
    tuned = tuning_rows(data.y, data.task)  # rows (of the whole data set) on which signnet's defaults were chosen
    tuning_overlap = 0
    for s in range(splits):
        rows = split_indices(y, data.task, seed=seed, split=s)
        overlap += int(np.intersect1d(rows[1], rows[2]).size)
        tuning_overlap += int(np.intersect1d(keep[rows[2]], tuned).size)
        if data.task == "binary":
            ceilings.append(ceiling_of(X[rows[2]], y[rows[2]], cst))
            groups.append(int(np.unique(X[rows[2]][:, cst == 0], axis=0).shape[0]))
        for m in models:
            if bar is not None:
                bar.update()
            if m in notes:
                continue
            try:
                run = run_model(m, data.task, cst, X, y, rows, seed=seed, split=s, max_epochs=max_epochs, n_pairs=pairs,
                                witness_budget=witness)
            except Unavailable as exc:
                notes[m] = f"skipped: {exc}"
                continue
            runs[m].append(run)
            if s == 0:
                fitted[m] = run.fitted
    fit_rows, val_rows, test_rows = split_indices(y, data.task, seed=seed, split=0)
    binary = data.task == "binary"
    both = all(runs.get(m) for m in ("signnet", "hgb_monotone"))
    model_results = {m: _model_result(m, runs[m], ceilings, notes.get(m, "")) for m in models}
    paired = (paired_difference(model_results["signnet"].metric, model_results["hgb_monotone"].metric, binary,
                                len(test_rows) / (len(fit_rows) + len(val_rows))) if both else None)
    result = DatasetResult(
        name=name, task=data.task, rows=len(y), rows_total=len(data.y), features=X.shape[1],
        monotonic_cst=dict(data.monotonic_cst), description=data.description, citation=data.citation,
        metric="accuracy" if binary else "rmse", second="roc_auc" if binary else "r2", higher_is_better=binary,
        n_fit=len(fit_rows), n_val=len(val_rows), n_test=len(test_rows), val_test_overlap=overlap,
        tuning_overlap=tuning_overlap,
        ceiling=ceilings, ceiling_mean=float(np.mean(ceilings)) if ceilings else None, free_groups=groups,
        models=model_results, paired=paired, figure=f"pd_{name}.png")
    return result, fitted, (data.X.iloc[keep].reset_index(drop=True), test_rows, cst)


def compute_benchmark(seed: int = 0, quick: bool = False, progress: bool = False, *, datasets=None,
                      splits: int | None = None, models=MODEL_NAMES, max_epochs: int | None = None):
    """Run the benchmark; writes nothing (see :func:`run_benchmark`).

    Args:
        seed: root of every split, model and audit seed.
        quick: the :data:`QUICK` sizes (three small data sets, 2 splits, 30 epochs).
        progress: a progress bar on stderr.
        datasets: names from :data:`signnet.TABULAR_DATASETS` (default: all, or QUICK's with ``quick``).
        splits: random splits per data set (default 3; 2 with ``quick``).
        models: model keys of :data:`.models.MODELS`.
        max_epochs: cap on the epochs of the networks (default: theirs; 30 with ``quick``).

    Returns:
        ``(BenchmarkResults, plots)``: ``plots`` maps a data set to its split-0 fitted models, raw
        features and test rows, for the partial-dependence figures.
    """
    start = time.perf_counter()
    size = QUICK if quick else FULL
    datasets = tuple(datasets) if datasets is not None else size["datasets"]
    splits = check_size(splits if splits is not None else size["splits"], "splits")
    models = check_models(models)
    max_epochs = max_epochs if max_epochs is not None else size["max_epochs"]
    from threadpoolctl import threadpool_limits

    bar = tqdm(total=len(datasets) * splits * len(models), desc="benchmark", disable=not progress, leave=False,
               file=sys.stderr)
    results, plots, checks = {}, {}, []
    try:
        with threadpool_limits(1):  # tiny models: one BLAS/OpenMP thread each is fastest on a shared machine
            for name in datasets:
                results[name], fitted, data = run_dataset(name, seed=seed, splits=splits, models=models,
                                                          max_epochs=max_epochs, pairs=size["pairs"],
                                                          witness=size["witness"], bar=bar)
                plots[name] = (fitted, *data)
                checks += dataset_verdicts(results[name])
    finally:
        bar.close()
    config = {"study": "benchmark", "quick": quick, "datasets": list(datasets), "models": list(models),
              "splits": splits, "test_fraction": TEST_FRACTION, "val_fraction_of_training": VAL_FRACTION,
              "max_epochs": max_epochs, "audited_pairs_per_split": size["pairs"], "max_rows": MAX_ROWS,
              "witness_search": {"n_starts": size["witness"][0], "steps": size["witness"][1]},
              "seeds": "numpy SeedSequence(seed, spawn_key=(stream, split)): streams 1 splits, 2 models, "
                       "3 audit, 4 row subset, 5 witness search"}
    res = BenchmarkResults(study="benchmark", seed=seed, splits=splits, config=config, datasets=results,
                           summary=summary(checks), checks=checks, elapsed_seconds=round(time.perf_counter() - start, 2))
    return res, plots


def run_benchmark(out: Path, *, seed: int = 0, quick: bool = False, progress: bool = True, datasets=None,
                  splits: int | None = None) -> dict:
    """Run the benchmark; write ``results.json``, the figures and ``index.html`` into ``out``; return results.json.

    Args:
        out: output folder (created if missing).
        seed, quick, progress, splits: see :func:`compute_benchmark`.
        datasets: names as a tuple, or one comma-separated string (the command line's ``--datasets``).
    """
    if isinstance(datasets, str):
        datasets = parse_datasets(datasets)
    if splits is not None:
        splits = check_size(splits, "--splits")

    def _run(out, seed, quick, progress):
        results, plots = compute_benchmark(seed, quick, progress, datasets=datasets, splits=splits)
        return write_report(results, plots, out)

    return run_study(_run, out, seed=seed, quick=quick, progress=progress)
