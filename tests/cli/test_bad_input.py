"""Bad input to every sub-command: exit status 2, one line on stderr, no traceback, nothing written.

Each case runs ``signnet.cli.main(argv)`` in-process from an empty current folder
inside ``tmp_path``; the test compares every file and folder under ``tmp_path``
(the current folder included) before and after. ``{name}`` in an argument is
replaced by the path of the fixture file ``name`` (see ``paths``). A few cases
also run through a real ``python`` process to prove the exit status.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from signnet import MLP, save
from signnet.cli.main import main

SRC = Path(__file__).resolve().parents[2] / "src"

# (argv, the whole stderr line as a regular expression after "signnet <command>: error: ")
CASES = [
    # ---- train: sizes and numbers
    (["train", "--n", "3"], r"The 3 points drawn for xor \(--n 3\) \(per class 0: 2, 1: 1\) are too few to hold out "
                            r"0\.25 of them with every class in both parts: use a larger --n \(e\.g\. 100\)\."),
    (["train", "--n", "0"], r"--n must be an integer >= 1, got 0\."),
    (["train", "--n", "-5"], r"--n must be an integer >= 1, got -5\."),
    (["train", "--n", "abc"], r"argument --n: invalid int value: 'abc'; see `signnet train --help`\."),
    (["train", "--n", "1e3"], r"argument --n: invalid int value: '1e3'; see `signnet train --help`\."),
    (["train", "--weight-decay", "-1"], r"--weight-decay must be a finite number in \[0, 3\.40282e\+38\], got -1\.0\."),
    (["train", "--weight-decay", "nan"], r"--weight-decay must be a finite number in \[0, 3\.40282e\+38\], got nan\."),
    (["train", "--weight-decay", "1e308"], r"--weight-decay must be a finite number in \[0, 3\.40282e\+38\], got 1e\+308\."),
    (["train", "--epochs", "0"], r"--epochs must be an integer >= 1, got 0\."),
    (["train", "--epochs", "-3"], r"--epochs must be an integer >= 1, got -3\."),
    (["train", "--epochs", "nan"], r"argument --epochs: invalid int value: 'nan'; see `signnet train --help`\."),
    (["train", "--lr", "0"], r"--lr must be a finite number > 0, got 0\.0\."),
    (["train", "--lr", "nan"], r"--lr must be a finite number > 0, got nan\."),
    (["train", "--lr", "inf"], r"--lr must be a finite number > 0, got inf\."),
    (["train", "--hidden", "16,,16"], r"--hidden '16,,16' must be comma-separated integers, e\.g\. 16,16\."),
    (["train", "--hidden", "0"], r"--hidden '0' must hold sizes of 1 or more\."),
    (["train", "--test-size", "0"], r"--test-size must be a finite number strictly between 0 and 1, got 0\.0\."),
    (["train", "--test-size", "1"], r"--test-size must be a finite number strictly between 0 and 1, got 1\.0\."),
    (["train", "--noise", "nan"], r"--noise must be a finite number in \[0, 0\.5\], got nan\."),
    (["train", "--batch-size", "0"], r"--batch-size must be an integer >= 1, got 0\."),
    (["train", "--patience", "0"], r"--patience must be an integer >= 1, got 0\."),
    (["train", "--validation-fraction", "0"],
     r"--validation-fraction must be a finite number strictly between 0 and 1, got 0\.0\."),
    (["train", "--validation-fraction", "1.5"],
     r"--validation-fraction must be a finite number strictly between 0 and 1, got 1\.5\."),
    (["train", "--validation-fraction", "x"],
     r"argument --validation-fraction: invalid float value: 'x'; see `signnet train --help`\."),
    (["train", "--n", "20", "--validation-fraction", "0.01"],
     r"validation_fraction=0\.01 leaves class \d \(\d+ rows\) without a row in the validation part; .*"),
    (["train", "--device", "tpu"], r"--device 'tpu' is not a torch device; pass 'auto', 'cpu', 'cuda' or e\.g\. 'cuda:0'\."),
    (["train", "--device", "meta"], r"--device 'meta' is not supported; pass 'auto', 'cpu', 'cuda' \(or 'cuda:N'\) or 'mps'\."),
    (["train", "--method", "penalty", "--strength", "nan"], r"--strength must be a finite number >= 0, got nan\."),
    (["train", "--seed", "-1"], r"--seed must be an integer in 0\.\.4294967295, got -1\."),
    (["train", "--seed", "4294967296"], r"--seed must be an integer in 0\.\.4294967295, got 4294967296\."),
    (["train", "--problem", "wine", "--test-size", "0.99"],
     r"The 178 rows of wine \(per class 0: 59, 1: 71, 2: 48\) are too few to hold out 0\.99 of them with every "
     r"class in both parts: choose a test_size nearer 0\.5\."),
    (["train", "--n", "10", "--test-size", "0.05"],
     r"The 10 points drawn for xor \(--n 10\) \(per class .*\) are too few to hold out 0\.05 of them .*"),
    # ---- train: names and flags
    (["train", "--problem", "circle"], r"Unknown problem 'circle'; choose one of: xor, .*, digits\."),
    (["train", "--weights", "positive"],
     r"Unknown sign specification 'positive'; choose one of: free, nonneg, nonpos\."),
    (["train", "--optimizer", "rmsprop"], r"Unknown optimizer 'rmsprop'; choose one of: adam, sgd, adamw\."),
    (["train", "--activation", "relu6"], r"Unknown activation 'relu6'; choose one of: relu, .*"),
    (["train", "--wieghts", "nonneg"], r"unrecognized arguments: --wieghts nonneg; see `signnet train --help`\."),
    (["trian"], r"argument COMMAND: invalid choice: 'trian' \(choose from .*\); see `signnet --help`\."),
    # ---- train: output paths
    (["train", "--save", "{folder}"],
     r"--save '.*folder' is an existing folder; give a file path, e\.g\. '.*model\.pt'\."),
    (["train", "--save", "{taken}/model.pt"],
     r"--save '.*taken\.txt/model\.pt' lies inside '.*taken\.txt', which is a file, not a folder; "
     r"give a file path in a folder\."),
    # ---- ceiling: CSV files
    (["ceiling", "{missing_csv}"],
     r"Data file '.*missing\.csv' does not exist; give the path of a CSV file with a header row\."),
    (["ceiling", "{empty_csv}"],
     r"Data file '.*empty\.csv' is empty; it needs a header row and at least one data row\."),
    (["ceiling", "{text_cell}"], r"Column 'b' on line 3 of '.*text_cell\.csv' holds 'high', which is not a number; "
                                 r"every feature must be numeric \(encode classes as 0/1\)\."),
    (["ceiling", "{ragged}"],
     r"Line 3 of '.*ragged\.csv' has 2 fields but the header has 3; give every row one value per column\."),
    (["ceiling", "{no_label}"], r"Data file '.*no_label\.csv' has no label column 'y'; its columns are a, b, c\. "
                                r"Name the label column with --label\."),
    (["ceiling", "{good}", "--label", "target"], r"Data file '.*good\.csv' has no label column 'target'; .*"),
    (["ceiling", "{one_class}"],
     r"The labels of '.*one_class\.csv' hold one class only \(1\); a ceiling needs at least two classes\."),
    (["ceiling", "{binary_csv}"],
     r"Data file '.*binary\.csv' is not a readable CSV text file \(UnicodeDecodeError\); save it as UTF-8 CSV\."),
    (["ceiling", "{folder}"], r"Data path '.*folder' is not a file; give the path of a CSV file with a header row\."),
    # ---- ceiling: numbers and flags
    (["ceiling", "{good}", "--directions", "1,-1,0"],
     r"--directions '1,-1,0' must have one entry per feature: it gives 3 but '.*good\.csv' has 2 \(a, b\)\."),
    (["ceiling", "{good}", "--directions", "1,x"],
     r"--directions '1,x' must be comma-separated integers, e\.g\. 1,0,-1\."),
    (["ceiling", "{good}", "--directions", "1,2"], r"--directions '1,2' may hold only -1, 0, 1\."),
    (["ceiling", "{good}", "--orient", "--max-exact", "-1"], r"--max-exact must be an integer >= 0, got -1\."),
    (["ceiling", "--problem", "xor", "--n", "0"], r"--n must be an integer >= 1, got 0\."),
    (["ceiling", "--problem", "xor", "--noise", "0.9"], r"--noise must be a finite number in \[0, 0\.5\], got 0\.9\."),
    (["ceiling", "--problem", "spiral"], r"Unknown problem 'spiral'; choose one of: xor, .*"),
    (["ceiling"], r"Give either a CSV file or --problem NAME \(not both, not neither\), .*"),
    # ---- certify: checkpoints
    (["certify", "{missing_pt}"],
     r"The checkpoint '.*missing\.pt' does not exist; give the path written by `signnet train --save`\."),
    (["certify", ""], r"The checkpoint path is empty; give the path written by `signnet train --save`\."),
    (["certify", "{empty_pt}"],
     r"The checkpoint '.*empty\.pt' is empty; save the model again with `signnet train --save`\."),
    (["certify", "{corrupt_pt}"], r"Checkpoint '.*corrupt\.pt' is corrupt or not a torch file \(.*\); save it again\."),
    (["certify", "{not_checkpoint_pt}"], r"File '.*not_checkpoint\.pt' is not a signnet checkpoint .*"),
    (["certify", "{good}"], r"Checkpoint '.*good\.csv' is corrupt or not a torch file \(.*\); save it again\."),
    (["certify", "{folder}"],
     r"The checkpoint '.*folder' is not a file; give the path written by `signnet train --save`\."),
    (["certify", "{model}", "--explain", "-1"], r"--explain must be an integer >= 0, got -1\."),
    (["certify"], r"the following arguments are required: model; see `signnet certify --help`\."),
    (["certify", "{model}", "--monotonic-cst", "1,2"],
     r"--monotonic-cst '1,2' must be comma-separated values -1, 0 or 1, one per input, e\.g\. 1,1\."),
    (["certify", "{model}", "--monotonic-cst", "up,down"],
     r"--monotonic-cst 'up,down' must be comma-separated values -1, 0 or 1, one per input, e\.g\. 1,1\."),
    (["certify", "{model}", "--monotonic-cst=1,-1,0"],
     r"--monotonic-cst has shape \(3,\) but the network has 2 features\."),
    (["certify", "{model}", "--monotonic-cst", "-1,1"],
     r"argument --monotonic-cst: expected one argument; see `signnet certify --help`\."),
    (["certify", "{model}", "--device", "tpu"],
     r"--device 'tpu' is not a device; use 'auto', 'cpu', 'cuda' or 'cuda:N' \(or a torch\.device\)\."),
    *([(["certify", "{model}", "--device", "cuda"],
        r"--device 'cuda' needs CUDA, which this machine does not have; use 'cpu' or 'auto'\.")]
      if not torch.cuda.is_available() else []),
    # ---- check
    (["check", "{missing_pt}"], r"The checkpoint '.*missing\.pt' does not exist; .*"),
    (["check", "{corrupt_pt}"], r"Checkpoint '.*corrupt\.pt' is corrupt or not a torch file \(.*\); save it again\."),
    (["check", "{model}", "--pairs", "0"], r"--pairs must be an integer >= 1, got 0\."),
    (["check", "{model}", "--starts", "-1"], r"--starts must be an integer >= 1, got -1\."),
    (["check", "{model}", "--steps", "0"], r"--steps must be an integer >= 1, got 0\."),
    (["check", "{model}", "--n", "0"], r"--n must be an integer >= 2, got 0\."),
    (["check", "{model}", "--n", "1"], r"--n must be an integer >= 2, got 1\."),
    (["check", "{model}", "--problem", "spiral"], r"Unknown problem 'spiral'; choose one of: xor, .*"),
    (["check", "{model}", "--monotonic-cst=0,0"],
     r"monotonic_cst constrains no feature \(all 0\), so there is nothing to check; mark at least one feature 1 or -1\."),
    (["check", "{model}", "--monotonic-cst", "1,,1"],
     r"--monotonic-cst '1,,1' must be comma-separated values -1, 0 or 1, one per input, e\.g\. 1,1\."),
    (["check", "{model}", "--device", "gpu"],
     r"--device 'gpu' is not a device; use 'auto', 'cpu', 'cuda' or 'cuda:N' \(or a torch\.device\)\."),
    (["check", "{model}", "--problem", "wine"],
     r"The network in '.*model\.pt' takes 2 input\(s\) but 'wine' has 13 feature\(s\); "
     r"check it on the problem it was trained on\."),
    # ---- reproduce
    (["reproduce", "--quick", "--out", "{taken}"], r"--out '.*taken\.txt' is an existing file; give a folder path\."),
    (["reproduce", "--quick", "--all", "--out", "{taken}"],
     r"--out '.*taken\.txt' is an existing file; give a folder path\."),
    (["reproduce", "--quick", "--seeds", "0"], r"--seeds must be an integer >= 1, got 0\."),
    (["reproduce", "--quick", "--seed", "-2"], r"--seed must be an integer in 0\.\.4294967295, got -2\."),
    (["reproduce", "--quick", "--out", "{foreign}"],
     r"--out '.*foreign' holds files that signnet did not write \(thesis\.tex\); it has no \.signnet-output list "
     r"of the files signnet wrote \(signnet 0\.1\.0 before that list, or another program, wrote it\); delete it "
     r"yourself or give a new folder\."),
    (["reproduce", "--quick", "--out", "{taken}/sub"],
     r"--out '.*taken\.txt/sub' lies inside '.*taken\.txt', which is a file, not a folder; .*"),
    (["reproduce", "--quick", "--out", ""], r"--out must be a folder path, got ''\."),
    (["reproduce", "--quick", "--out", "{unwritable}/report"],
     r"Cannot write in '.*' \(.*\); give --out a folder you can write to\."),
    # ---- the studies
    (["census", "--quick", "--out", "{taken}"], r"--out '.*taken\.txt' is an existing file; give a folder path\."),
    (["census", "--quick", "--out", "{foreign}"], r"--out '.*foreign' holds files that signnet did not write \(thesis\.tex\); .*"),
    (["census", "--quick", "--out", "."],
     r"--out '\.' holds the current folder; give a folder below it, e\.g\. reports/run1 .*"),
    (["census", "--quick", "--seed", "abc"],
     r"argument --seed: invalid int value: 'abc'; see `signnet census --help`\."),
    (["zigzag", "--quick", "--seed", "-1"], r"--seed must be an integer in 0\.\.4294967295, got -1\."),
    (["zigzag", "--quick", "--out", ""], r"--out must be a folder path, got ''\."),
    (["zigzag", "--quick", "--out", "{unwritable}/zz"],
     r"Cannot write in '.*' \(.*\); give --out a folder you can write to\."),
    (["positive-output", "--quick", "--out", "{taken}/sub"],
     r"--out '.*taken\.txt/sub' lies inside '.*taken\.txt', which is a file, .*"),
    (["positive-output", "--quick", "--epochs", "3"], r"unrecognized arguments: --epochs 3; see `signnet positive-output --help`\."),
]


def _unwritable_folder(tmp_path: Path) -> Path:
    """A folder in which even this process cannot create anything: read-only, or ``/sys`` when run as root."""
    ro = tmp_path / "read-only"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        (ro / "probe").mkdir()
    except OSError:
        return ro
    (ro / "probe").rmdir()
    ro.chmod(0o755)
    ro.rmdir()
    probe = Path("/sys/signnet-probe")
    try:
        probe.mkdir()
    except OSError:
        return Path("/sys")
    probe.rmdir()  # pragma: no cover - a system where even /sys is writable
    pytest.skip("no unwritable folder is available")


@pytest.fixture
def paths(tmp_path):
    """The files the cases refer to, all under ``tmp_path/files``."""
    files = tmp_path / "files"
    files.mkdir()
    texts = {
        "empty_csv": ("empty.csv", ""),
        "text_cell": ("text_cell.csv", "a,b,y\n1,2,0\n2,high,1\n"),
        "ragged": ("ragged.csv", "a,b,y\n1,2,0\n2,3\n"),
        "no_label": ("no_label.csv", "a,b,c\n1,2,0\n2,3,1\n"),
        "one_class": ("one_class.csv", "a,b,y\n1,2,1\n2,3,1\n"),
        "good": ("good.csv", "a,b,y\n1,2,0\n2,3,1\n"),
        "taken": ("taken.txt", "not a folder"),
    }
    out = {key: files / name for key, (name, _) in texts.items()}
    for key, (_, text) in texts.items():
        out[key].write_text(text)
    out["binary_csv"] = files / "binary.csv"
    out["binary_csv"].write_bytes(b"\xff\xfe\x00\x81garbage")
    out["missing_csv"], out["missing_pt"] = files / "missing.csv", files / "missing.pt"
    out["folder"] = files / "folder"
    out["folder"].mkdir()
    out["foreign"] = files / "foreign"
    out["foreign"].mkdir()
    (out["foreign"] / "thesis.tex").write_text("my own work")
    torch.manual_seed(0)
    out["model"] = save(MLP(2, (3,), weights="nonneg"), files / "model.pt", extra={"problem": "xor", "n": 100})
    out["empty_pt"] = files / "empty.pt"
    out["empty_pt"].write_bytes(b"")
    out["corrupt_pt"] = files / "corrupt.pt"
    out["corrupt_pt"].write_bytes(out["model"].read_bytes()[:200])
    out["not_checkpoint_pt"] = files / "not_checkpoint.pt"
    torch.save({"weights": [1.0, 2.0]}, out["not_checkpoint_pt"])
    out["unwritable"] = _unwritable_folder(tmp_path)
    return {k: str(v) for k, v in out.items()}


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root``: file contents, or ``None`` for a folder."""
    return {str(p.relative_to(root)): None if p.is_dir() else p.read_bytes() for p in sorted(root.rglob("*"))}


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty current folder under ``tmp_path`` (default outputs such as reports/ would land here)."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


