"""The audit under monotonic_cst: dominance_violations, find_violation and certify on torch models and
signnet estimators (a stand-in with module_ and monotonic_cst_), the input width, and device=."""

import copy

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from signnet import MLP, MonotoneRegressor, SignnetError, certify, dominance_violations, find_violation, project_
from signnet.theory import precedes


def linear(weights, bias=0.0):
    """f(x) = w . x + b, a single nn.Linear (certify and the searches read it exactly)."""
    lin = nn.Linear(len(weights), 1)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([weights], dtype=torch.float32))
        lin.bias.fill_(bias)
    return lin


def f64(model, x):
    with torch.no_grad():
        return copy.deepcopy(model).double()(torch.as_tensor(np.asarray(x, dtype=np.float64)[None])).reshape(-1).numpy()


def monotone_net(cst, hidden=(6,), seed=0, activation="tanh"):
    """A net monotone by construction: first layer signed per monotonic_cst (free inputs unconstrained),
    later layers non-negative; every weight drawn away from 0 so each constrained path is strict."""
    rng = np.random.default_rng(seed)
    net = MLP(len(cst), hidden, activation=activation, monotonic_cst=list(cst), head="regression")
    with torch.no_grad():
        for k, layer in enumerate(net.linear_layers):
            w = rng.uniform(0.5, 2.0, tuple(layer.weight.shape))
            if k == 0:
                w = w * np.where(np.array(cst) == 0, rng.choice([-1.0, 1.0], w.shape), np.array(cst, dtype=float))
            layer.weight.copy_(torch.tensor(w, dtype=torch.float32))
            layer.bias.copy_(torch.tensor(rng.normal(0, 1, layer.out_features), dtype=torch.float32))
    return net


class Predictor:
    """A torch net behind a scikit-learn-like predict: the audit sees a black box."""

    def __init__(self, net, d):
        self.net, self.n_features_in_ = net, d

    def predict(self, X):
        with torch.no_grad():
            return self.net(torch.as_tensor(X, dtype=torch.float32)).numpy().reshape(-1)


def StandIn(net, cst, scale, shift=0.0, out_scale=2.0) -> MonotoneRegressor:
    """A MonotoneRegressor whose fitted attributes are set by hand: module_ (raw X -> raw output), monotonic_cst_."""
    d = len(cst)
    standardise = nn.Linear(d, d)
    out = nn.Linear(1, 1)
    with torch.no_grad():
        standardise.weight.copy_(torch.diag(torch.tensor(1.0 / np.asarray(scale), dtype=torch.float32)))
        standardise.bias.fill_(shift)
        out.weight.fill_(out_scale)
        out.bias.fill_(0.5)
    est = MonotoneRegressor(monotonic_cst=cst)
    est.module_ = nn.Sequential(standardise, net, out)
    est.monotonic_cst_ = np.asarray(cst, dtype=np.int8)
    est.n_features_in_ = d
    return est


# ------------------------------------------------------------- default unchanged
def test_all_ones_is_the_default_bit_for_bit():
    net = MLP(2, (8,))
    X = np.random.default_rng(0).uniform(-1, 1, (300, 2))
    a = dominance_violations(net, X, n_pairs=2000, seed=4)
    b = dominance_violations(net, X, n_pairs=2000, seed=4, monotonic_cst=[1, 1])
    assert a.violations > 0 and a.monotonic_cst is None and b.monotonic_cst == [1, 1]
    assert (a.violations, a.worst_gap, a.n_data_pairs) == (b.violations, b.worst_gap, b.n_data_pairs)
    assert all((x1 == x2).all() and (y1 == y2).all() for (x1, y1, _), (x2, y2, _) in zip(a.witnesses, b.witnesses, strict=True))
    assert "monotonic_cst" not in a.to_dict() and b.to_dict()["monotonic_cst"] == [1, 1]
    va, vb = find_violation(net, (-1.0, 1.0), seed=2, steps=40), find_violation(net, (-1.0, 1.0), seed=2, steps=40,
                                                                                 monotonic_cst=[1, 1])
    assert (va.x == vb.x).all() and (va.y == vb.y).all() and va.gap == vb.gap


