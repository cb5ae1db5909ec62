"""Commands that write render into a temporary folder: a failure or an interrupt leaves ``--out`` as it was.

The real zig-zag study is interrupted after it wrote some files; fake experiments
(registered in place of the real ones) test ``reproduce --all`` and the swap of
an existing report quickly.
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

import signnet.cli.reproduce as reproduce_cmd
import signnet.cli.study as study_cmd
import signnet.report.artifacts as artifacts
from signnet.cli.main import main
from signnet.errors import SignnetError
from signnet.experiments.registry import Experiment


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root``: file contents, or ``None`` for a folder."""
    return {str(p.relative_to(root)): None if p.is_dir() else p.read_bytes() for p in sorted(root.rglob("*"))}


def previous_report(folder: Path) -> None:
    """A report from an earlier run: what must survive a failed run byte for byte."""
    (folder / "figs").mkdir(parents=True)
    (folder / "index.html").write_text("<p>the old report</p>")
    (folder / "results.json").write_text('{"old": true}\n')
    (folder / "figs" / "a.png").write_bytes(b"\x89PNG old")
    (folder / ".signnet-output").write_text('{"files": ["index.html", "results.json", "figs/a.png"]}')


def root_manifest(root: Path) -> None:
    """The list `reproduce --all` writes at its root: every file under it."""
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    (root / ".signnet-output").write_text(json.dumps({"files": [f for f in files if not f.endswith(".signnet-output")]}))


def interrupt_after(monkeypatch, writes: int) -> list[Path]:
    """Make the ``writes``+1-th atomic write raise KeyboardInterrupt; return the paths written before."""
    written, real = [], artifacts.atomic_write_bytes

    def write(path, data):
        if len(written) >= writes:
            raise KeyboardInterrupt
        written.append(Path(path))
        return real(path, data)

    monkeypatch.setattr(artifacts, "atomic_write_bytes", write)
    return written


@pytest.mark.parametrize("previous", [False, True], ids=["absent", "previous-report"])
def test_interrupted_study_leaves_out_as_it_was(tmp_path, monkeypatch, capsys, previous):
    out = tmp_path / "reports" / "zigzag"
    if previous:
        previous_report(out)
    before = snapshot(tmp_path)
    written = interrupt_after(monkeypatch, writes=2)
    assert main(["zigzag", "--quick", "--out", str(out), "--json"]) == 130
    assert len(written) == 2  # the study had written two files (figures) when it was interrupted
    assert all(".tmp" in str(p.parent) for p in written)  # into the staging folder, not into --out
    err = capsys.readouterr().err.splitlines()  # the progress bar (stderr), then one line
    assert err[-1] == "signnet zigzag: interrupted; nothing was written."
    assert not any(line.startswith("signnet") or "Traceback" in line for line in err[:-1])
    assert snapshot(tmp_path) == before  # no temporary folder left, --out unchanged or still absent


def _fake_module(name: str, fail_with: BaseException | None = None):
    """A module with ``run`` writing a report (and then raising ``fail_with``) and ``section``."""
    mod = types.ModuleType(name)

    def run(out, *, seed, quick, progress):
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        artifacts.atomic_write_json(out / "results.json", {"study": name, "seed": seed})
        if fail_with is not None:
            raise fail_with
        artifacts.atomic_write_text(out / "index.html", f"<p>{name}</p>")
        return {"study": name, "seed": seed}

    mod.run, mod.section = run, lambda out: f"<section id=\"{name}\">{name}</section>"
    return mod


def _register(monkeypatch, specs: dict[str, BaseException | None]) -> tuple[Experiment, ...]:
    exps = []
    for name, fail in specs.items():
        monkeypatch.setitem(sys.modules, f"fake_{name}", _fake_module(name, fail))
        exps.append(Experiment(name=name, title=name, module=f"fake_{name}", run="run", section="section",
                               help=f"the {name} study", description=f"The {name} study.", quick="quick"))
    exps = tuple(exps)
    monkeypatch.setattr(study_cmd, "EXPERIMENTS", exps)
    monkeypatch.setattr(reproduce_cmd, "EXPERIMENTS", exps)
    return exps


