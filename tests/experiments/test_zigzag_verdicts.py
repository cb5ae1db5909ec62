"""The zig-zag verdicts follow their numbers: holds, fails and inconclusive on hand-made results."""

from __future__ import annotations

import pytest

from signnet.experiments.results import check_verdict_dict
from signnet.experiments.zigzag.results import ACT_LABELS, Condition, Training
from signnet.experiments.zigzag.verdicts import summary, training_verdicts


def _training(medians: dict, seeds: int = 3, epochs: int = 30) -> Training:
    """Training results whose every seed stays below the threshold at the given median epoch."""
    conditions = []
    for (act, centered), m in medians.items():
        stay = [m] * seeds
        conditions.append(Condition(
            activation=act, centered=centered, label=f"{ACT_LABELS[act]}, {'centred' if centered else 'uncentred'}",
            loss=[[1.0] * (epochs + 1)] * seeds, test_accuracy=[0.9] * seeds, epochs_to_threshold=stay,
            epochs_to_stay_below=stay, median_epochs_to_threshold=None if m is None else float(m),
            median_epochs_to_stay_below=None if m is None else float(m), final_loss_mean=0.1, largest_rise=0.0))
    return Training(lr=0.5, optimizer="sgd", batch_size=64, epochs=epochs, seeds=seeds, threshold=0.3, hidden=[32],
                    conditions=conditions)


FULL = {("sigmoid", False): 22, ("sigmoid", True): 16, ("sigmoid_centered", False): 20,
        ("sigmoid_centered", True): 16, ("tanh", False): 19, ("tanh", True): 4}


def _status(tr: Training) -> dict:
    verdicts = training_verdicts(tr)
    for v in verdicts:
        check_verdict_dict(v.to_dict())
    return {v.key: v.status for v in verdicts}


def test_the_measured_default_numbers_hold():
    assert set(_status(_training(FULL)).values()) == {"holds"}


@pytest.mark.parametrize(("change", "fails"), [
    ({("tanh", True): 20}, {"training.centred_inputs_never_slower", "training.tanh_lead_mostly_slope"}),
    ({("sigmoid_centered", True): 17}, {"training.centred_sigmoid_never_slower"}),
    ({("sigmoid", True): 30, ("sigmoid", False): 30}, {"training.tanh_lead_mostly_slope"}),
])
def test_a_slower_centred_condition_fails_the_claim(change, fails):
    status = _status(_training({**FULL, **change}))
    assert {k for k, s in status.items() if s == "fails"} == fails
    assert {k for k, s in status.items() if s == "holds"} == set(status) - fails


def test_one_seed_or_an_unreached_threshold_is_inconclusive():
    assert set(_status(_training(FULL, seeds=1)).values()) == {"inconclusive"}
    tr = _training({**FULL, ("sigmoid", False): None})
    verdicts = training_verdicts(tr)
    assert {v.status for v in verdicts} == {"inconclusive"}
    # an unreached count is named as such in the evidence, never shown as a plain number
    assert "not reached: counted as 31" in verdicts[0].evidence
    assert summary(verdicts, tr)["centering_helps"] is None
