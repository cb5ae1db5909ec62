"""scikit-learn's bundled data sets (signnet.datasets)."""

import numpy as np
import pytest

from signnet import DATASETS, SignnetError, load_dataset

SIZES = {"breast_cancer": (569, 30, 2), "wine": (178, 13, 3), "digits": (1797, 64, 10), "diabetes": (442, 10, None)}


def test_dataset_list():
    assert DATASETS == ("breast_cancer", "wine", "digits", "diabetes")


@pytest.mark.parametrize("name", DATASETS)
def test_shapes_dtypes_and_split(name):
    n, d, k = SIZES[name]
    ds = load_dataset(name, test_size=0.25, seed=0)
    assert ds.name == name
    assert ds.X_train.dtype == ds.X_test.dtype == np.float32
    assert ds.X_train.shape[1] == ds.X_test.shape[1] == d == len(ds.feature_names)
    assert len(ds.X_train) + len(ds.X_test) == n
    assert len(ds.X_test) == pytest.approx(0.25 * n, abs=1)
    assert len(ds.y_train) == len(ds.X_train) and len(ds.y_test) == len(ds.X_test)
    if k is None:
        assert ds.task == "regression" and ds.y_train.dtype == np.float32
    else:
        assert ds.task == "classification" and ds.y_train.dtype == np.int64
        assert set(np.unique(ds.y_train)) == set(range(k)) == set(np.unique(ds.y_test))


@pytest.mark.parametrize("name", ["breast_cancer", "diabetes"])
def test_standardised_on_the_training_part(name):
    ds = load_dataset(name)
    assert np.allclose(ds.X_train.mean(0), 0, atol=1e-5)
    assert np.allclose(ds.X_train.std(0), 1, atol=1e-4)
    assert not np.allclose(ds.X_test.mean(0), 0, atol=1e-3)  # test part uses the training scaler
    raw = load_dataset(name, standardize=False)
    assert not np.allclose(raw.X_train, ds.X_train)


def test_classification_split_is_stratified():
    ds = load_dataset("breast_cancer", seed=1)
    assert abs(ds.y_train.mean() - ds.y_test.mean()) < 0.01


def test_seed_changes_the_split_and_repeats_it():
    a, b, c = load_dataset("wine", seed=0), load_dataset("wine", seed=0), load_dataset("wine", seed=1)
    assert np.array_equal(a.X_train, b.X_train) and np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.X_train, c.X_train)


def test_unknown_name():
    with pytest.raises(SignnetError, match=r"Unknown data set 'iris'; choose one of: breast_cancer, wine, digits, diabetes"):
        load_dataset("iris")


@pytest.mark.parametrize("test_size", [0.0, 1.0, -0.2, 1.5])
def test_bad_test_size(test_size):
    with pytest.raises(SignnetError, match=r"test_size must be a finite number strictly between 0 and 1, got"):
        load_dataset("wine", test_size=test_size)
