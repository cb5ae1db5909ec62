"""fit_batched trains each member exactly as fit would alone (signnet.train.batched)."""

import copy

import pytest
import torch

from signnet import MLP, SignnetError, fit
from signnet.data.figure1 import flipped_network, panel_data
from signnet.train.batched import BatchedHistory, fit_batched
from signnet.train.losses import head_loss


def _members(n, **kwargs):
    """``n`` pairs of identical networks (seeds 0..n-1): one for fit_batched, one for fit."""
    pairs = []
    for seed in range(n):
        torch.manual_seed(seed)
        a = MLP(2, (4, 3), **kwargs)
        pairs.append((a, copy.deepcopy(a)))
    return pairs


def _close(a, b, atol=1e-4):
    for la, lb in zip(a.linear_layers, b.linear_layers, strict=True):
        assert torch.allclose(la.weight, lb.weight, atol=atol)
        assert torch.allclose(la.bias, lb.bias, atol=atol)


CASES = [
    dict(net=dict(weights="free"), fit=dict()),
    dict(net=dict(weights="nonneg"), fit=dict()),
    dict(net=dict(weights="nonneg", method="penalty", strength=3.0), fit=dict()),
    dict(net=dict(weights="nonneg", activation="tanh"), fit=dict(optimizer="adamw", weight_decay=0.01)),
    dict(net=dict(weights="nonneg", activation="softplus"), fit=dict(optimizer="sgd", lr=0.2, weight_decay=0.01)),
    dict(net=dict(weights="nonneg", activation="leaky_relu"), fit=dict(batch_size=64, seed=3)),
    dict(net=dict(weights="nonneg", head="softmax", out_features=2), fit=dict()),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(f"{v}" for v in {**c["net"], **c["fit"]}.values()))
def test_members_follow_their_single_trajectories(case):
    X, y = panel_data("C", 200, seed=0)
    pairs = _members(3, **case["net"])
    opts = {"lr": 0.05, **case["fit"]}
    hist = fit_batched([a for a, _ in pairs], X, y, epochs=40, **opts)
    for r, (a, b) in enumerate(pairs):
        h = fit(b, X, y, epochs=40, patience=None, progress=False, **opts)
        _close(a, b)
        assert hist.loss[r] == pytest.approx(h.loss, abs=1e-5)
        assert hist.epochs[r] == 40 and hist.stop_reason[r] == "epochs"


def test_regression_head_with_two_targets():
    X, y = panel_data("C", 150, seed=1)
    Y = torch.stack([torch.as_tensor(y, dtype=torch.float32), torch.as_tensor(X[:, 0], dtype=torch.float32)], 1)
    pairs = _members(2, head="regression", out_features=2, weights="nonneg")
    fit_batched([a for a, _ in pairs], X, Y, epochs=30, lr=0.03)
    for a, b in pairs:
        fit(b, X, Y, epochs=30, lr=0.03, patience=None, progress=False)
        _close(a, b)


def test_result_is_the_list_of_final_losses():
    X, y = panel_data("C", 200, seed=0)
    members = [a for a, _ in _members(2)]
    hist = fit_batched(members, X, y, epochs=20, lr=0.05)
    assert isinstance(hist, BatchedHistory) and len(hist) == 2
    Xt = torch.as_tensor(X, dtype=torch.float32)
    for m, final in zip(members, hist, strict=True):
        with torch.no_grad():
            assert final == pytest.approx(float(head_loss(m(Xt), torch.as_tensor(y), "binary")), abs=1e-6)
    assert hist.val_loss == [[], []] and hist.best_epoch == [None, None]


def test_runs_are_bit_identical():
    X, y = panel_data("C", 200, seed=0)
    a, b = [m for m, _ in _members(3)], [m for _, m in _members(3)]
    fit_batched(a, X, y, epochs=15, batch_size=50, seed=4, threads=1)
    fit_batched(b, X, y, epochs=15, batch_size=50, seed=4, threads=1)
    for ma, mb in zip(a, b, strict=True):
        _close(ma, mb, atol=0.0)


def test_members_may_carry_different_masks_and_keep_them():
    X, y = panel_data("C", 200, seed=0)
    torch.manual_seed(0)
    members = [flipped_network("C"), MLP(2, (3,), weights="nonneg")]
    fit_batched(members, X, y, epochs=50, lr=0.05)
    flipped, plain = members
    assert flipped.linear_layers[1].weight[0, 2] <= 0
    for layer in plain.linear_layers:
        assert bool((layer.weight >= 0).all())


