"""``fit(X, y, sample_weight=...)``: weighted losses, weighted standardisation, validation rows of positive weight."""

import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score, r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from signnet import MonotoneClassifier, MonotoneOrdinalClassifier, MonotoneRegressor, SignnetError, certify

SMALL = dict(hidden_layer_sizes=(8,), n_networks=2, max_iter=40, random_state=0)


def _data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * np.array([10.0, 1.0, 0.1]) + np.array([100.0, 0.0, 5.0])
    return X, X[:, 0] / 10.0 - X[:, 1] + rng.normal(scale=0.3, size=n)


def _targets(y, Estimator):
    if Estimator is MonotoneRegressor:
        return y
    if Estimator is MonotoneClassifier:
        return (y > np.median(y)).astype(int)
    return np.digitize(y, np.quantile(y, [0.33, 0.66]))


@pytest.mark.parametrize("Estimator", [MonotoneRegressor, MonotoneClassifier, MonotoneOrdinalClassifier])
@pytest.mark.parametrize("equal", [np.ones(200), 7.0, np.full(200, 0.1), np.full(200, 1 / 3)])
def test_equal_weights_give_the_unweighted_fit_bit_for_bit(Estimator, equal):
    X, y = _data()
    t = _targets(y, Estimator)
    plain = Estimator(monotonic_cst=[1, -1, 0], **SMALL).fit(X, t)
    weighted = Estimator(monotonic_cst=[1, -1, 0], **SMALL).fit(X, t, sample_weight=equal)
    np.testing.assert_array_equal(weighted.decision_function(X) if hasattr(weighted, "decision_function")
                                  else weighted.predict(X), plain.decision_function(X)
                                  if hasattr(plain, "decision_function") else plain.predict(X))
    assert weighted.loss_curve_ == plain.loss_curve_
    assert weighted.validation_scores_ == plain.validation_scores_


def _two_answers(n=600, seed=0):
    """Every x twice, once with each of two answers: the best prediction is their weighted mean."""
    X = np.random.default_rng(seed).uniform(-1, 1, size=(n, 2))
    return np.vstack([X, X]), np.r_[np.zeros(n), np.ones(n)], np.r_[np.full(n, 3.0), np.ones(n)]


def test_a_regressor_fits_the_weighted_mean():
    X, y, w = _two_answers()
    y = 10.0 * y
    plain = MonotoneRegressor(monotonic_cst=[1, 0], random_state=0, n_networks=2).fit(X, y)
    weighted = MonotoneRegressor(monotonic_cst=[1, 0], random_state=0, n_networks=2).fit(X, y, sample_weight=w)
    assert plain.predict(X).mean() == pytest.approx(5.0, abs=0.3)
    assert weighted.predict(X).mean() == pytest.approx(2.5, abs=0.3)  # (3 * 0 + 1 * 10) / 4
    assert weighted._output == pytest.approx((5.0, 5.0))  # standardised as without weights (_weights.py)


def test_a_classifier_fits_the_weighted_class_frequency():
    X, y, w = _two_answers()
    clf = MonotoneClassifier(monotonic_cst=[1, 0], random_state=0, n_networks=2).fit(X, y.astype(int), sample_weight=w)
    assert clf.predict_proba(X)[:, 1].mean() == pytest.approx(0.25, abs=0.05)
    assert (clf.predict(X) == 0).all()  # unweighted, the two classes tie at 0.5
    assert certify(clf).proved


