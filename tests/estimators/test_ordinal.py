"""MonotoneOrdinalClassifier: the cumulative-link model (McCullagh 1980) on a monotone latent score.

The data: a known monotone latent score ``g(x)`` plus logistic noise, cut into ordered classes,
so the best possible rule (the median class of the true model) is known and its accuracy is the
reference the fit is compared with.
"""

import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

import signnet
from signnet import MonotoneClassifier, MonotoneOrdinalClassifier, SignnetError
from signnet.estimators._cumulative import CutPoints, cumulative_nll

CUTS = (-1.0, 0.5, 1.5)  # the true cut points: four classes
CST = [1, -1, 0]
FAST = dict(hidden_layer_sizes=(16,), n_networks=3, max_iter=150, random_state=0)


def _latent(X):
    return 1.5 * X[:, 0] - np.tanh(2 * X[:, 1]) + 0.3 * np.sin(3 * X[:, 2])  # +1 in x0, -1 in x1, free x2


def _data(n=800, seed=0, discrete_free=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    if discrete_free:
        X[:, 2] = rng.integers(0, 2, size=n)  # free feature in two groups, so the ceiling compares points
    g = _latent(X)
    y = np.digitize(g + 0.5 * rng.logistic(size=n), CUTS)
    return X, y, np.digitize(g, CUTS)  # labels and the true median class


@pytest.fixture(scope="module")
def fitted():
    X, y, _ = _data()
    return X, y, MonotoneOrdinalClassifier(monotonic_cst=CST, **FAST).fit(X, y)


# ------------------------------------------------------------------ scikit-learn's checks
# one instance, an average of two networks (the shared machinery is checked with one and three networks in
# test_sklearn_checks.py for the other estimators); few epochs: the checks test the API, not accuracy
ESTIMATORS = [MonotoneOrdinalClassifier(hidden_layer_sizes=(8,), n_networks=2, max_iter=20, random_state=0)]


MEDIAN_NOT_MODE = ("on its 3-class problems check_classifiers_train requires argmax(predict_proba) == predict; the "
                   "ordinal model predicts the median class, the decision that is monotone, not the most probable one. "
                   "Its 2-class part holds: test_binary_part_of_check_classifiers_train_holds")


WEIGHTS_ARE_NOT_REPEATS = ("sample_weight is not equivalent to repeating rows (as for HistGradientBoosting*): the "
                           "validation rows and minibatches are drawn over rows (see test_sklearn_checks.py)")


def expected_failed_checks(estimator) -> dict[str, str]:
    return {"check_classifiers_train": MEDIAN_NOT_MODE,
            "check_sample_weight_equivalence_on_dense_data": WEIGHTS_ARE_NOT_REPEATS}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_binary_part_of_check_classifiers_train_holds():
    """What check_classifiers_train asserts for two classes: decision > 0 is predict, argmax proba is predict."""
    X, y, _ = _data(300, seed=3)
    y = (y >= 2).astype(int)
    clf = MonotoneOrdinalClassifier(monotonic_cst=CST, **FAST).fit(X, y)
    decision = clf.decision_function(X)
    assert decision.shape == (300,)
    np.testing.assert_array_equal((decision > 0).astype(int), clf.predict(X))
    np.testing.assert_array_equal(clf.predict_proba(X).argmax(axis=1), clf.predict(X))


# ------------------------------------------------------------------ the model
def test_accuracy_is_close_to_the_true_median_rule(fitted):
    _, _, clf = fitted
    X, y, truth = _data(4000, seed=1)
    best = float((truth == y).mean())  # the true model's median class
    assert clf.score(X, y) > best - 0.04, (clf.score(X, y), best)


def test_probabilities_are_the_cumulative_model(fitted):
    X, _, clf = fitted
    f, proba = clf.latent_score(X), clf.predict_proba(X)
    assert proba.shape == (len(X), 4) and (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.cumsum(proba, axis=1)[:, :-1], expit(clf.thresholds_ - f[:, None]), atol=1e-12)
    median = (np.cumsum(proba, axis=1) >= 0.5).argmax(axis=1)  # smallest k with P(y <= k) >= 1/2
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[median])