# ---------------------------------------------------------- directions and free
def test_a_decreasing_feature_is_checked_reversed():
    lin = linear([1.0, -1.0])  # up in x0, down in x1
    X = np.random.default_rng(0).uniform(-1, 1, (300, 2))
    assert dominance_violations(lin, X, n_pairs=1000).violations > 0  # not monotone in the default sense
    report = dominance_violations(lin, X, n_pairs=1000, monotonic_cst=[1, -1])
    assert report.violations == 0 and report.n_data_pairs > 0
    assert find_violation(lin, (-1.0, 1.0), monotonic_cst=[1, -1], steps=30) is None
    v = find_violation(lin, (-1.0, 1.0), monotonic_cst=[1, 1], steps=60)
    assert 1.5 < v.gap <= 2.0 and v.monotonic_cst == [1, 1]  # x1 from -1 to 1 drops f by up to 2
    wrong = find_violation(lin, (-1.0, 1.0), monotonic_cst=[-1, -1], steps=60)  # x0 must fall: it rises by 2
    assert wrong.x[0] >= wrong.y[0] and wrong.x[1] >= wrong.y[1] and 1.5 < wrong.gap <= 2.0
    cert = certify(lin, monotonic_cst=[1, -1])
    assert cert.proved == [True, True] and cert.satisfies_monotonic_cst and cert.free_inputs == []
    assert cert.monotone == [[1, -1]] and not cert.preserves_dominance  # the entries do not depend on the cst
    cert = certify(lin, monotonic_cst=[-1, -1])
    assert cert.proved == [False, True] and cert.not_proved() == [0] and not cert.satisfies_monotonic_cst
    assert cert.cst_summary() == "Proves x1 non-increasing; does not prove x0 non-increasing."


def test_free_features_are_held_fixed_and_their_paths_spoil_nothing():
    net = monotone_net([1, 0, -1], hidden=(8, 4), seed=3)
    X = np.random.default_rng(1).uniform(-2, 2, (400, 3))
    X[:, 1] = np.round(X[:, 1])  # a few values, so data pairs with equal free values exist
    report = dominance_violations(net, X, n_pairs=3000, monotonic_cst=[1, 0, -1])
    assert report.violations == 0 and report.n_data_pairs > 0
    assert find_violation(net, (-2.0, 2.0), monotonic_cst=[1, 0, -1], steps=60, output=None) is None
    cert = certify(net, monotonic_cst=[1, 0, -1])
    assert cert.monotone[0][0] == 1 and cert.monotone[0][2] == -1 and cert.monotone[0][1] is None
    assert cert.proved == [True, None, True] and cert.satisfies_monotonic_cst and cert.free_inputs == [1]
    assert cert.cst_summary() == ("Proves x0 non-decreasing, x2 non-increasing; proves nothing about x1 "
                                  "(free in monotonic_cst).")
    d = cert.to_dict()
    assert d["proved"] == [True, None, True] and d["satisfies_monotonic_cst"] and d["free_inputs"] == [1]
    # the free feature's paths are mixed, so the same net fails the plain (all +1) claim
    plain = dominance_violations(net, X, n_pairs=3000, monotonic_cst=[1, 1, 1])
    assert plain.violations > 0 and not certify(net).preserves_dominance
    assert dominance_violations(net, X, n_pairs=3000).violations == 0  # default: the cst the net was built with
    # a witness keeps the free feature equal on both sides
    v = find_violation(net, (-2.0, 2.0), monotonic_cst=[1, 0, 1], steps=80)
    assert v is not None and v.x[1] == v.y[1] and precedes(v.x, v.y, np.array([1, 0, 1]))
    assert v.gap == pytest.approx(f64(net, v.x)[0] - f64(net, v.y)[0], rel=1e-9)


