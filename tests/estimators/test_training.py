"""What fitting does: standardisation with positive scales, early stopping with the best epoch restored,
determinism, and monotone predictions on random pairs."""

import numpy as np
import pytest
import torch

from signnet import MonotoneClassifier, MonotoneRegressor, certify, dominance_violations


def _data(n=300, seed=0, noise=0.1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)) * np.array([1000.0, 0.01, 1.0, 1.0]) + np.array([-5000.0, 3.0, 0.0, 0.0])
    X[:, 3] = 7.0  # a constant column
    z = (X[:, 0] + 5000.0) / 1000.0 - np.tanh((X[:, 1] - 3.0) * 100.0) + 0.5 * np.sin(3 * X[:, 2])
    return X, 50.0 + 20.0 * z + noise * 20.0 * rng.normal(size=n)


def test_standardisation_uses_positive_scales_and_keeps_directions():
    X, y = _data()
    model = MonotoneRegressor(monotonic_cst=[1, -1, 0, 0], max_iter=20, early_stopping=False, random_state=0).fit(X, y)
    standardise = model.module_.standardise
    W, b = standardise.weight.double().numpy(), standardise.bias.double().numpy()
    scale = X.std(axis=0)
    scale[3] = 1.0  # constant column: scale 1
    np.testing.assert_array_equal(W, np.diag(np.diag(W)))  # diagonal: no feature mixes into another
    assert (np.diag(W) > 0).all()
    np.testing.assert_allclose(np.diag(W), 1.0 / scale, rtol=1e-6)
    np.testing.assert_allclose(b, -X.mean(axis=0) / scale, rtol=1e-5)
    output = model.module_.output
    assert output.weight.item() == pytest.approx(y.std(), rel=1e-6) and output.weight.item() > 0
    assert output.bias.item() == pytest.approx(y.mean(), rel=1e-6)
    with torch.no_grad():
        raw = model.module_(torch.as_tensor(X, dtype=torch.float32))[:, 0].numpy()
    np.testing.assert_allclose(raw, model.predict(X), rtol=1e-4, atol=1e-3)
    assert certify(model.module_).monotone[0][:2] in ([1, -1], [1, 0], [0, -1], [0, 0])


@pytest.mark.parametrize("Estimator", [MonotoneRegressor, MonotoneClassifier])
def test_predictions_are_monotone_on_random_pairs(Estimator):
    X, y = _data(n=400)
    if Estimator is MonotoneClassifier:
        y = (y > np.median(y)).astype(int)
    model = Estimator(monotonic_cst=[1, -1, 0, 0], max_iter=60, random_state=0).fit(X, y)
    rng = np.random.default_rng(1)
    low = X[rng.integers(0, len(X), 2000)] + rng.normal(size=(2000, 4)) * X.std(axis=0)
    high = low.copy()
    high[:, 0] += rng.exponential(size=2000) * 1000.0  # up in the +1 feature
    high[:, 1] -= rng.exponential(size=2000) * 0.01  # down in the -1 feature
    out = model.predict if Estimator is MonotoneRegressor else model.decision_function
    gap = out(high) - out(low)
    assert gap.min() >= 0.0
    assert gap.max() > 0.0  # the constrained features do move the prediction
    free = low.copy()
    free[:, 2] += rng.normal(size=2000)  # the free feature moves it both ways
    change = out(free) - out(low)
    assert change.min() < 0 < change.max()


def test_early_stopping_restores_the_best_validation_epoch():
    X, y = _data(n=120, noise=1.0)
    params = dict(hidden_layer_sizes=(64, 64), learning_rate_init=0.03, random_state=3, validation_fraction=0.3,
                  n_networks=1)
    long = MonotoneRegressor(max_iter=80, n_iter_no_change=1000, **params).fit(X, y)
    (fit,) = long.fits_
    assert long.n_iter_ == fit.n_iter == 80 == len(fit.loss_curve) == len(fit.validation_loss_curve) \
        == len(fit.validation_scores)
    best = fit.best_epoch
    assert best == int(np.argmin(fit.validation_loss_curve))
    assert best < 79  # the precondition of this test: the validation loss rose after its minimum
    assert fit.best_validation_score == fit.validation_scores[best]
    # the same run cut right after the best epoch ends with the weights the long run restored
    short = MonotoneRegressor(max_iter=best + 1, n_iter_no_change=1000, **params).fit(X, y)
    assert short.fits_[0].best_epoch == best
    np.testing.assert_array_equal(short.predict(X), long.predict(X))
    # patience: the run stops n_iter_no_change epochs after the last improvement larger than tol
    patient = MonotoneRegressor(max_iter=80, n_iter_no_change=5, tol=0.0, **params).fit(X, y)
    assert patient.n_iter_ == patient.fits_[0].best_epoch + 1 + 5


