"""n_jobs: the networks train in groups fixed by n_networks alone, so the thread count changes the speed, not
the numbers; torch's thread setting is restored and a group's error reaches the caller."""

import time

import numpy as np
import pytest
import torch

from signnet import MonotoneClassifier, MonotoneOrdinalClassifier, MonotoneRegressor, SignnetError
from signnet.estimators._train import GROUP_SIZE, group_jobs, member_groups


@pytest.fixture(autouse=True)
def three_torch_threads():
    """Torch's thread count 3, whatever the machine: the groups then run side by side (n_jobs=None
    follows it), and a test that the one-thread setting is undone can fail."""
    before = torch.get_num_threads()
    torch.set_num_threads(3)
    yield
    torch.set_num_threads(before)


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, X[:, 0] - np.tanh(2 * X[:, 1]) + 0.5 * X[:, 2] ** 2 + 0.3 * rng.normal(size=n)


@pytest.mark.parametrize(("n", "sizes"), [(1, [1]), (3, [3]), (4, [4]), (5, [3, 2]), (8, [4, 4]), (9, [3, 3, 3]),
                                          (16, [4, 4, 4, 4])])
def test_member_groups_depend_on_the_count_only(n, sizes):
    groups = member_groups(n)
    assert [len(g) for g in groups] == sizes and max(sizes) <= GROUP_SIZE
    assert [i for g in groups for i in g] == list(range(n))  # consecutive, every member once


@pytest.mark.parametrize("Estimator", [MonotoneRegressor, MonotoneClassifier, MonotoneOrdinalClassifier])
def test_predictions_do_not_depend_on_n_jobs(Estimator):
    X, y = _data()
    if Estimator is MonotoneClassifier:
        y = (y > 0).astype(int)
    elif Estimator is MonotoneOrdinalClassifier:
        y = np.digitize(y, [-0.5, 0.5])  # three ordered classes
    kw = dict(monotonic_cst=[1, -1, 0], n_networks=8, hidden_layer_sizes=(8, 8), max_iter=30, random_state=0)
    fitted = [Estimator(n_jobs=jobs, **kw).fit(X, y) for jobs in (1, 2, None)]
    assert torch.get_num_threads() == 3  # the one-thread setting around the groups is undone
    outs = [m.predict(X) if Estimator is MonotoneRegressor else m.predict_proba(X) for m in fitted]
    assert Estimator is MonotoneRegressor or outs[0].shape[1] == len(np.unique(y))
    for out in outs[1:]:
        np.testing.assert_array_equal(out, outs[0])  # bit for bit
    for m in fitted[1:]:
        assert [f.best_epoch for f in m.fits_] == [f.best_epoch for f in fitted[0].fits_]
        assert m.loss_curve_ == fitted[0].loss_curve_
        if Estimator is MonotoneOrdinalClassifier:  # each group trained its members' own cut points
            np.testing.assert_array_equal(m.thresholds_, fitted[0].thresholds_)
            assert all(np.array_equal(f.thresholds, g.thresholds) for f, g in zip(m.fits_, fitted[0].fits_, strict=True))
    if Estimator is MonotoneOrdinalClassifier:  # the members' cut points were trained, not left at their start
        assert len({tuple(f.thresholds.round(6)) for f in fitted[0].fits_}) == len(fitted[0].fits_)


def test_n_jobs_is_validated():
    X, y = _data()
    with pytest.raises(SignnetError, match=r"The 'n_jobs' parameter of MonotoneRegressor must be an int in the range "
                                           r"\[1, inf\), an int in the range \(-inf, -1\] or None\. Got 0 instead\."):
        MonotoneRegressor(n_jobs=0).fit(X, y)


@pytest.mark.parametrize(("n_jobs", "groups", "threads", "jobs"), [
    (None, 2, 3, 2), (None, 4, 3, 3), (None, 4, 1, 1), (-1, 4, 3, 3), (-2, 4, 3, 2), (-5, 4, 3, 1), (1, 4, 3, 1),
    (8, 2, 3, 2), (2, 1, 3, 1)])
def test_group_jobs_counts_as_joblib_against_torch_threads(n_jobs, groups, threads, jobs):
    assert group_jobs(n_jobs, groups, threads) == jobs


