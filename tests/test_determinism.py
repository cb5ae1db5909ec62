"""The determinism promise, as the README states it, tested across processes.

The same command with the same arguments and ``--seed``, run twice in two
separate processes on the same machine and installation, prints the same JSON
except for wall-clock timings (keys named ``seconds``) and ``argv``.
"""

import json
import subprocess
import sys

import pytest

TIMING_KEYS = {"seconds", "argv"}


def _strip(obj):
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in TIMING_KEYS}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def _run(args, cwd):
    code = "import sys; from signnet.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("args", [
    ["train", "--problem", "xor", "--n", "400", "--epochs", "40", "--hidden", "8,8", "--seed", "3", "--json"],
    ["train", "--problem", "positive_slope", "--weights", "nonneg", "--n", "300", "--epochs", "30", "--seed", "1",
     "--batch-size", "32", "--json"],
    ["ceiling", "--problem", "xor", "--n", "3000", "--seed", "5", "--json"],
], ids=["train-free", "train-nonneg-minibatch", "ceiling"])
def test_same_command_twice_in_two_processes_gives_identical_numbers(args, tmp_path):
    first, second = _run(args, tmp_path), _run(args, tmp_path)
    assert _strip(first) == _strip(second)
    assert first["seed"] == second["seed"]


def test_different_seeds_give_different_numbers(tmp_path):
    base = ["train", "--problem", "xor", "--n", "400", "--epochs", "40", "--hidden", "8,8", "--json"]
    a, b = _run([*base, "--seed", "0"], tmp_path), _run([*base, "--seed", "1"], tmp_path)
    assert _strip(a) != _strip(b)
