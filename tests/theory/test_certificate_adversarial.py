"""certify never certifies what is false: models whose computation is not the composition it reads.

Each case is a model a user can build; certify must refuse it with one sentence
naming the module, or certify what actually runs. Where the refused model really
breaks dominance, find_violation shows it, so the refusal is not merely cautious.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook
from torch.nn.utils import parametrize

from signnet import MLP, SignedConv2d, SignedLinear, SignnetError, dnn_plus
from signnet.theory.certificate import certify
from signnet.theory.dominance import dominance_violations
from signnet.theory.search import find_violation

UNKNOWN = ("certify does not know this module type; build the model from Linear, SignedLinear, Conv1d/2d/3d, "
           "SignedConv2d, max/average pooling, Flatten, Unflatten, Identity, Dropout and element-wise activations "
           "in nn.Sequential containers.")
OVERRIDES = "overrides forward, so what runs need not be the composition of its children."


class Shifted(nn.Sequential):
    """The counterexample of issue 8: a DNN+ minus 2 x0, written in forward."""

    def forward(self, x):
        return super().forward(x) - 2 * x[:, :1]


class Residual(nn.Module):
    def __init__(self, body):
        super().__init__()
        self.body = body

    def forward(self, x):
        return x - 2 * self.body(x)


class NegInPlace(nn.Module):
    def forward(self, x):
        return x.neg_()


class FlippingLinear(nn.Linear):
    """Negates its own weight inside forward: the weight certify reads is not the one used next."""

    def forward(self, x):
        with torch.no_grad():
            self.weight.neg_()
        return super().forward(x)


class Wavy(MLP):
    def forward(self, x):
        return torch.sin(3 * super().forward(x))


class Reversed(nn.Sequential):
    def __iter__(self):
        return iter(list(self._modules.values())[::-1])


class Sneaky(torch.Tensor):
    """A tensor subclass that negates every F.linear it takes part in."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        out = super().__torch_function__(func, types, args, kwargs or {})
        return -out if func is F.linear else out


class Noisy(nn.Module):
    def forward(self, w):
        return w + torch.randn_like(w)


def plus_net(width=5, seed=3):
    torch.manual_seed(seed)
    return [SignedLinear(2, width, sign="nonneg"), nn.ReLU(), SignedLinear(width, 1, sign="nonneg")]


def assert_refused(model, sentence, **kwargs):
    cert = certify(model, **kwargs)
    assert cert.refused and cert.reason == sentence
    assert cert.monotone == [] and cert.convex == [] and cert.unprovable() == []
    assert not cert.preserves_dominance and not cert.is_monotone
    with pytest.raises(SignnetError) as info:
        certify(model, strict=True, **kwargs)
    assert str(info.value) == sentence
    return cert


# ------------------------------------------------------- the two cases
def test_overridden_forward_counterexample_is_refused():
    model = Shifted(*plus_net())
    v = find_violation(model, (-np.ones(2), np.ones(2)))
    assert v is not None and v.gap == pytest.approx(3.94, abs=0.005)  # the model is far from monotone
    assert_refused(model, f"certify refuses the model itself (Shifted): its class Shifted {OVERRIDES}")
    assert certify(nn.Sequential(*model)).monotone == [[1, 1]]  # the same leaves, composed plainly


def test_forward_hook_negating_an_output_is_refused():
    lin = nn.Linear(2, 1)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 2.0]]))
    assert certify(lin).monotone == [[1, 1]]
    handle = lin.register_forward_hook(lambda module, args, out: -out)
    try:
        assert find_violation(lin, (-np.ones(2), np.ones(2))).gap > 5.5  # -(x0 + 2 x1) from (-1, -1) to (1, 1): up to 6
        assert_refused(lin, "certify refuses the model itself (Linear): it has a forward hook, which can "
                            "change its output.")
        assert_refused(nn.Sequential(nn.Sequential(lin), nn.ReLU()), "certify refuses module '0.0' (Linear): "
                       "it has a forward hook, which can change its output.")
    finally:
        handle.remove()
    assert certify(lin).monotone == [[1, 1]]


# ------------------------------------------------------------------- hooks
def test_forward_pre_hook_is_refused():
    net = nn.Sequential(*plus_net())
    net[2].register_forward_pre_hook(lambda module, args: (-args[0],))
    assert find_violation(net, (-np.ones(2), np.ones(2))) is not None
    assert_refused(net, "certify refuses module '2' (SignedLinear): it has a forward pre-hook, which can "
                        "change its input.")