def _pools(monkeypatch):
    from signnet.estimators import _train

    made = []

    class Pool(_train.ThreadPoolExecutor):
        def __init__(self, workers, **kwargs):
            made.append(workers)
            super().__init__(workers, **kwargs)

    monkeypatch.setattr(_train, "ThreadPoolExecutor", Pool)
    return made


def test_small_groups_run_side_by_side_and_large_ones_in_turn(monkeypatch):
    made = _pools(monkeypatch)
    X, y = _data(n=120)
    kw = dict(monotonic_cst=[1, -1, 0], n_networks=8, max_iter=2, random_state=0)
    MonotoneRegressor(hidden_layer_sizes=(8, 8), **kw).fit(X, y)
    assert made == [2]  # 2 groups of 4, torch's 3 threads allow both at once
    made.clear()
    MonotoneRegressor(hidden_layer_sizes=(8, 8), n_jobs=1, **kw).fit(X, y)
    assert made == []
    MonotoneRegressor(hidden_layer_sizes=(160, 160), **kw).fit(X, y)  # 4 x 26,401 parameters a group
    assert made == []  # over 100,000: in turn, each on torch's threads


@pytest.mark.parametrize("n_networks", [8, 16])
def test_a_failing_group_stops_every_other(monkeypatch, n_networks):
    """Group 2 fails at once: the error reaches the caller, group 1 (alone it would run all 3,000
    epochs) ends after an early epoch, and groups 3 and 4 (16 networks, 2 jobs) never start."""
    from signnet.estimators import _train

    real, started, first_fits = _train.train_members, [], []

    def second_group_fails(nets, *args, **kwargs):
        started.append(len(nets))
        if len(started) == 2:
            raise SignnetError("group 2 failed")
        first_fits.extend(kwargs["fits"])
        return real(nets, *args, **kwargs)

    monkeypatch.setattr(_train, "train_members", second_group_fails)
    X, y = _data()
    with pytest.raises(SignnetError, match="group 2 failed"):
        MonotoneRegressor(monotonic_cst=[1, -1, 0], n_networks=n_networks, hidden_layer_sizes=(4,), max_iter=3000,
                          n_iter_no_change=3000, early_stopping=False, n_jobs=2).fit(X, y)
    assert started == [4, 4] and len(first_fits) == 4 and torch.get_num_threads() == 3
    assert all(1 <= f.n_iter < 3000 for f in first_fits), [f.n_iter for f in first_fits]


def test_ctrl_c_while_waiting_stops_the_groups(monkeypatch):
    """KeyboardInterrupt in the caller's wait (what Ctrl-C raises there) reaches the caller, and both
    groups, which alone would run all 3,000 epochs, end after an early one."""
    from signnet.estimators import _train

    real, fits = _train.train_members, []

    def recording(nets, *args, **kwargs):
        fits.extend(kwargs["fits"])
        return real(nets, *args, **kwargs)

    def interrupted_wait(futures, return_when):
        while len(fits) < 8:  # both groups have started
            time.sleep(0.01)
        raise KeyboardInterrupt

    monkeypatch.setattr(_train, "train_members", recording)
    monkeypatch.setattr(_train, "wait", interrupted_wait)
    X, y = _data()
    with pytest.raises(KeyboardInterrupt):
        MonotoneRegressor(monotonic_cst=[1, -1, 0], n_networks=8, hidden_layer_sizes=(4,), max_iter=3000,
                          n_iter_no_change=3000, early_stopping=False, n_jobs=2).fit(X, y)
    assert len(fits) == 8 and all(1 <= f.n_iter < 3000 for f in fits), [f.n_iter for f in fits]
    assert torch.get_num_threads() == 3


def test_fits_side_by_side_on_threads_give_the_fits_alone():
    # the initial weights are drawn from torch's shared generator: two fits at once once interleaved their seeds
    from concurrent.futures import ThreadPoolExecutor

    X, y = _data()

    def fitted(seed):
        return MonotoneRegressor(monotonic_cst=[1, 0, 0], n_networks=2, max_iter=10, random_state=seed).fit(X, y).predict(X)

    alone = [fitted(s) for s in (0, 1)]
    for _ in range(3):
        with ThreadPoolExecutor(2) as pool:
            together = list(pool.map(fitted, (0, 1)))
        for a, b in zip(alone, together, strict=True):
            np.testing.assert_array_equal(a, b)
