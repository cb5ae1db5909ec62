"""certify refuses computations hidden from the module tree it reads (session 8's audit).

Each model below runs something other than the composition certify reads, through
Python's own machinery: a dictionary subclass, a mixin's ``__getattribute__``, a
parametrization registered under a method's name, a number whose comparisons lie,
a torch function mode. Each test first shows, by evaluating the model, that the
property certify would have claimed is false, then that certify refuses (or no longer claims it).
"""

from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize
from torch.overrides import TorchFunctionMode

from signnet import MonotoneRegressor, SignnetError, certify, dnn_plus, dominance_violations
from signnet.nn.enforce import SignReparametrization

X_LO, X_HI = torch.zeros(1, 2), torch.ones(1, 2)  # X_LO <= X_HI in every coordinate


def _decreases(model) -> bool:
    """model(X_HI) < model(X_LO): dominance is broken on this pair."""
    with torch.no_grad():
        return bool((model(X_HI) < model(X_LO)).any())


def _positive_linear() -> nn.Linear:
    lin = nn.Linear(2, 1)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 2.0]]))
        lin.bias.zero_()
    return lin


def _refused(model, sentence: str) -> None:
    cert = certify(model)
    assert cert.refused and not cert.preserves_dominance
    assert sentence in cert.reason


def test_children_dict_subclass_that_adds_a_layer_is_refused():
    class Sneaky(dict):
        def values(self):  # what Sequential.forward iterates; certify reads items()
            negate = nn.Linear(1, 1, bias=False)
            with torch.no_grad():
                negate.weight.fill_(-1.0)
            return [*super().values(), negate]

    model = nn.Sequential(_positive_linear())
    model._modules = Sneaky(model._modules)
    assert _decreases(model)
    _refused(model, "certify refuses the model itself (Sequential): its _modules is a Sneaky, not a plain dict")


def test_hook_dict_that_hides_its_length_is_refused():
    class Quiet(OrderedDict):
        def __len__(self):
            return 0

        def __bool__(self):  # torch tests truthiness and runs the hook
            return True

    model = dnn_plus(2, (4,))
    last = model[-1]
    last._forward_hooks = Quiet(last._forward_hooks)
    last._forward_hooks[0] = lambda module, inputs, out: -out
    with torch.no_grad():  # a non-zero positive last layer, so the negation reverses the order
        model[0].weight.fill_(1.0)
        last.weight.fill_(1.0)
    assert _decreases(model)
    _refused(model, "its _forward_hooks is a Quiet, not a plain dict")


def test_mixin_after_sequential_in_the_bases_is_refused():
    class Mixin:
        def __getattribute__(self, name):
            if name == "forward":
                inner = object.__getattribute__(self, "forward")
                return lambda x: -inner(x)
            return object.__getattribute__(self, name)

    class Net(nn.Sequential, Mixin):  # MRO: Net, Sequential, Module, Mixin, object
        pass

    model = Net(_positive_linear())
    assert _decreases(model)
    _refused(model, "its class Mixin overrides __getattribute__")


def test_parametrization_registered_under_a_method_name_is_refused():
    def negated(self, x):
        return -F.linear(x, self.weight, self.bias)

    lin = _positive_linear()
    lin.__class__ = type("ParametrizedLinear", (nn.Linear,), {"forward": negated})
    plist = parametrize.ParametrizationList([SignReparametrization(torch.ones(1))], torch.ones(1))
    holder = nn.ModuleDict()
    holder._modules["forward"] = plist  # add_module refuses the name; _modules does not
    lin.parametrizations = holder
    assert parametrize.is_parametrized(lin)
    model = nn.Sequential(lin)
    assert _decreases(model)
    _refused(model, "it has a parametrization of 'forward', which is not a weight or bias")


class Liar(float):
    """A float whose order comparisons are all False: ``-3 < 0`` says no."""

    def __lt__(self, other):
        return False

    __gt__ = __le__ = __ge__ = __lt__


@pytest.mark.parametrize("activation", [nn.LeakyReLU(Liar(-3.0)), nn.ELU(Liar(-3.0))])
def test_setting_whose_comparisons_lie_is_refused(activation):
    model = nn.Sequential(nn.Linear(1, 1), activation)
    with torch.no_grad():
        model[0].weight.fill_(1.0)
        model[0].bias.zero_()
        low, high = model(torch.tensor([[-2.0]])), model(torch.tensor([[-1.0]]))
    assert high < low  # torch uses the real value, -3
    cert = certify(model)
    assert cert.refused
    assert f"its setting {'negative_slope' if isinstance(activation, nn.LeakyReLU) else 'alpha'} is a Liar" \
        in cert.reason


