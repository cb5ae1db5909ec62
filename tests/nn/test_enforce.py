"""Enforcement methods (signnet.enforce): project, reparam (4 transforms), penalty."""

import pytest
import torch
import torch.nn.functional as F

from signnet import SignedConv2d, SignedLinear, SignnetError, attach_projection, project_, sign_penalty, sign_violation
from signnet.nn.enforce import METHODS, TRANSFORMS, SignReparametrization, check_method

pytestmark = pytest.mark.usefixtures("single_thread")

TRANSFORM_NAMES = ["abs", "softplus", "exp", "square"]
STEPS = 200


def _train(layer, loss_fn, steps=STEPS, lr=0.05, opt="adam"):
    """Run ``steps`` optimiser steps on ``loss_fn(layer)`` (+ the sign penalty), projecting after each."""
    optim = (torch.optim.Adam if opt == "adam" else torch.optim.SGD)(layer.parameters(), lr=lr)
    handle = attach_projection(optim, layer)
    for _ in range(steps):
        optim.zero_grad()
        (loss_fn(layer) + sign_penalty(layer)).backward()
        optim.step()
    handle.remove()
    return layer


def _pull_negative(layer):
    return layer.weight.sum()


def test_the_loss_really_pulls_an_unconstrained_layer_negative():
    # control: without a sign constraint the same training drives every weight well below 0,
    # so the ">= 0" results below are the constraint's doing, not the loss's
    torch.manual_seed(0)
    layer = _train(SignedLinear(6, 4, sign="free"), _pull_negative)
    assert float(layer.weight.detach().max()) < -5.0


def test_method_and_transform_lists():
    assert METHODS == ("project", "reparam", "penalty")
    assert sorted(TRANSFORMS) == sorted(TRANSFORM_NAMES)


def test_project_keeps_nonneg_weights_exactly():
    torch.manual_seed(0)
    layer = SignedLinear(6, 4, sign="nonneg", method="project")
    _train(layer, _pull_negative)
    w = layer.weight.detach()
    assert (w >= 0).all()
    assert float(w.max()) < 0.05  # the loss did push them all down to (near) the boundary
    assert sign_violation(layer) == {"max": 0.0, "fraction": 0.0, "count": 0}


@pytest.mark.parametrize("transform", TRANSFORM_NAMES)
def test_reparam_keeps_nonneg_weights_exactly(transform):
    torch.manual_seed(0)
    layer = SignedLinear(6, 4, sign="nonneg", method="reparam", transform=transform)
    start = float(layer.weight.detach().sum())
    _train(layer, _pull_negative)
    w = layer.weight.detach()
    assert (w >= 0).all()
    assert float(w.sum()) < 0.5 * start  # pulled down, yet never across 0
    assert sign_violation(layer)["count"] == 0


@pytest.mark.parametrize("transform", TRANSFORM_NAMES)
def test_reparam_holds_during_regression_toward_negative_targets(transform):
    torch.manual_seed(1)
    layer = SignedLinear(3, 2, sign="nonneg", method="reparam", transform=transform)
    X = torch.rand(64, 3)  # non-negative inputs: the targets want negative weights
    target = -X @ torch.tensor([[1.0, 2.0, 0.5], [0.3, 1.0, 1.0]]).T

    def loss(m):
        return F.mse_loss(m(X), target)

    for _ in range(STEPS // 20):
        _train(layer, loss, steps=20)
        assert (layer.weight.detach() >= 0).all()  # at every checkpoint during training


def test_penalty_reports_its_violation_and_it_shrinks_with_strength():
    # loss w.sum() + s * sum(relu(-w)^2) has its minimum at w = -1/(2s): the penalty is soft
    maxima = []
    for strength in (0.1, 1.0, 10.0):
        torch.manual_seed(0)
        layer = SignedLinear(8, 4, sign="nonneg", method="penalty", strength=strength)
        _train(layer, _pull_negative, opt="sgd", lr=0.05)
        v = sign_violation(layer)
        assert v["max"] > 0
        assert v["fraction"] == 1.0 and v["count"] == 32
        assert v["max"] == pytest.approx(float((-layer.weight.detach()).clamp_min(0).max()))
        maxima.append(v["max"])
    assert maxima[0] > maxima[1] > maxima[2] > 0
    assert maxima[1] == pytest.approx(0.5, rel=1e-3)  # -1/(2*1)
    assert maxima[2] == pytest.approx(0.05, rel=1e-3)  # -1/(2*10)
    assert 3.0 < maxima[0] <= 5.0  # on its way to -1/(2*0.1) = -5


def test_sign_penalty_value():
    layer = SignedLinear(2, 2, sign=[[1, -1], [0, 1]], method="penalty", strength=3.0)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[-2.0, 0.5], [-7.0, 1.0]]))
    # (-2)^2 from the +1 entry, 0.5^2 from the -1 entry; the free -7 costs nothing
    assert sign_penalty(layer).item() == pytest.approx(3.0 * (4.0 + 0.25))
    v = sign_violation(layer)
    assert v == {"max": 2.0, "fraction": pytest.approx(2 / 3), "count": 2}


def test_sign_penalty_is_zero_without_penalty_layers():
    layer = SignedLinear(2, 2, sign="nonneg", method="project")
    assert float(sign_penalty(layer)) == 0.0
    assert float(layer.penalty()) == 0.0


MIXED = torch.tensor([[1.0, -1.0, 0.0, 1.0], [0.0, 1.0, -1.0, -1.0], [-1.0, 0.0, 1.0, 0.0]])