def test_early_stopping_freezes_exactly_the_stopped_members():
    X, y = panel_data("C", 200, seed=0)
    pairs = _members(5, weights="nonneg")
    hist = fit_batched([a for a, _ in pairs], X, y, epochs=150, lr=0.05, patience=5, tol=1e-3)
    assert len(set(hist.epochs)) > 1  # members stop at different epochs
    assert "patience" in hist.stop_reason
    for r, (a, b) in enumerate(pairs):
        h = fit(b, X, y, epochs=150, lr=0.05, patience=5, tol=1e-3, progress=False)
        assert hist.epochs[r] == h.epochs
        assert hist.stop_reason[r] == ("patience" if h.stopped_early else "epochs")
        assert len(hist.loss[r]) == h.epochs
        _close(a, b)


def _reference_validation(model, X, y, Xv, yv, epochs):
    """fit with a callback: validation loss after each epoch and the weights of each epoch."""
    curve, snaps = [], []
    Xv_t, yv_t = torch.as_tensor(Xv, dtype=torch.float32), torch.as_tensor(yv)

    def record(epoch, m, history):
        with torch.no_grad():
            curve.append(float(head_loss(m(Xv_t), yv_t, "binary")))
        snaps.append(copy.deepcopy(m))

    fit(model, X, y, epochs=epochs, lr=0.05, patience=None, progress=False, callback=record)
    return curve, snaps


def test_validation_and_restore_best_per_member():
    X, y = panel_data("C", 200, seed=0)
    Xv, yv = panel_data("C", 200, seed=9)
    pairs = _members(3, weights="free")
    hist = fit_batched([a for a, _ in pairs], X, y, epochs=60, lr=0.05, validation=(Xv, yv))
    bests = []
    for r, (a, b) in enumerate(pairs):
        curve, snaps = _reference_validation(b, X, y, Xv, yv, 60)
        assert hist.val_loss[r] == pytest.approx(curve, abs=1e-5)
        best = hist.best_epoch[r]
        assert hist.val_loss[r][best] == min(hist.val_loss[r])
        assert curve[best] == pytest.approx(min(curve), abs=1e-5)
        _close(a, snaps[best])  # the member ends with the weights of its best epoch
        bests.append(best)
    assert len(set(bests)) > 1 or bests[0] < 59  # not simply the last epoch for everyone


def test_validation_patience_stops_each_member_on_its_own_curve():
    X, y = panel_data("C", 200, seed=0)
    Xv, yv = panel_data("C", 100, seed=9)
    pairs = _members(4)
    patience, tol = 4, 1e-3
    hist = fit_batched([a for a, _ in pairs], X, y, epochs=120, lr=0.05, validation=(Xv, yv),
                       patience=patience, tol=tol, restore_best=False)
    for r, (a, b) in enumerate(pairs):
        curve, snaps = _reference_validation(b, X, y, Xv, yv, 120)
        best, stale, stop = float("inf"), 0, len(curve)
        for e, v in enumerate(curve):
            if v < best - tol:
                best, stale = v, 0
            else:
                stale += 1
                if stale >= patience:
                    stop = e + 1
                    break
        assert hist.epochs[r] == stop
        assert hist.val_loss[r][hist.best_epoch[r]] == min(hist.val_loss[r])  # reported even without restoring
        _close(a, snaps[stop - 1])  # restore_best=False: the weights of the last epoch run
    assert min(hist.epochs) < 120


def test_validation_fraction_holds_out_the_rows_fit_holds_out():
    X, y = panel_data("C", 200, seed=0)
    pairs = _members(3)
    opts = dict(epochs=40, lr=0.05, validation_fraction=0.25, seed=5, patience=6, tol=1e-3)
    hist = fit_batched([a for a, _ in pairs], X, y, **opts)
    for r, (a, b) in enumerate(pairs):
        h = fit(b, X, y, progress=False, **opts)
        assert hist.val_loss[r] == pytest.approx(h.val_loss, abs=1e-5)
        assert (hist.epochs[r], hist.best_epoch[r]) == (h.epochs, h.best_epoch)
        _close(a, b)


def test_device_cpu_and_resolution():
    X, y = panel_data("C", 100, seed=0)
    pairs = _members(2)
    before = torch.get_num_threads()
    hist = fit_batched([a for a, _ in pairs], X, y, epochs=10, device="cpu", threads="auto")
    assert hist.device == "cpu" and torch.get_num_threads() == before
    hist = fit_batched([a for a, _ in pairs], X, y, epochs=2, device="auto")
    assert hist.device == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message given without a GPU")
def test_cuda_without_a_gpu_is_refused():
    with pytest.raises(SignnetError, match=r"device 'cuda' asks for CUDA but torch sees no CUDA device here"):
        fit_batched([MLP(2, (3,))], [[0.0, 0.0]], [0], device="cuda")