@pytest.mark.parametrize("register, sentence", [
    (register_module_forward_hook, "certify refuses every model while a global forward hook is registered "
     "(torch.nn.modules.module.register_module_forward_hook): it can change any module's output."),
    (register_module_forward_pre_hook, "certify refuses every model while a global forward pre-hook is registered "
     "(torch.nn.modules.module.register_module_forward_pre_hook): it can change any module's input."),
])
def test_global_hooks_are_refused(register, sentence):
    net = dnn_plus(2, (3,))
    flip = (lambda m, args, out: -out) if register is register_module_forward_hook else (lambda m, args: (-args[0],))
    handle = register(lambda m, *rest: flip(m, *rest) if isinstance(m, SignedLinear) and m.out_features == 1
                      else None)
    try:
        assert find_violation(net, (-1.0, 1.0)) is not None
        assert_refused(net, sentence)
    finally:
        handle.remove()
    assert certify(net).monotone == [[1, 1]]


# ------------------------------------------------- what runs is not the tree
def test_residual_connection_written_in_forward_is_refused():
    net = nn.Sequential(SignedLinear(2, 2, sign="nonneg"), Residual(nn.Sequential(*plus_net(3)[:2],
                                                                                  SignedLinear(3, 2, sign="nonneg"))))
    assert find_violation(net, (-np.ones(2), np.ones(2)), output=None) is not None
    assert_refused(net, "certify refuses module '1' (Residual): " + UNKNOWN)


def test_hidden_functional_call_in_an_mlp_subclass_is_refused():
    net = dnn_plus(2, (4,))
    net.__class__ = Wavy  # the same weights, now sin(3 P(x))
    assert find_violation(net, (np.full(2, -3.0), np.full(2, 3.0))) is not None
    assert_refused(net, f"certify refuses the model itself (Wavy): its class Wavy {OVERRIDES}")


def test_iteration_override_is_refused():
    net = Reversed(SignedLinear(2, 2, sign="nonneg"), nn.ReLU(), SignedLinear(2, 2, sign="nonneg"))
    assert_refused(net, "certify refuses the model itself (Reversed): its class Reversed overrides __iter__, so "
                        "what runs need not be the composition of its children.")


def test_forward_replaced_on_an_instance_is_refused():
    net = nn.Sequential(*plus_net())
    layer = net[2]
    net[2].forward = lambda x: -F.linear(x, layer.weight, layer.bias)
    with torch.no_grad():
        assert (net(torch.ones(1, 2)) < net(torch.zeros(1, 2))).all()
    assert_refused(net, "certify refuses module '2' (SignedLinear): its forward is replaced on the instance, so "
                        "what runs is not the computation of its class.")


def test_in_place_negation_and_weight_mutation_are_refused():
    assert_refused(nn.Sequential(*plus_net(), NegInPlace()), "certify refuses module '3' (NegInPlace): " + UNKNOWN)
    flipping = FlippingLinear(2, 1)
    with torch.no_grad():
        flipping.weight.copy_(torch.tensor([[1.0, 1.0]]))
    assert_refused(nn.Sequential(flipping), "certify refuses module '0' (FlippingLinear): " + UNKNOWN)
    # an in-place ReLU only overwrites the caller's tensor; the function is still a DNN+
    net = nn.Sequential(nn.ReLU(inplace=True), *plus_net())
    assert certify(net).monotone == [[1, 1]]
    assert find_violation(net, (-1.0, 1.0), n_starts=16, steps=50) is None


def test_subclass_of_a_known_type_is_refused_even_without_override():
    class MyReLU(nn.ReLU):
        pass

    assert_refused(nn.Sequential(SignedLinear(2, 2), MyReLU(), SignedLinear(2, 1)),
                   "certify refuses module '1' (MyReLU): " + UNKNOWN)


def test_tensor_subclass_parameter_is_refused():
    lin = nn.Linear(2, 1)
    lin.weight = nn.Parameter(torch.tensor([[1.0, 2.0]]).as_subclass(Sneaky))
    with torch.no_grad():
        assert float(lin(torch.ones(1, 2))) == pytest.approx(-(3.0 + float(lin.bias)))  # negated by the subclass
    assert_refused(lin, "certify refuses the model itself (Linear): its parameter 'weight' is a Sneaky, a tensor "
                        "subclass that can change what torch functions compute.")


