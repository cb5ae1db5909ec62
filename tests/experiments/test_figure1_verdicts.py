"""Figure 1 verdicts follow their numbers exactly; training verdicts need a trained DNN (figure1/verdicts.py)."""

import numpy as np
import pytest
import torch

from signnet.experiments.figure1.results import (
    Accuracies,
    Checks,
    Constructed,
    Continuous,
    FlippedHand,
    FlippedTrained,
    Panel,
    Softmax,
    Trained,
)
from signnet.experiments.figure1.run import init_seeds, train_best_of
from signnet.experiments.figure1.verdicts import SOLVED, continuous_verdicts, panel_verdicts, softmax_verdicts
from signnet.experiments.results import check_verdict_dict
from signnet.nn.networks import MLP


def _checks(certified: bool) -> Checks:
    return Checks(certified_monotone=certified, monotone=[[1, 1]], convex=["convex"], dominance_violations=0,
                  dominance_pairs=10, worst_gap=0.0)


def _built(acc: float, activation: str = "relu") -> Constructed:
    return Constructed(accuracy=acc, activation=activation, hidden=[1], negative_weights=0, certified_monotone=True)


def _panel(ceiling=0.736, dnn_wide=1.0, best=0.488, built=0.736, flipped=1.0, key_negs=1) -> Panel:
    acc = Accuracies(accuracy_mean=best, accuracy_std=0.0, accuracies=[best], hidden=[3])
    dnn = Trained(accuracy_mean=dnn_wide, accuracy_std=0.0, accuracies=[dnn_wide], hidden=[3],
                  wide=Accuracies(accuracy_mean=dnn_wide, accuracy_std=0.0, accuracies=[dnn_wide], hidden=[64, 64]))
    return Panel(
        title="t", claim="c", width=3, flips={"1": [[0, 2]]}, figure_negative_weights=1, ceiling=ceiling,
        ceiling_relabeled=264, ceiling_train=0.74, dnn=dnn,
        dnn_plus=Trained(**{k: getattr(acc, k) for k in ("accuracy_mean", "accuracy_std", "accuracies", "hidden")},
                         wide=acc),
        dnn_plus_best_trained=best, dnn_plus_constructed=_built(built),
        flipped_hand=FlippedHand(accuracy=1.0, negative_weights=1, weights={}, why=""),
        flipped_trained=FlippedTrained(accuracy=flipped, accuracy_mean=flipped, accuracy_std=0.0, accuracies=[flipped],
                                       negative_weights=key_negs, negative_weights_per_seed=[key_negs]),
        checks={"dnn_plus": _checks(True), "dnn_plus_wide": _checks(True), "flipped_hand": _checks(False),
                "flipped_trained": _checks(False)})


def _status(verdicts) -> dict:
    for v in verdicts:
        check_verdict_dict(v.to_dict())
    return {v.key.split(".", 1)[1]: v.status for v in verdicts}


def test_panel_c_today_theorem_and_construction_hold_training_fails():
    status = _status(panel_verdicts("C", _panel()))
    assert status["ceiling_below_solved"] == "holds"
    assert status["dnn_plus_at_most_ceiling"] == "holds"
    assert status["relu_construction_reaches_ceiling"] == "holds"
    assert status["training_reaches_ceiling"] == "fails"  # 0.488 < 0.736: an optimisation trap
    assert status["trained_flips_solve"] == "holds"


def test_the_bound_is_exact_no_hidden_tolerance():
    assert _status(panel_verdicts("C", _panel(best=0.736)))["dnn_plus_at_most_ceiling"] == "holds"
    assert _status(panel_verdicts("C", _panel(best=0.737)))["dnn_plus_at_most_ceiling"] == "fails"
    assert _status(panel_verdicts("C", _panel(built=0.735)))["relu_construction_reaches_ceiling"] == "fails"


def test_untrained_networks_make_training_verdicts_inconclusive():
    status = _status(panel_verdicts("C", _panel(dnn_wide=SOLVED - 0.01, flipped=0.5)))
    assert status["training_reaches_ceiling"] == "inconclusive"
    assert status["trained_flips_solve"] == "inconclusive"
    assert status["dnn_solves"] == "fails"
    assert status["dnn_plus_at_most_ceiling"] == "holds"  # a theorem needs no training