def test_validation_scores_are_r2_and_accuracy():
    X, y = _data()
    reg = MonotoneRegressor(max_iter=30, n_networks=2, random_state=0).fit(X, y)
    for fit in reg.fits_:
        assert fit.validation_scores[-1] <= 1.0 and fit.best_validation_score > 0.8
    clf = MonotoneClassifier(max_iter=30, n_networks=2, random_state=0).fit(X, y > 50)
    n_val = int(np.ceil(0.1 * len(X)))
    for fit in clf.fits_:
        assert all(round(s * n_val) == pytest.approx(s * n_val, abs=1e-4) for s in fit.validation_scores)  # k / n_val


def test_without_early_stopping_there_is_no_validation_record():
    X, y = _data()
    model = MonotoneRegressor(early_stopping=False, max_iter=15, n_networks=2, random_state=0).fit(X, y)
    assert model.n_iter_ == 15 and len(model.fits_) == 2
    for fit in model.fits_:
        assert fit.validation_rows is None and fit.best_epoch is None and fit.best_validation_score is None
        assert fit.validation_scores == fit.validation_loss_curve == [] and len(fit.loss_curve) == 15


def test_same_random_state_same_predictions_and_global_rng_untouched():
    X, y = _data()
    torch_state, np_state = torch.random.get_rng_state(), np.random.get_state()[1].copy()
    a = MonotoneRegressor(max_iter=20, random_state=7).fit(X, y).predict(X)
    b = MonotoneRegressor(max_iter=20, random_state=7).fit(X, y).predict(X)
    c = MonotoneRegressor(max_iter=20, random_state=8).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    np.testing.assert_array_equal(np.random.get_state()[1], np_state)


def test_audit_finds_no_violating_pair_of_a_fitted_estimator():
    X, y = _data(n=300)
    model = MonotoneRegressor(monotonic_cst=[1, -1, 0, 0], max_iter=40, random_state=0).fit(X, y)
    report = dominance_violations(model, X)  # pairs ordered by the estimator's own monotonic_cst_
    assert report.monotonic_cst == [1, -1, 0, 0]
    assert report.n_pairs > 0 and report.violations == 0


@pytest.mark.parametrize("Estimator", [MonotoneClassifier, MonotoneRegressor])
def test_inputs_that_standardise_beyond_float32_stay_monotone(Estimator):
    # 1e37 is a float32, but (1e37 - mean) / 0.01 is not: as inf it met zero weights (0 * inf = NaN), and predict
    # gave classes_[0] and NaN where the certificate promised non-decreasing
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(0, 0.01, 300), rng.normal(size=300)])
    y = X[:, 0] / 0.01 + 0.3 * rng.normal(size=300)
    model = Estimator(monotonic_cst=[1, 0], n_networks=2, hidden_layer_sizes=(8, 8), max_iter=30, random_state=0)
    model.fit(X, (y > 0).astype(int) if Estimator is MonotoneClassifier else y)
    assert certify(model).satisfies_monotonic_cst
    rows = np.array([[0.05, 0.0], [1e37, 0.0], [3e38, 0.0]])  # non-decreasing in the +1 feature
    out = model.decision_function(rows) if Estimator is MonotoneClassifier else model.predict(rows)
    assert np.isfinite(out).all() and (np.diff(out) >= 0).all()
    if Estimator is MonotoneClassifier:
        assert model.predict(rows).tolist() == [1, 1, 1]
