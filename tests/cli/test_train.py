"""`signnet train` (signnet.cli + signnet.commands.train)."""

import json
import os
import re
import stat

import pytest

import signnet
from signnet.cli.main import main

pytestmark = pytest.mark.usefixtures("single_thread")

FAST = ["--n", "200", "--epochs", "50", "--hidden", "8"]


def _train_json(capsys, *args):
    code = main(["train", *FAST, "--json", *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_json_output(capsys):
    r = _train_json(capsys, "--problem", "negative_slope", "--seed", "4")
    for key in ("problem", "weights", "train_accuracy", "test_accuracy", "layers", "seconds", "seed", "versions",
                "sign_violation", "epochs_run", "final_loss", "config", "platform"):
        assert key in r, key
    assert r["problem"] == "negative_slope" and r["weights"] == "free" and r["seed"] == 4
    assert 0.85 <= r["train_accuracy"] <= 1.0 and 0.8 <= r["test_accuracy"] <= 1.0
    assert r["epochs_run"] == 50 and r["seconds"] > 0
    assert r["versions"]["signnet"] == signnet.__version__ and "torch" in r["versions"]
    assert [layer["shape"] for layer in r["layers"]] == [[8, 2], [1, 8]]
    for layer in r["layers"]:
        assert layer["min_weight"] <= layer["max_weight"]
        assert 0.0 <= layer["negative_fraction"] <= 1.0
    assert any(layer["negative_fraction"] > 0 for layer in r["layers"])  # free weights: some negative
    assert r["config"]["hidden"] == "8" and r["config"]["epochs"] == 50


@pytest.mark.parametrize("method", ["project", "reparam"])
def test_nonneg_weights_stay_nonneg(capsys, method):
    r = _train_json(capsys, "--problem", "xor", "--weights", "nonneg", "--method", method)
    assert r["weights"] == "nonneg"
    for layer in r["layers"]:
        assert layer["min_weight"] >= 0
        assert layer["negative_fraction"] == 0.0
    assert r["sign_violation"]["count"] == 0
    assert r["test_accuracy"] <= 0.8  # a DNN+ cannot solve XOR


def test_same_seed_same_result(capsys):
    a = _train_json(capsys, "--seed", "2")
    b = _train_json(capsys, "--seed", "2")
    assert a["layers"] == b["layers"] and a["final_loss"] == b["final_loss"]
    c = _train_json(capsys, "--seed", "3")
    assert c["layers"] != a["layers"]


def test_text_summary(capsys):
    assert main(["train", *FAST, "--problem", "upset", "--weights", "nonneg"]) == 0
    out, _ = capsys.readouterr()
    lines = out.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("upset / nonneg: train accuracy ")
    assert "test accuracy" in lines[0] and "smallest weight +0.000" in lines[0]


def test_save_writes_a_checkpoint_that_load_restores(capsys, tmp_path):
    path = tmp_path / "models" / "xor.pt"
    r = _train_json(capsys, "--weights", "nonneg", "--method", "reparam", "--transform", "exp", "--save", str(path))
    assert r["checkpoint"] == str(path)
    model = signnet.load(path)
    assert model.config["weights"] == "nonneg" and model.config["transform"] == "exp"
    for layer, reported in zip(model.linear_layers, r["layers"], strict=True):
        w = layer.weight.detach()
        assert float(w.min()) == reported["min_weight"] and float(w.max()) == reported["max_weight"]
    assert os.listdir(path.parent) == ["xor.pt"]


def test_save_refuses_what_is_not_a_checkpoint_and_names_the_path_it_cannot_write(capsys, tmp_path):
    notes = tmp_path / "results.json"
    notes.write_text('{"a": 1}')
    assert main(["train", *FAST, "--save", str(notes)]) == 2
    assert capsys.readouterr().err == (f"signnet train: error: --save {str(notes)!r} is an existing file that is not a "
                                       "signnet checkpoint; give a new path (signnet replaces only its own "
                                       "checkpoints).\n")
    assert notes.read_text() == '{"a": 1}'
    fifo = tmp_path / "pipe.pt"
    os.mkfifo(fifo)
    assert main(["train", *FAST, "--save", str(fifo)]) == 2
    assert "exists and is not a regular file; give the path of a new file." in capsys.readouterr().err
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    checkpoint = tmp_path / "model.pt"  # an earlier checkpoint is replaced
    assert main(["train", *FAST, "--save", str(checkpoint)]) == 0
    first = checkpoint.read_bytes()
    assert main(["train", *FAST, "--seed", "1", "--save", str(checkpoint)]) == 0
    assert checkpoint.read_bytes() != first
    capsys.readouterr()


def test_a_save_the_system_refuses_names_the_path_asked_for(capsys, tmp_path, monkeypatch):
    import signnet.report.artifacts as artifacts

    def refuse(src, dst):  # what a read-only folder does to the final rename (root may write anywhere)
        raise PermissionError(13, "Permission denied", str(src))

    monkeypatch.setattr(artifacts.os, "replace", refuse)
    target = tmp_path / "models" / "m.pt"
    assert main(["train", *FAST, "--save", str(target)]) == 2
    err = capsys.readouterr().err
    assert err == (f"signnet train: error: Cannot write --save {str(target)!r}: Permission denied; check the folder, "
                   "its permissions and the free space.\n")
    assert os.listdir(tmp_path) == []  # the temporary file and the folder made for it are gone


@pytest.mark.parametrize("exc", [MemoryError("Unable to allocate 14.6 TiB for an array with shape (10**12, 2)"),
                                 RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't "
                                              "allocate memory: you tried to allocate 4000000000000 bytes.")])
def test_running_out_of_memory_is_one_line(capsys, monkeypatch, exc):
    import signnet.cli.train as train

    def fail(args):
        raise exc

    monkeypatch.setattr(train, "_data", fail)
    assert main(["train", *FAST]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("signnet train: error: this run needs more memory than the machine "
                                                "gives it (") and err[0].endswith("use smaller sizes (points, widths, pairs).")
    monkeypatch.setattr(train, "_data", lambda args: (_ for _ in ()).throw(RuntimeError("a bug")))
    with pytest.raises(RuntimeError, match="a bug"):  # other RuntimeErrors are bugs, not bad input: not hidden
        main(["train", *FAST])


def test_an_unknown_option_before_the_command_names_signnet(capsys):
    assert main(["--foo", "train"]) == 2
    assert capsys.readouterr().err == "signnet: error: unrecognized arguments: --foo; see `signnet --help`.\n"


def test_softmax_data_set(capsys):
    r = _train_json(capsys, "--problem", "wine", "--hidden", "8")
    assert r["layers"][-1]["shape"] == [3, 8]  # three classes: a softmax head
    assert r["test_accuracy"] >= 0.85


@pytest.mark.parametrize("args, message", [
    (["--problem", "circle"], r"Unknown problem 'circle'; choose one of: xor, "),
    (["--problem", "diabetes"], r"Unknown problem 'diabetes'"),
    (["--activation", "relu6"], r"Unknown activation 'relu6'; choose one of: relu, "),
    (["--method", "clip"], r"Unknown enforcement method 'clip'; choose one of: project, reparam, penalty"),
    (["--method", "reparam", "--transform", "sigmoid"], r"Unknown reparametrisation transform 'sigmoid'"),
    (["--weights", "positive"], r"Unknown sign specification 'positive'; choose one of: free, nonneg, nonpos"),
    (["--hidden", "0"], r"--hidden '0' must hold sizes of 1 or more"),
    (["--hidden", "8,-2"], r"--hidden '8,-2' must hold sizes of 1 or more"),
    (["--hidden", "a"], r"--hidden 'a' must be comma-separated integers"),
    (["--n", "0"], r"--n must be an integer >= 1, got 0\."),
    (["--noise", "0.7"], r"--noise must be a finite number in \[0, 0\.5\], got 0\.7\."),
    (["--test-size", "1.5"], r"--test-size must be a finite number strictly between 0 and 1, got 1\.5\."),
    (["--optimizer", "rmsprop"], r"Unknown optimizer 'rmsprop'"),
    (["--epochs", "0"], r"--epochs must be an integer >= 1, got 0\."),
    (["--lr", "-1"], r"--lr must be a finite number > 0, got -1\.0\."),
    (["--method", "penalty", "--strength", "-2"], r"--strength must be a finite number >= 0, got -2\.0\."),
    (["--lr", "1e39"], r"Learning rate 1e\+39 is beyond the largest float32 \(3\.4e\+38\); try lr=0\.01\."),
    (["--weight-decay", "1e300"], r"--weight-decay must be a finite number in \[0, 3\.40282e\+38\], got 1e\+300\."),
    (["--hidden", "1000000000"], r"--hidden 1000000000 gives a network of 4e\+09 parameters, more than signnet "
                                 r"train builds \(1e\+09\); use smaller widths"),
    (["--foo"], r"^signnet train: error: unrecognized arguments: --foo; see `signnet train --help`\.$"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(capsys, tmp_path, args, message):
    path = tmp_path / "model.pt"
    code = main(["train", *FAST, "--json", "--save", str(path), *args])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("signnet train: error: ")
    assert re.search(message, lines[0]), lines[0]
    assert not path.exists()
    assert os.listdir(tmp_path) == []


def test_validation_fraction_and_device_are_recorded(capsys):
    r = _train_json(capsys, "--problem", "negative_slope", "--validation-fraction", "0.2", "--patience", "5",
                    "--device", "cpu")
    assert r["config"]["validation_fraction"] == 0.2 and r["config"]["device"] == "cpu"
    assert r["validation_fraction"] == 0.2 and r["device"] == "cpu"
    assert 0 <= r["best_epoch"] < r["epochs_run"] and r["best_val_loss"] > 0
    assert r["stop_reason"] in ("epochs", "patience")
    plain = _train_json(capsys, "--problem", "negative_slope")
    assert plain["best_epoch"] is None and plain["best_val_loss"] is None and plain["validation_fraction"] is None
    assert plain["stop_reason"] == "epochs" and plain["device"] == "cpu"


@pytest.mark.parametrize("argv, line", [
    (["--seed", "1", "train"], "signnet: error: options go after the command: signnet train --seed ...; see "
                               "`signnet train --help`."),
    (["--json", "ceiling"], "signnet: error: options go after the command: signnet ceiling --json ...; see "
                            "`signnet ceiling --help`."),
])
def test_a_command_option_before_the_command_is_explained(argv, line, capsys):
    # `signnet --seed 1 train` said "invalid choice: '1'"
    assert main(argv) == 2
    assert capsys.readouterr().err == line + "\n"
