"""fit, History, accuracy and input validation (signnet.training), plus the issue's acceptance figures."""

import functools

import numpy as np
import pytest
import torch

from signnet import CONTROL_PROBLEMS, MLP, SignnetError, accuracy, fit, load_dataset, make_problem, sign_violation
from signnet.nn.enforce import project_
from signnet.validation import as_features, as_targets

pytestmark = pytest.mark.usefixtures("single_thread")


def _small_problem(n=200, seed=0, name="negative_slope"):
    p = make_problem(name, n, seed=seed)
    return p.X, p.y


def _state(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


# ----------------------------------------------------------------------------- determinism and history

@pytest.mark.parametrize("method", ["project", "reparam", "penalty"])
@pytest.mark.parametrize("batch_size", [None, 32])
def test_same_seed_gives_identical_weights(method, batch_size):
    X, y = _small_problem()
    states = []
    for _ in range(2):
        torch.manual_seed(5)
        model = MLP(2, (6,), weights="nonneg", method=method)
        fit(model, X, y, epochs=15, batch_size=batch_size, seed=3, progress=False)
        states.append(_state(model))
    assert states[0].keys() == states[1].keys()
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])


def test_fit_seed_changes_the_minibatch_order():
    X, y = _small_problem()
    states = []
    for seed in (0, 1):
        torch.manual_seed(5)
        model = MLP(2, (6,))
        fit(model, X, y, epochs=3, batch_size=16, seed=seed, progress=False)
        states.append(_state(model))
    assert not torch.equal(states[0]["0.weight"], states[1]["0.weight"])


def test_history_lengths_and_fields():
    X, y = _small_problem()
    torch.manual_seed(0)
    model = MLP(2, (6,))
    calls = []
    h = fit(model, X, y, epochs=20, patience=None, progress=False,
            callback=lambda epoch, m, hist: calls.append((epoch, len(hist.loss))))
    assert h.epochs == 20 and len(h.loss) == 20 and len(h.accuracy) == 20
    assert not h.stopped_early
    assert h.seconds > 0
    assert calls == [(i, i + 1) for i in range(20)]
    assert h.loss[-1] < h.loss[0]
    assert all(0.0 <= a <= 1.0 for a in h.accuracy)
    assert not model.training  # fit leaves the model in eval mode


def test_history_accuracy_over_minibatches_is_the_full_data_accuracy():
    X, y = _small_problem(n=100)
    torch.manual_seed(0)
    model = MLP(2, (6,))
    expected = accuracy(model, X, y)
    assert 0.05 < expected < 0.95  # an untrained net: neither all right nor all wrong
    # lr this small leaves the weights as they are, so the per-batch counts (batches of 30, 30, 30, 10)
    # must add up to the accuracy of the whole data
    h = fit(model, X, y, epochs=2, lr=1e-12, batch_size=30, patience=None, progress=False)
    assert h.accuracy == [pytest.approx(expected)] * 2


def test_regression_history_has_no_accuracy():
    ds = load_dataset("diabetes")
    torch.manual_seed(0)
    model = MLP(10, (8,), head="regression")
    h = fit(model, ds.X_train, ds.y_train, epochs=100, lr=0.3, patience=None, progress=False)
    assert h.accuracy == [] and len(h.loss) == 100
    # targets are in the hundreds: the MSE falls by a factor > 10 and beats predicting the mean
    assert h.loss[-1] < 0.1 * h.loss[0]
    assert h.loss[-1] < 0.5 * float(ds.y_train.var())


def test_early_stopping():
    X, y = _small_problem()
    torch.manual_seed(0)
    model = MLP(2, (6,))
    # a learning rate this small cannot improve the loss by tol: the first epoch sets the best,
    # then `patience` epochs without improvement stop the run
    h = fit(model, X, y, epochs=500, lr=1e-12, patience=5, progress=False)
    assert h.stopped_early
    assert h.epochs == 6 and len(h.loss) == 6 and len(h.accuracy) == 6
    torch.manual_seed(0)
    h2 = fit(MLP(2, (6,)), X, y, epochs=12, lr=1e-12, patience=None, progress=False)
    assert not h2.stopped_early and h2.epochs == 12


def test_sgd_and_weight_decay():
    X, y = _small_problem()
    torch.manual_seed(0)
    model = MLP(2, (8,))
    fit(model, X, y, epochs=150, lr=0.5, optimizer="sgd", progress=False)
    assert accuracy(model, X, y) > 0.9
    torch.manual_seed(0)
    decayed = MLP(2, (8,))
    fit(decayed, X, y, epochs=150, lr=0.5, optimizer="sgd", weight_decay=0.1, progress=False)
    norm = lambda m: sum(float(layer.weight.detach().norm()) for layer in m.linear_layers)
    assert norm(decayed) < norm(model)