def test_unknown_parametrization_is_refused():
    net = nn.Sequential(*plus_net())
    parametrize.register_parametrization(net[0], "weight", Noisy())
    assert_refused(net, "certify refuses module '0' (ParametrizedSignedLinear): its weight has a parametrization "
                        "(Noisy) that certify does not know, so the value it uses may differ from the value "
                        "certify reads.")


def test_container_holding_itself_is_refused():
    net = nn.Sequential(SignedLinear(2, 2))
    net.append(net)
    assert_refused(net, "certify refuses module '1' (Sequential): it contains itself, so its forward never ends.")


# -------------------------------------------- known modules, adversarial settings
def test_weights_without_values_are_refused():
    assert_refused(nn.Sequential(nn.Linear(2, 1, device="meta")), "certify refuses module '0' (Linear): its weight "
                   "(torch.float32, torch.strided, on meta) holds no real values certify can read.")


def test_negative_divisor_average_pool_is_refused():
    torch.manual_seed(0)
    net = nn.Sequential(SignedConv2d(1, 1, 1, sign="nonneg"), nn.AvgPool2d(2, divisor_override=-1), nn.Flatten())
    box = (np.zeros((1, 2, 2)), np.ones((1, 2, 2)))
    assert find_violation(net, box) is not None  # -sum of a non-decreasing map
    assert_refused(net, "certify refuses module '1' (AvgPool2d): its divisor_override -1 is not positive, so it "
                        "does not average.", input_shape=(1, 2, 2))
    net[1] = nn.AvgPool2d(2, divisor_override=3)
    assert certify(net, input_shape=(1, 2, 2)).monotone == [[1, 1, 1, 1]]


def test_penalty_weights_are_read_from_their_values_not_their_declared_sign():
    net = MLP(2, (3,), weights="nonneg", method="penalty")
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 0.5], [0.2, 1.0], [1.0, 1.0]]))
        net[2].weight.copy_(torch.tensor([[1.0, -0.01, 1.0]]))  # the penalty did not finish its work
    cert = certify(net)
    assert cert.monotone == [[None, None]] and not cert.preserves_dominance and cert.reason is None
    assert cert.explain(0, 1)["negative"][2].sign == -1
    with torch.no_grad():
        net[2].weight.clamp_(min=0)
    assert certify(net).monotone == [[1, 1]]


def test_tiny_float64_weight_is_an_edge_not_zero():
    lin = nn.Linear(2, 1).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, -1e-50]], dtype=torch.float64))
    assert certify(lin).monotone == [[1, -1]]  # float32 would round -1e-50 to -0.0


def test_softplus_with_a_low_threshold_is_not_monotone():
    net = dnn_plus(1, (1,), activation="softplus")
    with torch.no_grad():
        for layer in net.linear_layers:
            layer.weight.fill_(1.0)
            layer.bias.zero_()
    assert certify(net).monotone == [[1]] and certify(net).convex == ["convex"]  # threshold 20: a 1e-10 step
    net[1] = nn.Softplus(threshold=0.5)  # reverts to x above 0.5: a step down of log1p(exp(-0.5)) = 0.47
    assert certify(net).monotone == [[None]] and certify(net).convex == [None]
    v = find_violation(net, (0.0, 1.0), n_starts=64, steps=300)
    assert v is not None and v.gap == pytest.approx(np.log1p(np.exp(-0.5)), abs=0.02)


def test_certificate_is_a_snapshot_of_the_parameters_when_called():
    net = dnn_plus(2, (3,))
    before = certify(net)
    assert before.preserves_dominance
    with torch.no_grad():
        net[2].weight.mul_(-1.0)  # changed after certify
    assert before.monotone == [[1, 1]] and before.preserves_dominance  # it described the old weights
    after = certify(net)
    assert after.monotone == [[-1, -1]] and not after.preserves_dominance
    assert dominance_violations(net, np.random.default_rng(0).uniform(-1, 1, (200, 2)), n_pairs=500).violations > 0


def test_dropout_in_training_mode_is_certified_per_mask():
    torch.manual_seed(0)
    net = nn.Sequential(SignedLinear(3, 8, sign="nonneg"), nn.Dropout(0.5), nn.ReLU(),
                        SignedLinear(8, 1, sign="nonneg"))
    net.train()
    assert certify(net).monotone == [[1, 1, 1]]
    x = torch.rand(200, 3)
    y = x + torch.rand(200, 3)
    gen_state = torch.get_rng_state()
    with torch.no_grad():
        fx = net(x)
        torch.set_rng_state(gen_state)  # the same masks for y
        fy = net(y)
    assert (fx <= fy + 1e-6).all()