def test_a_registered_experiment_gets_a_sub_command_and_replaces_the_old_report(tmp_path, monkeypatch, capsys):
    _register(monkeypatch, {"alpha": None})
    out = tmp_path / "alpha"
    previous_report(out)
    assert main(["alpha", "--out", str(out), "--seed", "7", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == {"study": "alpha", "seed": 7, "report": str(out / "index.html")}
    after = snapshot(tmp_path)
    assert json.loads(after.pop("alpha/.signnet-output")) == {"written_by": "signnet",
                                                               "files": ["index.html", "results.json"]}
    assert after == {"alpha": None, "alpha/index.html": b"<p>alpha</p>",
                     "alpha/results.json": b'{\n  "study": "alpha",\n  "seed": 7\n}\n'}


@pytest.mark.parametrize("exc, code, message", [
    (KeyboardInterrupt(), 130, "signnet reproduce: interrupted; nothing was written."),
    (SignnetError("Training diverged at epoch 3 (loss nan); lower the learning rate."), 2,
     "signnet reproduce: error: Training diverged at epoch 3 (loss nan); lower the learning rate."),
    (OSError(28, "No space left on device"), 2,  # a full disk: no file name to give, so name what to check
     "signnet reproduce: error: No space left on device; check the output path, its permissions and the free space."),
])
def test_reproduce_all_failing_in_its_last_study_leaves_the_whole_root_as_it_was(tmp_path, monkeypatch, capsys,
                                                                                exc, code, message):
    _register(monkeypatch, {"alpha": None, "beta": None, "gamma": exc})
    root = tmp_path / "reports"
    for name in ("alpha", "beta"):
        previous_report(root / name)
    (root / "index.html").write_text("<p>old index</p>")
    root_manifest(root)
    before = snapshot(tmp_path)
    assert main(["reproduce", "--all", "--quick", "--out", str(root)]) == code
    assert capsys.readouterr().err.splitlines() == [message]
    assert snapshot(tmp_path) == before


def test_reproduce_all_replaces_the_whole_root_in_one_step(tmp_path, monkeypatch, capsys):
    _register(monkeypatch, {"alpha": None, "beta": None})
    root = tmp_path / "reports"
    previous_report(root / "alpha")
    previous_report(root / "stale")  # a study that no longer exists: gone with the old root
    root_manifest(root)
    assert main(["reproduce", "--all", "--quick", "--out", str(root), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert {k: printed[k] for k in ("report", "experiments")} == {"report": str(root / "index.html"),
                                                                  "experiments": ["alpha", "beta"]}
    assert printed["seed"] == 0 and printed["config"]["all"] and printed["config"]["quick"]  # the provenance block
    assert {"torch", "signnet"} <= set(printed["versions"])
    names = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert names == ["reports", "reports/.signnet-output", "reports/alpha", "reports/alpha/index.html",
                     "reports/alpha/results.json", "reports/beta", "reports/beta/index.html",
                     "reports/beta/results.json", "reports/index.html"]
    assert json.loads((root / ".signnet-output").read_text())["files"] == [
        "alpha/index.html", "alpha/results.json", "beta/index.html", "beta/results.json", "index.html"]
    page = (root / "index.html").read_text()
    assert '<section id="alpha">' in page and '<a href="beta/index.html">' in page



def test_a_run_function_learns_whether_seed_was_given_only_through_a_none_default(tmp_path, monkeypatch, capsys):
    # budget refuses --seed with --sweep: its run function defaults seed to None, so it sees when none was given
    exps = _register(monkeypatch, {"alpha": None})
    assert main(["alpha", "--out", str(tmp_path / "a"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["seed"] == 0  # a run function with no default gets --seed's, 0
    seen = []

    def run(out, *, seed=None, quick, progress):
        seen.append(seed)
        return {"study": "alpha", "seed": seed}

    monkeypatch.setattr(sys.modules["fake_alpha"], "run", run)
    assert exps[0].load_run() is run
    for extra in ([], ["--seed", "0"], ["--seed", "7"]):
        assert main(["alpha", "--out", str(tmp_path / "b"), *extra]) == 0
    assert seen == [None, 0, 7]
