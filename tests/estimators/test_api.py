"""The estimators inside scikit-learn's machinery, and the binary classifier's outputs."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

import signnet
from signnet import MonotoneClassifier, MonotoneRegressor, SignnetError


def _regression(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, X[:, 0] - np.tanh(X[:, 1]) + 0.1 * rng.normal(size=n)


def _labels(n=200, seed=0):
    X, y = _regression(n, seed)
    return X, np.where(y > 0, "yes", "no")


FAST = dict(hidden_layer_sizes=(8,), max_iter=40, random_state=0)


def test_reexported_from_signnet():
    assert signnet.MonotoneRegressor is signnet.estimators.MonotoneRegressor
    assert signnet.MonotoneClassifier is signnet.estimators.MonotoneClassifier


def test_pipeline_grid_search_and_cross_val_score():
    X, y = _regression()
    pipe = make_pipeline(MinMaxScaler(), MonotoneRegressor(monotonic_cst=[1, -1, 0], **FAST))
    search = GridSearchCV(pipe, {"monotoneregressor__hidden_layer_sizes": [(4,), (8, 8)]}, cv=3).fit(X, y)
    assert search.best_params_["monotoneregressor__hidden_layer_sizes"] in [(4,), (8, 8)]
    assert search.best_estimator_.score(X, y) > 0.8
    scores = cross_val_score(MonotoneClassifier(monotonic_cst=[1, -1, 0], **FAST), *_labels(), cv=3)
    assert scores.shape == (3,) and scores.min() > 0.8


def test_clone_keeps_parameters_and_drops_the_fit():
    X, y = _regression()
    model = MonotoneRegressor(monotonic_cst={"x": 1}, alpha=1e-3, **FAST)
    copy = clone(model.set_params(monotonic_cst=[1, 0, 0]).fit(X, y))
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "module_")


@pytest.mark.parametrize("Estimator, data", [(MonotoneRegressor, _regression), (MonotoneClassifier, _labels)])
def test_pickle_round_trip_predicts_the_same(Estimator, data):
    X, y = data()
    model = Estimator(monotonic_cst=[1, -1, 0], **FAST).fit(X, y)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    assert next(again.module_.parameters()).device.type == "cpu"
    assert signnet.certify(again.module_).monotone[0][:2] == signnet.certify(model.module_).monotone[0][:2]


def test_binary_classifier_with_string_labels():
    X, y = _labels()
    clf = MonotoneClassifier(monotonic_cst=[1, -1, 0], **FAST).fit(X, y)
    assert clf.classes_.tolist() == ["no", "yes"]
    logit = clf.decision_function(X)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-logit)), rtol=1e-12)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X), np.where(logit > 0, "yes", "no"))
    assert clf.score(X, y) > 0.85


def test_more_than_two_classes_explains_why_softmax_is_not_monotone():
    X, _ = _regression()
    y = np.arange(len(X)) % 3
    with pytest.raises(SignnetError, match=r"^Only binary classification is supported\. MonotoneClassifier got 3 classes "
                                           r"\[0, 1, 2\], and a softmax over K >= 3 logits depends only on the logits' "
                                           r"differences, so sign constraints on the weights make no class's decision "
                                           r"monotone; for ordered classes use signnet.MonotoneOrdinalClassifier, whose "
                                           r"predicted class is monotone\.$"):
        MonotoneClassifier().fit(X, y)


def test_one_class_is_refused():
    X, _ = _regression()
    with pytest.raises(SignnetError, match=r"needs two classes in y, got one class only \('a'\)"):
        MonotoneClassifier().fit(X, np.full(len(X), "a"))


def test_feature_names_and_dataframes():
    X, y = _regression()
    frame = pd.DataFrame(X, columns=["up", "down", "free"])
    model = MonotoneRegressor(monotonic_cst={"up": 1, "down": -1}, **FAST).fit(frame, y)
    assert model.feature_names_in_.tolist() == ["up", "down", "free"]
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        unnamed = model.predict(frame.to_numpy())
    np.testing.assert_array_equal(model.predict(frame), unnamed)
    assert model.n_features_in_ == 3


@pytest.mark.parametrize("params, match", [
    ({"max_iter": 0}, r"The 'max_iter' parameter of MonotoneRegressor must be an int in the range \[1, inf\)\. Got 0"),
    ({"validation_fraction": 1.5}, r"'validation_fraction' parameter of MonotoneRegressor must be a float in the range"),
    ({"activation": "gelu"}, r"'activation' parameter of MonotoneRegressor must be a str among"),
    ({"device": "tpu"}, r"'device' parameter of MonotoneRegressor must be"),
    ({"hidden_layer_sizes": (8, 0)}, r"hidden_layer_sizes must hold integers >= 1, got 0 in \[8, 0\]"),
])
def test_bad_parameters_raise_signnet_errors(params, match):
    X, y = _regression()
    with pytest.raises(SignnetError, match=match):
        MonotoneRegressor(**params).fit(X, y)


def test_too_few_rows_for_a_validation_split():
    X, y = _regression(n=1)
    with pytest.raises(SignnetError, match=r"X has 1 sample, too few to hold out validation_fraction=0.1 for early "
                                           r"stopping and train on the rest: pass more samples or early_stopping=False\."):
        MonotoneRegressor().fit(X, y)
    assert MonotoneRegressor(early_stopping=False, max_iter=5).fit(X, y).predict(X).shape == (1,)


def test_device_auto_trains_and_returns_numpy():
    X, y = _regression()
    model = MonotoneRegressor(device="auto", **FAST).fit(X, y)
    assert isinstance(model.predict(X), np.ndarray)
    assert next(model.module_.parameters()).device.type == "cpu"


def test_cuda_without_a_gpu_is_refused():
    import torch
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(SignnetError, match=r"device='cuda' but torch sees no CUDA device; pass device='cpu' or 'auto'\."):
        MonotoneRegressor(device="cuda").fit(*_regression())


@pytest.mark.cuda
def test_cuda_training_gives_a_cpu_module_and_a_certified_model():
    X, y = _labels()
    clf = MonotoneClassifier(monotonic_cst=[1, -1, 0], device="cuda", **FAST).fit(X, y)
    assert next(clf.module_.parameters()).device.type == "cpu"
    assert clf.score(X, y) > 0.85 and all(len(f.validation_scores) == f.n_iter for f in clf.fits_)
    assert signnet.certify(clf).satisfies_monotonic_cst


def test_values_beyond_float32_are_refused_in_fit_and_predict():
    X = np.random.default_rng(0).normal(size=(60, 2))
    bad = X.copy()
    bad[3, 1] = 1e39  # finite in float64, inf once the network reads it in float32
    with pytest.raises(SignnetError, match=r"X holds 1e\+39 in feature 1, beyond float32's range \(\+-3\.4e\+38\) "
                                           r"in which the network reads its inputs; rescale that feature\."):
        MonotoneRegressor(monotonic_cst=[1, 1], **FAST).fit(bad, X[:, 0])
    est = MonotoneClassifier(monotonic_cst=[1, 1], **FAST).fit(pd.DataFrame(X, columns=["a", "b"]), X[:, 0] > 0)
    with pytest.raises(SignnetError, match="X holds 1e\\+39 in feature 'b', beyond float32's range"):
        est.predict(pd.DataFrame(bad, columns=["a", "b"]))
    assert np.isfinite(est.predict_proba(pd.DataFrame(X * 1e30, columns=["a", "b"]))).all()


def test_a_feature_of_tiny_units_is_not_taken_for_a_constant():
    rng = np.random.default_rng(0)
    farads = rng.uniform(1e-13, 5e-13, size=(300, 1))  # its standard deviation, 1e-13, is no constant's
    y = 3.0 * farads[:, 0] / 1e-13 + 0.05 * rng.normal(size=300)
    est = MonotoneRegressor(monotonic_cst=[1], **FAST).fit(farads, y)
    assert est.score(farads, y) > 0.9
    assert est.score(farads, y) == pytest.approx(MonotoneRegressor(monotonic_cst=[1], **FAST)
                                                 .fit(farads * 1e12, y).score(farads * 1e12, y), abs=0.02)
    constant = np.column_stack([farads[:, 0] / 1e-13, np.full(300, 7.0)])  # a true constant still gets scale 1
    fitted = MonotoneRegressor(monotonic_cst=[1, 1], **FAST).fit(constant, y)
    assert float(fitted.module_.standardise.weight[1, 1]) == 1.0


@pytest.mark.parametrize("call", [lambda est: signnet.certify(est), lambda est: signnet.find_violation(est, (0, 1)),
                                  lambda est: signnet.dominance_violations(est, np.zeros((4, 2)))])
def test_auditing_an_unfitted_estimator_says_to_fit_it(call):
    with pytest.raises(SignnetError, match=r"This MonotoneClassifier is not fitted yet; call fit\(X, y\) before "
                                           r"(certify|find_violation|dominance_violations)\."):
        call(MonotoneClassifier(monotonic_cst=[1, 0]))


def test_constant_columns_get_scale_1_and_huge_targets_are_refused():
    rng = np.random.default_rng(0)
    x1 = rng.normal(size=1000)
    y = x1 + 0.05 * rng.normal(size=1000)
    for column in (np.full(1000, 0.1),  # equal values whose float64 std is not 0 (rounding of the sum)
                   0.1 + 2e-17 * rng.integers(0, 2, size=1000)):  # 0.1 and the next float64: rounding, not data
        X = np.column_stack([column, x1])
        est = MonotoneRegressor(monotonic_cst=[0, 1], **FAST).fit(X, y)
        assert float(est.module_.standardise.weight[0, 0]) == 1.0 and est.score(X, y) > 0.9
    with pytest.raises(SignnetError, match=r"y holds .*e\+40, beyond float32's range .*; rescale y\."):
        MonotoneRegressor(**FAST).fit(x1[:, None], 1e40 * x1)


def test_a_feature_float32_cannot_resolve_around_its_mean_is_read_exactly():
    # unix timestamps over 300 s: float32's step at 1.7e9 is 128 s, so standardising after rounding to float32 (as
    # predict once did, unlike fit) left the network almost nothing: R^2 0.73 on the training rows against 0.90
    rng = np.random.default_rng(0)
    seconds = rng.uniform(0, 300, 400)
    X = np.column_stack([1.7e9 + seconds, rng.normal(size=400)])
    y = seconds / 300 + 0.1 * rng.normal(size=400)
    stamped = MonotoneRegressor(monotonic_cst=[1, 0], **FAST).fit(X, y)
    shifted = X - [1.7e9, 0.0]  # the same data without the offset: standardisation makes the two problems one
    plain = MonotoneRegressor(monotonic_cst=[1, 0], **FAST).fit(shifted, y)
    assert plain.score(shifted, y) > 0.85
    assert stamped.score(X, y) == pytest.approx(plain.score(shifted, y), abs=0.01)
    # predict is the network on fit's float64 standardisation (then float32, as fit fed it)
    Z = ((X - X.mean(axis=0)) / X.std(axis=0)).astype(np.float32)
    with torch.no_grad():
        network = stamped.module_.network.double()(torch.from_numpy(Z.astype(np.float64)))[:, 0].numpy()
    np.testing.assert_allclose(stamped.predict(X), network * y.std() + y.mean(), rtol=1e-9, atol=1e-9)


def test_a_target_far_from_0_is_mapped_back_in_float64():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 1))
    y = 1_234_567_891 + x[:, 0] + 0.05 * rng.normal(size=300)  # float32 steps by 128 there: a float32 mean is off
    est = MonotoneRegressor(monotonic_cst=[1], **FAST).fit(x, y)
    assert est.score(x, y) > 0.9


def test_the_audits_read_the_map_predict_computes():
    # a column whose spread float32 cannot resolve around its mean carries half the signal: module_ (float32) is far
    # off there, so certify / dominance_violations / find_violation read predict's float64 map instead
    from signnet.estimators._base import audit_module

    rng = np.random.default_rng(0)
    x1, noise = rng.normal(size=400), rng.normal(size=400)
    X = np.column_stack([1e-3 + 1e-12 * noise, x1])
    y = x1 + noise + 0.05 * rng.normal(size=400)
    est = MonotoneRegressor(monotonic_cst=[1, 1], **FAST).fit(X, y)
    with torch.no_grad():
        audited = audit_module(est)(torch.as_tensor(X))[:, 0].numpy()
        float32 = est.module_(torch.as_tensor(X, dtype=torch.float32))[:, 0].double().numpy()
    np.testing.assert_allclose(audited, est.predict(X), atol=1e-5)  # predict rounds the standardised X to float32
    assert np.abs(float32 - est.predict(X)).max() > 0.5  # module_ alone cannot read the column
    assert signnet.certify(est).monotone == [[1, 1]]
    assert signnet.dominance_violations(est, X, n_pairs=500).violations == 0
