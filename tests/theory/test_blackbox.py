"""Auditing models that are not torch modules (signnet.theory.blackbox): gradient-boosted trees and plain objects."""

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from signnet import SignnetError, certify, dominance_violations, find_violation
from signnet.theory import BlackBox, precedes

CST = [1, -1, 0]


def bumpy_data(n=2000, seed=0):
    """Log-odds 3 x0 - 2 x1 + cos(3 x2) with a dip of 4 in a band of x0: not monotone in x0 there."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 3))
    logit = 3 * X[:, 0] - 2 * X[:, 1] - 4 * (np.abs(X[:, 0] - 0.3) < 0.15) + np.cos(3 * X[:, 2])
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


@pytest.fixture(scope="module")
def boosted():
    """The same data fitted twice: without and with monotonic_cst (one OpenMP thread: the machine is shared)."""
    X, y = bumpy_data()
    with threadpool_limits(1):
        free = HistGradientBoostingClassifier(max_iter=50, random_state=0).fit(X, y)
        constrained = HistGradientBoostingClassifier(max_iter=50, random_state=0, monotonic_cst=CST).fit(X, y)
    return X, free, constrained


def test_trees_without_constraints_violate_them_and_with_them_do_not(boosted):
    X, free, constrained = boosted
    box = (X.min(axis=0), X.max(axis=0))
    with threadpool_limits(1):
        report = dominance_violations(free, X, n_pairs=4000, monotonic_cst=CST)
        v = find_violation(free, box, monotonic_cst=CST, X=X, n_starts=16, steps=50)
        assert report.violations > 0 and report.monotonic_cst == CST and report.outputs == ["out0"]
        for x, y, gap in report.witnesses:
            assert precedes(x, y, np.array(CST))
            fx, fy = free.decision_function(np.stack([x, y]))
            assert fx - fy == pytest.approx(gap, rel=1e-9)
        assert v is not None and precedes(v.x, v.y, np.array(CST)) and v.x[2] == v.y[2]
        fx, fy = free.decision_function(np.stack([v.x, v.y]))
        assert (v.f_x, v.f_y) == (fx, fy) and v.gap == fx - fy > 0.5
        assert (v.x >= box[0]).all() and (v.y <= box[1]).all()
        again = find_violation(free, box, monotonic_cst=CST, X=X, n_starts=16, steps=50)
        assert (again.x == v.x).all() and (again.y == v.y).all()  # deterministic from the seed
        # the constrained model: the declared constraints are checked by default, not trusted
        assert dominance_violations(constrained, X, n_pairs=4000).violations == 0
        assert dominance_violations(constrained, X, n_pairs=4000, monotonic_cst=CST).violations == 0
        assert find_violation(constrained, box, X=X, n_starts=16, steps=50) is None
        assert find_violation(constrained, box, monotonic_cst=[0, 0, 1], X=X, n_starts=16, steps=50) is not None


def test_declared_constraints_by_feature_name_are_resolved():
    X, y = bumpy_data(600, seed=1)
    df = pd.DataFrame(X, columns=["dose", "age", "site"])
    with threadpool_limits(1):
        model = HistGradientBoostingClassifier(max_iter=20, random_state=0,
                                               monotonic_cst={"dose": 1, "age": -1}).fit(df, y)
        report = dominance_violations(model, df, n_pairs=1000)
        assert report.monotonic_cst == [1, -1, 0] and report.violations == 0
        assert BlackBox(model).feature_names == ["dose", "age", "site"]
        with pytest.raises(SignnetError, match=r"monotonic_cst contains 1 unexpected feature names: \['height'\]\."):
            dominance_violations(model, df, monotonic_cst={"height": 1})


class Proba:
    """predict_proba only: P(class 1) = sigmoid(-x0), falling in x0."""

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(np.asarray(X)[:, 0]))
        return np.stack([1 - p, p], axis=1)

    def predict(self, X):  # never used: predict_proba comes first
        raise AssertionError("predict queried")


class Scores(Proba):
    """decision_function comes before predict_proba; three classes: logits (0, x0, -x0)."""

    def decision_function(self, X):
        x0 = np.asarray(X)[:, 0]
        return np.stack([np.zeros_like(x0), x0, -x0], axis=1)


class Value:
    """predict only, e.g. a regressor: x0 ** 2."""

    n_features_in_ = 2

    def predict(self, X):
        return np.asarray(X)[:, 0] ** 2


def test_query_order_and_checked_functions():
    X = np.random.default_rng(0).uniform(-1, 1, (200, 2))
    assert BlackBox(Proba()).method == "predict_proba" and BlackBox(Scores()).method == "decision_function"
    assert BlackBox(Value()).method == "predict"
    v = find_violation(Proba(), (-np.ones(2), np.ones(2)), steps=20)
    assert v.output == "out0" and v.gap == pytest.approx(1 / (1 + np.e**-1) - 1 / (1 + np.e), rel=1e-9)
    report = dominance_violations(Scores(), X, n_pairs=500)
    assert report.outputs == ["logit1-logit0", "logit2-logit0", "logit2-logit1"]
    assert report.per_output["logit1-logit0"] == 0 and report.per_output["logit2-logit0"] > 0
    assert find_violation(Scores(), (-np.ones(2), np.ones(2)), output="logit1-logit0", steps=20) is None
    v = find_violation(Value(), (-1.0, 1.0), steps=21)  # n_features_in_ gives the width
    assert v.x.shape == (2,) and v.gap == pytest.approx(1.0) and v.x[0] == -1.0 and v.y[0] == 0.0
    assert find_violation(Value(), (0.0, 1.0), steps=21) is None
    with pytest.raises(SignnetError, match=r"Unknown output 'out1'; choose one of: out0\."):
        find_violation(Value(), (-1.0, 1.0), output="out1")


def test_regressor_trees():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (500, 2))
    y = np.sin(4 * X[:, 0]) + X[:, 1]
    with threadpool_limits(1):
        model = HistGradientBoostingRegressor(max_iter=30, random_state=0).fit(X, y)
        assert find_violation(model, (-1.0, 1.0), monotonic_cst=[1, 1], X=X, steps=40).gap > 0.5  # sin(4 x0)
        # y rises in x1, yet trees fitted freely need not: the search finds a small dip
        assert 0 < find_violation(model, (-1.0, 1.0), monotonic_cst=[0, 1], X=X, steps=40).gap < 0.2
        fixed = HistGradientBoostingRegressor(max_iter=30, random_state=0, monotonic_cst=[0, 1]).fit(X, y)
        assert find_violation(fixed, (-1.0, 1.0), X=X, steps=40) is None  # its own constraints, checked


def test_certify_refuses_black_boxes_in_one_sentence(boosted):
    with pytest.raises(SignnetError, match=r"^certify proves properties of torch modules; HistGradientBoostingClassifier "
                                           r"is not one: use find_violation or dominance_violations\.$"):
        certify(boosted[1])
    with pytest.raises(SignnetError, match=r"certify needs a torch.nn.Module, got a str"):
        certify("model.pt")
    with pytest.raises(SignnetError, match=r"dominance_violations needs a torch.nn.Module or a fitted estimator with "
                                           r"decision_function, predict_proba or predict; got a list\."):
        dominance_violations([1, 2], np.zeros((2, 2)))
    with pytest.raises(SignnetError, match=r"bounds are two numbers but the model's input size is unknown"):
        find_violation(Proba(), (-1.0, 1.0))


def test_compas_trees_break_the_published_constraints_unless_fitted_with_them():
    """Issue 9's example: COMPAS recidivism should not fall as prior counts rise; boosted trees fitted without
    monotonic_cst break that, fitted with it they do not (both checked against the data set's constraints)."""
    from signnet.data.tabular import load_tabular

    data = load_tabular("compas")
    box = (data.X.min(axis=0).to_numpy(), data.X.max(axis=0).to_numpy())
    with threadpool_limits(1):
        free = HistGradientBoostingClassifier(max_iter=100, random_state=0).fit(data.X, data.y)
        fixed = HistGradientBoostingClassifier(max_iter=100, random_state=0, monotonic_cst=data.monotonic_cst)
        fixed.fit(data.X, data.y)
        report = dominance_violations(free, data.X, n_pairs=4000, monotonic_cst=data.monotonic_cst)
        v = find_violation(free, box, monotonic_cst=data.monotonic_cst, X=data.X, n_starts=16, steps=50)
        assert report.violations > 100 and report.n_data_pairs > 0
        cst = np.array(report.monotonic_cst)
        assert cst.tolist() == [int(data.monotonic_cst.get(c, 0)) for c in data.X.columns]
        assert v is not None and precedes(v.x, v.y, cst) and v.gap > 0.5
        assert dominance_violations(fixed, data.X, n_pairs=4000).violations == 0  # its declared dict, resolved
        assert find_violation(fixed, box, X=data.X, n_starts=16, steps=50) is None


def test_a_frame_in_another_column_order_is_audited_by_name():
    """The model reads features by position; the audit puts a DataFrame's columns in the model's order."""
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingRegressor

    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(300, 3)) * [1, 1, 100] + [0, 0, 500], columns=["a", "b", "c"])
    y = np.sin(3 * df.a) + df.b - df.c / 100
    hgb = HistGradientBoostingRegressor(max_iter=30, random_state=0).fit(df, y)  # not monotone in a
    straight = dominance_violations(hgb, df, monotonic_cst={"a": 1}, seed=0)
    swapped = dominance_violations(hgb, df[["c", "b", "a"]], monotonic_cst={"a": 1}, seed=0)
    assert straight.violations > 0 and swapped.violations == straight.violations
    x, y_, _ = swapped.witnesses[0]
    assert hgb.predict(pd.DataFrame([x], columns=["a", "b", "c"]))[0] > \
        hgb.predict(pd.DataFrame([y_], columns=["a", "b", "c"]))[0]  # witnesses in the model's order
    with pytest.raises(SignnetError, match=r"X's columns \(x, y, z\) are not the features the model was fitted on "
                                           r"\(a, b, c\); pass X with those columns\."):
        dominance_violations(hgb, df.set_axis(["x", "y", "z"], axis=1), monotonic_cst={"a": 1})