def test_fit_accepts_tensors():
    X, y = _small_problem()
    torch.manual_seed(0)
    a = MLP(2, (4,))
    fit(a, torch.from_numpy(X), torch.from_numpy(y), epochs=5, progress=False)
    torch.manual_seed(0)
    b = MLP(2, (4,))
    fit(b, X, y, epochs=5, progress=False)
    assert torch.equal(a[0].weight, b[0].weight)


def test_penalty_method_in_fit_is_soft_and_reported():
    X, y = _small_problem(name="xor", n=400)
    violations = []
    for strength in (0.0, 10.0):
        torch.manual_seed(0)
        model = MLP(2, (16,), weights="nonneg", method="penalty", strength=strength)
        fit(model, X, y, epochs=200, patience=None, progress=False)
        violations.append(sign_violation(model))
    assert violations[0]["max"] > 0.5  # xor wants negative weights: unpenalised they go negative
    assert 0 < violations[1]["max"] < 0.5 * violations[0]["max"]


@pytest.mark.parametrize("method", ["project", "reparam"])
def test_exact_methods_in_fit_keep_signs(method):
    X, y = _small_problem(name="xor", n=400)
    torch.manual_seed(0)
    model = MLP(2, (16,), weights="nonneg", method=method, monotonic_cst=None)
    fit(model, X, y, epochs=100, progress=False)
    assert all((layer.weight >= 0).all() for layer in model.linear_layers)
    assert sign_violation(model)["count"] == 0


def test_softmax_on_three_classes():
    ds = load_dataset("wine")
    torch.manual_seed(0)
    model = MLP(13, (16,), 3, head="softmax")
    h = fit(model, ds.X_train, ds.y_train, epochs=100, progress=False)
    assert h.accuracy[-1] == pytest.approx(1.0)
    assert accuracy(model, ds.X_test, ds.y_test) >= 0.9
    assert set(model.predict(torch.from_numpy(ds.X_test)).tolist()) == {0, 1, 2}


def test_accuracy_matches_a_manual_count():
    X, y = _small_problem(n=100)
    torch.manual_seed(0)
    model = MLP(2, (4,))
    manual = float(np.mean(model.predict(torch.from_numpy(X)).numpy() == y))
    assert accuracy(model, X, y) == pytest.approx(manual)
    assert accuracy(model, X, 1 - y) == pytest.approx(1 - manual)


def test_divergence_is_reported():
    ds = load_dataset("diabetes")
    model = MLP(10, (8,), head="regression")
    with pytest.raises(SignnetError, match=r"Training diverged at epoch \d+ .*lower the learning rate\.$"):
        fit(model, ds.X_train, ds.y_train * 1e30, epochs=50, lr=10.0, optimizer="sgd", progress=False)
    # a sign penalty of enormous strength diverges at any learning rate: the message names it too
    X, y = make_problem("xor", 200, seed=0).X, make_problem("xor", 200, seed=0).y
    penalised = MLP(2, (8,), weights="nonneg", method="penalty", strength=1e308)
    with pytest.raises(SignnetError, match=r"diverged at epoch \d+ .*; lower the learning rate or the sign penalty's "
                                           r"strength\.$"):
        fit(penalised, X, y, epochs=50, progress=False)


# ----------------------------------------------------------------------------- validation

def _model(out=1, head="binary"):
    return MLP(2, (4,), out, head=head)


@pytest.mark.parametrize("X, y, message", [
    (np.array([[0.0, np.nan], [1.0, 1.0]]), [0, 1], r"X contains 1 NaN or infinite values"),
    (np.array([[0.0, np.inf], [1.0, -np.inf]]), [0, 1], r"X contains 2 NaN or infinite values"),
    (np.zeros((3, 2)), [0, 1], r"y has 2 entries but X has 3 rows"),
    (np.zeros((2, 2)), [0, 2], r"Labels must lie in 0\.\.1 for a binary head .* found values \[0, 2\]"),
    (np.zeros((2, 2)), [-1, 1], r"Labels must lie in 0\.\.1"),
    (np.zeros((2, 2)), [0.5, 1.0], r"Labels must be whole numbers"),
    (np.zeros((2, 2)), ["a", "b"], r"y must hold finite numbers"),
    (np.zeros((2, 2)), [0.0, np.nan], r"y must hold finite numbers"),
    (np.zeros(4), [0, 1, 0, 1], r"X must be a non-empty 2-D array .* got shape \(4,\)"),
    (np.zeros((0, 2)), [], r"X must be a non-empty 2-D array"),
    (np.zeros((2, 3)), [0, 1], r"X has 3 features but the model expects 2"),
    (np.array([["a", "b"], ["c", "d"]]), [0, 1], r"X must be numeric"),
])
def test_fit_validates_its_input(X, y, message):
    model = _model()
    before = _state(model)
    with pytest.raises(SignnetError, match=message):
        fit(model, X, y, epochs=2, progress=False)
    after = _state(model)
    assert all(torch.equal(before[k], after[k]) for k in before)  # nothing trained


