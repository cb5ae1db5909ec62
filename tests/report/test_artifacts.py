"""Atomic writes, JSON of numpy/torch values, run metadata (signnet.artifacts)."""

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

import signnet
from signnet.report.artifacts import (atomic_write_bytes, atomic_write_json, atomic_write_text, run_metadata, to_json,
                               versions)


def test_atomic_write_text_creates_folders_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "a" / "b" / "out.txt"
    assert atomic_write_text(path, "héllo\n") == path
    assert path.read_text(encoding="utf-8") == "héllo\n"
    assert os.listdir(path.parent) == ["out.txt"]


def test_atomic_write_overwrites_the_whole_file(tmp_path):
    path = tmp_path / "out.bin"
    atomic_write_bytes(path, b"x" * 10_000)
    atomic_write_bytes(path, b"short")
    assert path.read_bytes() == b"short"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_failed_write_keeps_the_old_file_and_removes_the_temp_file(tmp_path):
    path = tmp_path / "out.txt"
    atomic_write_text(path, "old")
    with pytest.raises(TypeError):
        atomic_write_bytes(path, "not bytes")  # fails inside the write, after the temp file exists
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_atomic_write_json_round_trips(tmp_path):
    path = tmp_path / "r.json"
    atomic_write_json(path, {"a": np.float32(1.5), "b": [1, 2]})
    text = path.read_text()
    assert text.endswith("\n")
    assert json.loads(text) == {"a": 1.5, "b": [1, 2]}


def test_atomic_write_json_with_nan_writes_nothing(tmp_path):
    path = tmp_path / "r.json"
    atomic_write_json(path, {"ok": 1})
    with pytest.raises(ValueError):
        atomic_write_json(path, {"bad": float("nan")})
    assert json.loads(path.read_text()) == {"ok": 1}
    assert os.listdir(tmp_path) == ["r.json"]


def test_to_json_handles_numpy_torch_and_paths():
    obj = {
        "np_float": np.float32(0.25), "np_int": np.int64(7), "np_bool": np.bool_(True),
        "np_array": np.arange(3), "np_matrix": np.eye(2, dtype=np.float32),
        "torch_scalar": torch.tensor(2.5), "torch_vector": torch.tensor([1, 2]), "path": Path("/tmp/x"),
    }
    back = json.loads(to_json(obj))
    assert back == {
        "np_float": 0.25, "np_int": 7, "np_bool": True, "np_array": [0, 1, 2], "np_matrix": [[1.0, 0.0], [0.0, 1.0]],
        "torch_scalar": 2.5, "torch_vector": [1, 2], "path": "/tmp/x",
    }
    assert to_json({"a": 1}) == '{\n  "a": 1\n}'  # indented


@pytest.mark.parametrize("value", [float("nan"), float("inf"), np.float32("nan"), np.array([1.0, np.inf]),
                                   torch.tensor(float("nan")), torch.tensor([0.0, -float("inf")])])
def test_to_json_refuses_non_finite_values(value):
    with pytest.raises(ValueError, match="not JSON compliant"):
        to_json({"x": value})


def test_to_json_refuses_unknown_objects():
    with pytest.raises(TypeError, match="Object of type object is not JSON serialisable"):
        to_json({"x": object()})


def test_versions_and_run_metadata():
    v = versions()
    assert v["signnet"] == signnet.__version__
    assert v["torch"].split("+")[0] == torch.__version__.split("+")[0]
    assert v["numpy"] == np.__version__
    assert "python" in v
    meta = run_metadata({"lr": 0.1}, np.int64(3))
    assert set(meta) == {"config", "seed", "versions", "platform", "argv"}
    assert meta["seed"] == 3 and type(meta["seed"]) is int
    assert meta["config"] == {"lr": 0.1}
    json.loads(to_json(meta))  # the block itself is valid JSON