@pytest.mark.cuda
@pytest.mark.parametrize("compile", [False, True])
def test_cuda_matches_cpu(compile):
    X, y = panel_data("C", 300, seed=0)
    Xv, yv = panel_data("C", 100, seed=9)
    cpu = [a for a, _ in _members(4, weights="nonneg")]
    gpu = [b for _, b in _members(4, weights="nonneg")]
    opts = dict(epochs=50, lr=0.05, validation=(Xv, yv), restore_best=False)  # no argmin that rounding could flip
    h_cpu = fit_batched(cpu, X, y, device="cpu", **opts)
    h_gpu = fit_batched(gpu, X, y, device="cuda", compile=compile, **opts)
    assert h_gpu.device.startswith("cuda")
    for r, (a, b) in enumerate(zip(cpu, gpu, strict=True)):
        assert next(b.parameters()).device.type == "cpu"  # results are copied back where the models live
        _close(a, b, atol=1e-3)
        assert h_gpu.val_loss[r] == pytest.approx(h_cpu.val_loss[r], abs=1e-4)
        assert all(bool((l.weight >= 0).all()) for l in b.linear_layers)


@pytest.mark.cuda
def test_cuda_early_stopping_freezes_members():
    X, y = panel_data("C", 300, seed=0)
    members = [a for a, _ in _members(4, weights="nonneg")]
    hist = fit_batched(members, X, y, epochs=300, lr=0.05, patience=5, tol=1e-3, device="cuda")
    assert min(hist.epochs) < 300 and all(len(l) == e for l, e in zip(hist.loss, hist.epochs, strict=True))


@pytest.mark.cuda
def test_models_on_cuda_train_there_by_default():
    X, y = panel_data("C", 100, seed=0)
    members = [MLP(2, (4,), device="cuda") for _ in range(3)]
    hist = fit_batched(members, X, y, epochs=5)
    assert hist.device.startswith("cuda") and next(members[0].parameters()).is_cuda


@pytest.mark.slow
def test_compiled_cpu_step_matches_eager():
    X, y = panel_data("C", 200, seed=0)
    eager = [a for a, _ in _members(3, weights="nonneg")]
    compiled = [b for _, b in _members(3, weights="nonneg")]
    fit_batched(eager, X, y, epochs=30, lr=0.05)
    fit_batched(compiled, X, y, epochs=30, lr=0.05, compile=True)
    for a, b in zip(eager, compiled, strict=True):
        _close(a, b, atol=1e-4)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: fit_batched([], [[0.0, 0.0]], [0]), "needs at least one network"),
    (lambda: fit_batched(MLP(2, (3,)), [[0.0, 0.0]], [0]), r"takes a list of networks, got one MLP; pass \[model\]"),
    (lambda: fit_batched([torch.nn.Linear(2, 1)], [[0.0, 0.0]], [0]), "trains signnet.MLP networks, got Linear"),
    (lambda: fit_batched([MLP(2, (3,)), MLP(2, (4,))], [[0.0, 0.0]], [0]),
     r"one architecture \(widths, activation, head, method, strength\), but network 1 has hidden=\[4\] where "
     r"network 0 has \[3\]; train"),
    (lambda: fit_batched([MLP(2, (3,), method="reparam")], [[0.0, 0.0]], [0]),
     "supports method='project' or 'penalty', got 'reparam'"),
    (lambda: fit_batched([MLP(2, (3,))], [[0.0, 0.0]], [0], optimizer="lbfgs"), "Unknown optimizer 'lbfgs'"),
    (lambda: fit_batched([MLP(2, (3,))], [[0.0, 0.0]], [0], validation=([[0.0, 0.0]], [0]), validation_fraction=0.1),
     r"either `validation` \(held-out data\) or `validation_fraction`"),
    (lambda: fit_batched([MLP(2, (3,))], [[0.0, 0.0]], [0], validation=[[0.0, 0.0]]), "must be a pair"),
    (lambda: fit_batched([MLP(2, (3,))], [[0.0, 0.0]] * 4, [0, 1, 0, 1], validation_fraction=1.5),
     r"validation_fraction must be a finite number strictly between 0 and 1, got 1.5"),
    (lambda: fit_batched([MLP(2, (3,))], [[0.0, 0.0]] * 4, [0, 1, 0, 0], validation_fraction=0.2),
     r"validation_fraction=0.2 leaves class 1 \(1 rows\) without a row in the validation part"),
    (lambda: fit_batched([MLP(2, (3,))], [[0.0, 0.0]], [0], compile="yes"), "`compile` must be True, False or 'auto'"),
    (lambda: fit_batched([MLP(2, (3,))], [[0.0, 0.0]], [0], device="tpu9"), "device 'tpu9' is not a torch device"),
    (lambda: fit_batched([MLP(2, (3,))], [[0.0, 0.0]], [0], restore_best="yes"), "restore_best must be True or False"),
    (lambda: fit_batched([MLP(2, (3,))], [[0.0, 0.0]], [0], patience=0), "patience must be a positive integer"),
])
def test_errors(call, message):
    with pytest.raises(SignnetError, match=message):
        call()


