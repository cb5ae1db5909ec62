"""The sweep's folder: a sweep stopped before its first row leaves the folder, and its parents, as it found them;
what another sweep wrote there stays; leftovers of a killed sweep do not block a resume."""

import json
import shutil
from pathlib import Path

import pytest

import signnet.sweep.driver as driver
from signnet.cli import main

TINY = ('epochs = 2\ndominance_pairs = 0\nn_train = 20\nn_test = 20\nceiling = false\n'
        '[grid]\ndata = ["figure1:A"]\nhidden = [[2]]\nweights = [0, 1]\n')


def _tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> Path:
    """A finished tiny sweep: its spec file and its folder (copy the folder before changing it)."""
    root = tmp_path_factory.mktemp("swept")
    (root / "spec.toml").write_text(TINY)
    assert main(["sweep", str(root / "spec.toml"), "--out", str(root / "sweep"), "--json"]) == 0
    return root


def test_a_sweep_stopped_before_its_first_row_keeps_what_another_sweep_wrote_in_a_parent_it_made(
        tmp_path: Path, monkeypatch, capsys):
    (tmp_path / "spec.toml").write_text(TINY)
    sibling = tmp_path / "new" / "b"

    def interrupted(*args, **kwargs):  # meanwhile a sweep started later in the same new parent finished
        sibling.mkdir(parents=True)
        (sibling / "runs.jsonl").write_text('{"run_id":"0123456789abcdef"}\n')
        raise KeyboardInterrupt

    monkeypatch.setattr(driver, "execute", interrupted)
    assert main(["sweep", str(tmp_path / "spec.toml"), "--out", str(tmp_path / "new" / "a")]) == 130
    assert capsys.readouterr().err.endswith("signnet sweep: interrupted before any run finished; nothing was kept.\n")
    assert _tree(tmp_path) == ["new", "new/b", "new/b/runs.jsonl", "spec.toml"]
    assert (sibling / "runs.jsonl").read_text() == '{"run_id":"0123456789abcdef"}\n'


def test_a_failed_first_attempt_leaves_an_empty_folder_empty_and_a_corrected_spec_runs_there(tmp_path: Path, capsys):
    out = tmp_path / "sweep"
    out.mkdir()
    (tmp_path / "spec.toml").write_text("lr = 1e30\n" + TINY)  # diverges in the first group
    assert main(["sweep", str(tmp_path / "spec.toml"), "--out", str(out)]) == 2
    assert "diverged" in capsys.readouterr().err
    assert out.is_dir() and _tree(out) == []
    (tmp_path / "spec.toml").write_text(TINY)  # corrected: it used to be refused ("was swept with another spec")
    assert main(["sweep", str(tmp_path / "spec.toml"), "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["computed"] == 2


def test_a_folder_whose_table_holds_no_row_takes_any_spec(tmp_path: Path, capsys):
    out = tmp_path / "sweep"  # as an earlier signnet left a failed first attempt: another spec, an empty table
    out.mkdir()
    (out / ".lock").write_text("")
    (out / "spec.toml").write_text(TINY.replace("epochs = 2", "epochs = 3"))
    (out / "runs.jsonl").write_text("")
    (tmp_path / "spec.toml").write_text(TINY)
    assert main(["sweep", str(tmp_path / "spec.toml"), "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["computed"] == 2
    assert (out / "spec.toml").read_text() == TINY and len((out / "runs.jsonl").read_text().splitlines()) == 2


def test_a_resume_stopped_before_a_new_row_restores_the_spec_copy_and_keeps_the_rows(swept: Path, tmp_path: Path,
                                                                                      monkeypatch, capsys):
    out = tmp_path / "sweep"
    shutil.copytree(swept / "sweep", out)
    before = {name: (out / name).read_bytes() for name in ("spec.toml", "runs.jsonl")}
    (tmp_path / "commented.toml").write_text("# the same runs\n" + TINY)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("signnet.sweep.report.write_summary", interrupted)
    assert main(["sweep", str(tmp_path / "commented.toml"), "--out", str(out)]) == 130
    assert capsys.readouterr().err.endswith(f"signnet sweep: interrupted; every finished run is in {out}/runs.jsonl: "
                                            "run the same command again to run only the missing ones.\n")
    assert {name: (out / name).read_bytes() for name in before} == before


def test_a_spec_copy_left_half_written_by_a_killed_sweep_does_not_block_the_resume(swept: Path, tmp_path: Path,
                                                                                    capsys):
    out = tmp_path / "sweep"
    shutil.copytree(swept / "sweep", out)
    (out / ".spec.toml.deadbeef.tmp").write_text("name = ")  # killed before atomic_write_bytes renamed it
    assert main(["sweep", str(swept / "spec.toml"), "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["computed"] == 0
    assert not (out / ".spec.toml.deadbeef.tmp").exists()
    (out / ".spec.toml.deadbeef.tmp.bak").write_text("mine")  # not a sweep's temporary file: still refused
    assert main(["sweep", str(swept / "spec.toml"), "--out", str(out)]) == 2
    assert "holds '.spec.toml.deadbeef.tmp.bak', which a sweep did not write" in capsys.readouterr().err


def test_help_lists_every_packaged_spec(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # argparse wraps its help to the terminal's width
    with pytest.raises(SystemExit) as info:
        main(["sweep", "--help"])
    assert info.value.code == 0
    assert "'budget' / 'budget-full' / 'budget-quick' for the specs shipped" in capsys.readouterr().out
