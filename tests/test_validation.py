"""The validation module: every check, its exact message, numpy integers accepted, booleans refused."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

from signnet import MLP, SignedConv2d, SignedLinear, load, load_dataset, make_problem, save
from signnet.errors import SignnetError
from signnet.experiments.runner import run_study
from signnet.validation import (
    SEED_MAX,
    check_checkpoint_path,
    check_choice,
    check_count,
    check_float,
    check_fraction,
    check_int,
    check_non_negative,
    check_out_folder,
    check_output_file,
    check_positive,
    check_seed,
    check_size,
    check_sizes,
    check_split,
    is_integer,
    read_csv,
)


# ------------------------------------------------------------------ integers
@pytest.mark.parametrize("value", [3, np.int64(3), np.int32(3), np.uint8(3)])
def test_integers_python_or_numpy_come_back_as_int(value):
    assert check_int(value, "n") == 3 and type(check_int(value, "n")) is int
    assert check_size(value, "n") == 3 and check_count(value, "n") == 3 and check_seed(value) == 3


@pytest.mark.parametrize("value", [True, np.bool_(False), 2.0, np.float64(2.0), "3", None, [3]])
def test_non_integers_are_refused(value):
    assert not is_integer(value)
    with pytest.raises(SignnetError, match=rf"^n must be an integer >= 1, got {re.escape(repr(value))}\.$"):
        check_size(value, "n")


@pytest.mark.parametrize("call, message", [
    (lambda: check_int(0, "--epochs", minimum=1), r"^--epochs must be an integer >= 1, got 0\.$"),
    (lambda: check_int(9, "k", maximum=8), r"^k must be an integer <= 8, got 9\.$"),
    (lambda: check_int(9, "k", minimum=0, maximum=8), r"^k must be an integer in 0\.\.8, got 9\.$"),
    (lambda: check_int("x", "k"), r"^k must be an integer, got 'x'\.$"),
    (lambda: check_count(-1, "--explain"), r"^--explain must be an integer >= 0, got -1\.$"),
    (lambda: check_seed(-1), r"^seed must be an integer in 0\.\.4294967295, got -1\.$"),
    (lambda: check_seed(2**32, "--seed"), r"^--seed must be an integer in 0\.\.4294967295, got 4294967296\.$"),
])
def test_integer_messages(call, message):
    with pytest.raises(SignnetError, match=message):
        call()


def test_seed_bounds_are_inclusive():
    assert check_seed(0) == 0 and check_seed(np.uint32(SEED_MAX)) == SEED_MAX == 2**32 - 1


def test_sizes():
    assert check_sizes([np.int64(16), 8], "hidden") == (16, 8)
    assert check_sizes((), "hidden") == ()
    with pytest.raises(SignnetError, match=r"^hidden must hold integers >= 1, got 0 in \[16, 0\]\.$"):
        check_sizes([16, 0], "hidden")
    with pytest.raises(SignnetError,
                       match=r"^hidden must be a sequence of integers >= 1, e\.g\. \(16, 16\), got '16'\.$"):
        check_sizes("16", "hidden")


# ------------------------------------------------------------------ floats
@pytest.mark.parametrize("value", [0.5, 1, np.float32(0.5), np.int64(1)])
def test_floats_accept_numbers_of_any_kind(value):
    assert check_float(value, "x") == float(value) and type(check_float(value, "x")) is float


@pytest.mark.parametrize("call, message", [
    (lambda: check_positive(0.0, "--lr"), r"^--lr must be a finite number > 0, got 0\.0\.$"),
    (lambda: check_positive(float("nan"), "--lr"), r"^--lr must be a finite number > 0, got nan\.$"),
    (lambda: check_positive(float("inf"), "--lr"), r"^--lr must be a finite number > 0, got inf\.$"),
    (lambda: check_non_negative(-1.0, "--weight-decay"), r"^--weight-decay must be a finite number >= 0, got -1\.0\.$"),
    (lambda: check_fraction(1.5, "share"), r"^share must be a finite number in \[0, 1\], got 1\.5\.$"),
    (lambda: check_fraction(0.0, "test_size", inclusive=False),
     r"^test_size must be a finite number strictly between 0 and 1, got 0\.0\.$"),
    (lambda: check_float(0.6, "noise", minimum=0, maximum=0.5),
     r"^noise must be a finite number in \[0, 0\.5\], got 0\.6\.$"),
    (lambda: check_float(2, "x", maximum=1, inclusive=False), r"^x must be a finite number < 1, got 2\.$"),
    (lambda: check_float(True, "x"), r"^x must be a finite number, got True\.$"),
    (lambda: check_float("0.1", "x"), r"^x must be a finite number, got '0\.1'\.$"),
])
def test_float_messages(call, message):
    with pytest.raises(SignnetError, match=message):
        call()


def test_bounds_themselves():
    assert check_non_negative(0, "wd") == 0.0
    assert check_fraction(1.0, "share") == 1.0 and check_fraction(0.0, "share") == 0.0
    assert math.isclose(check_fraction(0.999, "t", inclusive=False), 0.999)


def test_choice():
    assert check_choice("adam", "optimizer", ("adam", "sgd")) == "adam"
    with pytest.raises(SignnetError, match=r"^Unknown optimizer 'rmsprop'; choose one of: adam, sgd\.$"):
        check_choice("rmsprop", "optimizer", ("adam", "sgd"))


# ------------------------------------------------------------------ splits
def test_split_needs_two_classes_and_room_for_every_class_in_both_parts():
    check_split(np.array([0, 0, 1, 1]), 0.5, what="y", fix="add rows")
    with pytest.raises(SignnetError,
                       match=r"^y hold one class only \(1\); a classifier needs two at least: add rows\.$"):
        check_split(np.ones(10), 0.5, what="y", fix="add rows")
    with pytest.raises(SignnetError, match=r"^y \(per class 0: 1, 1: 3\) are too few to hold out 0\.5 of them "
                                           r"with every class in both parts: add rows\.$"):
        check_split(np.array([0, 1, 1, 1]), 0.5, what="y", fix="add rows")
    with pytest.raises(SignnetError, match=r"too few to hold out 0\.1 of them"):  # a test part of one point
        check_split(np.array([0] * 5 + [1] * 5), 0.1, what="y", fix="add rows")


# ------------------------------------------------------------------ paths
def test_out_folder(tmp_path, monkeypatch):
    assert check_out_folder(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    assert check_out_folder(tmp_path) == tmp_path  # an empty folder
    (tmp_path / "index.html").write_text("old report")
    (tmp_path / ".signnet-output").write_text('{"files": ["index.html"]}')  # what staged_folder lists
    assert check_out_folder(tmp_path) == tmp_path
    (tmp_path / "file").write_text("x")
    with pytest.raises(SignnetError, match=r"^--out '.*file' is an existing file; give a folder path\.$"):
        check_out_folder(tmp_path / "file")
    with pytest.raises(SignnetError, match=r"^--out '.*file/a/b' lies inside '.*file', which is a file, not a folder"):
        check_out_folder(tmp_path / "file" / "a" / "b")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SignnetError, match=r"^--out '\.\.' holds the current folder"):
        check_out_folder("..")


def test_out_folder_accepts_a_reports_root_of_reports_and_refuses_other_files(tmp_path):
    root = tmp_path / "reports"
    for study in ("census", "zigzag"):
        (root / study).mkdir(parents=True)
        (root / study / "results.json").write_text("{}")
    (root / ".signnet-output").write_text('{"files": ["census/results.json", "zigzag/results.json"]}')
    assert check_out_folder(root) == root
    assert check_out_folder(root / "census") == root / "census"  # one report of the root, listed by its manifest
    (root / "census" / ".signnet-output").write_text('{"files": ["results.json", "index.html"]}')  # rerun there
    (root / "census" / "index.html").write_text("<p>")
    assert check_out_folder(root) == root
    (root / "notes.txt").write_text("mine")
    with pytest.raises(SignnetError, match=r"^--out '.*reports' holds files that signnet did not write \(notes\.txt\); "
                                           r"give a new or empty folder \(signnet replaces the whole output folder, "
                                           r"and replaces only what its \.signnet-output file lists\)\.$"):
        check_out_folder(root)
    (root / "zigzag" / "data.csv").write_text("mine")
    with pytest.raises(SignnetError, match=r"holds files that signnet did not write \(data\.csv\)"):
        check_out_folder(root / "zigzag")


def test_a_report_look_alike_without_a_manifest_is_not_replaced(tmp_path):
    # index.html at the top used to be enough, and thesis.tex beside it was deleted with the old report
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<html>")
    (site / "thesis.tex").write_text("precious")
    with pytest.raises(SignnetError, match=r"holds files that signnet did not write \(index\.html, thesis\.tex\)"):
        check_out_folder(site)


def test_output_file(tmp_path):
    assert check_output_file(tmp_path / "m" / "model.pt", "--save") == tmp_path / "m" / "model.pt"
    with pytest.raises(SignnetError,
                       match=r"^--save '.*' is an existing folder; give a file path, e\.g\. '.*model\.pt'\.$"):
        check_output_file(tmp_path, "--save")
    with pytest.raises(SignnetError, match=r"^path must be a file path, got ''\.$"):
        check_output_file("", "path")


def test_checkpoint_path(tmp_path):
    with pytest.raises(SignnetError, match=r"^The checkpoint '.*none\.pt' does not exist"):
        check_checkpoint_path(tmp_path / "none.pt")
    with pytest.raises(SignnetError, match=r"^The checkpoint '.*' is not a file"):
        check_checkpoint_path(tmp_path)
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(SignnetError, match=r"^The checkpoint '.*empty\.pt' is empty"):
        check_checkpoint_path(tmp_path / "empty.pt")


def test_read_csv(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a, label ,b\n1,0,2.5\n\n3,1,-4\n")
    X, y, names = read_csv(path, "label")
    assert names == ["a", "b"] and X.tolist() == [[1.0, 2.5], [3.0, -4.0]] and y.tolist() == [0.0, 1.0]


# ------------------------------------------------------------------ numpy integers at the entry points
def test_layers_and_networks_take_numpy_sizes_like_torch():
    layer = SignedLinear(np.int64(3), np.int64(2))
    assert layer.weight.shape == (2, 3) and type(layer.in_features) is int
    conv = SignedConv2d(np.int32(1), np.int64(4), 3)
    assert conv.weight.shape == (4, 1, 3, 3)
    assert torch.nn.Linear(np.int64(3), np.int64(2)).weight.shape == layer.weight.shape  # the behaviour mirrored


def test_an_mlp_with_numpy_sizes_saves_plain_ints(tmp_path):
    model = MLP(np.int64(2), [np.int64(4)], np.int64(1))
    assert model.config["in_features"] == 2 and type(model.config["in_features"]) is int
    assert all(type(h) is int for h in model.config["hidden"])
    back = load(save(model, tmp_path / "m.pt"))  # weights_only loading needs plain ints in the config
    assert back.config == model.config


def test_problem_and_data_set_take_numpy_integers():
    a, b = make_problem("xor", n=np.int64(100), seed=np.int64(3)), make_problem("xor", n=100, seed=3)
    assert a.X.shape == (100, 2) and np.array_equal(a.X, b.X)
    d = load_dataset("wine", seed=np.int64(1))
    assert d.X_train.shape[1] == 13
    with pytest.raises(SignnetError, match=r"^seed must be an integer in 0\.\.4294967295, got -1\.$"):
        make_problem("xor", seed=-1)
    with pytest.raises(SignnetError, match=r"^The 178 rows of wine \(per class 0: 59, 1: 71, 2: 48\) are too few "
                                           r"to hold out 0\.01 of them"):
        load_dataset("wine", test_size=0.01)


def test_run_study_checks_the_seed_and_takes_numpy_integers(tmp_path):
    seen = []
    run_study(lambda out, seed, quick, progress: seen.append((out, seed)) or {}, tmp_path / "s",
              seed=np.int64(5), quick=True, progress=False)
    assert seen == [(tmp_path / "s", 5)] and type(seen[0][1]) is int
    with pytest.raises(SignnetError, match=r"^seed must be an integer in 0\.\.4294967295, got True\.$"):
        run_study(lambda *a: {}, tmp_path / "t", seed=True, quick=True, progress=False)
    assert not (tmp_path / "t").exists()


def test_a_separate_report_inside_is_not_replaced_with_its_parent(tmp_path):
    # `signnet benchmark` writes reports/benchmark; `reproduce --all --out reports` deleted it (its own list covered it)
    root = tmp_path / "reports"
    (root / "census").mkdir(parents=True)
    (root / "census" / "results.json").write_text("{}")
    (root / ".signnet-output").write_text('{"files": ["census/results.json"]}')
    (root / "benchmark").mkdir()
    (root / "benchmark" / "index.html").write_text("<p>")
    (root / "benchmark" / ".signnet-output").write_text('{"files": ["index.html"]}')
    with pytest.raises(SignnetError, match=r"holds files that signnet did not write \(benchmark/ \(a separate signnet "
                                           r"report\)\); give a new or empty folder"):
        check_out_folder(root)
    assert check_out_folder(root / "benchmark") == root / "benchmark"  # itself it may replace


def test_a_folder_without_a_list_says_why_and_file_browser_litter_is_ignored(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    (old / "index.html").write_text("<p>")
    with pytest.raises(SignnetError, match=r"^--out '.*old' holds files that signnet did not write \(index\.html\); it "
                                           r"has no \.signnet-output list of the files signnet wrote \(signnet 0\.1\.0 "
                                           r"before that list, or another program, wrote it\); delete it yourself or "
                                           r"give a new folder\.$"):
        check_out_folder(old)
    (old / ".signnet-output").write_text('{"files": ["index.html"]}')
    (old / ".DS_Store").write_bytes(b"\0")
    assert check_out_folder(old) == old


def test_an_output_file_in_a_folder_that_takes_no_file_is_refused_before_any_work(tmp_path, monkeypatch, capsys):
    # `train --save` into a read-only or immutable folder trained first and failed at the end
    import errno

    import signnet.cli.train as train_cmd
    import signnet.validation as validation
    from signnet.cli.main import main

    def refuse(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(validation.tempfile, "TemporaryFile", refuse)
    monkeypatch.setattr(train_cmd, "fit", lambda *a, **k: pytest.fail("trained before refusing the path"))
    assert main(["train", "--epochs", "2", "--save", str(tmp_path / "m" / "x.pt")]) == 2
    assert capsys.readouterr().err == (f"signnet train: error: --save '{tmp_path / 'm' / 'x.pt'}' cannot be written: "
                                       f"'{tmp_path}' takes no new file (Read-only file system); give a path in a "
                                       "folder you can write to.\n")
    assert list(tmp_path.iterdir()) == []
