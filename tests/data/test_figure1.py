"""The Figure 1 panels: data, flip patterns and hand-built networks (signnet.figure1)."""

import numpy as np
import pytest
import torch

from signnet import SignnetError
from signnet.data.figure1 import PANELS, flipped_network, get_panel, hand_built, panel_data
from signnet.theory.ceiling import monotone_ceiling
from signnet.theory.certificate import certify
from signnet.train.fit import accuracy

FIGURE_COUNTS = {"A": 1, "B": 4, "C": 1, "control": 0}


@pytest.mark.parametrize("key", list(PANELS))
def test_hand_built_network_solves_its_panel_with_the_figures_flips(key):
    X, y = panel_data(key, 2000, seed=3)
    model = hand_built(key)
    assert accuracy(model, X, y) == 1.0
    negative = sum(int((layer.weight < 0).sum()) for layer in model.linear_layers)
    assert negative == FIGURE_COUNTS[key] == PANELS[key].negative_weights


@pytest.mark.parametrize("key", list(PANELS))
def test_hand_built_weights_obey_the_flipped_sign_mask(key):
    model = hand_built(key)
    for layer in model.linear_layers:
        assert bool((layer.sign_mask * layer.weight >= 0).all())
    # the mask makes exactly the figure's weights non-positive
    mask_negatives = {(k, tuple(idx)) for k, layer in enumerate(model.linear_layers)
                      for idx in (layer.sign_mask < 0).nonzero().tolist()}
    expected = {(k, tuple(idx)) for k, v in PANELS[key].flips.items() for idx in v}
    assert mask_negatives == expected


@pytest.mark.parametrize("key", ["A", "B", "C"])
def test_hard_panels_have_a_ceiling_well_below_one(key):
    X, y = panel_data(key, 1000, seed=0)
    assert monotone_ceiling(X, y).accuracy < 0.95


def test_control_panel_is_monotone():
    X, y = panel_data("control", 1000, seed=0)
    assert monotone_ceiling(X, y).accuracy == 1.0


def test_panel_a_network_is_certified_decreasing_in_x1():
    # unit 1 has output weight 0, so x1 reaches the output only through the flipped weight
    cert = certify(hand_built("A"))
    assert cert.monotone == [[-1, 1]]
    assert not cert.preserves_dominance


@pytest.mark.parametrize("key", ["B", "C"])
def test_flipped_networks_are_not_certified_and_the_certificate_names_mixed_paths(key):
    cert = certify(hand_built(key))
    assert not cert.preserves_dominance
    j, i = cert.unprovable()[0]
    paths = cert.explain(j, i)
    assert paths["positive"] and paths["negative"]


def test_panel_data_is_seeded_and_shaped():
    X1, y1 = panel_data("C", 300, seed=5)
    X2, y2 = panel_data("C", 300, seed=5)
    X3, _ = panel_data("C", 300, seed=6)
    assert X1.shape == (300, 2) and X1.dtype == np.float32 and y1.dtype == np.int64
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    assert set(np.unique(y1)) == {0, 1}


def test_flipped_network_starts_with_the_flipped_weights_negative():
    torch.manual_seed(0)
    model = flipped_network("B")
    first = model.linear_layers[0].weight
    for row, col in PANELS["B"].flips[0]:
        assert first[row, col] < 0
    assert int((first < 0).sum()) == 4


def test_unknown_panel_is_refused():
    with pytest.raises(SignnetError, match="Unknown Figure 1 panel 'D'"):
        get_panel("D")


def test_hand_built_leaves_the_global_rng_alone():
    state = torch.get_rng_state()
    for key in PANELS:
        hand_built(key)
    assert torch.equal(state, torch.get_rng_state())
