"""``fit(X, y, X_val=..., y_val=..., sample_weight_val=...)``: validation rows given explicitly, as HGB takes them."""

import numpy as np
import pytest
import sklearn
from scipy.sparse import csr_matrix
from sklearn.metrics import r2_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from signnet import MonotoneClassifier, MonotoneOrdinalClassifier, MonotoneRegressor, SignnetError

SMALL = dict(hidden_layer_sizes=(8,), n_networks=2, max_iter=40, random_state=0)


def _data(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * np.array([10.0, 1.0, 0.1]) + np.array([100.0, 0.0, 5.0])
    return X, X[:, 0] / 10.0 - X[:, 1] + rng.normal(scale=0.3, size=n)


def _targets(y, Estimator):
    if Estimator is MonotoneRegressor:
        return y
    if Estimator is MonotoneClassifier:
        return np.where(y > 10.0, "yes", "no")  # sorted: "yes" is the positive class
    return np.digitize(y, [9.0, 11.0])


@pytest.mark.parametrize("Estimator", [MonotoneRegressor, MonotoneClassifier, MonotoneOrdinalClassifier])
def test_every_network_trains_on_all_of_x_and_stops_on_the_given_rows(Estimator):
    X, y = _data(200, 0)
    Xv, yv = _data(60, 1)
    y, yv = _targets(y, Estimator), _targets(yv, Estimator)
    est = Estimator(monotonic_cst=[1, -1, 0], **SMALL).fit(X, y, X_val=Xv, y_val=yv)
    for f in est.fits_:  # indices after X's 200 rows: X_val's, the same for every network
        np.testing.assert_array_equal(f.validation_rows, np.arange(200, 260))
        assert f.best_epoch is not None and f.best_validation_score == f.validation_scores[f.best_epoch]
    mean, scale = est._standardise  # X's statistics only
    np.testing.assert_allclose(mean, X.mean(axis=0)) and np.testing.assert_allclose(scale, X.std(axis=0))
    # X_val far from X moves no statistic of the fit
    shifted = Estimator(monotonic_cst=[1, -1, 0], **SMALL).fit(X, y, X_val=Xv + 1000.0, y_val=yv)
    np.testing.assert_array_equal(shifted._standardise[0], mean)
    assert est.score(Xv, yv) > (0.8 if Estimator is MonotoneRegressor else 0.7)


def test_the_recorded_validation_score_is_the_score_on_x_val():
    X, y = _data(200, 0)
    Xv, yv = _data(60, 1)
    est = MonotoneRegressor(monotonic_cst=[1, -1, 0], **{**SMALL, "n_networks": 1}).fit(X, y, X_val=Xv, y_val=yv)
    # the network's R^2 on X_val at its restored epoch, computed in float32 during training
    assert est.best_validation_score_ == pytest.approx(r2_score(yv, est.predict(Xv)), abs=1e-4)


def test_weightless_validation_rows_are_left_out_exactly():
    X, y = _data(200, 0)
    Xv, yv = _data(60, 1)
    est = MonotoneRegressor(monotonic_cst=[1, -1, 0], **SMALL)
    plain = est.fit(X, y, X_val=Xv[:50], y_val=yv[:50]).predict(X)
    Xs, ys = Xv.copy(), yv.copy()
    Xs[50:], ys[50:] = 1e30, 1e20  # sentinels on rows of weight 0
    weights = np.r_[np.ones(50), np.zeros(10)]
    np.testing.assert_array_equal(est.fit(X, y, X_val=Xs, y_val=ys, sample_weight_val=weights).predict(X), plain)
    np.testing.assert_array_equal(est.fit(X, y, X_val=Xv[:50], y_val=yv[:50], sample_weight_val=np.full(50, 3.0))
                                  .predict(X), plain)  # equal weights: the unweighted fit


@pytest.mark.parametrize("kwargs, message", [
    (dict(X_val="Xv"), r"^X_val is given but y_val is not; pass both, the validation rows and their targets\.$"),
    (dict(y_val="yv"), r"^y_val is given but X_val is not; pass both"),
    (dict(X_val="Xv", y_val="yv5"), r"^y_val has 5 entries but X_val has 60 rows; give one target per row\.$"),
    (dict(X_val="Xv2", y_val="yv"), r"^X_val has 2 features, but MonotoneClassifier is expecting 3 features"),
    (dict(X_val="Xnan", y_val="yv"), r"^X_val contains NaN; drop or impute those rows of X_val\.$"),
    (dict(X_val="Xsparse", y_val="yv"), r"^X_val: Sparse data was passed for X_val, but dense data is required\."),
    (dict(sample_weight_val=np.ones(3)), r"^sample_weight_val is given without X_val and y_val; pass the validation"),
    (dict(X_val="Xv", y_val="yv_new"), r"^y_val holds the label 'maybe', not among the classes of y \['no', 'yes'\]; "
                                       r"validation rows can only have classes the model is fitted to\.$"),
    (dict(X_val="Xv", y_val="yv", sample_weight_val=-1.0), r"^sample_weight_val holds -1; weights must be >= 0"),
    (dict(X_val="Xv", y_val="yv", sample_weight_val=np.ones(3)), r"^sample_weight_val has 3 weights, but X_val has 60 "
                                                                 r"rows; pass one weight per row\.$"),
    (dict(X_val="Xv", y_val="yv", early_stopping=False), r"^X_val and y_val are given but early_stopping=False"),
])
def test_bad_validation_data_gets_one_sentence(kwargs, message):
    X, y = _data(200, 0)
    Xv, yv = _data(60, 1)
    yv = _targets(yv, MonotoneClassifier)
    values = {"Xv": Xv, "Xv2": Xv[:, :2], "Xnan": np.where(Xv > 100.0, np.nan, Xv), "Xsparse": csr_matrix(Xv), "yv": yv, "yv5": yv[:5],
              "yv_new": np.where(yv == "no", "maybe", yv)}
    kwargs = {k: values.get(v, v) if isinstance(v, str) else v for k, v in kwargs.items()}
    params = {"early_stopping": kwargs.pop("early_stopping", True)}
    with pytest.raises(SignnetError, match=message):
        MonotoneClassifier(monotonic_cst=[1, -1, 0], **SMALL, **params).fit(X, _targets(y, MonotoneClassifier), **kwargs)


def test_the_given_rows_enter_no_minibatch():
    """Repeating every validation row leaves the validation loss, so the fit, exactly as it was."""
    X, y = _data(200, 0)
    Xv, yv = _data(40, 1)
    est = MonotoneRegressor(monotonic_cst=[1, -1, 0], **SMALL)
    once = est.fit(X, y, X_val=Xv, y_val=yv).predict(X)
    np.testing.assert_array_equal(est.fit(X, y, X_val=np.tile(Xv, (10, 1)), y_val=np.tile(yv, 10)).predict(X), once)


def test_a_validation_row_far_outside_the_data_keeps_the_last_weights_with_a_warning():
    X, y = _data(200, 0)
    Xv, yv = _data(40, 1)
    yv[0] = 1e20  # in float32's range; its squared error is not
    with pytest.warns(UserWarning, match=r"^The validation loss of 2 of 2 networks was never finite, so they keep their "
                                         r"last weights; is a validation row far outside the range of X and y\?$"):
        est = MonotoneRegressor(monotonic_cst=[1, -1, 0], **SMALL).fit(X, y, X_val=Xv, y_val=yv)
    assert est.best_validation_score_ is None and est.n_iter_ == est.n_iter_no_change  # patience ran out on inf
    assert est.score(X, y) > 0.5  # trained, not the initial weights


def test_a_pipeline_transforms_x_val_as_x_when_asked():
    """Pipeline(transform_input=["X_val"]): X_val reaches the estimator scaled as X, so it stops on what it predicts."""
    X, y = _data(200, 0)
    Xv, yv = _data(40, 1)
    with sklearn.config_context(enable_metadata_routing=True):
        est = MonotoneRegressor(monotonic_cst=[1, -1, 0], **SMALL).set_fit_request(X_val=True, y_val=True)
        pipe = Pipeline([("scale", StandardScaler()), ("model", est)], transform_input=["X_val"])
        pipe.fit(X, y, X_val=Xv, y_val=yv)
    assert pipe[-1].best_validation_score_ > 0.5
    np.testing.assert_allclose(pipe[-1]._standardise[0], 0.0, atol=1e-12)  # the scaler's output: mean 0