def test_softmax_labels_must_be_below_the_number_of_outputs():
    message = r"Labels must lie in 0\.\.2 for a softmax head with 3 output\(s\); found values \[0, 3\]"
    with pytest.raises(SignnetError, match=message):
        fit(_model(3, "softmax"), np.zeros((2, 2)), [0, 3], progress=False)


def test_accuracy_validates_too():
    with pytest.raises(SignnetError, match="Labels must lie in 0..1"):
        accuracy(_model(), np.zeros((2, 2)), [0, 5])


@pytest.mark.parametrize("kwargs, message", [
    (dict(optimizer="rmsprop"), r"Unknown optimizer 'rmsprop'; choose one of: adam, sgd"),
    (dict(epochs=0), r"epochs must be a positive integer, got 0"),
    (dict(epochs=2.5), r"epochs must be a positive integer, got 2\.5"),
    (dict(batch_size=0), r"batch_size must be a positive integer or None, got 0"),
    (dict(lr=0.0), r"Learning rate 0\.0 must be positive"),
    (dict(lr=float("nan")), r"Learning rate nan must be positive"),
    (dict(lr=float("inf")), r"Learning rate inf must be positive and finite; try lr=0\.01\."),
    (dict(lr="fast"), r"Learning rate 'fast' must be positive"),
    (dict(weight_decay=-1), r"^weight_decay -1 must be >= 0; pass 0 for no weight decay\.$"),
    (dict(weight_decay=float("nan")), r"weight_decay nan must be a number >= 0"),
    (dict(weight_decay=float("inf")), r"weight_decay inf must be finite"),
    (dict(batch_size=2.0), r"batch_size must be a positive integer or None, got 2\.0"),
    (dict(patience=0), r"patience must be a positive integer or None, got 0; pass None to never stop early\."),
    (dict(patience=-3), r"patience must be a positive integer or None, got -3"),
    (dict(tol=-1e-3), r"tol -0\.001 must be >= 0"),
    (dict(seed=1.5), r"seed must be an integer, got 1\.5"),
    (dict(threads=0), r"threads must be a positive integer, got 0; pass e\.g\. threads=1, 'auto', or None"),
    (dict(threads="many"), r"threads must be a positive integer, got 'many'"),
    (dict(epochs=True), r"epochs must be a positive integer, got True"),
])
def test_fit_validates_its_options(kwargs, message):
    X, y = _small_problem(n=10)
    with pytest.raises(SignnetError, match=message):
        fit(_model(), X, y, progress=False, **kwargs)


def test_fit_accepts_numpy_integers_and_floats():
    X, y = _small_problem(n=40)
    torch.manual_seed(0)
    a = _model()
    ha = fit(a, X, y, epochs=np.int64(3), batch_size=np.int32(8), patience=np.int64(2), seed=np.int64(4),
             lr=np.float32(0.01), weight_decay=np.float64(0.0), progress=False)
    torch.manual_seed(0)
    b = _model()
    hb = fit(b, X, y, epochs=3, batch_size=8, patience=2, seed=4, lr=float(np.float32(0.01)), progress=False)
    assert ha.loss == hb.loss and torch.equal(a[0].weight, b[0].weight)


def test_threads_none_leaves_torchs_setting_and_an_integer_is_scoped():
    X, y = _small_problem(n=40)
    before = torch.get_num_threads()
    seen = []
    record = lambda epoch, model, history: seen.append(torch.get_num_threads())  # noqa: E731
    try:
        torch.set_num_threads(2)
        fit(_model(), X, y, epochs=2, progress=False, callback=record)
        assert seen == [2, 2] and torch.get_num_threads() == 2  # not forced to 1 behind the caller's back
        fit(_model(), X, y, epochs=2, threads=1, progress=False, callback=record)
        assert seen[2:] == [1, 1] and torch.get_num_threads() == 2  # restored after the run
        fit(_model(), X, y, epochs=1, threads="auto", progress=False, callback=record)  # 17 parameters: one thread
        assert seen[4:] == [1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_adamw_decouples_weight_decay():
    X, y = _small_problem(n=40)
    for name in ("adam", "adamw"):
        torch.manual_seed(0)
        model = _model()
        fit(model, X, y, epochs=1, lr=1e-3, optimizer=name, weight_decay=0.5, progress=False)
        states = _state(model)
        torch.manual_seed(0)
        reference = _model()
        opt = (torch.optim.Adam if name == "adam" else torch.optim.AdamW)(reference.parameters(), lr=1e-3,
                                                                          weight_decay=0.5)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            reference(torch.as_tensor(X, dtype=torch.float32))[:, 0], torch.as_tensor(y, dtype=torch.float32))
        loss.backward()
        opt.step()
        assert all(torch.allclose(states[k], v, atol=1e-7) for k, v in reference.state_dict().items())