def test_thresholds_strictly_increase_and_start_at_zero(fitted):
    _, _, clf = fitted
    assert clf.thresholds_.shape == (3,) and clf.thresholds_.dtype == np.float64
    assert clf.thresholds_[0] == 0.0 and (np.diff(clf.thresholds_) > 0).all()
    assert len(clf.fits_) == 3 and clf.n_iter_ < 150



def test_the_fitted_cut_points_are_the_mean_of_the_networks_own(fitted):
    _, _, clf = fitted
    own = np.array([fit.thresholds for fit in clf.fits_])  # (3, K-1)
    assert (np.diff(own, axis=1) > 0).all()
    assert np.ptp(own[:, 0]) > 1e-3  # the networks differ, so the mean is not any one of them
    np.testing.assert_allclose(clf.thresholds_, own.mean(axis=0) - own.mean(axis=0)[0], atol=1e-6)


def test_each_network_validates_on_every_class(fitted):
    _, y, clf = fitted
    for fit in clf.fits_:
        shares = np.bincount(y[fit.validation_rows], minlength=4) / len(fit.validation_rows)
        np.testing.assert_allclose(shares, np.bincount(y) / len(y), atol=0.02)  # stratified


def test_training_predictions_are_a_monotone_labelling_under_the_ceiling():
    """Theorem: the predicted labels are monotone, so training accuracy <= the exact monotone ceiling."""
    X, y, _ = _data(500, seed=2, discrete_free=True)
    clf = MonotoneOrdinalClassifier(monotonic_cst=CST, **FAST).fit(X, y)
    pred = clf.predict(X)
    ceiling = signnet.monotone_ceiling(X, y, directions=CST)
    assert ceiling.accuracy < 1.0  # the noise makes the labels non-monotone: the bound has content
    assert signnet.monotone_ceiling(X, pred, directions=CST).relabeled == 0
    assert clf.score(X, y) <= ceiling.accuracy
    assert clf.score(X, y) > ceiling.accuracy - 0.25


@settings(max_examples=60, deadline=None)
@given(base=st.lists(st.floats(-3, 3), min_size=3, max_size=3),
       step=st.lists(st.floats(0, 4), min_size=2, max_size=2))
def test_predictions_never_decrease_along_the_constraints(fitted, base, step):
    _, _, clf = fitted
    x = np.array([base])
    y = x + np.array([[step[0], -step[1], 0.0]])  # x0 up (+1), x1 down (-1), free x2 fixed
    assert clf.predict(y)[0] >= clf.predict(x)[0]
    assert clf.latent_score(y)[0] >= clf.latent_score(x)[0]
    above_x, above_y = 1 - np.cumsum(clf.predict_proba(x)[0]), 1 - np.cumsum(clf.predict_proba(y)[0])
    assert (above_y >= above_x - 1e-12).all()  # P(label > k) never decreases: stochastic dominance


def test_predictions_on_a_dense_grid_are_monotone(fitted):
    _, _, clf = fitted
    grid = np.linspace(-4, 4, 201)
    for x1 in (-2.0, 0.0, 2.0):
        for x2 in (-1.0, 1.0):
            up = clf.predict(np.column_stack([grid, np.full_like(grid, x1), np.full_like(grid, x2)]))
            down = clf.predict(np.column_stack([np.full_like(grid, x1), grid, np.full_like(grid, x2)]))
            assert (np.diff(up) >= 0).all() and (np.diff(down) <= 0).all()
            assert up[0] == 0 and up[-1] == 3  # the grid crosses every class


