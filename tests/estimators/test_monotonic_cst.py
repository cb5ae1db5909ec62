"""``monotonic_cst`` is read exactly as HistGradientBoosting* read it: same results, same error messages."""

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor

from signnet import MonotoneRegressor, SignnetError, certify


def _data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    y = X["a"] - X["c"] + 0.1 * rng.normal(size=n)
    return X, y.to_numpy()


def _hgb_message(cst, X, y) -> str:
    with pytest.raises(ValueError) as info:
        HistGradientBoostingRegressor(monotonic_cst=cst, max_iter=2).fit(X, y)
    return str(info.value)


def _ours(cst, X, y) -> str:
    with pytest.raises(SignnetError) as info:
        MonotoneRegressor(monotonic_cst=cst, max_iter=2).fit(X, y)
    return str(info.value)


@pytest.mark.parametrize("cst", [
    {"a": 1, "zzz": -1, "b2": 1},  # unknown names, listed sorted
    {f"x{i}": 1 for i in range(7)},  # more than five unknown names: "..."
    {"a": 2},  # a value outside -1, 0, 1
    [1, 0],  # the wrong length
    [1, 2, -3],  # values outside -1, 0, 1
])
def test_errors_repeat_hist_gradient_boosting_word_for_word(cst):
    X, y = _data()
    ours, theirs = _ours(cst, X, y), _hgb_message(cst, X, y)
    if "unexpected feature names" in theirs:  # scikit-learn's sentence, then what the features are named
        assert ours == theirs + " The features are named ['a', 'b', 'c']."
    else:
        assert ours == theirs


def test_dict_without_feature_names_is_refused_as_hist_gradient_boosting_refuses_it():
    X, y = _data()
    hgb = _hgb_message({"a": 1}, X.to_numpy(), y).replace("HistGradientBoostingRegressor", "MonotoneRegressor")
    assert hgb == ("MonotoneRegressor was not fitted on data with feature names. "
                   "Pass monotonic_cst as an integer array instead.")
    assert _ours({"a": 1}, X.to_numpy(), y) == hgb[:-1] + (" (or, in a Pipeline, call pipe.set_output("
                                                           "transform='pandas') so that its steps pass on named "
                                                           "columns).")


def test_unknown_name_message():
    X, y = _data()
    with pytest.raises(ValueError, match=r"^monotonic_cst contains 1 unexpected feature names: \['d'\]\. The "
                                         r"features are named \['a', 'b', 'c'\]\.$"):
        MonotoneRegressor(monotonic_cst={"a": 1, "d": -1}).fit(X, y)


def test_a_column_renamed_by_a_column_transformer_is_suggested():
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"debt": rng.normal(size=40), "region": rng.choice(["n", "s"], 40)})
    encode = make_column_transformer((StandardScaler(), ["debt"]), (OneHotEncoder(sparse_output=False), ["region"]))
    pipe = make_pipeline(encode, MonotoneRegressor(monotonic_cst={"debt": 1}, max_iter=2))
    with pytest.raises(ValueError, match=r"^MonotoneRegressor was not fitted on data with feature names\. .*"
                                         r"pipe\.set_output\(transform='pandas'\)"):
        pipe.fit(X, X["debt"])
    with pytest.raises(ValueError, match=r"unexpected feature names: \['debt'\]\. The features are named "
                                         r"\['standardscaler__debt', 'onehotencoder__region_n', "
                                         r"'onehotencoder__region_s'\]; did you mean 'standardscaler__debt'\?$"):
        pipe.set_output(transform="pandas").fit(X, X["debt"])
    pipe.set_params(monotoneregressor__monotonic_cst={"standardscaler__debt": 1}).fit(X, X["debt"])
    assert pipe[-1].monotonic_cst_.tolist() == [1, 0, 0]


@pytest.mark.parametrize("cst, expected", [
    (None, [0, 0, 0]),
    ([1, 0, -1], [1, 0, -1]),
    (np.array([-1, 1, 0]), [-1, 1, 0]),
    ({"c": -1, "a": 1}, [1, 0, -1]),  # dict keyed by feature name, absent names 0
    ({"b": 1}, [0, 1, 0]),
])
def test_parsed_as_int8_array_in_feature_order(cst, expected):
    X, y = _data()
    model = MonotoneRegressor(monotonic_cst=cst, max_iter=3, random_state=0).fit(X, y)
    assert model.monotonic_cst_.dtype == np.int8
    assert model.monotonic_cst_.tolist() == expected
    assert list(model.feature_names_in_) == ["a", "b", "c"]


@pytest.mark.parametrize("architecture", ["mixed", "alternating", "dnn+"])
def test_certificate_proves_the_constraints_of_the_fitted_module(architecture):
    X, y = _data(n=200)
    model = MonotoneRegressor(monotonic_cst={"a": 1, "c": -1}, architecture=architecture, max_iter=50,
                              random_state=0).fit(X, y)
    cert = certify(model)  # the estimator: its module_ against its monotonic_cst_
    assert cert.monotonic_cst == [1, 0, -1]
    assert cert.proved == [True, None, True] and cert.satisfies_monotonic_cst
    plain = certify(model.module_)  # the module alone, read as any nn.Sequential
    assert not plain.refused
    assert plain.monotone[0][0] in (1, 0) and plain.monotone[0][2] in (-1, 0)


def test_three_lines_give_a_certified_monotone_model():
    X, y = _data(n=300)
    predictions = MonotoneRegressor(monotonic_cst={"a": 1, "c": -1}).fit(X, y).predict(X)
    assert predictions.shape == (300,)
    assert np.corrcoef(predictions, y)[0, 1] > 0.95
