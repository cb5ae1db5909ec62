"""The census's numbers and verdicts, computed from its runs (Q&A seed 000).

:func:`summarise` reduces the runs to the numbers that answer the Q&A's claims;
:func:`census_verdicts` states each claim as exact comparisons of those numbers
(:class:`~signnet.experiments.results.Verdict`), with the precondition that the
networks trained (test accuracy at least ``config.trained_accuracy``) where the
claim is about what training reached.
"""

from __future__ import annotations

import numpy as np

from signnet.experiments.census.results import CensusConfig, CensusRun, CensusSummary
from signnet.experiments.results import Comparison, Verdict

LATER = "layers after the first"


def _later(r: CensusRun) -> list[str]:
    return r.layers[1:]


def _mean(values) -> float | None:
    values = list(values)
    return float(np.mean(values)) if values else None


def _min(values) -> float | None:
    values = list(values)
    return min(values) if values else None


def summarise(runs: list[CensusRun]) -> CensusSummary:
    """The numbers that answer the Q&A's claims; ``claim_refuted`` is left ``None`` for the verdicts to set."""
    free = [r for r in runs if r.sign == "free" and r.init == "default"]
    relu = [r for r in free if r.activation == "relu"]
    starts = [r for r in runs if r.init == "nonneg"]
    twins = [r for r in runs if r.sign == "nonneg"]
    decays = sorted({r.weight_decay for r in free})

    by_position = {}
    for kind in ("cnn", "mlp"):
        for wd in (0.0, 1e-3):
            for act in ("relu", "leaky_relu"):
                chosen = [r for r in free if r.architecture == kind and r.weight_decay == wd and r.activation == act]
                by_position[f"{kind}/{act}/wd={wd:g}"] = [
                    _mean(r.final_negative_fraction[r.layers[p]] for r in chosen) for p in range(3)]
    relu_later = [r.final_negative_fraction[n] for r in relu for n in _later(r)]
    flips_all: dict[str, list[float]] = {}
    for r in free:
        for n in r.layers:
            flips_all.setdefault(f"{r.architecture}/{n}", []).append(r.sign_changed_fraction[n])
    step_flips, step_rate = {}, {}
    for wd in decays:
        chosen = [r for r in free if r.weight_decay == wd]
        count = sum(r.step_sign_flips[n] for r in chosen for n in _later(r))
        step_flips[f"{wd:g}"] = count
        step_rate[f"{wd:g}"] = count / sum(r.n_weights[n] * r.steps for r in chosen for n in _later(r))
    groups = {"free": free, "free_relu": relu, "nonneg_start": starts, "dnn_plus": twins}
    return CensusSummary(
        mean_later_layers_negative_fraction_by_weight_decay={
            f"{wd:g}": _mean(r.final_negative_fraction[n] for r in free if r.weight_decay == wd for n in _later(r))
            for wd in decays},
        relu_later_layers_min_negative_fraction=_min(relu_later),
        relu_later_layers_max_negative_fraction=max(relu_later) if relu_later else None,
        relu_later_layers_mean_negative_fraction=_mean(relu_later),
        relu_later_layers_min_negative_fraction_by_weight_decay={
            f"{wd:g}": _min(r.final_negative_fraction[n] for r in relu if r.weight_decay == wd for n in _later(r))
            for wd in decays},
        mean_final_negative_fraction_by_layer_position=by_position,
        nonneg_start_max_initial_negative_fraction=max(
            (v for r in starts for v in r.initial_negative_fraction.values()), default=0.0),
        nonneg_start_later_layers_negative_fraction={
            r.architecture: {n: r.final_negative_fraction[n] for n in _later(r)} for r in starts},
        dnn_plus_max_negative_fraction=max(
            (v for r in twins for v in r.max_negative_fraction_over_training.values()), default=0.0),
        mean_sign_changed_fraction_later_layers=_mean(r.sign_changed_fraction[n] for r in free for n in _later(r)),
        mean_sign_changed_fraction_by_layer={k: float(np.mean(v)) for k, v in flips_all.items()},
        step_sign_flips_later_layers_by_weight_decay=step_flips,
        step_sign_flip_rate_later_layers_by_weight_decay=step_rate,
        min_test_accuracy={k: min(r.test_accuracy for r in v) for k, v in groups.items() if v},
        claim_refuted=None,
    )


