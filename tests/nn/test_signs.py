"""Sign specifications -> masks (signnet.signs)."""

import re

import numpy as np
import pytest
import torch

from signnet import SignnetError, flip_mask, sign_mask
from signnet.nn.signs import describe_mask


@pytest.mark.parametrize("name, value", [("free", 0.0), ("nonneg", 1.0), ("nonpos", -1.0)])
@pytest.mark.parametrize("shape", [(3, 4), (5, 2, 3, 3)])
def test_named_signs_fill_the_whole_shape(name, value, shape):
    mask = sign_mask(name, shape)
    assert tuple(mask.shape) == shape
    assert mask.dtype == torch.float32
    assert torch.equal(mask, torch.full(shape, value))


def test_full_mask_is_returned_as_a_copy():
    spec = torch.tensor([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0]])
    mask = sign_mask(spec, (2, 3))
    assert torch.equal(mask, spec)
    mask[0, 0] = -1.0
    assert spec[0, 0] == 1.0  # the caller's tensor is untouched


def test_full_mask_from_nested_lists_and_numpy():
    rows = [[1, -1, 0], [0, 1, -1]]
    assert torch.equal(sign_mask(rows, (2, 3)), torch.tensor(rows, dtype=torch.float32))
    assert torch.equal(sign_mask(np.array(rows), (2, 3)), torch.tensor(rows, dtype=torch.float32))


def test_per_input_vector_sets_columns_of_a_linear_mask():
    mask = sign_mask([1, -1, 0], (4, 3))
    assert tuple(mask.shape) == (4, 3)
    for row in mask:
        assert row.tolist() == [1.0, -1.0, 0.0]


def test_per_input_vector_sets_input_channels_of_a_conv_mask():
    mask = sign_mask([1, 0, -1], (2, 3, 2, 2))
    assert tuple(mask.shape) == (2, 3, 2, 2)
    assert (mask[:, 0] == 1).all()
    assert (mask[:, 1] == 0).all()
    assert (mask[:, 2] == -1).all()
    # the result is a real tensor, not an expanded view sharing memory
    mask[0, 0, 0, 0] = 0.0
    assert mask[1, 0, 0, 0] == 1.0


def test_square_weight_prefers_the_full_mask_over_the_vector_reading():
    full = [[1, 0], [-1, 1]]
    assert torch.equal(sign_mask(full, (2, 2)), torch.tensor(full, dtype=torch.float32))
    assert sign_mask([1, -1], (2, 2)).tolist() == [[1.0, -1.0], [1.0, -1.0]]


def test_unknown_name_is_refused_with_the_choices():
    with pytest.raises(SignnetError, match=r"Unknown sign specification 'positive'; choose one of: free, nonneg, nonpos"):
        sign_mask("positive", (2, 2))


@pytest.mark.parametrize("spec, bad", [([1, 2, 0], r"\[2\.0\]"), ([[0.5, 1], [1, 1]], r"\[0\.5\]"),
                                       ([-3, -1, 1], r"\[-3\.0\]")])
def test_entries_outside_plus_minus_one_zero_are_refused(spec, bad):
    shape = (2, 2) if len(spec) == 2 else (2, 3)
    with pytest.raises(SignnetError, match=rf"entries {bad} outside"):
        sign_mask(spec, shape)


def test_nan_entry_is_refused():
    with pytest.raises(SignnetError, match="outside"):
        sign_mask([1.0, float("nan")], (3, 2))


def test_non_numeric_spec_is_refused():
    with pytest.raises(SignnetError, match="neither a name nor numeric"):
        sign_mask(["a", "b"], (2, 2))


@pytest.mark.parametrize("spec, shape, got", [
    ([1, 1], (3, 4), (2,)),  # vector of the wrong length
    ([[1, 1, 1]] * 3, (2, 3), (3, 3)),  # mask of the wrong shape
    (np.ones((2, 3, 3, 3)), (2, 3, 2, 2), (2, 3, 3, 3)),
])
def test_shape_mismatch_names_both_shapes(spec, shape, got):
    with pytest.raises(SignnetError, match=re.escape(f"shape {got} does not match the weight of shape {shape}")):
        sign_mask(spec, shape)


def test_flip_mask_negates_only_the_chosen_entries():
    mask = sign_mask("nonneg", (2, 3))
    flipped = flip_mask(mask, [(0, 1), (1, 2)])
    assert flipped.tolist() == [[1.0, -1.0, 1.0], [1.0, 1.0, -1.0]]
    assert (mask == 1).all()  # the input mask is unchanged
    # flipping back restores the original
    assert torch.equal(flip_mask(flipped, [(0, 1), (1, 2)]), mask)


def test_flip_mask_on_a_conv_kernel_and_a_nonpos_entry():
    mask = sign_mask([1, -1], (2, 2, 3, 3))
    flipped = flip_mask(mask, [(1, 1, 2, 0)])
    assert flipped[1, 1, 2, 0] == 1.0
    assert int((flipped != mask).sum()) == 1


def test_flip_mask_refuses_free_entries():
    mask = sign_mask([1, 0], (2, 2))
    with pytest.raises(SignnetError, match=r"Weight \(1, 1\) is free \(sign 0\)"):
        flip_mask(mask, [(1, 1)])


@pytest.mark.parametrize("index", [(2, 0), (0, 3), (-1, 0), (0,), (0, 0, 0)])
def test_flip_mask_refuses_indices_outside_the_weight(index):
    mask = sign_mask("nonneg", (2, 3))
    with pytest.raises(SignnetError, match=r"is not inside a weight of shape \(2, 3\)"):
        flip_mask(mask, [index])


def test_describe_mask():
    assert describe_mask(sign_mask("free", (2, 2))) == "free"
    assert describe_mask(sign_mask("nonneg", (2, 2))) == "nonneg"
    assert describe_mask(sign_mask("nonpos", (2, 2))) == "nonpos"
    assert describe_mask(sign_mask([[1, -1, 0], [1, 1, 0]], (2, 3))) == "mixed(+3/-1/0:2)"