@pytest.mark.parametrize("activation", [nn.LeakyReLU(np.float32("nan")), nn.Softplus(beta=np.float64("nan"))])
def test_numpy_nan_setting_is_an_error(activation):
    model = nn.Sequential(nn.Linear(1, 1), activation)
    with pytest.raises(SignnetError, match="has (negative_slope|beta)=nan; a certificate needs finite settings"):
        certify(model)


@pytest.mark.parametrize("slope, monotone, convex", [(np.float32(0.1), 1, "convex"), (np.float64(-0.5), None, None),
                                                      (torch.tensor(0.1), 1, "convex"), (torch.tensor(-0.5), None, None)])
def test_numpy_and_tensor_settings_are_read_by_value(slope, monotone, convex):
    model = nn.Sequential(nn.Linear(1, 1), nn.LeakyReLU(slope))
    with torch.no_grad():
        model[0].weight.fill_(1.0)
    cert = certify(model)
    assert cert.monotone == [[monotone]] and cert.convex == [convex]


def test_softplus_reversion_is_a_real_decrease_in_float64():
    model = nn.Sequential(nn.Linear(1, 1), nn.Softplus(), nn.Linear(1, 1)).double()
    with torch.no_grad():
        model[0].weight.fill_(1.0)
        model[0].bias.zero_()
        model[2].weight.fill_(1e9)
        model[2].bias.fill_(-2e10)
        below, above = model(torch.tensor([[20 - 1e-9]], dtype=torch.float64)), \
            model(torch.tensor([[20 + 1e-9]], dtype=torch.float64))
    assert float(below - above) > 0.05  # the step log1p(exp(-20)) ~ 2e-9, times 1e9
    assert certify(model).monotone == [[None]]
    assert certify(model.float()).monotone == [[1]]  # in float32 the step is below rounding


