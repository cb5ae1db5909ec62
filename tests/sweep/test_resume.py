"""Kill a local sweep while it runs, start it again: nothing lost, nothing duplicated, the same table."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from signnet.sweep import comparable, parse_spec, read_rows, read_table, run_sweep

SPEC = """
name = "resume"
epochs = 30
group_size = 2
n_train = 100
n_test = 200
dominance_pairs = 100
[grid]
data = ["figure1:A", "xor"]
hidden = [[2], [3]]
weights = ["nonneg", 0, 1, "free"]
seeds = [0, 1]
"""
SRC = str(Path(__file__).resolve().parents[2] / "src")


def _start(spec: Path, out: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    code = "import sys; from signnet.cli import main; sys.exit(main())"
    return subprocess.Popen([sys.executable, "-c", code, "sweep", str(spec), "--out", str(out), "--json"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_a_killed_sweep_resumes_without_loss_or_duplicates(tmp_path: Path):
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(SPEC)
    spec = parse_spec(SPEC)
    total = len(spec.runs)  # 32 runs in 16 groups of 2
    out = tmp_path / "killed"
    proc = _start(spec_file, out)
    table = out / "runs.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(read_rows(table)) < 4 and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = read_rows(table)
    assert 4 <= len(before) < total, "the sweep must be killed part-way (make the spec longer if it finished)"
    with open(table, "ab") as fh:  # as if killed in the middle of writing a row
        fh.write(b'{"run_id":"torn","data":"x')
    outcome = run_sweep(parse_spec(SPEC), out, progress=False, summary=False)
    assert outcome.skipped == len(before) and outcome.computed == total - len(before)
    after = read_rows(table)
    ids = [r["run_id"] for r in after]
    assert len(ids) == len(set(ids)) == total  # none duplicated, none missing
    assert sorted(ids) == sorted(r.run_id for r in spec.runs)
    assert after[:len(before)] == before  # finished rows untouched
    # started again once more: nothing left to run
    assert run_sweep(parse_spec(SPEC), out, progress=False, summary=False).computed == 0
    # the same table as an uninterrupted sweep, timings aside
    whole = tmp_path / "whole"
    run_sweep(parse_spec(SPEC), whole, progress=False)
    pd.testing.assert_frame_equal(comparable(read_table(table)), comparable(read_table(whole / "runs.jsonl")))
    assert (whole / "summary" / "index.html").read_text().count("<tr>") >= 1


def test_a_summary_written_before_folders_listed_their_files_is_replaced_on_resume(tmp_path: Path):
    from signnet.errors import SignnetError

    tiny = SPEC.replace('hidden = [[2], [3]]', 'hidden = [[2]]').replace('seeds = [0, 1]', 'seeds = [0]')
    out = tmp_path / "sweep"
    run_sweep(parse_spec(tiny), out, progress=False)
    (out / "summary" / ".signnet-output").unlink()  # as signnet 0.1.0 left it before this list
    again = run_sweep(parse_spec(tiny), out, progress=False)  # finished runs, a new summary: it used to be refused
    assert again.computed == 0 and (out / "summary" / ".signnet-output").is_file()
    (out / "summary" / ".signnet-output").unlink()
    (out / "summary" / "notes.txt").write_text("mine")  # anything else is not adopted
    with pytest.raises(SignnetError, match=r"holds files that signnet did not write \(accuracy\.png, index\.html, "
                                           r"notes\.txt and 1 more\)"):
        run_sweep(parse_spec(tiny), out, progress=False)
    assert (out / "summary" / "notes.txt").read_text() == "mine"