def test_certify_and_the_audit_read_the_latent_score(fitted):
    X, _, clf = fitted
    cert = signnet.certify(clf)
    assert cert.satisfies_monotonic_cst is True
    assert cert.monotone[0][:2] == [1, -1]
    report = signnet.dominance_violations(clf, X, n_pairs=2000)
    assert report.violations == 0 and report.n_pairs > 0 and report.outputs == ["out0"]
    assert signnet.find_violation(clf, (-3.0, 3.0)) is None


class _Opaque:
    """The fitted estimator seen only through decision_function, as a black box (e.g. inside a wrapper)."""

    def __init__(self, clf):
        self.clf, self.n_features_in_ = clf, clf.n_features_in_

    def decision_function(self, X):
        return self.clf.latent_score(X)


def test_the_black_box_audit_also_reads_the_latent_score(fitted):
    X, _, clf = fitted
    report = signnet.dominance_violations(_Opaque(clf), X, n_pairs=500, monotonic_cst=CST)
    assert report.outputs == ["out0"] and report.n_pairs > 0 and report.violations == 0
    assert signnet.find_violation(_Opaque(clf), (-3.0, 3.0), monotonic_cst=CST, X=X) is None
    flipped = signnet.dominance_violations(_Opaque(clf), X, n_pairs=500, monotonic_cst=[-1, 1, 0])
    assert flipped.violations > 0  # the audit can fail: against the opposite directions it finds violations


def test_two_classes_agree_with_the_binary_classifier():
    X, y, _ = _data(600, seed=4)
    y = (y >= 2).astype(int)
    ordinal = MonotoneOrdinalClassifier(monotonic_cst=CST, **FAST).fit(X, y)
    binary = MonotoneClassifier(monotonic_cst=CST, **FAST).fit(X, y)
    assert ordinal.thresholds_.tolist() == [0.0]
    a, b = ordinal.decision_function(X), binary.decision_function(X)
    assert np.corrcoef(a, b)[0, 1] > 0.95
    assert (ordinal.predict(X) == binary.predict(X)).mean() > 0.93
    np.testing.assert_allclose(ordinal.predict_proba(X)[:, 1], expit(a), rtol=1e-12)


def test_a_class_with_one_row_is_fitted_without_stratification():
    X, y, _ = _data(200, seed=6)
    y = np.minimum(y, 2)
    y[0] = 3  # one row of the top class: too few to stratify the validation rows
    clf = MonotoneOrdinalClassifier(monotonic_cst=CST, hidden_layer_sizes=(8,), n_networks=2, max_iter=30,
                                    random_state=0).fit(X, y)
    assert clf.classes_.tolist() == [0, 1, 2, 3] and (np.diff(clf.thresholds_) > 0).all()
    assert clf.predict_proba(X).shape == (200, 4)


def test_string_labels_are_ordered_as_sorted():
    X, y, _ = _data(300, seed=5)
    names = np.array(["a_low", "b_mid", "c_high", "d_top"])[y]
    clf = MonotoneOrdinalClassifier(monotonic_cst=CST, hidden_layer_sizes=(8,), n_networks=2, max_iter=10).fit(X, names)
    assert clf.classes_.tolist() == ["a_low", "b_mid", "c_high", "d_top"]
    assert set(clf.predict(X)) <= set(clf.classes_)


# ------------------------------------------------------------------ the likelihood
def test_cumulative_nll_matches_the_direct_formula():
    rng = np.random.default_rng(0)
    f = torch.as_tensor(rng.normal(size=(50, 2)) * 3, dtype=torch.float64)
    theta = torch.tensor([[-1.0, 0.2, 2.0], [0.0, 0.5, 0.6]], dtype=torch.float64)
    labels = torch.as_tensor(rng.integers(0, 4, size=50))
    padded = torch.cat([torch.full((2, 1), -torch.inf, dtype=torch.float64), theta,
                        torch.full((2, 1), torch.inf, dtype=torch.float64)], dim=1)  # (R, K+1)
    direct = -torch.log(torch.sigmoid(padded[:, labels + 1].T - f) - torch.sigmoid(padded[:, labels].T - f))
    torch.testing.assert_close(cumulative_nll(f, labels, theta), direct, rtol=1e-10, atol=1e-12)
    far = cumulative_nll(torch.tensor([[60.0], [-60.0]]), torch.tensor([1, 1]), torch.tensor([[0.0, 1.0]]))
    assert torch.isfinite(far).all() and far.min() > 55  # a middle class far from f: large, finite