def test_string_labels_from_predict_have_no_order_to_check():
    from sklearn.ensemble import VotingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 2))
    labels = np.where(X[:, 0] > 0, "high", "low")
    vote = VotingClassifier([("lr", LogisticRegression()), ("tree", DecisionTreeClassifier(random_state=0))],
                            voting="hard").fit(X, labels)
    with pytest.raises(SignnetError, match=r"VotingClassifier\.predict returns <U4 values such as np\.str_\('high'\)|"
                                           r"VotingClassifier\.predict returns <U4 values such as np\.str_\('low'\)"):
        dominance_violations(vote, X, monotonic_cst=[1, 1])


def test_numbers_in_an_object_array_are_read_as_numbers():
    class Predictor:
        def predict(self, X):
            return np.array([float(v) for v in X[:, 0]], dtype=object)

    X = np.random.default_rng(0).normal(size=(50, 2))
    assert dominance_violations(Predictor(), X, monotonic_cst=[1, 0], n_pairs=100).violations == 0


def test_a_black_box_without_constraints_is_audited_with_a_warning():
    # a Pipeline declares no monotonic_cst: "every feature increasing" is then a guess, and the audit says so
    import warnings

    X = np.random.default_rng(0).uniform(-1, 1, (50, 2))
    with pytest.warns(UserWarning, match=r"Value declares no monotonic_cst, so every feature is checked as increasing; "
                                         r"pass monotonic_cst=\.\.\."):
        dominance_violations(Value(), X, n_pairs=50)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dominance_violations(Value(), X, n_pairs=50, monotonic_cst=[1, 0])


