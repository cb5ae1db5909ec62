"""`signnet sweep`: bad input is one line, exit status 2, nothing written; a small sweep end to end."""

import json
from pathlib import Path

import pytest

from signnet.cli import main

SPEC = '[grid]\ndata = ["figure1:A"]\nhidden = [[2]]\nweights = [0, 1]\n'


@pytest.mark.parametrize("spec, extra, match", [
    ("[grid]\ndata = ['xr']\nhidden = [[2]]\nweights = [0]", [], "Spec key `grid.data` holds the unknown name 'xr'"),
    (SPEC, ["--device", "cuda:7"], "--device 'cuda:7'"),
    (SPEC, ["--device", "toaster"], "--device 'toaster' is not a torch device; pass e.g. cpu or cuda."),
    (SPEC, ["--workers", "0"], "--workers must be an integer >= 1, got 0."),
    (SPEC, ["--address", "auto"], "--address is for --engine ray; leave it out or add --engine ray."),
    # fails in the first group, after the folder was made: the folder it made goes too
    ("lr = 1e30\n" + SPEC, [], "Training of the batched networks diverged at epoch"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path: Path, capsys, spec, extra, match):
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(spec)
    out = tmp_path / "sweep"
    assert main(["sweep", str(spec_file), "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err
    message = [line for line in err.split("\n") if line and not line.startswith("\r")]  # not the progress bar's
    assert len(message) == 1 and message[0].startswith("signnet sweep: error: ") and match in message[0]
    assert not out.exists()


def test_a_folder_with_foreign_files_is_refused_and_left_alone(tmp_path: Path, capsys):
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(SPEC)
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["sweep", str(spec_file), "--out", str(out)]) == 2
    assert "holds 'notes.txt', which a sweep did not write" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_a_small_sweep_writes_the_table_and_the_summary(tmp_path: Path, capsys):
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text("epochs = 20\ndominance_pairs = 50\nn_train = 60\nn_test = 100\n" + SPEC)
    out = tmp_path / "sweep"
    assert main(["sweep", str(spec_file), "--out", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["runs"], result["computed"], result["skipped"]) == (2, 2, 0)
    rows = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert sorted(r["weights"] for r in rows) == ["0", "1"]
    assert [r["negative_weights"] for r in sorted(rows, key=lambda r: r["weights"])][0] == 0
    assert all(r["negative_weights"] <= int(r["weights"]) for r in rows)
    k0 = next(r for r in rows if r["weights"] == "0")
    assert k0["certified_monotone"] and k0["dominance_violations"] == 0 and k0["test_accuracy"] <= k0["ceiling"]
    assert "figure1:A" in (out / "summary" / "index.html").read_text()
    assert main(["sweep", str(spec_file), "--out", str(out), "--json"]) == 0  # again: nothing to run
    assert json.loads(capsys.readouterr().out)["computed"] == 0
    # another spec, or another --seed, into the same folder would mix two grids in one table: refused, nothing written
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    other = tmp_path / "other.toml"
    other.write_text(spec_file.read_text().replace("epochs = 20", "epochs = 21"))
    for argv in ([str(other)], [str(spec_file), "--seed", "1"]):
        assert main(["sweep", *argv, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "holds 2 run(s) that this spec does not list (another spec, or another " \
            "--seed, was swept there); give a new folder" in err
        assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    commented = tmp_path / "commented.toml"  # the same grid with a comment: resumes (nothing to run)
    commented.write_text("# the same runs\n" + spec_file.read_text())
    assert main(["sweep", str(commented), "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["computed"] == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    wider = tmp_path / "wider.toml"  # every run of the folder, and more: still another grid in one table
    wider.write_text(spec_file.read_text().replace("weights = [0, 1]", "weights = [0, 1, 2]"))
    assert main(["sweep", str(wider), "--out", str(out)]) == 2
    assert "was swept with another spec (spec.toml there differs from this one); give a new folder" in \
        capsys.readouterr().err
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_two_sweeps_never_append_to_one_table(tmp_path: Path, capsys):
    from signnet.sweep.driver import _lock

    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(SPEC)
    out = tmp_path / "sweep"
    out.mkdir()
    held = _lock(out)  # as if another sweep were running in this folder
    try:
        assert main(["sweep", str(spec_file), "--out", str(out)]) == 2
    finally:
        held.close()
    assert "Another sweep is writing" in capsys.readouterr().err
    assert not (out / "runs.jsonl").exists()


def test_a_folder_resumes_only_with_its_own_group_size(tmp_path: Path, capsys):
    # a group's batched rounding depends on its size: another group_size could change the finished rows' numbers
    spec_file, out = tmp_path / "spec.toml", tmp_path / "sweep"
    spec_file.write_text("epochs = 2\ngroup_size = 1\n" + SPEC)
    assert main(["sweep", str(spec_file), "--out", str(out), "--json"]) == 0
    rows = (out / "runs.jsonl").read_text()
    spec_file.write_text("epochs = 2\ngroup_size = 2\n" + SPEC)
    capsys.readouterr()
    assert main(["sweep", str(spec_file), "--out", str(out)]) == 2
    assert "was swept with group_size = 1, this spec has 2" in capsys.readouterr().err
    assert (out / "runs.jsonl").read_text() == rows


def test_a_sweep_failing_before_any_run_removes_the_parent_folders_it_made(tmp_path: Path, capsys):
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text("lr = 1e30\n" + SPEC)  # diverges in the first group
    assert main(["sweep", str(spec_file), "--out", str(tmp_path / "new" / "deeper" / "sweep")]) == 2
    assert "diverged" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.toml"]