def test_cut_points_stay_increasing_for_any_parameters():
    cuts = CutPoints(np.array([0, 1, 1, 2, 3, 3]), 4, 2)
    # the maximum-likelihood cut points without features: logit of the shares of labels <= 0, 1, 2
    np.testing.assert_allclose(cuts.kept()[0], np.log([1 / 5, 3 / 3, 4 / 2]) + [0, 2e-3, 4e-3], atol=1e-6)
    raw = torch.tensor([[5.0, -30.0, 40.0], [-2.0, 0.0, -10.0], [900.0, -200.0, -200.0]])
    assert (torch.diff(CutPoints._thresholds(raw), dim=1) > 0).all()  # float32, far apart or pushed together
    with torch.no_grad():
        cuts.raw.add_(1.0)
    cuts.keep_(1)
    with torch.no_grad():
        cuts.raw.add_(5.0)  # Adam's momentum moving a stopped network
    cuts.restore_(1)
    np.testing.assert_array_equal(cuts.kept()[1], CutPoints._thresholds(cuts.raw.detach().double())[1].numpy())
    assert not torch.equal(cuts.raw[0], cuts.best[0])  # only network 1 was restored


# ------------------------------------------------------------------ errors, state, persistence
def test_one_class_is_refused():
    X, _, _ = _data(50)
    with pytest.raises(SignnetError, match=r"^MonotoneOrdinalClassifier needs at least two classes in y, got one "
                                           r"class only \(2\): pass labels of at least two ordered classes\.$"):
        MonotoneOrdinalClassifier().fit(X, np.full(len(X), 2))


def test_continuous_targets_are_refused_as_scikit_learn_refuses_them():
    X, _, _ = _data(50)
    with pytest.raises(ValueError, match=r"Unknown label type: continuous"):
        MonotoneOrdinalClassifier().fit(X, X[:, 0])


def test_bad_monotonic_cst_and_parameters():
    X, y, _ = _data(50)
    with pytest.raises(SignnetError, match=r"^MonotoneOrdinalClassifier was not fitted on data with feature names\. "
                                           r"Pass monotonic_cst as an integer array instead \(or, in a Pipeline"):
        MonotoneOrdinalClassifier(monotonic_cst={"a": 1}).fit(X, y)
    with pytest.raises(SignnetError, match=r"The 'n_networks' parameter of MonotoneOrdinalClassifier must be an int "
                                           r"in the range \[1, inf\)\. Got 0 instead\."):
        MonotoneOrdinalClassifier(n_networks=0).fit(X, y)


def test_global_random_state_is_untouched():
    X, y, _ = _data(200)
    torch_state, np_state = torch.random.get_rng_state(), np.random.get_state()
    MonotoneOrdinalClassifier(hidden_layer_sizes=(8,), n_networks=2, max_iter=5, random_state=0).fit(X, y)
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    assert all(np.array_equal(a, b) for a, b in zip(np.random.get_state(), np_state, strict=True))


def test_pickle_clone_and_same_seed(fitted):
    X, y, clf = fitted
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(again.thresholds_, clf.thresholds_)
    copy = clone(clf)
    assert copy.get_params() == clf.get_params() and not hasattr(copy, "thresholds_")
    small = dict(hidden_layer_sizes=(8,), n_networks=2, max_iter=20, random_state=7)
    a = MonotoneOrdinalClassifier(**small).fit(X[:200], y[:200])
    b = MonotoneOrdinalClassifier(**small).fit(X[:200], y[:200])
    np.testing.assert_array_equal(a.latent_score(X), b.latent_score(X))