def _fill(argv: list[str], paths: dict[str, str]) -> list[str]:
    return [a.format(**paths) for a in argv]


def _ids():
    return [f"{i:02d}-{' '.join(argv)[:60]}" for i, (argv, _) in enumerate(CASES)]


@pytest.mark.parametrize("argv, message", CASES, ids=_ids())
def test_bad_input_exits_2_with_one_line_and_writes_nothing(argv, message, paths, workdir, tmp_path, capsys):
    before = snapshot(tmp_path)
    code = main(_fill(argv, paths))
    out, err = capsys.readouterr()
    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    command = argv[0] if argv[0] in {"train", "ceiling", "certify", "check", "reproduce", "census", "zigzag",
                                     "positive-output"} else None
    prefix = f"signnet {command}: error: " if command else "signnet: error: "
    assert lines[0].startswith(prefix), lines[0]
    assert re.fullmatch(message, lines[0][len(prefix):]), lines[0]
    assert snapshot(tmp_path) == before


def test_there_are_at_least_thirty_cases_across_every_sub_command():
    assert len(CASES) >= 30
    commands = {argv[0] for argv, _ in CASES}
    assert {"train", "ceiling", "certify", "check", "reproduce", "census", "zigzag", "positive-output"} <= commands
    assert any("--all" in argv for argv, _ in CASES)