def _trained(summary: CensusSummary, config: CensusConfig, group: str, words: str) -> Comparison:
    return Comparison(f"lowest test accuracy of {words}", summary.min_test_accuracy[group], ">=",
                      "the trained threshold", config.trained_accuracy)


def census_verdicts(summary: CensusSummary, config: CensusConfig) -> list[Verdict]:
    """The census's claims as verdicts computed from ``summary`` (see the module docstring)."""
    relu_trained = _trained(summary, config, "free_relu", "the free ReLU networks")
    starts = summary.nonneg_start_later_layers_negative_fraction
    by_wd = summary.relu_later_layers_min_negative_fraction_by_weight_decay
    flips = summary.step_sign_flips_later_layers_by_weight_decay
    return [
        Verdict(
            "census.relu_later_layers_negative",
            "Trained ReLU networks (free weights, default start) end with negative weights in every layer after "
            "the first; leaky ReLU is not needed for this",
            "training",
            [Comparison(f"smallest final share of negative weights, {LATER}, free ReLU networks",
                        summary.relu_later_layers_min_negative_fraction, ">", "zero", 0)],
            requires=[relu_trained]),
        Verdict(
            "census.nonneg_start_acquires_negatives",
            "A free ReLU network started with every weight non-negative ends with negative weights in every layer "
            "after the first: training alone puts them there",
            "training",
            [Comparison("largest initial share of negative weights, non-negative starts",
                        summary.nonneg_start_max_initial_negative_fraction, "==", "zero", 0),
             Comparison(f"smallest final share of negative weights, {LATER}, non-negative starts",
                        min(v for d in starts.values() for v in d.values()), ">", "zero", 0)],
            requires=[_trained(summary, config, "nonneg_start", "the non-negative starts")]),
        Verdict(
            "census.dnn_plus_exactly_nonnegative",
            "The DNN+ twins (sign=\"nonneg\", projected after every step) have no negative weight at any epoch",
            "measurement",
            [Comparison("largest share of negative weights over every layer and epoch, DNN+ twins",
                        summary.dnn_plus_max_negative_fraction, "==", "zero", 0)]),
        Verdict(
            "census.weight_decay_not_needed",
            "Weight decay is not needed for negative weights and does not remove them: trained ReLU networks end "
            "with negative weights in every layer after the first both without weight decay and with it (Adam's "
            "L2 term)",
            "training",
            [Comparison(f"smallest final share of negative weights, {LATER}, free ReLU networks, weight decay {wd}",
                        value, ">", "zero", 0) for wd, value in by_wd.items()],
            requires=[relu_trained]),
        Verdict(
            "census.steps_flip_signs",
            "Single optimiser steps flip the signs of weights after the first layer, without weight decay as well "
            "as with it",
            "measurement",
            [Comparison(f"one-step sign flips, {LATER}, free networks, weight decay {wd}", count, ">", "zero", 0)
             for wd, count in flips.items()],
            note="A flip is one step taking a weight from > 0 to < 0 or from < 0 to > 0; the counts are summed over "
                 "all steps and weights."),
    ]


def claim_refuted(verdicts: list[Verdict]) -> bool | None:
    """The Q&A claim is refuted when the two training verdicts hold; ``None`` when one is inconclusive."""
    chosen = [v for v in verdicts if v.key in ("census.relu_later_layers_negative",
                                                "census.nonneg_start_acquires_negatives")]
    if any(v.status == "inconclusive" for v in chosen):
        return None
    return all(v.holds for v in chosen)
