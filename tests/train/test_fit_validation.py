"""fit with validation data: val_loss, early stopping on it, best weights restored, stratified split, device."""

import numpy as np
import pytest
import torch

from signnet import MLP, SignnetError, fit, make_problem
from signnet.train.fit import split_rows
from signnet.train.losses import head_loss

pytestmark = pytest.mark.usefixtures("single_thread")


def _noisy_regression(seed=0, n=30):
    """y = x + noise (sd 1): a 64x64 network memorises the 30 training points and its validation loss rises."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n, 1))
    return X, X[:, 0] + rng.normal(0, 1.0, n)


def _overfitting_run(**kwargs):
    X, y = _noisy_regression(0)
    Xv, yv = _noisy_regression(1, n=200)
    torch.manual_seed(0)
    model = MLP(1, (64, 64), head="regression")
    h = fit(model, X, y, epochs=400, lr=1e-2, progress=False, validation=(Xv, yv), **kwargs)
    return model, h, (Xv, yv), (X, y)


def test_validation_loss_is_recorded_and_equals_the_model_loss_on_the_held_out_data():
    X, y = _noisy_regression(0)
    Xv, yv = _noisy_regression(1, n=50)
    torch.manual_seed(0)
    model = MLP(1, (8,), head="regression")
    seen = []

    def record(epoch, m, hist):
        with torch.no_grad():
            out = m(torch.as_tensor(Xv, dtype=torch.float32))
        seen.append(float(head_loss(out, torch.as_tensor(yv, dtype=torch.float32)[:, None], "regression")))

    h = fit(model, X, y, epochs=5, patience=None, progress=False, validation=(Xv, yv), callback=record)
    assert len(h.val_loss) == 5 == len(h.loss)
    assert h.val_loss == pytest.approx(seen, rel=1e-6)
    assert h.best_epoch == int(np.argmin(h.val_loss)) and h.stop_reason == "epochs"


def test_without_validation_the_history_has_no_validation_fields():
    X, y = _noisy_regression(0)
    torch.manual_seed(0)
    h = fit(MLP(1, (4,), head="regression"), X, y, epochs=3, progress=False)
    assert h.val_loss == [] and h.best_epoch is None and h.stop_reason == "epochs"


def test_early_stopping_on_the_validation_loss_while_the_training_loss_keeps_falling():
    model, h, (Xv, yv), _ = _overfitting_run(patience=30, restore_best=True)
    assert h.stop_reason == "patience" and h.stopped_early
    assert h.epochs == h.best_epoch + 31  # 30 epochs without an improvement by more than tol after the best
    assert h.loss[-1] < 0.9 * h.loss[h.best_epoch]  # training loss still falling ...
    assert h.val_loss[-1] > h.val_loss[h.best_epoch] * 1.05  # ... while the validation loss has risen
    # the restored weights give exactly the best validation loss recorded
    with torch.no_grad():
        out = model(torch.as_tensor(Xv, dtype=torch.float32))
    restored = float(head_loss(out, torch.as_tensor(yv, dtype=torch.float32)[:, None], "regression"))
    assert restored == min(h.val_loss) == h.val_loss[h.best_epoch]


def test_restore_best_false_keeps_the_last_weights():
    model, h, (Xv, yv), _ = _overfitting_run(patience=30, restore_best=False)
    with torch.no_grad():
        out = model(torch.as_tensor(Xv, dtype=torch.float32))
    last = float(head_loss(out, torch.as_tensor(yv, dtype=torch.float32)[:, None], "regression"))
    assert last == h.val_loss[-1] > min(h.val_loss)


@pytest.mark.parametrize("method", ["project", "reparam"])
def test_restored_weights_obey_the_signs(method):
    p, q = make_problem("upset", 300, noise=0.3, seed=0), make_problem("upset", 300, noise=0.3, seed=1)
    torch.manual_seed(0)
    model = MLP(2, (32, 32), weights="nonneg", method=method)
    h = fit(model, p.X, p.y, epochs=60, lr=0.05, patience=None, progress=False, validation=(q.X, q.y))
    assert h.best_epoch is not None and h.best_epoch < len(h.val_loss) - 1  # a later epoch was worse: restored
    assert all(bool((layer.weight >= 0).all()) for layer in model.linear_layers)
    model.eval()
    with torch.no_grad():
        restored = float(head_loss(model(torch.as_tensor(q.X, dtype=torch.float32)),
                                   torch.as_tensor(q.y, dtype=torch.float32), "binary"))
    assert restored == pytest.approx(h.val_loss[h.best_epoch], rel=1e-5)
    assert restored < h.val_loss[-1]


def test_validation_fraction_is_a_stratified_seeded_split():
    y = torch.tensor([0] * 60 + [1] * 30 + [2] * 10)
    train, val = split_rows(y, 0.2, "softmax", seed=3)
    assert torch.bincount(y[val]).tolist() == [12, 6, 2] and torch.bincount(y[train]).tolist() == [48, 24, 8]
    assert sorted(torch.cat([train, val]).tolist()) == list(range(100))
    again, other = split_rows(y, 0.2, "softmax", seed=3)[1], split_rows(y, 0.2, "softmax", seed=4)[1]
    assert torch.equal(val, again) and not torch.equal(val, other)
    reg_train, reg_val = split_rows(torch.zeros(10, 1), 0.3, "regression", seed=0)
    assert (len(reg_train), len(reg_val)) == (7, 3)


def test_fit_with_validation_fraction_trains_on_the_rest_and_leaves_the_global_rng_alone():
    p = make_problem("negative_slope", 200, seed=0)
    state = torch.get_rng_state()
    torch.manual_seed(0)
    a = MLP(2, (6,))
    torch.set_rng_state(state)
    before = torch.get_rng_state()
    h = fit(a, p.X, p.y, epochs=5, patience=None, progress=False, validation_fraction=0.25, seed=1)
    assert torch.equal(torch.get_rng_state(), before)
    train, val = split_rows(torch.as_tensor(p.y), 0.25, "binary", seed=1)
    torch.manual_seed(0)
    b = MLP(2, (6,))
    hb = fit(b, p.X[train.numpy()], p.y[train.numpy()], epochs=5, patience=None, progress=False,
             validation=(p.X[val.numpy()], p.y[val.numpy()]), seed=1)
    assert h.loss == hb.loss and h.val_loss == hb.val_loss and len(h.val_loss) == 5


@pytest.mark.parametrize("kwargs, message", [
    (dict(validation_fraction=1.5), r"^validation_fraction must be a finite number strictly between 0 and 1, got 1\.5\.$"),
    (dict(validation_fraction=0), r"validation_fraction must be a finite number strictly between 0 and 1, got 0"),
    (dict(validation_fraction=0.1, validation=(np.zeros((2, 2)), [0, 1])),
     r"^Pass either `validation` \(held-out data\) or `validation_fraction` .*not both"),
    (dict(validation_fraction=0.02), r"^validation_fraction=0\.02 leaves class \d \(\d+ rows\) without a row in the "
                                     r"validation part; pass a validation_fraction nearer 0\.5, or more data\.$"),
    (dict(validation_fraction=0.99), r"leaves class \d \(\d+ rows\) without a row in the training part"),
    (dict(validation=np.zeros((2, 2))), r"^validation must be a pair \(X_val, y_val\), got ndarray"),
    (dict(validation=(np.zeros((2, 3)), [0, 1])), r"^X_val has 3 features but the model expects 2\.$"),
    (dict(validation=(np.zeros((2, 2)), [0, 2])), r"^Labels in y_val must lie in 0\.\.1 for a binary head"),
    (dict(validation=(np.zeros((10, 2)), np.zeros(5))), r"^y_val has 5 entries but X_val has 10 rows; give one "
                                                          r"target per row\.$"),
    (dict(restore_best="yes"), r"^restore_best must be True or False, got 'yes'\.$"),
    (dict(device="tpu"), r"^device 'tpu' is not a torch device; pass 'auto', 'cpu', 'cuda' or e\.g\. 'cuda:0'\.$"),
    (dict(device=3), r"^device must be 'auto', a device name such as 'cpu' or 'cuda', or a torch\.device, got 3\.$"),
])
def test_validation_options_are_checked(kwargs, message):
    p = make_problem("negative_slope", 40, seed=0)
    with pytest.raises(SignnetError, match=message):
        fit(MLP(2, (4,)), p.X, p.y, epochs=2, progress=False, **kwargs)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal where torch sees no CUDA device")
def test_cuda_is_refused_without_a_cuda_device():
    p = make_problem("negative_slope", 40, seed=0)
    with pytest.raises(SignnetError, match=r"^device 'cuda' asks for CUDA but torch sees no CUDA device here"):
        fit(MLP(2, (4,)), p.X, p.y, epochs=2, progress=False, device="cuda")


@pytest.mark.parametrize("device", ["cpu", "auto", torch.device("cpu")])
def test_device_cpu_gives_the_same_run_as_no_device(device):
    if device == "auto" and torch.cuda.is_available():
        pytest.skip("auto means cuda here")
    p = make_problem("negative_slope", 100, seed=0)
    runs = []
    for d in (None, device):
        torch.manual_seed(0)
        model = MLP(2, (6,))
        h = fit(model, p.X, p.y, epochs=5, progress=False, device=d, validation_fraction=0.2)
        runs.append((h.loss, h.val_loss, model[0].weight.detach().clone()))
    assert runs[0][0] == runs[1][0] and runs[0][1] == runs[1][1] and torch.equal(runs[0][2], runs[1][2])


@pytest.mark.cuda
def test_fit_on_cuda_moves_the_model_and_matches_the_cpu_run():
    X, y = _noisy_regression(0)
    Xv, yv = _noisy_regression(1, n=100)
    results = []
    for device in ("cpu", "cuda"):
        torch.manual_seed(0)
        model = MLP(1, (32, 32), weights="nonneg", head="regression")
        h = fit(model, X, y, epochs=50, progress=False, validation=(Xv, yv), device=device)
        assert model[0].weight.device.type == device
        assert all(bool((layer.weight >= 0).all()) for layer in model.linear_layers)
        results.append(h)
    assert results[1].val_loss == pytest.approx(results[0].val_loss, rel=1e-3, abs=1e-5)


def test_train_loop_validation_with_a_transform_and_a_loss_function():
    from signnet.train import train_loop

    g = torch.Generator().manual_seed(0)
    X, Xv = torch.randn(64, 3, generator=g), torch.randn(32, 3, generator=g)
    y, yv = X.sum(1, keepdim=True).abs(), Xv.sum(1, keepdim=True).abs()
    torch.manual_seed(0)
    model = MLP(3, (8,), head="regression")
    loss = lambda out, target: (out - target).abs().mean()  # noqa: E731
    seen = []

    def record(epoch, m, hist):
        with torch.no_grad():
            seen.append(float(loss(torch.nn.functional.softplus(m(Xv)), yv)))

    h = train_loop(model, X, y, epochs=4, optimizer=torch.optim.Adam(model.parameters(), lr=1e-2), loss=loss,
                   transform=torch.nn.functional.softplus, validation=(Xv, yv), restore_best=False, on_epoch=record)
    assert h.val_loss == pytest.approx(seen, rel=1e-6) and len(h.val_loss) == 4


def test_train_loop_validation_needs_a_loss_with_a_custom_step_and_a_pair_of_tensors():
    from signnet.train import train_loop

    X, y = torch.zeros(4, 2), torch.zeros(4, 1)
    model = MLP(2, (3,), head="regression")
    with pytest.raises(SignnetError, match=r"^validation= needs loss= with a custom step=, .*"):
        train_loop(model, X, y, epochs=1, step=lambda s: 0.0, validation=(X, y))
    with pytest.raises(SignnetError, match=r"^validation must be a pair of tensors \(X_val, y_val\) .*"):
        train_loop(model, X, y, epochs=1, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                   validation=(X.numpy(), y))


def test_fit_trains_a_float64_model_in_float64_and_fit_batched_says_it_cannot():
    from signnet import accuracy, dnn_plus, fit_batched

    p = make_problem("upset", 120, seed=0)
    torch.manual_seed(0)
    net = dnn_plus(2, (4,), dtype=torch.float64)
    fit(net, p.X, p.y, epochs=5, progress=False)
    assert {q.dtype for q in net.parameters()} == {torch.float64} and 0.0 <= accuracy(net, p.X, p.y) <= 1.0
    fine = np.column_stack([1 + 1e-9 * np.arange(120), np.zeros(120)])  # one value in float32, 120 in float64
    regression = MLP(2, (4,), head="regression", dtype=torch.float64)
    history = fit(regression, fine, 1e9 * (fine[:, 0] - 1), epochs=3, progress=False)
    assert len(history.loss) == 3
    from signnet.validation import as_features
    assert as_features(fine, dtype=torch.float64)[:, 0].unique().numel() == 120
    with pytest.raises(SignnetError, match=r"fit_batched trains in float32, but network 1 has float64 parameters; "
                                           r"convert it with \.float\(\), or train it with signnet\.fit"):
        fit_batched([dnn_plus(2, (4,)), net], p.X, p.y, epochs=2, progress=False)


@pytest.mark.parametrize("kwargs, y_shape, match", [
    ({"out_features": 1}, (40, 3), r"y gives 3 target\(s\) per row \(shape \(40, 3\)\) but the model has 1 output\(s\)"),
    ({"out_features": 2}, (40,), r"y gives 1 target\(s\) per row \(shape \(40,\)\) but the model has 2 output\(s\); "
                                 r"give y of shape \(n,\) for one output or \(n, 2\)\."),
])
def test_regression_targets_must_match_the_outputs(kwargs, y_shape, match):
    X = np.random.default_rng(0).normal(size=(40, 2))
    net = MLP(2, (4,), head="regression", **kwargs)
    with pytest.raises(SignnetError, match=match):
        fit(net, X, np.zeros(y_shape), epochs=2, progress=False)


def test_inputs_beyond_float32_and_seeds_beyond_torch_are_errors():
    X = np.random.default_rng(0).normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    big = X.copy()
    big[5, 1] = -1e39
    with pytest.raises(SignnetError, match=r"X\[5, 1\] is -1e\+39, beyond float32's range \(\+-3\.4e\+38\) in which "
                                           r"the model computes; rescale that feature\."):
        fit(MLP(2, (4,)), big, y, epochs=2, progress=False)
    with pytest.raises(SignnetError, match=r"seed 1180591620717411303424 is outside -2\*\*63 \.\. 2\*\*64 - 1"):
        fit(MLP(2, (4,)), X, y, epochs=2, seed=2**70, progress=False)


def test_a_module_without_head_or_config_gets_readable_errors():
    """A plain nn.Sequential trains as binary; a regression target and a wrong width say what to do."""
    from torch import nn

    net = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
    X = np.random.default_rng(0).uniform(size=(50, 3)).astype(np.float32)
    with pytest.raises(SignnetError, match=r"Labels must be whole numbers .* The model has no `head` attribute, so fit "
                                           r"trains it as binary \(one logit\); set model.head = 'regression'"):
        fit(net, X, X.sum(1), epochs=2, progress=False)
    with pytest.raises(SignnetError, match=r"^X has 2 features but the model expects 3\.$"):
        fit(net, X[:, :2], (X[:, 0] > 0.5).astype(int), epochs=2, progress=False)
    net.head = "regresion"
    with pytest.raises(SignnetError, match=r"^fit reads model.head as the kind of output, one of binary, softmax, "
                                           r"regression, but this model's head is 'regresion'; give fit"):
        fit(net, X, X.sum(1), epochs=2, progress=False)
    headed = nn.Sequential(nn.Linear(3, 1))
    headed.head = nn.Sequential(nn.ReLU())  # a submodule called head, common in PyTorch models: one sentence, no repr
    with pytest.raises(SignnetError, match=r"this model's head is a Sequential; give fit a module whose head"):
        fit(headed, X, X.sum(1), epochs=2, progress=False)
    class OutFirst(nn.Module):  # registers its output layer first: the width is read from an output, not the layers
        def __init__(self):
            super().__init__()
            self.out, self.body = nn.Linear(8, 4), nn.Linear(3, 8)
            self.head = "softmax"

        def forward(self, x):
            return self.out(torch.relu(self.body(x)))

    four = OutFirst()
    assert len(fit(four, X, np.arange(50) % 4, epochs=2, progress=False).loss) == 2
    with pytest.raises(SignnetError, match=r"^Labels must lie in 0\.\.3 for a softmax head with 4 output\(s\)"):
        fit(four, X, np.arange(50) % 5, epochs=2, progress=False)
    net.head = "regression"
    history = fit(net, X, X.sum(1), epochs=2, progress=False)
    assert len(history.loss) == 2