def test_rows_of_weight_zero_enter_no_statistic_and_no_validation_set():
    X, y = _data(300)
    w = np.ones(300)
    w[::3] = 0.0
    X[::3, 0] = 1e30  # sentinels, and absurd targets, on the rows of weight zero: inf * 0 would be NaN
    y[::3] = 1e20
    kept = w > 0
    model = MonotoneRegressor(monotonic_cst=[1, -1, 0], **{**SMALL, "n_networks": 3}).fit(X, y, sample_weight=w)
    mean, scale = model._standardise
    np.testing.assert_allclose(mean, X[kept].mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(scale, X[kept].std(axis=0), rtol=1e-12)
    assert model._output == pytest.approx((y[kept].mean(), y[kept].std()), rel=1e-12)
    for fit in model.fits_:
        assert fit.validation_rows.size == 20  # ceil(0.1 * 200 rows of positive weight)
        assert (w[fit.validation_rows] > 0).all()
    assert np.abs(model.predict(X[kept]) - y[kept]).max() < 10.0  # the 1e20 targets pulled nothing


def test_the_validation_score_is_weighted_as_sklearn_weighs_it():
    rng = np.random.default_rng(1)
    out, target, w = rng.normal(size=50), rng.normal(size=50), rng.uniform(0, 3, size=50)
    r2 = MonotoneRegressor()._validation_score()
    got = r2(torch.as_tensor(out), torch.as_tensor(target)[:, None], torch.as_tensor(w))
    assert got == pytest.approx(r2_score(target, out, sample_weight=w), rel=1e-12)
    labels = (target > 0).astype(np.int64)
    accuracy = MonotoneClassifier()._validation_score()
    got = accuracy(torch.as_tensor(out), torch.as_tensor(labels), torch.as_tensor(w))
    assert got == pytest.approx(accuracy_score(labels, (out > 0).astype(int), sample_weight=w), rel=1e-6)
    assert got != pytest.approx(accuracy_score(labels, (out > 0).astype(int)), rel=1e-6)


def test_weights_reach_the_last_step_of_a_pipeline():
    X, y = _data()
    w = np.where(np.arange(200) < 100, 5.0, 1.0)
    pipe = make_pipeline(StandardScaler(), MonotoneRegressor(monotonic_cst=[1, -1, 0], **SMALL))
    pipe.fit(X, y, monotoneregressor__sample_weight=w)
    alone = MonotoneRegressor(monotonic_cst=[1, -1, 0], **SMALL).fit(StandardScaler().fit_transform(X), y,
                                                                      sample_weight=w)
    np.testing.assert_array_equal(pipe.predict(X), alone.predict(StandardScaler().fit(X).transform(X)))


@pytest.mark.parametrize("weights, message", [
    (np.r_[1.0, -1.0, np.ones(198)], r"^sample_weight holds -1 at row 1; weights must be >= 0 \(0 leaves a row "
                                     r"out\)\.$"),
    (np.r_[np.ones(199), np.nan], r"^sample_weight holds 1 NaN value \(first at row 199\); pass finite "
                                  r"weights >= 0\.$"),
    (-2.0, r"^sample_weight holds -2; weights must be >= 0"),
    (np.r_[np.ones(199), np.inf], r"^sample_weight holds 1 infinite value \(first at row 199\)"),
    (np.ones(150), r"^sample_weight has 150 weights, but X has 200 rows; pass one weight per row\.$"),
    (np.ones((200, 1)), r"^sample_weight is 2-D, shape \(200, 1\); pass a 1-D array of 200 weights, one per row "
                        r"\(w\.ravel\(\), or a DataFrame's column df\['weight'\]\)\.$"),
    (np.zeros(200), r"^sample_weight is zero on every row; give some rows a positive weight\.$"),
    ("balanced", r"^sample_weight must hold real numbers, got values such as np\.str_\('balanced'\); pass one number "
                 r">= 0 per row \(e\.g\. sklearn\.utils\.class_weight\.compute_sample_weight\('balanced', y\)\)\.$"),
    (np.ones(200, dtype=bool), r"^sample_weight must hold real numbers, got values such as np\.True_"),
    (np.ones(200, dtype=complex), r"^sample_weight must hold real numbers, got complex numbers"),
    (np.array([1.0] * 199 + [None], dtype=object), r"^sample_weight holds None, which is not a number"),
    (np.array(["1"] * 200, dtype=object), r"^sample_weight holds '1', which is not a number"),
    (np.r_[1e-50, np.ones(199)], r"^sample_weight's ratio of largest to smallest positive weight \(1e\+50, smallest at "
                                 r"row 0\) is beyond float32"),
])
def test_bad_weights_are_refused_in_one_sentence(weights, message):
    X, y = _data()
    with pytest.raises(SignnetError, match=message):
        MonotoneRegressor(**SMALL).fit(X, y, sample_weight=weights)


def test_too_few_rows_of_positive_weight_to_hold_out_validation_rows():
    X, y = _data()
    w = np.zeros(200)
    w[0] = 1.0
    with pytest.raises(SignnetError, match=r"^X has 1 sample of positive weight, too few to hold out "
                                           r"validation_fraction=0\.1"):
        MonotoneRegressor(**SMALL).fit(X, y, sample_weight=w)
    model = MonotoneRegressor(**{**SMALL, "early_stopping": False}).fit(X, y, sample_weight=w)
    assert np.isfinite(model.predict(X)).all()


def test_numbers_of_any_kind_are_weights():
    from decimal import Decimal
    from fractions import Fraction

    X, y = _data()
    w = np.where(np.arange(200) < 100, 2.0, 1.0)
    ref = MonotoneRegressor(**SMALL).fit(X, y, sample_weight=w).predict(X)
    for other in (w.astype(object), [Fraction(int(v)) for v in w], [Decimal(int(v)) for v in w], w.astype(np.float32),
                  np.full(200, 1e308) * (w / 2)):
        np.testing.assert_array_equal(MonotoneRegressor(**SMALL).fit(X, y, sample_weight=other).predict(X), ref)


def test_light_rows_are_standardised_as_the_others():
    # a group weighted down must not reach the network at z of 1 / sqrt(its weight) (scales are unweighted)
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=600), (np.arange(600) < 60).astype(float)])
    y = X[:, 0] + 2.0 * X[:, 1] + 0.1 * rng.normal(size=600)
    w = np.where(X[:, 1] == 1, 1e-4, 1.0)
    model = MonotoneRegressor(monotonic_cst=[1, 1], random_state=0, n_networks=2).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(model._standardise[1], X.std(axis=0))
    group = model.predict(X[X[:, 1] == 1]) - X[X[:, 1] == 1, 0]
    # weighted moments gave 15.5 here (z = 300 for the group); the group's effect of 2 weighs too little to be learnt
    assert -0.5 < group.mean() < 3.0


def test_weighted_class_shares_start_the_cut_points():
    from signnet.estimators._cumulative import CutPoints

    labels = np.array([0, 0, 1, 2])
    plain = CutPoints(labels, 3, 1).thresholds()[0].detach().numpy()
    weighted = CutPoints(labels, 3, 1, np.array([0.0, 0.0, 1.0, 1.0], dtype=np.float32)).thresholds()[0].detach()
    assert plain[0] == pytest.approx(0.0, abs=1e-6)  # P(y <= 0) = 1/2
    assert weighted.numpy()[0] < -10  # no weight on class 0: P(y <= 0) clipped at 1e-6