def test_reexported():
    assert signnet.MonotoneOrdinalClassifier is signnet.estimators.MonotoneOrdinalClassifier is MonotoneOrdinalClassifier
    assert "MonotoneOrdinalClassifier" in signnet.__all__


def test_readme_example_runs_and_its_comments_hold():
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = re.search(r"```python\n(import numpy as np\n.*?MonotoneOrdinalClassifier.*?)```", text, re.S).group(1)
    namespace: dict = {"signnet": signnet}
    exec(compile(block, "README.md", "exec"), namespace)
    ordinal, cars = namespace["ordinal"], namespace["cars"]
    assert ordinal.classes_.tolist() == [0, 1, 2]
    assert ordinal.predict_proba(cars.X[:2]).shape == (2, 3)
    assert signnet.certify(ordinal).satisfies_monotonic_cst is True
    assert signnet.certify(ordinal).monotone[0][2:4] == [-1, -1]  # horsepower, weight


def test_an_ordered_categorical_keeps_its_own_order_of_classes():
    import pandas as pd

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 1))
    codes = np.digitize(X[:, 0] + 0.2 * rng.normal(size=300), [-0.5, 0.5])  # 0, 1, 2 increasing in x
    y = pd.Categorical.from_codes(codes, ["low", "mid", "high"], ordered=True)
    clf = MonotoneOrdinalClassifier(monotonic_cst=[1], n_networks=2, max_iter=40, random_state=0).fit(X, y)
    assert clf.classes_.tolist() == ["low", "mid", "high"]  # not alphabetical (high, low, mid)
    assert clf.predict(np.array([[-3.0], [3.0]])).tolist() == ["low", "high"]
    assert clf.score(X, y) > 0.7


def test_decision_function_is_for_two_classes_so_calibration_uses_probabilities(fitted):
    """With K >= 3 scikit-learn reads decision_function as (n, K): one latent score made CalibratedClassifierCV
    predict classes_[0] everywhere (accuracy 0.37 against 0.82); without it the tools use predict_proba."""
    from sklearn.calibration import CalibratedClassifierCV

    X, y, clf = fitted
    assert not hasattr(clf, "decision_function")
    with pytest.raises(AttributeError, match=r"decision_function is for two classes; this model has 4, and scikit-learn "
                                             r"reads decision_function as one column per class: use latent_score\(X\)"):
        clf.decision_function(X)
    calibrated = CalibratedClassifierCV(clone(clf), cv=3).fit(X, y)
    assert calibrated.score(X, y) > clf.score(X, y) - 0.1
    two = MonotoneOrdinalClassifier(monotonic_cst=CST, **FAST).fit(X, (y >= 2).astype(int))
    np.testing.assert_array_equal(two.decision_function(X), two.latent_score(X))
    assert hasattr(MonotoneOrdinalClassifier(), "decision_function")  # unfitted: scikit-learn's tags see it


def test_a_pipeline_of_an_ordinal_model_is_audited_on_its_latent_score(fitted):
    """Without decision_function, the black-box audit reads the pipeline's latent score, not log-probability
    differences (which saturate far out: 98 false violations at 10 times the data's range)."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from signnet import dominance_violations
    from signnet.theory.blackbox import BlackBox

    X, y, clf = fitted
    pipe = make_pipeline(StandardScaler(), clone(clf).set_params(n_networks=2, max_iter=60)).fit(X, y)
    box = BlackBox(pipe)
    assert box.method == "latent_score"
    np.testing.assert_array_equal(box(X[:5])[:, 0], pipe[-1].latent_score(pipe[0].transform(X[:5])))
    assert dominance_violations(pipe, X * 10, n_pairs=4000, monotonic_cst=CST).violations == 0