@pytest.mark.parametrize("argv, pattern", [
    (["train", "--n", "3"], r"^signnet train: error: The 3 points drawn for xor"),
    (["train", "--weight-decay", "-1"],
     r"^signnet train: error: --weight-decay must be a finite number in \[0, 3\.40282e\+38\], got -1\.0\.$"),
    (["census", "--quick", "--out", "{taken}"], r"^signnet census: error: --out '.*taken\.txt' is an existing file"),
])
def test_a_real_process_exits_2_with_one_line(argv, pattern, paths, workdir, tmp_path):
    before = snapshot(tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", "import sys; from signnet.cli import main; sys.exit(main())",
                           *_fill(argv, paths)], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    assert re.search(pattern, proc.stderr.strip()), proc.stderr
    assert snapshot(tmp_path) == before


def test_python_dash_m_signnet_is_the_same_command_line(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    ok = subprocess.run([sys.executable, "-m", "signnet", "--version"], capture_output=True, text=True, env=env,
                        timeout=300, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert re.fullmatch(r"signnet \d+\.\d+\.\d+\S*", ok.stdout.strip()), ok.stdout
    bad = subprocess.run([sys.executable, "-m", "signnet", "train", "--n", "3"], capture_output=True, text=True,
                         env=env, timeout=300, cwd=tmp_path)
    assert bad.returncode == 2
    assert re.search(r"^signnet train: error: The 3 points drawn for xor", bad.stderr), bad.stderr
    assert list(tmp_path.iterdir()) == []