def _reference_fit(model, X, y, *, epochs, lr, batch_size, seed):
    """The training loop as fit ran it before the one loop existed: Adam, BCE, penalty, projection."""
    from signnet.nn.enforce import sign_penalty

    Xt, yt = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.int64)
    opt = torch.optim.Adam(model.parameters(), lr=lr, foreach=True)
    gen = torch.Generator().manual_seed(seed)
    losses = []
    project_(model)
    for _ in range(epochs):
        order = torch.randperm(len(Xt), generator=gen) if batch_size else None
        total = 0.0
        for lo in range(0, len(Xt), batch_size or len(Xt)):
            idx = order[lo:lo + batch_size] if batch_size else slice(None)
            out = model(Xt[idx])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(out[:, 0], yt[idx].float())
            opt.zero_grad(set_to_none=True)
            (loss + sign_penalty(model)).backward()
            opt.step()
            project_(model)
            total += loss.item() * len(out)
        losses.append(total / len(Xt))
    return losses


@pytest.mark.parametrize("method", ["project", "penalty", "reparam"])
@pytest.mark.parametrize("batch_size", [None, 16])
def test_fit_is_bit_identical_to_the_reference_loop(method, batch_size):
    X, y = _small_problem(n=100, name="xor")
    torch.manual_seed(3)
    a = MLP(2, (5,), weights="nonneg", method=method)
    torch.manual_seed(3)
    b = MLP(2, (5,), weights="nonneg", method=method)
    h = fit(a, X, y, epochs=8, lr=0.05, batch_size=batch_size, seed=7, patience=None, progress=False)
    expected = _reference_fit(b, X, y, epochs=8, lr=0.05, batch_size=batch_size, seed=7)
    assert h.loss == expected
    assert all(torch.equal(v, b.state_dict()[k]) for k, v in a.state_dict().items())


def test_as_features_and_as_targets_return_tensors():
    X = as_features([[1, 2], [3, 4]])
    assert X.dtype == torch.float32 and X.shape == (2, 2)
    y = as_targets(np.array([1.0, 0.0]), 2, "binary", 1)
    assert y.dtype == torch.int64 and y.tolist() == [1, 0]
    r = as_targets([1.5, 2.5], 2, "regression", 1)
    assert r.shape == (2, 1) and r.dtype == torch.float32


# ----------------------------------------------------------------------------- acceptance figures

ACCEPTANCE = dict(n=2000, hidden=(16, 16), epochs=500, lr=1e-2)


@functools.cache
def _acceptance_run(name, weights):
    """Train MLP(2, (16, 16)) on 2000 points of `name` (seed 0); test accuracy on 2000 fresh points."""
    train, test = make_problem(name, ACCEPTANCE["n"], seed=0), make_problem(name, ACCEPTANCE["n"], seed=1)
    torch.manual_seed(0)
    model = MLP(2, ACCEPTANCE["hidden"], weights=weights)
    fit(model, train.X, train.y, epochs=ACCEPTANCE["epochs"], lr=ACCEPTANCE["lr"], optimizer="adam",
        batch_size=None, patience=None, seed=0, progress=False)
    min_weight = min(float(layer.weight.detach().min()) for layer in model.linear_layers)
    return accuracy(model, test.X, test.y), min_weight


def test_acceptance_free_mlp_solves_xor():
    acc, min_weight = _acceptance_run("xor", "free")
    assert acc >= 0.97
    assert min_weight < 0  # it uses negative weights to do so


def test_acceptance_nonneg_mlp_cannot_solve_xor():
    acc, min_weight = _acceptance_run("xor", "nonneg")
    assert acc <= 0.80
    assert min_weight >= 0


@pytest.mark.parametrize("name", ["positive_slope", "closed_shape", "disconnected"])
def test_acceptance_hard_problems_cost_the_nonneg_net(name):
    free, _ = _acceptance_run(name, "free")
    nonneg, min_weight = _acceptance_run(name, "nonneg")
    assert min_weight >= 0
    assert free >= 0.95
    assert nonneg <= free - 0.1, (free, nonneg)


@pytest.mark.parametrize("name", CONTROL_PROBLEMS)
def test_acceptance_controls_are_solved_by_the_nonneg_net(name):
    free, _ = _acceptance_run(name, "free")
    nonneg, min_weight = _acceptance_run(name, "nonneg")
    assert min_weight >= 0
    assert nonneg >= 0.95
    assert abs(nonneg - free) <= 0.03, (free, nonneg)