def test_torch_function_mode_is_refused():
    class NegateRelu(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            return -out if func is F.relu else out

    model = dnn_plus(2, (4,))
    with torch.no_grad():
        for layer in (model[0], model[-1]):
            layer.weight.fill_(1.0)
    with NegateRelu():
        assert _decreases(model)
        _refused(model, "certify refuses every model while a torch function mode (NegateRelu) is active")
    assert not certify(model).refused
    with torch.device("cpu"):  # a default-device context is a function mode too, and harmless
        assert not certify(model).refused


def test_estimator_subclass_is_not_read_as_its_module():
    """A subclass may predict with more than module_: certify refuses it, the audit calls its predict."""
    class Reversed(MonotoneRegressor):
        def predict(self, X):
            return super().predict(-np.asarray(X))

    X = np.random.default_rng(0).normal(size=(60, 2))
    est = Reversed(monotonic_cst=[1, 1], n_networks=1, max_iter=5, random_state=0).fit(X, X.sum(axis=1))
    with pytest.raises(SignnetError, match="certify reads signnet's own estimators.*a Reversed may predict with "
                                           r"more than its module_: certify the module itself"):
        certify(est)
    assert certify(est.module_, monotonic_cst=est.monotonic_cst_).satisfies_monotonic_cst
    # the audit reads such an estimator through its predictions, which do decrease
    assert dominance_violations(est, X, n_pairs=500, seed=0).violations > 0
    assert dominance_violations(Reversed(**est.get_params()).fit(X, X.sum(axis=1)).module_, X, n_pairs=500,
                                seed=0).violations == 0


def test_what_the_checks_must_still_accept():
    """Plain dict types of older torch (OrderedDict, kept by torch.load), a mixin that defines nothing torch calls
    (an abstract forward is shadowed by Sequential's), and signnet's softplus (threshold 40) in float64."""
    import abc

    model = dnn_plus(2, (4,))
    for module in model.modules():
        for attr in ("_modules", "_parameters", "_buffers"):
            setattr(module, attr, OrderedDict(getattr(module, attr)))
    assert certify(model).monotone == [[1, 1]]

    class Scorer(abc.ABC):
        @abc.abstractmethod
        def forward(self, x): ...

    class Net(nn.Sequential, Scorer):
        pass

    assert Net.forward is nn.Sequential.forward
    assert certify(Net(*dnn_plus(2, (4,)))).monotone == [[1, 1]]

    from signnet.nn.activations import MixedActivation, make_activation

    for act in (make_activation("softplus"), MixedActivation("softplus", 1, (1, 0, 0))):
        net = nn.Sequential(nn.Linear(1, 1), act, nn.Linear(1, 1)).double()
        with torch.no_grad():
            net[0].weight.fill_(1.0)
            net[0].bias.zero_()
            net[2].weight.fill_(1e9)
            net[2].bias.zero_()
            for at in (20.0, 40.0):  # torch's default threshold, and signnet's
                xs = at + torch.tensor([-1e-10, 0.0, 1e-10, 1e-9], dtype=torch.float64)[:, None]  # torch's step: 2e-9
                assert bool((net(xs).diff(dim=0) >= 0).all())  # no step down
        assert certify(net).monotone == [[1]]


def test_a_setting_beyond_any_float_is_an_error_not_a_crash():
    with pytest.raises(SignnetError, match="has min_val=-1000.*a certificate needs finite settings"):
        certify(nn.Sequential(nn.Linear(1, 1), nn.Hardtanh(-10**400, 1)))


# Session 10's red team: five more ways to run something other than what certify reads


def test_a_compiled_call_is_refused():
    model = nn.Sequential(_positive_linear(), nn.ReLU())
    model[1]._compiled_call_impl = lambda x: -torch.relu(x)  # what Module.__call__ runs when set
    assert _decreases(model)
    _refused(model, "certify refuses module '1' (ReLU): it is compiled (module.compile()), so module(x) runs the "
                    "compiled function, not its class's forward; certify it before compiling")
    compiled = nn.Sequential(_positive_linear(), nn.ReLU())
    compiled.compile()
    _refused(compiled, "certify refuses the model itself (Sequential): it is compiled")


def test_a_metaclass_that_fakes_the_mro_is_refused():
    class Meta(type):
        @property
        def __mro__(cls):
            return nn.Sequential, nn.Module, object

    class Negated(nn.Sequential, metaclass=Meta):
        def forward(self, x):
            return -super().forward(x)

    model = Negated(_positive_linear())
    assert _decreases(model)
    _refused(model, "certify refuses the model itself (Negated): its class has the metaclass Meta")


def test_a_bias_spread_over_the_batch_is_refused():
    lin = nn.Linear(1, 1)
    with torch.no_grad():
        lin.weight.fill_(1.0)
    del lin.bias
    lin.bias = nn.Parameter(torch.tensor([[5.0], [0.0]]))  # sample 0 gets 5, sample 1 gets 0
    with torch.no_grad():
        out = nn.Sequential(lin)(torch.tensor([[0.0], [1.0]]))
    assert out[0, 0] > out[1, 0]  # F(0) > F(1) in one batch
    _refused(nn.Sequential(lin), "certify refuses module '0' (Linear): its bias has shape (2, 1), not (1,)")


def test_a_setting_hidden_in_a_buffer_is_read():
    act = nn.LeakyReLU()
    del act.negative_slope
    act.register_buffer("negative_slope", torch.tensor(float("nan")))
    with pytest.raises(SignnetError, match=r"has negative_slope=nan; a certificate needs finite settings"):
        certify(nn.Sequential(_positive_linear(), act))


def test_a_child_that_is_not_a_module_is_refused_not_a_crash():
    model = nn.Sequential(_positive_linear())
    model._modules["negate"] = lambda t: -t
    assert _decreases(model)
    _refused(model, "certify refuses the model itself (Sequential): its child 'negate' is a function, not a module")


def test_a_look_alike_parametrize_class_is_refused():
    base = nn.Linear(2, 1)
    parametrize.register_parametrization(base, "weight", SignReparametrization(torch.ones(1, 2), "abs"))
    with torch.no_grad():
        base.parametrizations.weight.original.fill_(1.0)
        base.bias.zero_()

    def lying(self):  # the real value under no_grad (where certify reads), its negation when the model runs
        w = self.parametrizations.weight()
        return w if not torch.is_grad_enabled() else -w

    base.__class__ = type("ParametrizedLinear", (nn.Linear,), {"weight": property(lying), "__doc__": None,
                                                               "__module__": "torch.nn.utils.parametrize"})
    assert bool((nn.Sequential(base)(X_HI) < nn.Sequential(base)(X_LO)).all())
    _refused(nn.Sequential(base), "its weight property is not torch's parametrize getter")
    honest = nn.Linear(2, 1)
    parametrize.register_parametrization(honest, "weight", SignReparametrization(torch.ones(1, 2), "abs"))
    with torch.no_grad():
        honest.parametrizations.weight.original.fill_(1.0)
    assert certify(nn.Sequential(honest)).monotone == [[1, 1]]


def test_a_reparametrised_model_is_still_certified_after_a_deep_copy():
    # copy.deepcopy caches an empty __slotnames__ on the shared Parametrized* class, which certify took for an
    # unknown addition: dominance_violations (which deep-copies) made every later certificate a refusal
    import copy

    from signnet import MonotoneMLP

    torch.manual_seed(0)
    model = MonotoneMLP([1, 0, -1], hidden=(4,), method="reparam")
    before = certify(model)
    assert not before.refused
    copy.deepcopy(model)
    dominance_violations(model, torch.randn(50, 3), n_pairs=20)
    for m in (model, copy.deepcopy(model)):
        after = certify(m)
        assert not after.refused and after.monotone == before.monotone
