"""SignedLinear and SignedConv2d behave like nn.Linear / nn.Conv2d, plus signs."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import signnet
from signnet import SignedConv2d, SignedLinear, SignnetError, attach_projection, dnn_plus

pytestmark = pytest.mark.usefixtures("single_thread")

METHODS = [("project", "softplus"), ("penalty", "softplus")] + [("reparam", t) for t in ("abs", "softplus", "exp", "square")]


@pytest.mark.parametrize("method, transform", METHODS)
def test_linear_output_equals_f_linear_with_its_weight(method, transform):
    torch.manual_seed(0)
    layer = SignedLinear(5, 3, sign=[1, -1, 0, 1, 1], method=method, transform=transform)
    assert isinstance(layer, nn.Linear)
    x = torch.randn(7, 2, 5)  # extra batch dimension, as nn.Linear allows
    out = layer(x)
    assert out.shape == (7, 2, 3)
    assert torch.equal(out, F.linear(x, layer.weight, layer.bias))


@pytest.mark.parametrize("method, transform", METHODS)
def test_conv_output_equals_f_conv2d_with_its_weight(method, transform):
    torch.manual_seed(0)
    layer = SignedConv2d(3, 4, (3, 2), stride=2, padding=1, sign="nonneg", method=method, transform=transform)
    assert isinstance(layer, nn.Conv2d)
    x = torch.randn(2, 3, 9, 8)
    out = layer(x)
    assert out.shape == (2, 4, 5, 5)
    assert torch.equal(out, F.conv2d(x, layer.weight, layer.bias, stride=2, padding=1))


@pytest.mark.parametrize("method, transform", METHODS)
def test_initialisation_keeps_the_default_magnitudes(method, transform):
    torch.manual_seed(3)
    ref = nn.Linear(6, 4)
    torch.manual_seed(3)
    layer = SignedLinear(6, 4, sign="nonpos", method=method, transform=transform)
    assert torch.allclose(layer.weight.detach(), -ref.weight.detach().abs(), atol=1e-6)
    assert torch.equal(layer.bias.detach(), ref.bias.detach())  # biases are free and untouched


def test_free_layer_is_a_plain_linear():
    torch.manual_seed(3)
    ref = nn.Linear(6, 4)
    torch.manual_seed(3)
    layer = SignedLinear(6, 4)
    assert torch.equal(layer.weight, ref.weight)
    assert (layer.weight < 0).any() and (layer.weight > 0).any()


def test_no_bias():
    layer = SignedLinear(3, 2, bias=False, sign="nonneg")
    assert layer.bias is None
    x = torch.randn(4, 3)
    assert torch.equal(layer(x), x @ layer.weight.T)


@pytest.mark.parametrize("method, transform", METHODS)
def test_flip_negates_the_chosen_weights_and_their_sign(method, transform):
    torch.manual_seed(0)
    layer = SignedLinear(3, 2, sign="nonneg", method=method, transform=transform)
    before = layer.weight.detach().clone()
    assert layer.flip([(0, 1), (1, 2)]) is layer
    after = layer.weight.detach()
    assert layer.sign_mask.tolist() == [[1.0, -1.0, 1.0], [1.0, 1.0, -1.0]]
    assert after[0, 1] == pytest.approx(-float(before[0, 1]), abs=1e-6)
    assert after[1, 2] == pytest.approx(-float(before[1, 2]), abs=1e-6)
    assert after[0, 1] < 0 and after[1, 2] < 0
    others = torch.ones(2, 3, dtype=torch.bool)
    others[0, 1] = others[1, 2] = False
    assert torch.allclose(after[others], before[others], atol=1e-6)
    assert "sign=mixed(+4/-2/0:0)" in repr(layer)


def test_flip_of_a_free_weight_is_refused_and_changes_nothing():
    layer = SignedLinear(2, 2, sign=[1, 0])
    before = layer.weight.detach().clone()
    with pytest.raises(SignnetError, match="is free"):
        layer.flip([(0, 1)])
    assert torch.equal(layer.weight.detach(), before)
    assert layer.sign_mask.tolist() == [[1.0, 0.0], [1.0, 0.0]]


@pytest.mark.parametrize("method, transform", [("project", "softplus"), ("reparam", "softplus"), ("reparam", "abs")])
def test_flipped_weight_stays_nonpositive_through_training(method, transform):
    torch.manual_seed(0)
    layer = SignedLinear(3, 2, sign="nonneg", method=method, transform=transform).flip([(0, 1)])
    opt = torch.optim.Adam(layer.parameters(), lr=0.05)
    attach_projection(opt, layer)
    for _ in range(100):
        opt.zero_grad()
        (-layer.weight.sum()).backward()  # pulls every weight up, the flipped one across 0
        opt.step()
        assert layer.weight[0, 1] <= 0
    w = layer.weight.detach()
    keep = torch.ones_like(w, dtype=torch.bool)
    keep[0, 1] = False
    assert (w[keep] > 1.0).all()  # the other weights did move a lot


def test_conv_flip():
    torch.manual_seed(0)
    layer = SignedConv2d(2, 2, 2, sign="nonneg", method="reparam")
    before = layer.weight.detach().clone()
    layer.flip([(1, 0, 1, 1)])
    assert layer.sign_mask[1, 0, 1, 1] == -1
    assert int((layer.sign_mask == -1).sum()) == 1
    assert float(layer.weight.detach()[1, 0, 1, 1]) == pytest.approx(-float(before[1, 0, 1, 1]), abs=1e-6)


def test_extra_repr_mentions_sign_and_method():
    assert repr(SignedLinear(3, 2, sign="nonneg")) == (
        "SignedLinear(in_features=3, out_features=2, bias=True, sign=nonneg, method=project)")
    conv = SignedConv2d(1, 2, 3, sign="nonpos", method="penalty")
    assert "sign=nonpos, method=penalty" in conv.extra_repr()
    assert "kernel_size=(3, 3)" in conv.extra_repr()
    assert "sign=mixed(+1/-1/0:2)" in SignedLinear(2, 2, sign=[[1, 0], [0, -1]]).extra_repr()
    assert "sign=nonneg, method=reparam" in repr(SignedLinear(2, 2, sign="nonneg", method="reparam"))


@pytest.mark.parametrize("args", [(0, 3), (3, 0), (-1, 3), (2.5, 3), ("3", 2), (True, 2)])
def test_linear_invalid_sizes(args):
    with pytest.raises(SignnetError, match=r"must be a positive integer, got"):
        SignedLinear(*args)


@pytest.mark.parametrize("args", [(0, 3, 3), (3, -2, 3), (1.0, 2, 3)])
def test_conv_invalid_sizes(args):
    with pytest.raises(SignnetError, match=r"`(in|out)_channels` must be a positive integer"):
        SignedConv2d(*args)


def test_conv_refuses_a_bias_that_is_not_a_bool():
    # nn.Conv2d's sixth positional argument is dilation: SignedConv2d(1, 8, 3, 1, 1, 2) once meant bias=2
    with pytest.raises(SignnetError, match=r"`bias` must be True or False, got 2 \(nn.Conv2d's sixth positional "
                                           r"argument is dilation, which SignedConv2d does not take\)"):
        SignedConv2d(1, 8, 3, 1, 1, 2)
    assert SignedConv2d(1, 8, 3, 1, 1, False).bias is None and SignedConv2d(1, 8, 3, bias=False).bias is None


def test_invalid_method_transform_strength_and_mask():
    with pytest.raises(SignnetError, match="Unknown enforcement method 'clamp'"):
        SignedLinear(2, 2, method="clamp")
    with pytest.raises(SignnetError, match="Unknown reparametrisation transform 'sigmoid'"):
        SignedLinear(2, 2, method="reparam", transform="sigmoid")
    with pytest.raises(SignnetError, match=r"Penalty strength -1\.0 must be a finite number >= 0; pass e\.g\. "
                                           r"strength=1\.0\."):
        SignedLinear(2, 2, method="penalty", strength=-1.0)
    for bad in (float("nan"), float("inf"), "x", None):
        with pytest.raises(SignnetError, match=f"Penalty strength {bad!r} must be a finite number"):
            SignedLinear(2, 2, method="penalty", strength=bad)
    with pytest.raises(SignnetError, match=r"does not match the weight of shape \(2, 3\)"):
        SignedLinear(3, 2, sign=[1, 1])


@pytest.mark.parametrize("method, transform", METHODS)
def test_state_dict_round_trip_after_flip(method, transform):
    torch.manual_seed(0)
    src = SignedLinear(3, 2, sign="nonneg", method=method, transform=transform).flip([(1, 0)])
    dst = SignedLinear(3, 2, sign="nonneg", method=method, transform=transform)
    dst.load_state_dict(src.state_dict())
    x = torch.randn(5, 3)
    assert torch.equal(dst.sign_mask, src.sign_mask)
    assert torch.equal(dst(x), src(x))
    if method == "reparam":  # the parametrisation follows the loaded (now mixed) mask
        assert dst.parametrizations.weight[0].uniform is None
        assert dst.weight[1, 0] <= 0


def test_gradients_reach_the_parameters():
    torch.manual_seed(0)
    for method in ("project", "reparam", "penalty"):
        layer = SignedLinear(3, 2, sign="nonneg", method=method)
        layer(torch.randn(4, 3)).sum().backward()
        grads = [p.grad for p in layer.parameters()]
        assert len(grads) == 2 and all(g is not None and g.abs().sum() > 0 for g in grads)


@pytest.mark.parametrize("method", ["project", "reparam", "penalty"])
def test_layers_take_dtype_and_device_like_torch(method):
    layer = SignedLinear(3, 2, sign="nonneg", method=method, dtype=torch.float64, device="cpu")
    assert layer.weight.dtype == layer.sign_mask.dtype == layer.bias.dtype == torch.float64
    assert bool((layer.weight >= 0).all())
    assert layer(torch.ones(4, 3, dtype=torch.float64)).dtype == torch.float64
    conv = SignedConv2d(1, 2, 3, sign="nonneg", method=method, dtype=torch.float64)
    assert conv.weight.dtype == conv.sign_mask.dtype == torch.float64
    meta = SignedLinear(3, 2, sign="nonpos", device="meta")
    assert meta.weight.device.type == meta.sign_mask.device.type == "meta"


def test_mlp_passes_dtype_to_every_layer():
    from signnet import MLP

    net = MLP(2, (4, 3), weights="nonneg", dtype=torch.float64)
    assert {p.dtype for p in net.parameters()} == {torch.float64}
    assert "dtype" not in net.config and "device" not in net.config


@pytest.mark.parametrize("method", ["project", "reparam"])
@pytest.mark.parametrize("make", [lambda m: SignedLinear(8, 8, sign="nonneg", method=m),
                                  lambda m: SignedConv2d(2, 3, 3, sign="nonneg", method=m)])
def test_reset_parameters_draws_again_and_keeps_the_sign(make, method):
    torch.manual_seed(0)
    layer = make(method)
    before = layer.weight.detach().clone()
    layer.reset_parameters()  # what a "re-initialise every module" loop calls
    after = layer.weight.detach()
    assert not torch.equal(before, after) and bool((after >= 0).all())


def test_slicing_an_mlp_gives_its_first_layers():
    net = dnn_plus(2, (4, 4))
    head = net[:2]
    assert type(head) is torch.nn.Sequential and len(head) == 2 and head[0] is net[0]
    assert torch.equal(head(torch.ones(3, 2)), torch.relu(net[0](torch.ones(3, 2))))


def test_numbers_of_any_kind_are_penalty_strengths_and_slices_keep_names():
    import numpy as np

    for strength in (np.float64(0.5), 2, torch.tensor(1.0)):
        assert SignedLinear(2, 2, method="penalty", strength=strength).strength == float(strength)
    net = dnn_plus(2, (4, 4))
    assert list(net[2:4].state_dict()) == [k for k in net.state_dict() if k.split(".")[0] in ("2", "3")]


def test_projection_reads_the_current_mask_after_dtype_round_trips():
    # the uniform-sign cache was keyed on id(mask): after .double() and .float() a new mask often reused a freed
    # one's address, and the flipped weight was projected as if the mask were all +1 (19 of 40 trials)
    for trial in range(40):
        layer = SignedLinear(3, 2, sign="nonneg")
        layer.project_()  # caches "all +1" for this mask
        layer.double()
        layer.flip([(0, 1)])
        layer.float()
        with torch.no_grad():
            layer.weight[0, 1] = -0.5
            layer.weight[1, 0] = -0.25
        layer.project_()
        assert layer.weight[0, 1].item() == -0.5 and layer.weight[1, 0].item() == 0.0, trial
        penalised = SignedLinear(3, 2, sign="nonneg", method="penalty")  # penalty reads the same cache
        penalised.penalty()
        penalised.double()
        penalised.flip([(0, 1)])
        penalised.float()
        with torch.no_grad():
            penalised.weight.copy_(torch.tensor([[1.0, -0.5, 1.0], [1.0, 1.0, 1.0]]))
        assert penalised.penalty().item() == 0.0, trial  # -0.5 is on its sign's side


@pytest.mark.parametrize("build", [
    lambda **k: signnet.MonotoneMLP([1, 0, -1], (4, 4), **k),  # init="sign": data-dependent, skipped on meta
    lambda **k: signnet.MLP(3, (4,), init="sign", **k),
    lambda **k: SignedLinear(3, 2, sign="nonneg", method="reparam", **k),
    lambda **k: SignedLinear(3, 2, sign=[1, -1, 0], method="reparam", **k),
    lambda **k: SignedLinear(3, 2, sign=[1, -1, 0], **k),
], ids=["monotone_mlp", "mlp_sign_init", "reparam_uniform", "reparam_mixed", "project_mixed"])
def test_the_meta_device_recipe_builds_and_loads_the_same_network(build):
    torch.manual_seed(0)
    ref = build()
    lazy = build(device="meta")
    assert all(p.is_meta for p in lazy.parameters())
    with torch.device("meta"):  # the context manager form too (the sign mask is checked on the CPU)
        assert all(p.is_meta for p in build().parameters())
    lazy = lazy.to_empty(device="cpu")
    lazy.load_state_dict(ref.state_dict(), strict=True)
    x = torch.randn(16, 3)
    assert torch.equal(lazy(x), ref(x))
    assert signnet.certify(lazy).monotone == signnet.certify(ref).monotone


def test_a_mask_given_new_data_is_projected_by_its_new_signs():
    # `sign_mask.data = ...` swaps the storage without bumping the version: the all-+1 clamp stayed cached
    layer = SignedLinear(3, 2, sign="nonneg")
    layer.project_()  # caches "every entry +1"
    layer.sign_mask.data = torch.tensor([[1.0, -1.0, 0.0]] * 2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[0.5, 0.7, -1.0], [0.2, 0.3, -2.0]]))
    layer.project_()
    expected = torch.tensor([[0.5, 0.0, -1.0], [0.2, 0.0, -2.0]])  # the -1 column clamped, the free one kept
    assert torch.equal(layer.weight.detach(), expected)


def test_a_trained_network_pickles_and_torch_saves_whole():
    # the sign cache once held the mask's storage object: pickle.loads and torch.save then failed after fit
    import io
    import pickle

    net = signnet.MLP(2, (4,), weights="nonneg")
    signnet.fit(net, torch.randn(40, 2), torch.randint(0, 2, (40,)), epochs=3, progress=False)
    x = torch.randn(5, 2)
    again = pickle.loads(pickle.dumps(net))
    buf = io.BytesIO()
    torch.save(net, buf)
    buf.seek(0)
    whole = torch.load(buf, weights_only=False)
    with torch.no_grad():
        assert torch.equal(again(x), net(x)) and torch.equal(whole(x), net(x))
    signnet.project_(again)  # its cache works after the round trip