def test_a_dataframe_names_the_features_of_a_dict():
    import pandas as pd

    df = pd.DataFrame(np.random.default_rng(0).uniform(-1, 1, (200, 2)), columns=["up", "down"])
    assert dominance_violations(linear([1.0, -1.0]), df, n_pairs=500, monotonic_cst={"up": 1, "down": -1}).violations == 0
    assert dominance_violations(linear([1.0, -1.0]), df, n_pairs=500, monotonic_cst={"down": 1}).violations > 0


def test_nothing_constrained_is_refused():
    with pytest.raises(SignnetError, match=r"monotonic_cst constrains no feature \(all 0\)"):
        dominance_violations(linear([1.0, 1.0]), np.zeros((3, 2)), monotonic_cst=[0, 0])
    with pytest.raises(SignnetError, match=r"monotonic_cst has shape \(3,\) but the input data X has 2 features\."):
        find_violation(linear([1.0, 1.0]), (-1.0, 1.0), monotonic_cst=[1, 0, 1])


# ---------------------------------------------------------------- the property
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from([-1, 0, 1]), min_size=1, max_size=4).filter(lambda c: any(c)),
       st.lists(st.integers(1, 6), min_size=1, max_size=2), st.integers(0, 10_000))
def test_monotone_by_construction_passes_and_a_flipped_weight_is_caught(cst, hidden, seed):
    """No tool reports a violation of a net monotone by construction; flip every first-layer weight of one
    constrained input and find_violation returns a real, recomputed witness."""
    d = len(cst)
    net = monotone_net(cst, tuple(hidden), seed)
    X = np.random.default_rng(seed).uniform(-1, 1, (80, d))
    assert dominance_violations(net, X, n_pairs=400, seed=seed, monotonic_cst=cst).violations == 0
    assert find_violation(net, (-1.0, 1.0), n_starts=8, steps=25, seed=seed, monotonic_cst=cst) is None
    assert certify(net, monotonic_cst=cst).satisfies_monotonic_cst
    box = Predictor(net, d)  # the same function as a black box: derivative-free search
    assert find_violation(box, (-1.0, 1.0), n_starts=4, steps=15, seed=seed, monotonic_cst=cst) is None
    i = next(k for k, c in enumerate(cst) if c != 0)
    with torch.no_grad():
        net.linear_layers[0].weight[:, i] *= -1.0  # tanh is strictly increasing: f now moves against cst[i]
    for model in (net, box):
        # a search, not a proof: 32 starts (8 missed a violation of gap 0.8 when every start sat where tanh is flat)
        v = find_violation(model, (-1.0, 1.0), n_starts=32, steps=40, seed=seed, monotonic_cst=cst)
        assert v is not None and precedes(v.x, v.y, np.array(cst))
        assert (np.abs(v.x) <= 1).all() and (np.abs(v.y) <= 1).all()
        fx, fy = f64(net, v.x)[0], f64(net, v.y)[0]
        assert fx - fy > 0 and v.gap == pytest.approx(fx - fy, rel=1e-6, abs=1e-9)
    assert not certify(net, monotonic_cst=cst).satisfies_monotonic_cst