def _pull_wrong_way(layer):
    # +1 entries pulled negative, -1 entries pulled positive, free entries pulled negative
    mask = layer.sign_mask
    return (mask * layer.weight).sum() + ((mask == 0) * layer.weight).sum()


@pytest.mark.parametrize("method, transform", [("project", "softplus")] + [("reparam", t) for t in TRANSFORM_NAMES])
def test_mixed_mask_with_free_entries_is_respected(method, transform):
    torch.manual_seed(0)
    layer = SignedLinear(4, 3, sign=MIXED, method=method, transform=transform)
    _train(layer, _pull_wrong_way)
    w = layer.weight.detach()
    assert (w[MIXED == 1] >= 0).all()
    assert (w[MIXED == -1] <= 0).all()
    assert (w[MIXED == 0] < -5.0).all()  # free entries went where the loss sent them
    assert sign_violation(layer)["count"] == 0


@pytest.mark.parametrize("method, transform", [("project", "softplus")] + [("reparam", t) for t in TRANSFORM_NAMES])
def test_conv2d_nonneg_kernel_is_kept(method, transform):
    torch.manual_seed(0)
    layer = SignedConv2d(2, 3, 3, padding=1, sign="nonneg", method=method, transform=transform)
    X = torch.rand(4, 2, 5, 5)

    def loss(m):  # non-negative images, so a smaller output needs smaller (negative) weights
        return m(X).mean()

    _train(layer, loss)
    assert (layer.weight.detach() >= 0).all()
    assert sign_violation(layer)["count"] == 0


@pytest.mark.parametrize("method", ["project", "reparam"])
def test_conv2d_per_channel_signs_are_kept(method):
    torch.manual_seed(0)
    layer = SignedConv2d(3, 2, 2, sign=[1, -1, 0], method=method)
    _train(layer, _pull_wrong_way)
    w = layer.weight.detach()
    assert (w[:, 0] >= 0).all()
    assert (w[:, 1] <= 0).all()
    assert (w[:, 2] < -5.0).all()


def test_conv2d_penalty_reports_violation():
    torch.manual_seed(0)
    layer = SignedConv2d(2, 2, 3, sign="nonneg", method="penalty", strength=1.0)
    _train(layer, _pull_negative, opt="sgd", lr=0.05)
    assert sign_violation(layer)["max"] == pytest.approx(0.5, rel=1e-3)


def test_project_underscore_projects_only_project_layers():
    torch.manual_seed(0)
    model = torch.nn.Sequential(SignedLinear(3, 3, sign="nonneg", method="project"),
                                SignedLinear(3, 3, sign="nonneg", method="penalty"))
    with torch.no_grad():
        model[0].weight.fill_(-1.0)
        model[1].weight.fill_(-1.0)
    assert project_(model) is model
    assert (model[0].weight == 0).all()
    assert (model[1].weight == -1).all()  # penalty layers are soft, never clamped
    assert sign_violation(model) == {"max": 1.0, "fraction": 0.5, "count": 9}


def test_project_clamps_a_nonpos_entry_from_above():
    layer = SignedLinear(2, 1, sign=[1, -1])
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[-0.3, 0.4]]))
    layer.project_()
    assert layer.weight.detach().tolist() == [[0.0, 0.0]]


def test_attach_projection_handle_can_be_removed():
    layer = SignedLinear(3, 2, sign="nonneg")
    opt = torch.optim.SGD(layer.parameters(), lr=1.0)
    handle = attach_projection(opt, layer)
    opt.zero_grad()
    layer.weight.sum().backward()
    opt.step()
    assert (layer.weight >= 0).all()
    handle.remove()
    opt.zero_grad()
    layer.weight.sum().backward()
    opt.step()  # lr 1 and gradient 1: every weight drops by 1, nothing projects it back
    assert (layer.weight < 0).all()


@pytest.mark.parametrize("transform", TRANSFORM_NAMES)
def test_reparametrization_round_trips_nonneg_values(transform):
    mask = torch.tensor([[1.0, -1.0, 0.0]])
    param = SignReparametrization(mask, transform)
    w = torch.tensor([[0.7, -1.3, -2.0]])
    assert torch.allclose(param(param.right_inverse(w)), w, atol=1e-6)
    # wrong-sign values map to the boundary (or just inside it for exp/softplus)
    back = param(param.right_inverse(torch.tensor([[-0.5, 0.5, 0.5]])))
    assert back[0, 0] >= 0 and back[0, 1] <= 0 and back[0, 2] == 0.5
    assert abs(float(back[0, 0])) < 1e-5 and abs(float(back[0, 1])) < 1e-5


def test_reparametrization_uniform_shortcut_matches_the_mask_path():
    v = torch.randn(3, 4)
    for sign in (1.0, -1.0, 0.0):
        uniform = SignReparametrization(torch.full((3, 4), sign), "softplus")
        assert uniform.uniform == sign
        general = SignReparametrization(torch.full((3, 4), sign), "softplus")
        general.uniform = None
        assert torch.equal(uniform(v), general(v))


def test_check_method_errors():
    with pytest.raises(SignnetError, match=r"Unknown enforcement method 'clip'; choose one of: project, reparam, penalty"):
        check_method("clip")
    with pytest.raises(SignnetError, match=r"Unknown reparametrisation transform 'relu'; choose one of: abs, softplus, exp, square"):
        check_method("reparam", "relu")