def test_a_pipeline_that_encodes_strings_is_pointed_at_its_last_step():
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"debt": rng.normal(size=60), "region": rng.choice(["north", "south"], 60)})
    y = 2 * X["debt"] + (X["region"] == "north")
    pipe = make_pipeline(make_column_transformer((OneHotEncoder(), ["region"]), remainder="passthrough"),
                         LinearRegression()).fit(X, y)
    with pytest.raises(SignnetError, match=r"^X must be numeric, got values of type object; the audit moves numeric "
                                           r"inputs, so audit the pipeline's last step on the encoded rows: pass "
                                           r"pipe\[-1\] and pipe\[:-1\]\.transform\(X\)\.$"):
        dominance_violations(pipe, X, monotonic_cst={"debt": 1})
    # the advice works: the encoded rows have the last step's own feature names
    encoded = pipe[:-1].transform(X)
    assert dominance_violations(pipe[-1], encoded, monotonic_cst=[0, 0, 1], n_pairs=200).violations == 0
    with pytest.raises(SignnetError, match=r"convert the columns to numbers\.$"):
        dominance_violations(LinearRegression().fit(X[["debt"]].to_numpy(), y), np.array([["a"], ["b"]]))


def test_one_array_per_output_is_refused_in_one_sentence():
    # MultiOutputClassifier.predict_proba is a list of (n, 2) arrays: read as rows it broke numpy (or memory)
    from sklearn.linear_model import LogisticRegression
    from sklearn.multioutput import MultiOutputClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2))
    multi = MultiOutputClassifier(LogisticRegression()).fit(X, np.column_stack([X[:, 0] > 0, X[:, 1] > 0]).astype(int))
    for audit in (lambda: dominance_violations(multi, X, monotonic_cst=[1, 1], n_pairs=50),
                  lambda: find_violation(multi, (X.min(0), X.max(0)), monotonic_cst=[1, 1], X=X)):
        with pytest.raises(SignnetError, match=r"^MultiOutputClassifier\.predict_proba returns one array per output "
                                               r"\(a list, or shape \(2, \d+, 2\)\), not one row per sample; audit "
                                               r"each output's estimator \(e\.g\. model\.estimators_\[k\]\) on its own\.$"):
            audit()
    assert dominance_violations(multi.estimators_[0], X, monotonic_cst=[1, 0], n_pairs=50).violations == 0


def test_a_list_of_numbers_from_predict_is_one_output_per_row():
    class Listing:
        n_features_in_ = 1

        def predict(self, X):
            return [float(-row[0]) for row in X]  # falling: every pair violates

    X = np.linspace(0, 1, 20)[:, None]
    report = dominance_violations(Listing(), X, monotonic_cst=[1], n_pairs=40)
    assert report.violations == report.n_pairs == 40