# ------------------------------------------------------------ signnet estimators
def test_estimator_stand_in_is_audited_against_its_own_constraints():
    cst = [1, -1, 0]
    est = StandIn(monotone_net(cst, (8,), seed=5), cst, scale=[2.0, 0.5, 1.0])
    X = np.random.default_rng(2).uniform(-3, 3, (300, 3))
    X[:, 2] = np.round(X[:, 2])
    report = dominance_violations(est, X, n_pairs=2000)
    assert report.violations == 0 and report.monotonic_cst == cst and report.n_data_pairs > 0
    assert find_violation(est, (-3.0, 3.0), steps=40) is None
    cert = certify(est)
    assert cert.monotonic_cst == cst and cert.satisfies_monotonic_cst and cert.free_inputs == [2]
    assert "proves nothing about x2 (free in monotonic_cst)" in cert.cst_summary()
    # the argument overrides the declared constraints: x2 is not monotone
    assert dominance_violations(est, X, n_pairs=2000, monotonic_cst=[1, -1, 1]).violations > 0
    assert not certify(est, monotonic_cst=[1, -1, 1]).satisfies_monotonic_cst
    with torch.no_grad():
        est.module_[2].weight.fill_(-2.0)  # the output layer now reverses every direction
    v = find_violation(est, (-3.0, 3.0), steps=40)
    assert v is not None and precedes(v.x, v.y, np.array(cst)) and v.x[2] == v.y[2]
    assert v.gap == pytest.approx(f64(est.module_, v.x)[0] - f64(est.module_, v.y)[0], rel=1e-9)
    assert not certify(est).satisfies_monotonic_cst and certify(est).not_proved() == [0, 1]


# ------------------------------------------------------------------ input width
class OutOfOrder(nn.Module):
    """The issue's case: the first nn.Linear registered is not the first one run (8 -> 1 before 3 -> 8)."""

    def __init__(self):
        super().__init__()
        self.out = nn.Linear(8, 1)
        self.body = nn.Linear(3, 8)
        with torch.no_grad():  # f(x) = relu(-x0): falls in x0 by up to 1 on [-1, 1]
            for layer in (self.out, self.body):
                layer.weight.zero_()
                layer.bias.zero_()
            self.body.weight[0, 0], self.out.weight[0, 0] = -1.0, 1.0

    def forward(self, x):
        return self.out(torch.relu(self.body(x)))


def test_the_width_is_read_from_the_data_never_from_a_guessed_layer():
    model = OutOfOrder()
    X = np.random.default_rng(0).uniform(-1, 1, (100, 3))
    report = dominance_violations(model, X, n_pairs=500)  # was: "X has 3 features but the model expects 8"
    assert report.violations > 0 and report.outputs == ["out0"]
    with pytest.raises(SignnetError, match=r"bounds are two numbers but the model's input size is unknown; give "
                                           r"bounds as two arrays"):
        find_violation(model, (-1.0, 1.0))
    for v in (find_violation(model, (-np.ones(3), np.ones(3)), steps=60),
              find_violation(model, (-1.0, 1.0), X=X, steps=60)):  # X gives the width
        assert v.x.shape == (3,) and v.gap == pytest.approx(1.0, abs=0.02)
    with pytest.raises(SignnetError, match=r"The model cannot be evaluated on inputs of shape \(8,\) \(.*\); give X "
                                           r"or bounds of the model's input size\."):
        dominance_violations(model, np.zeros((5, 8)))
    assert find_violation(nn.Sequential(nn.ReLU(), linear([1.0, 2.0])), (-1.0, 1.0), steps=5) is None  # plain: read


# ---------------------------------------------------------------------- devices
def test_device_cpu_gives_the_same_and_cuda_needs_a_gpu():
    net = MLP(2, (8,))
    X = np.random.default_rng(0).uniform(-1, 1, (200, 2))
    a, b = dominance_violations(net, X, n_pairs=500), dominance_violations(net, X, n_pairs=500, device="cpu")
    assert (a.violations, a.worst_gap) == (b.violations, b.worst_gap)
    assert certify(net, device="auto").monotone == certify(net).monotone
    if not torch.cuda.is_available():
        with pytest.raises(SignnetError, match=r"device 'cuda' needs CUDA, which this machine does not have"):
            find_violation(net, (-1.0, 1.0), device="cuda")
    with pytest.raises(SignnetError, match=r"device 'tpu' is not a device"):
        certify(net, device="tpu")