def test_every_claim_names_what_it_is_about():
    verdicts = panel_verdicts("A", _panel())
    assert all(v.claim.startswith("Panel A: ") for v in verdicts)
    assert len({v.key for v in verdicts}) == len(verdicts)
    assert {v.kind for v in verdicts} == {"theorem", "construction", "training", "measurement"}


def test_softmax_and_continuous_verdicts():
    soft = Softmax(hidden=[16], ceiling=0.736, softmax_accuracy=1.0, binary_accuracy=0.488, softmax_negative_weights=0,
                   logit_difference_certificate=[[None, None]], outputs=["logit1-logit0"],
                   softmax_checks=Checks(certified_monotone=False, monotone=[[None, None]], convex=[None],
                                         dominance_violations=900, dominance_pairs=2000, worst_gap=3.0),
                   binary_checks=_checks(True), dnn_plus_constructed=_built(0.736))
    status = _status(softmax_verdicts(soft, 1.0))
    assert status == {"dnn_plus_at_most_ceiling": "holds", "relu_construction_reaches_ceiling": "holds",
                      "training_reaches_ceiling": "fails", "loophole": "holds", "difference_not_monotone": "holds"}
    row = Continuous(ceiling=1.0, n_test=2000, description="", dnn=0.99, dnn_plus=0.91, dnn_plus_tanh=0.998,
                     dnn_plus_constructed=_built(0.918), dnn_plus_tanh_constructed=_built(1.0, "tanh"))
    verdicts = continuous_verdicts("quadrant", row)
    status = {v.key: v.status for v in verdicts}
    assert status["continuous.quadrant.tanh_construction_reaches_ceiling"] == "holds"
    assert status["continuous.quadrant.relu_construction_reaches_ceiling"] == "fails"
    assert "convex" in next(v.note for v in verdicts if v.key.endswith("relu_construction_reaches_ceiling"))
    # 0.9995 would print as 1.000: the comparison counts test points instead, 1999 < 2000
    row.dnn_plus_tanh = 0.9995
    training = next(v for v in continuous_verdicts("upset", row) if v.key.endswith("training_reaches_ceiling"))
    assert training.status == "fails" and "1999 >= ceiling 2000" in training.evidence


def test_init_seeds_never_overlap_across_run_seeds_and_grow_as_a_prefix():
    seeds = {s: init_seeds(s, 5, 3) for s in range(4)}
    flat = [x for s in seeds.values() for group in s for x in group]
    assert len(set(flat)) == len(flat) == 60
    assert init_seeds(0, 2, 3) == seeds[0][:2]
    assert all(0 <= x < 2**64 for x in flat)


def test_training_leaves_the_global_rng_alone_and_is_repeatable():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]], dtype=np.float32)
    y = np.array([0, 1, 1, 1])
    torch.manual_seed(123)
    state = torch.get_rng_state()
    seeds = init_seeds(0, 2, 2)
    first = train_best_of(lambda: MLP(2, (4,), weights="nonneg"), X, y, seeds=seeds, epochs=3, lr=0.01)
    assert torch.equal(state, torch.get_rng_state())
    again = train_best_of(lambda: MLP(2, (4,), weights="nonneg"), X, y, seeds=seeds, epochs=3, lr=0.01)
    for a, b in zip(first, again, strict=True):
        assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    other = train_best_of(lambda: MLP(2, (4,), weights="nonneg"), X, y, seeds=init_seeds(1, 2, 2), epochs=3, lr=0.01)
    assert not torch.equal(first[0].linear_layers[0].weight, other[0].linear_layers[0].weight)


@pytest.mark.parametrize("key", ["A", "B", "C", "control"])
def test_panel_verdict_keys_are_stable(key):
    keys = {v.key for v in panel_verdicts(key, _panel())}
    assert {f"{key}.dnn_plus_at_most_ceiling", f"{key}.relu_construction_reaches_ceiling",
            f"{key}.training_reaches_ceiling", f"{key}.dnn_solves"} <= keys
