"""n_networks: each network's own validation rows, one merged certified module_, the per-network record fits_,
and the joint trainer giving each network the trajectory it has alone."""

import numpy as np
import pytest
import torch

from signnet import MonotoneClassifier, MonotoneMLP, MonotoneRegressor, SignnetError, certify, dominance_violations
from signnet.estimators._train import NetworkFit, make_network, train_members
from signnet.experiments.benchmark.models import parameter_count

pytestmark = pytest.mark.usefixtures("single_thread")


def _data(n=240, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, 2 * X[:, 0] - np.tanh(3 * X[:, 1]) + np.sin(2 * X[:, 2]) + 0.3 * rng.normal(size=n)


@pytest.mark.parametrize("Estimator", [MonotoneRegressor, MonotoneClassifier])
def test_ensemble_is_one_certified_monotone_network(Estimator):
    X, y = _data()
    if Estimator is MonotoneClassifier:
        y = (y > 0).astype(int)
    model = Estimator(monotonic_cst=[1, -1, 0], n_networks=3, hidden_layer_sizes=(8, 8), max_iter=40,
                      random_state=0).fit(X, y)
    net = model.module_.network
    assert isinstance(net, MonotoneMLP) and [layer.weight.shape[0] for layer in net.linear_layers] == [24, 24, 1]
    assert [name for name, _ in model.module_.named_children()][:2] == ["standardise", "network"]
    assert certify(model).satisfies_monotonic_cst is True
    assert parameter_count(model) == 3 * (3 * 8 + 8 + 8 * 8 + 8 + 8 + 1)  # the trained numbers, not the zeros between
    assert dominance_violations(model, X).violations == 0
    assert len(model.fits_) == 3 and all(isinstance(f, NetworkFit) for f in model.fits_)
    assert model.n_iter_ == max(f.n_iter for f in model.fits_)
    assert len({f.seed for f in model.fits_}) == 3  # each network its own initialisation
    for f in model.fits_:
        assert len(f.loss_curve) == len(f.validation_loss_curve) == len(f.validation_scores) == f.n_iter
        assert f.best_epoch == int(np.argmin(f.validation_loss_curve))


def test_validation_rows_are_disjoint_folds_when_they_fit_else_independent_draws():
    X, y = _data(n=200)
    model = MonotoneRegressor(n_networks=4, validation_fraction=0.2, max_iter=3, random_state=0).fit(X, y)
    rows = [f.validation_rows for f in model.fits_]
    assert [len(r) for r in rows] == [40] * 4
    assert len(np.unique(np.concatenate(rows))) == 160  # disjoint: 4 x 40 <= 200
    overlapping = MonotoneRegressor(n_networks=6, validation_fraction=0.2, max_iter=3, random_state=0).fit(X, y)
    rows = [f.validation_rows for f in overlapping.fits_]
    assert [len(r) for r in rows] == [40] * 6 and len(np.unique(np.concatenate(rows))) < 240  # 6 x 40 > 200
    assert len({tuple(r) for r in rows}) == 6  # independent draws, not one split repeated


def test_classifier_validation_folds_are_stratified():
    X, y = _data(n=300)
    labels = (y > np.quantile(y, 0.7)).astype(int)  # 30 % positives
    clf = MonotoneClassifier(n_networks=3, validation_fraction=0.2, max_iter=3, random_state=0).fit(X, labels)
    for f in clf.fits_:
        assert len(f.validation_rows) == 60 and abs(labels[f.validation_rows].mean() - 0.3) < 0.02


def test_n_networks_is_validated():
    X, y = _data(n=50)
    with pytest.raises(SignnetError, match=r"The 'n_networks' parameter of MonotoneRegressor must be an int in the "
                                           r"range \[1, inf\)\. Got 0 instead\."):
        MonotoneRegressor(n_networks=0).fit(X, y)


def test_joint_training_gives_each_network_its_solo_trajectory():
    """Two networks trained together on the same rows end where each ends when trained alone."""
    X, y = _data(n=200)
    Xt = torch.as_tensor((X - X.mean(0)) / X.std(0), dtype=torch.float32)
    yt = torch.as_tensor((y - y.mean()) / y.std(), dtype=torch.float32).reshape(-1, 1)
    val = torch.arange(0, 200, 5)
    mask = torch.ones(200, 1)
    mask[val] = 0.0

    def run(seeds):
        nets = [make_network(np.array([1, -1, 0]), (8, 8), architecture="mixed", activation="relu",
                             head="regression", seed=s) for s in seeds]
        fits = [NetworkFit(seed=s) for s in seeds]
        train_members(nets, Xt, yt, head="regression", train_mask=mask.repeat(1, len(seeds)),
                      validation_rows=[val] * len(seeds), score=lambda out, target: 0.0, fits=fits, epochs=25,
                      lr=1e-2, weight_decay=1e-4, batch_size=64, patience=5, tol=1e-4, seed=3,
                      device=torch.device("cpu"), verbose=False)
        return nets, fits

    together, fits = run([11, 12])
    for r, seed in enumerate([11, 12]):
        (alone,), (fit,) = run([seed])
        assert fits[r].best_epoch == fit.best_epoch and fits[r].n_iter == fit.n_iter
        np.testing.assert_allclose(fits[r].validation_loss_curve, fit.validation_loss_curve, rtol=1e-4)
        with torch.no_grad():
            np.testing.assert_allclose(together[r](Xt).numpy(), alone(Xt).numpy(), atol=1e-4)


PATIENCE = 2


def test_a_stopped_network_keeps_its_restored_weights_while_others_train():
    """The networks stop at different epochs; at the end each one's slice of the joint module is its restored best
    weights, although Adam's momentum and weight decay would have moved the first to stop in the later steps."""
    X, y = _data(n=200)
    Xt = torch.as_tensor((X - X.mean(0)) / X.std(0), dtype=torch.float32)
    yt = torch.as_tensor((y - y.mean()) / y.std(), dtype=torch.float32).reshape(-1, 1)
    val = [torch.arange(0, 200, 5), torch.arange(1, 200, 5)]
    mask = torch.ones(200, 2)
    for r, rows in enumerate(val):
        mask[rows, r] = 0.0
    nets = [make_network(np.array([1, -1, 0]), (8, 8), architecture="mixed", activation="relu", head="regression",
                         seed=s) for s in (1, 2)]
    fits = [NetworkFit(seed=s) for s in (1, 2)]
    seen = {}
    from signnet.estimators import _stacked
    original = _stacked.Stacked.project_

    def spy(self):
        seen["wide"] = self
        return original(self)

    _stacked.Stacked.project_ = spy
    try:
        train_members(nets, Xt, yt, head="regression", train_mask=mask, validation_rows=val,
                      score=lambda out, target: 0.0, fits=fits, epochs=80, lr=1e-2, weight_decay=1e-2, batch_size=32,
                      patience=PATIENCE, tol=0.0, seed=0, device=torch.device("cpu"), verbose=False)
    finally:
        _stacked.Stacked.project_ = original
    assert fits[0].n_iter != fits[1].n_iter, [f.n_iter for f in fits]  # one stopped while the other trained on
    wide = seen["wide"]
    for r in range(2):
        rows = slice(8 * r, 8 * (r + 1))
        assert torch.equal(wide.w0[rows], nets[r].linear_layers[0].weight)
        assert torch.equal(wide.weights[0][r], nets[r].linear_layers[1].weight)


def test_sklearn_style_curves_are_means_over_the_networks_still_training():
    X, y = _data(n=200)
    model = MonotoneRegressor(n_networks=3, max_iter=30, n_iter_no_change=3, random_state=0).fit(X, y)
    curves = [f.loss_curve for f in model.fits_]
    assert len(model.loss_curve_) == model.n_iter_ == max(map(len, curves))
    last = model.n_iter_ - 1
    assert model.loss_curve_[last] == pytest.approx(np.mean([c[last] for c in curves if len(c) > last]))
    assert model.loss_curve_[0] == pytest.approx(np.mean([c[0] for c in curves]))
    assert model.validation_scores_[0] == pytest.approx(np.mean([f.validation_scores[0] for f in model.fits_]))
    assert model.best_validation_score_ == pytest.approx(np.mean([f.best_validation_score for f in model.fits_]))
    no_val = MonotoneRegressor(n_networks=2, early_stopping=False, max_iter=5, random_state=0).fit(X, y)
    assert no_val.validation_scores_ is None and no_val.best_validation_score_ is None
    assert len(no_val.loss_curve_) == 5