@pytest.mark.cuda
def test_cuda_gives_the_same_answers():
    torch.manual_seed(0)
    net = MLP(3, (16, 8), monotonic_cst=[1, 0, -1])
    X = np.random.default_rng(0).uniform(-1, 1, (500, 3))
    for cst in (None, [1, 0, -1]):
        a = dominance_violations(net, X, n_pairs=2000, monotonic_cst=cst)
        b = dominance_violations(net, X, n_pairs=2000, monotonic_cst=cst, device="cuda")
        assert a.violations == b.violations and a.worst_gap == pytest.approx(b.worst_gap, rel=1e-9)
        v = find_violation(net, (-1.0, 1.0), monotonic_cst=cst, device="cuda", output=None)
        assert (v is None) == (cst is not None)
        ca, cb = certify(net, monotonic_cst=cst), certify(net, monotonic_cst=cst, device="cuda")
        assert ca.monotone == cb.monotone and ca.convex == cb.convex and ca.proved == cb.proved
        assert cb.explain(0, 1) == ca.explain(0, 1)
    conv = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 1))
    a, b = certify(conv, input_shape=(1, 6, 6)), certify(conv, input_shape=(1, 6, 6), device="cuda")
    assert a.monotone == b.monotone


def test_refused_and_per_channel_certificates_under_constraints():
    cert = certify(OutOfOrder(), monotonic_cst=[1, 0, 1])
    assert cert.refused and cert.monotonic_cst == [1, 0, 1] and cert.proved is None
    assert not cert.satisfies_monotonic_cst and cert.cst_summary() == f"Nothing is proved about monotonic_cst: {cert.reason}"
    with pytest.raises(SignnetError, match=r"monotonic_cst must be an array-like of -1, 0 or 1\. Observed values: \[2\]"):
        certify(OutOfOrder(), monotonic_cst=[1, 2, 1])
    conv = nn.Sequential(nn.Conv2d(2, 1, 2), nn.Flatten(), nn.Linear(4, 1))
    with torch.no_grad():
        conv[0].weight.copy_(torch.tensor([1.0, -1.0]).reshape(1, 2, 1, 1).expand(1, 2, 2, 2))
        conv[2].weight.fill_(1.0)
    cert = certify(conv, input_shape=(2, 3, 3), per_channel=True, monotonic_cst=[1, -1])
    assert cert.inputs == ["c0", "c1"] and cert.proved == [True, True] and cert.satisfies_monotonic_cst
    with pytest.raises(SignnetError, match=r"monotonic_cst has shape \(18,\) but the model's input, per channel, has 2 "
                                           r"features\."):
        certify(conv, input_shape=(2, 3, 3), per_channel=True, monotonic_cst=[1] * 18)


def test_a_monotone_mlp_is_audited_against_its_own_constraints_by_default():
    """A MonotoneMLP's monotonic_cst is the default: its free feature is not checked as +1."""
    from signnet import MonotoneMLP, certify, dominance_violations, find_violation

    torch.manual_seed(0)
    net = MonotoneMLP([1, 0, -1], hidden=(8, 8), architecture="mixed")
    cert = certify(net)
    assert cert.monotonic_cst == [1, 0, -1] and cert.proved == [True, None, True] and cert.free_inputs == [1]
    X = torch.randn(300, 3)
    assert dominance_violations(net, X, n_pairs=2000).violations == 0
    assert find_violation(net, (-2.0, 2.0), n_starts=8, steps=30) is None
    # asked explicitly for "every input +1", the free and the decreasing features break it
    assert dominance_violations(net, X, n_pairs=2000, monotonic_cst=[1, 1, 1]).violations > 0


def test_an_mlp_is_audited_against_the_monotonic_cst_it_was_built_with():
    """MLP(monotonic_cst=...) is the default too; a flipped first-layer weight is then reported, not hidden."""
    gen = torch.Generator().manual_seed(0)
    net = MLP(3, (8,), monotonic_cst=[1, -1, 0], activation="relu", head="regression")
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
        project_(net)
    cert = certify(net)
    assert cert.monotonic_cst == [1, -1, 0] and cert.proved == [True, True, None]
    X = torch.randn(300, 3, generator=gen)
    assert dominance_violations(net, X, n_pairs=2000).violations == 0
    assert find_violation(net, (-2.0, 2.0), n_starts=8, steps=30) is None
    assert dominance_violations(net, X, n_pairs=2000, monotonic_cst=[1, 1, 1]).violations > 0
    with torch.no_grad():  # one first-layer weight of the decreasing feature made positive and large
        net[0].weight[:, 1] = 3.0
        net[2].weight.fill_(1.0)
    assert certify(net).proved == [True, False, None]
    assert find_violation(net, (-2.0, 2.0), n_starts=8, steps=30) is not None