@pytest.mark.parametrize("opts", [dict(), dict(batch_size=40, seed=2), dict(validation_fraction=0.2, patience=3)])
def test_chunks_on_threads_match_one_thread_bit_for_bit(monkeypatch, opts):
    import signnet.train.batched as batched

    submitted = []

    class Pool(batched.ThreadPoolExecutor):
        def submit(self, fn, *args, **kwargs):
            submitted.append(fn)
            return super().submit(fn, *args, **kwargs)

    X, y = panel_data("B", 200, seed=1)
    rows = opts.get("batch_size", 160 if "validation_fraction" in opts else 200)  # rows per step
    monkeypatch.setattr(batched, "CHUNK_BYTES", 4 * 4 * rows * 2)  # widest layer 4: 2 members per chunk, 4 chunks of 7
    monkeypatch.setattr(batched, "ThreadPoolExecutor", Pool)
    pairs = _members(7, weights="nonneg")
    one = fit_batched([a for a, _ in pairs], X, y, epochs=12, threads=1, **opts)
    assert not submitted
    before = torch.get_num_threads()
    torch.set_num_threads(3)  # threads="auto" uses torch's count: 3 threads take the 4 chunks
    try:
        auto = fit_batched([b for _, b in pairs], X, y, epochs=12, threads="auto", **opts)
        assert torch.get_num_threads() == 3  # the one-thread setting inside is undone
        with torch.inference_mode():  # the workers run in the caller's inference mode
            inference = [copy.deepcopy(b) for b in _members(7, weights="nonneg")]
            fit_batched([c for c, _ in inference], X, y, epochs=12, threads="auto", **opts)
    finally:
        torch.set_num_threads(before)
    steps = max(auto.epochs) * (200 // rows if "batch_size" in opts else 1)
    assert len(submitted) == 2 * 3 * steps
    assert one.loss == auto.loss and one.val_loss == auto.val_loss and one.epochs == auto.epochs
    for a, b, (c, _) in zip(*zip(*pairs, strict=True), inference, strict=True):
        for la, lb, lc in zip(a.linear_layers, b.linear_layers, c.linear_layers, strict=True):
            assert torch.equal(la.weight, lb.weight) and torch.equal(la.bias, lb.bias)
            assert torch.equal(la.weight, lc.weight) and torch.equal(la.bias, lc.bias)


def test_a_module_list_of_networks_is_a_list():
    X, y = [[0.0, 0.0], [1.0, 1.0]], [0, 1]
    histories = fit_batched(torch.nn.ModuleList([MLP(2, (3,)), MLP(2, (3,))]), X, y, epochs=2, progress=False)
    assert len(histories) == 2


def test_a_member_whose_validation_loss_is_never_finite_keeps_its_last_weights_as_fit_does():
    # fit_batched restored the untrained weights and reported best_epoch 0; fit keeps the last ones and says None
    X = torch.randn(100, 2, generator=torch.Generator().manual_seed(0))
    y = X.sum(1)
    val = (torch.full((10, 2), 1e30), torch.zeros(10))  # outputs near 1e30, squared: every validation loss is inf
    torch.manual_seed(0)
    net = MLP(2, (4,), head="regression")
    alone, batched = copy.deepcopy(net), copy.deepcopy(net)
    h = fit(alone, X, y, epochs=20, validation=val, patience=None, progress=False)
    hb = fit_batched([batched], X, y, epochs=20, validation=val)
    assert h.best_epoch is None and hb.best_epoch == [None]
    assert not torch.equal(batched[0].weight, net[0].weight)  # trained, not put back
    for p, q in zip(batched.parameters(), alone.parameters(), strict=True):
        torch.testing.assert_close(p, q)


def test_patience_running_out_on_the_last_epoch_is_no_early_stop():
    X, y = panel_data("C", n=100, seed=0)
    torch.manual_seed(0)
    net = MLP(2, (4,), head="binary")
    first = fit(copy.deepcopy(net), X, y, epochs=300, patience=3, tol=0.5, progress=False)
    assert first.stopped_early and first.stop_reason == "patience"  # tol 0.5: three epochs without such a drop
    exact = fit(copy.deepcopy(net), X, y, epochs=first.epochs, patience=3, tol=0.5, progress=False)
    assert exact.epochs == first.epochs and not exact.stopped_early and exact.stop_reason == "epochs"
    hb = fit_batched([copy.deepcopy(net)], X, y, epochs=first.epochs, patience=3, tol=0.5)
    assert hb.epochs == [first.epochs] and hb.stop_reason == ["epochs"]
