"""The one training loop (signnet.train.loop): every hook checked against numbers computed by hand."""

import copy
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import signnet
from signnet import MLP, SignnetError, make_problem
from signnet.nn.enforce import project_
from signnet.train import Step, fit_batched, train_loop
from signnet.train.losses import head_loss
from signnet.validation import as_features, as_targets

pytestmark = pytest.mark.usefixtures("single_thread")


def _line(seed=0, n=10):
    """A float64 linear neuron and a small regression set: X (n, 2), y (n, 1)."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 2, generator=g, dtype=torch.float64)
    y = torch.randn(n, 1, generator=g, dtype=torch.float64)
    model = nn.Linear(2, 1, dtype=torch.float64)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[0.3, -0.7]], dtype=torch.float64))
        model.bias.fill_(0.1)
    return model, X, y


def _problem(name="negative_slope", n=200):
    p = make_problem(name, n, seed=0)
    X = as_features(p.X)
    return X, as_targets(p.y, X.shape[0], "binary", 1)


# ----------------------------------------------------------------------------- per-step hooks

def test_on_step_sees_every_step_of_every_epoch():
    model, X, y = _line(n=10)
    seen = []
    h = train_loop(model, X, y, epochs=2, loss="regression", batch_size=3, generator=4,
                   optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
                   on_step=lambda s: seen.append((s.epoch, s.index, s.inputs.clone(), s.loss.item())))
    assert [(e, i) for e, i, *_ in seen] == [(0, 0), (0, 1), (0, 2), (0, 3), (1, 4), (1, 5), (1, 6), (1, 7)]
    assert [len(x) for _, _, x, _ in seen] == [3, 3, 3, 1] * 2
    for epoch in (0, 1):
        rows = torch.cat([x for e, _, x, _ in seen if e == epoch])
        # every example exactly once per epoch, in the order of the generator
        order = sorted(range(10), key=lambda r: [torch.equal(rows[k], X[r]) for k in range(10)].index(True))
        assert sorted(order) == list(range(10))
        # the epoch loss is the row-weighted mean of the step losses
        steps = [(len(x), loss) for e, _, x, loss in seen if e == epoch]
        assert h.loss[epoch] == pytest.approx(sum(b * v for b, v in steps) / 10, rel=1e-12)
    assert h.epochs == 2 and not h.stopped_early


def test_same_generator_seed_gives_the_same_order_and_another_seed_another():
    def order(seed):
        model, X, y = _line()
        rows = []
        train_loop(model, X, y, epochs=1, loss="regression", batch_size=1,
                   generator=torch.Generator().manual_seed(seed), optimizer=torch.optim.SGD(model.parameters(), lr=0.0),
                   on_step=lambda s: rows.append(int((X == s.inputs).all(1).nonzero())))
        return rows

    orders = [order(seed) for seed in (4, 4, 5)]
    assert orders[0] == orders[1] and sorted(orders[0]) == list(range(10))
    assert orders[0] != orders[2]


def test_on_grad_sees_the_gradient_the_optimiser_steps_with():
    model, X, y = _line()
    before, grads, after = [], [], []

    def on_grad(s):
        before.append(model.weight.detach().clone())
        grads.append(model.weight.grad.clone())

    train_loop(model, X, y, epochs=3, loss="regression", optimizer=torch.optim.SGD(model.parameters(), lr=0.5),
               on_grad=on_grad, on_step=lambda s: after.append(model.weight.detach().clone()))
    assert len(grads) == 3
    for w0, g, w1 in zip(before, grads, after, strict=True):
        assert torch.equal(w1, w0 - 0.5 * g)  # lr a power of two: exact
    # the first gradient, by hand: d/dw mean((Xw + b - y)^2) = mean(2 r x)
    _, X0, y0 = _line()
    r = X0 @ torch.tensor([0.3, -0.7], dtype=torch.float64) + 0.1 - y0[:, 0]
    assert torch.allclose(grads[0][0], (2 * r[:, None] * X0).mean(0), rtol=1e-12, atol=0)


def test_output_transform_changes_the_loss_as_computed_by_hand():
    model, X, y = _line()
    z = X @ torch.tensor([0.3, -0.7], dtype=torch.float64) + 0.1  # (n,) the raw output
    losses, grads = {}, {}

    def run(name, transform):
        model, X, y = _line()
        train_loop(model, X, y, epochs=1, loss="regression", transform=transform,
                   optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                   on_grad=lambda s: grads.__setitem__(name, model.weight.grad.clone()),
                   on_step=lambda s: losses.__setitem__(name, (s.loss.item(), s.output.detach().clone())))

    run("none", None)
    run("softplus", F.softplus)
    assert losses["none"][0] == pytest.approx(float(((z - y[:, 0]) ** 2).mean()), rel=1e-12)
    p = torch.log1p(torch.exp(z))  # softplus by hand
    assert torch.allclose(losses["softplus"][1][:, 0], p, rtol=1e-12, atol=0)
    assert losses["softplus"][0] == pytest.approx(float(((p - y[:, 0]) ** 2).mean()), rel=1e-12)
    assert losses["softplus"][0] != pytest.approx(losses["none"][0])
    # chain rule: d/dw mean((softplus(z) - y)^2) = mean(2 (p - y) sigmoid(z) x)
    by_hand = (2 * (p - y[:, 0]) * torch.sigmoid(z))[:, None] * X
    assert torch.allclose(grads["softplus"][0], by_hand.mean(0), rtol=1e-12, atol=0)


def test_extra_loss_term_changes_the_gradient_as_computed_by_hand():
    alpha = 3.0
    grads = {}

    def run(name, extra):
        model, X, y = _line()
        train_loop(model, X, y, epochs=1, loss="regression", extra_loss=extra,
                   optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                   on_grad=lambda s: grads.__setitem__(name, (model.weight.grad.clone(), s.objective.item(),
                                                              s.loss.item())))

    run("plain", ())
    run("penalty", lambda s: alpha * F.relu(-s.output).square().mean())
    _, X, _ = _line()
    z = X @ torch.tensor([0.3, -0.7], dtype=torch.float64) + 0.1
    assert (z < 0).any() and (z > 0).any()  # the penalty acts on some rows only
    # d/dw alpha mean(relu(-z)^2) = alpha mean(-2 relu(-z) x)
    penalty_grad = (alpha * -2 * F.relu(-z))[:, None] * X
    assert torch.allclose(grads["penalty"][0] - grads["plain"][0], penalty_grad.mean(0)[None], rtol=1e-10, atol=1e-14)
    assert grads["penalty"][2] == grads["plain"][2]  # the data loss is the same; the objective adds the term
    assert grads["penalty"][1] == pytest.approx(grads["plain"][2] + alpha * float(F.relu(-z).square().mean()))


def test_sign_penalty_of_penalty_layers_enters_the_objective_but_not_the_recorded_loss():
    X, y = _problem("xor")
    torch.manual_seed(0)
    model = MLP(2, (4,), weights="nonneg", method="penalty", strength=2.0)
    with torch.no_grad():
        model[0].weight[0, 0] = -1.5
    seen = []
    h = train_loop(model, X, y, epochs=1, optimizer=torch.optim.SGD(model.parameters(), lr=0.0),
                   on_step=lambda s: seen.append((s.loss.item(), s.objective.item())))
    loss, objective = seen[0]
    assert objective - loss == pytest.approx(2.0 * 1.5 ** 2, rel=1e-6)
    assert h.loss == [loss]


# ----------------------------------------------------------------------------- epochs, scheduler, stopping

def test_scheduler_changes_the_learning_rate_each_epoch():
    model, X, y = _line()
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    steps = []

    def on_grad(s):
        steps.append((model.weight.detach().clone(), model.weight.grad.clone()))

    h = train_loop(model, X, y, epochs=5, loss="regression", optimizer=opt,
                   scheduler=lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5), on_grad=on_grad,
                   on_step=lambda s: steps.append(model.weight.detach().clone()))
    assert h.lr == [1.0, 1.0, 0.5, 0.5, 0.25]
    for epoch in range(5):
        (w0, g), w1 = steps[2 * epoch], steps[2 * epoch + 1]
        assert torch.equal(w1, w0 - h.lr[epoch] * g)  # the step used that epoch's rate


def test_plateau_scheduler_gets_the_epoch_loss():
    model, X, y = _line()
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0)
    losses = iter([3.0, 2.0, 2.0, 2.0, 1.0])
    h = train_loop(model, X, y, epochs=5, step=lambda s: next(losses), scheduler=sched)
    # improves, improves, flat (halve), flat (halve), improves: the rate read during each epoch
    assert h.lr == [1.0, 1.0, 1.0, 0.5, 0.25]


def test_hooks_returning_true_stop_the_run():
    model, X, y = _line()
    h = train_loop(model, X, y, epochs=50, loss="regression", optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
                   on_epoch=lambda epoch, m, hist: epoch == 3)
    assert (h.epochs, h.stopped_early, h.stop_reason, len(h.loss)) == (4, True, "callback", 4)
    model, X, y = _line()
    steps = []
    h = train_loop(model, X, y, epochs=50, loss="regression", batch_size=4,
                   optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
                   on_step=lambda s: steps.append(s.index) or s.index == 4)
    assert steps == [0, 1, 2, 3, 4]  # epoch 0: 3 steps; epoch 1 stops after its second
    assert (h.epochs, h.stop_reason, len(h.loss)) == (2, "callback", 2)


def test_patience_stops_a_run_that_does_not_improve():
    model, X, y = _line()
    h = train_loop(model, X, y, epochs=100, loss="regression", patience=3, tol=1e-3,
                   optimizer=torch.optim.SGD(model.parameters(), lr=1e-12))
    assert (h.epochs, h.stopped_early, h.stop_reason) == (4, True, "patience")


def test_divergence_raises_naming_the_epoch():
    model, X, y = _line()
    losses = iter([1.0, 0.5, float("nan"), 0.1])
    message = r"^Training probe diverged at epoch 3 \(loss nan\); lower the learning rate\.$"
    with pytest.raises(SignnetError, match=message):
        train_loop(model, X, y, epochs=4, step=lambda s: next(losses), name="probe")
    model, X, y = _line()
    with pytest.raises(SignnetError, match=r"Training diverged at epoch \d+ \(loss (nan|inf)\)"):
        train_loop(model, X, y * 1e200, epochs=20, loss="regression",
                   optimizer=torch.optim.SGD(model.parameters(), lr=10.0))


def test_divergence_can_stop_instead():
    model, X, y = _line()
    losses = iter([1.0, 0.5, float("inf"), 0.1])
    h = train_loop(model, X, y, epochs=4, step=lambda s: next(losses), diverge="stop")
    assert h.loss[:2] == [1.0, 0.5] and math.isinf(h.loss[2])
    assert (h.epochs, h.stopped_early, h.stop_reason) == (3, True, "diverged")


# ----------------------------------------------------------------------------- projection and custom steps

def test_projection_keeps_nonneg_weights_nonneg_after_every_step():
    X, y = _problem("xor")  # wants negative weights: training pushes against the sign
    torch.manual_seed(0)
    start = MLP(2, (4,), weights="nonneg")

    def lowest_weight_per_step(weights):
        model = MLP(2, (4,), weights=weights)
        with torch.no_grad():  # the same non-negative start; only the sign constraint differs
            for layer, ref in zip(model.linear_layers, start.linear_layers, strict=True):
                layer.weight.copy_(ref.weight)
                layer.bias.copy_(ref.bias)
        low = []
        train_loop(model, X, y, epochs=30, batch_size=50, optimizer=torch.optim.Adam(model.parameters(), lr=0.05),
                   on_step=lambda s: low.append(min(layer.weight.min().item() for layer in model.linear_layers)))
        return low

    mins = {weights: lowest_weight_per_step(weights) for weights in ("free", "nonneg")}
    assert len(mins["nonneg"]) == 30 * 4
    assert min(mins["free"]) < -1.0  # the same run without the constraint goes negative
    assert min(mins["nonneg"]) == 0.0  # clamped to exactly 0, never below


def test_custom_step_doing_the_default_step_gives_identical_weights():
    X, y = _problem()

    def run(custom):
        torch.manual_seed(1)
        model = MLP(2, (5,), weights="nonneg")
        opt = torch.optim.Adam(model.parameters(), lr=0.05)

        def step(s: Step):
            loss = F.binary_cross_entropy_with_logits(model(s.inputs)[:, 0], s.targets.float())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            return loss

        h = train_loop(model, X, y, epochs=5, batch_size=32, generator=2, optimizer=None if custom else opt,
                       step=step if custom else None)
        return model.state_dict(), h.loss

    states = [run(False), run(True)]
    assert states[0][1] == states[1][1]
    assert all(torch.equal(states[0][0][k], states[1][0][k]) for k in states[0][0])


def test_custom_step_runs_a_cooper_lagrangian_and_the_loop_projects():
    cooper = pytest.importorskip("cooper")
    g = torch.Generator().manual_seed(0)
    X = torch.rand(40, 2, generator=g) * 4 - 2
    y = X[:, 0] - 1.0  # (40,) negative on most points: the constraint yhat >= 0 binds there

    class NonNegative(cooper.ConstrainedMinimizationProblem):
        def __init__(self, model):
            super().__init__()
            self.model = model
            self.c = cooper.Constraint(constraint_type=cooper.ConstraintType.INEQUALITY,
                                       formulation_type=cooper.formulations.Lagrangian,
                                       multiplier=cooper.multipliers.DenseMultiplier(num_constraints=40))

        def compute_cmp_state(self, xb, yb):
            pred = self.model(xb)[:, 0]
            return cooper.CMPState(loss=(pred - yb).square().mean(),
                                   observed_constraints={self.c: cooper.ConstraintState(violation=-pred)})

    torch.manual_seed(0)
    model = MLP(2, (8,), weights="nonneg", head="regression")
    cmp = NonNegative(model)
    opt = cooper.optim.AlternatingDualPrimalOptimizer(
        cmp=cmp, primal_optimizers=torch.optim.Adam(model.parameters(), lr=0.02),
        dual_optimizers=torch.optim.SGD(cmp.dual_parameters(), lr=0.5, maximize=True))
    returned, negative_weights_after_step = [], []

    def step(s):
        loss = opt.roll(compute_cmp_state_kwargs={"xb": s.inputs, "yb": s.targets[:, 0]}).loss
        negative_weights_after_step.append(any(bool((layer.weight < 0).any()) for layer in model.linear_layers))
        returned.append(loss.item())
        return loss

    min_pred = []
    h = train_loop(model, X, as_targets(y, 40, "regression", 1), epochs=150, step=step,
                   on_step=lambda s: min_pred.append(min(layer.weight.min().item() for layer in model.linear_layers)))
    assert h.loss == returned and h.epochs == 150
    assert h.accuracy == [] and h.lr == []
    assert any(negative_weights_after_step)  # the primal Adam step leaves the orthant ...
    assert min(min_pred) >= 0.0  # ... and the loop projects after every custom step
    lam = cmp.c.multiplier.weight.detach()
    assert (lam >= 0).all() and (lam > 0).any()
    with torch.no_grad():
        constrained = float(model(X)[:, 0].min())
    torch.manual_seed(0)
    plain = MLP(2, (8,), weights="nonneg", head="regression")
    train_loop(plain, X, as_targets(y, 40, "regression", 1), epochs=150,
               optimizer=torch.optim.Adam(plain.parameters(), lr=0.02))
    with torch.no_grad():
        unconstrained = float(plain(X)[:, 0].min())
    assert unconstrained < -1.0 < -0.1 < constrained  # the Lagrangian nearly enforces yhat >= 0


def test_custom_step_refuses_hooks_it_would_ignore():
    model, X, y = _line()
    with pytest.raises(SignnetError, match=r"custom step= does its own forward and backward"):
        train_loop(model, X, y, epochs=1, step=lambda s: 0.0, transform=F.softplus)
    with pytest.raises(SignnetError, match=r"custom step= must return the minibatch loss .* got NoneType"):
        train_loop(model, X, y, epochs=1, step=lambda s: None)


def test_user_loss_and_missing_loss():
    model, X, y = _line()
    seen = []
    train_loop(model, X, y, epochs=1, loss=lambda out, t: (out - t).abs().mean(),
               optimizer=torch.optim.SGD(model.parameters(), lr=0.0), on_step=lambda s: seen.append(s.loss.item()))
    z = X @ torch.tensor([0.3, -0.7], dtype=torch.float64) + 0.1
    assert seen == [pytest.approx(float((z - y[:, 0]).abs().mean()), rel=1e-12)]
    with pytest.raises(SignnetError, match=r"Linear has no head; pass loss='binary'"):
        train_loop(model, X, y, epochs=1, optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(SignnetError, match=r"Unknown loss 'hinge'"):
        train_loop(model, X, y, epochs=1, loss="hinge", optimizer=torch.optim.SGD(model.parameters(), lr=0.1))


def test_optimizer_factory_and_bad_optimizer():
    model, X, y = _line()
    h = train_loop(model, X, y, epochs=3, loss="regression", optimizer=lambda p: torch.optim.AdamW(p, lr=0.1))
    assert h.lr == [0.1] * 3 and h.loss[-1] < h.loss[0]
    with pytest.raises(SignnetError, match=r"optimizer must be a torch.optim optimiser .* got str"):
        train_loop(model, X, y, epochs=1, loss="regression", optimizer="adam")


@pytest.mark.parametrize("kwargs, message", [
    (dict(epochs=0), r"epochs must be a positive integer, got 0; pass e\.g\. epochs=100\."),
    (dict(epochs=True), r"epochs must be a positive integer, got True"),
    (dict(batch_size=-2), r"batch_size must be a positive integer or None, got -2"),
    (dict(patience=0), r"patience must be a positive integer or None, got 0; pass None to never stop early"),
    (dict(tol=-1.0), r"tol -1\.0 must be >= 0"),
    (dict(diverge="ignore"), r"Unknown diverge 'ignore'; choose one of: raise, stop"),
    (dict(generator=1.5), r"generator must be an integer, got 1\.5"),
])
def test_loop_validates_its_options(kwargs, message):
    model, X, y = _line()
    options = dict(epochs=2, loss="regression", optimizer=torch.optim.SGD(model.parameters(), lr=0.1)) | kwargs
    with pytest.raises(SignnetError, match=message):
        train_loop(model, X, y, **options)


def test_fit_batched_reports_divergence():
    X, y = _problem()
    with pytest.raises(SignnetError, match=r"Training of the batched networks diverged at epoch 1"):
        fit_batched([MLP(2, (3,), head="regression")], X, y.float() * 1e30, epochs=5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_data_follow_the_model_to_its_device():
    X, y = _problem()
    torch.manual_seed(0)
    model = MLP(2, (4,), weights="nonneg").cuda()
    h = train_loop(model, X, y, epochs=20, batch_size=32, optimizer=torch.optim.Adam(model.parameters(), lr=0.05),
                   on_step=lambda s: (s.inputs.device.type, s.output.device.type) == ("cuda", "cuda") or 1 / 0)
    assert h.epochs == 20 and h.loss[-1] < h.loss[0]
    assert all(bool((layer.weight >= 0).all()) for layer in model.linear_layers)


def test_fit_projects_a_model_that_starts_outside_its_signs():
    p, model = make_problem("negative_slope", 200, seed=0), MLP(2, (4,), weights="nonneg")
    X, y, Xt, yt = p.X, p.y, torch.as_tensor(p.X, dtype=torch.float32), torch.as_tensor(p.y, dtype=torch.float32)
    with torch.no_grad():
        model[0].weight.fill_(-1.0)
    projected = project_(copy.deepcopy(model))
    with torch.no_grad():
        expected = float(head_loss(projected(Xt), yt, "binary"))
        assert expected != pytest.approx(float(head_loss(model(Xt), yt, "binary")))  # the projection matters here
    h = signnet.fit(model, X, y, epochs=1, lr=1e-12, progress=False)
    # the first (full-batch) step already saw the projected weights, not only the state after it
    assert (model[0].weight >= 0).all() and h.loss[0] == pytest.approx(expected, rel=1e-6)