# ---- session 10's red team of the audit tools
class _BigAndSmall(torch.nn.Module):
    """Decreasing by 0.1 * t below t = 0.5, then a jump to 1e8 falling 10 per unit: rounding there, a violation below."""

    def forward(self, x):
        t = x[:, :1]
        return torch.where(t < 0.5, -0.1 * t, 1e8 - 10 * t)


def test_a_large_outputs_rounding_does_not_hide_a_real_violation():
    # find_violation ranked by the absolute gap (10 * dt around 1e8, rounding) and then refused it: None

    assert dominance_violations(_BigAndSmall(), np.linspace(0, 1, 101)[:, None], n_pairs=400,
                                monotonic_cst=[1]).violations > 0
    found = find_violation(_BigAndSmall(), (np.zeros(1), np.ones(1)), monotonic_cst=[1])
    assert found is not None and found.x[0] <= found.y[0] < 0.5 and found.f_x > found.f_y

    class TwoOutputs:  # a black box: out0 huge and falling a little, out1 falling
        n_features_in_ = 1

        def predict(self, X):
            return np.column_stack([1e7 - 5 * X[:, 0], -0.5 * X[:, 0]])

    found = find_violation(TwoOutputs(), (np.zeros(1), np.ones(1)), monotonic_cst=[1], output=None)
    assert found is not None and found.output == "out1" and found.gap == pytest.approx(0.5 * (found.y[0] - found.x[0]))


def test_bounds_keyed_by_name_follow_the_models_feature_order():
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingRegressor

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.uniform(0, 1, 500), "b": rng.uniform(100, 200, 500)})
    trees = HistGradientBoostingRegressor(random_state=0).fit(df, np.sin(20 * df.a) + 0.01 * df.b)
    swapped = df[["b", "a"]]  # X.min() of this frame used to give a the range of b, by position
    one = find_violation(trees, (swapped.min(), swapped.max()), X=swapped, monotonic_cst={"a": 1})
    two = find_violation(trees, (df.min(), df.max()), X=df, monotonic_cst={"a": 1})
    assert one is not None and two is not None and one.gap == two.gap
    with pytest.raises(SignnetError, match=r"^bounds name the features a, c, not the model's \(a, b\)"):
        find_violation(trees, ({"a": 0, "c": 0}, {"a": 1, "c": 1}), monotonic_cst={"a": 1})


def test_a_negative_tolerance_is_refused_not_a_false_witness():
    net = torch.nn.Linear(2, 1)
    torch.nn.init.ones_(net.weight)
    torch.nn.init.zeros_(net.bias)
    with pytest.raises(SignnetError, match=r"^tol -1\.0 must be a finite number >= 0"):
        find_violation(net, (0.0, 1.0), tol=-1.0, monotonic_cst=[1, 1])
    assert find_violation(net, (0.0, 1.0), tol=0.0, monotonic_cst=[1, 1]) is None  # increasing: nothing to find


def test_bounds_as_unnamed_series_are_read_by_position():
    import pandas as pd
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.uniform(0, 1, 50), "b": rng.uniform(0, 1, 50)})
    model = LinearRegression().fit(df, df.a - 2 * df.b)  # falls in b
    found = find_violation(model, (pd.Series([0.0, 0.0]), pd.Series([1.0, 1.0])), monotonic_cst=[0, 1])
    assert found is not None and found.y[1] > found.x[1]
