"""SIGTERM stops `signnet sweep` as Ctrl-C does: its worker processes exit with it, the previous handler comes back."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from signnet.cli.sweep import Terminated, sigterm_as_interrupt

SRC = str(Path(__file__).resolve().parents[2] / "src")
LONG = ('epochs = 10000000\ndominance_pairs = 0\nn_train = 10\nn_test = 10\nceiling = false\n'
        '[grid]\ndata = ["xor", "positive_slope"]\nhidden = [[2]]\nweights = [0]\n')  # two groups, never done in time


def test_sigterm_raises_terminated_inside_and_the_old_handler_comes_back():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated), sigterm_as_interrupt():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler runs at once, in this thread
    assert signal.getsignal(signal.SIGTERM) is before
    assert issubclass(Terminated, KeyboardInterrupt)  # every Ctrl-C path (the pool's shutdown) runs for it too


def _workers(parent: int) -> list[int]:
    """Pids of the spawn worker processes whose parent is ``parent`` (from /proc)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and b"spawn_main" in cmdline:
            pids.append(int(stat.parent.name))
    return pids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the worker processes in /proc (Linux)")
def test_a_terminated_sweep_with_workers_leaves_no_worker_behind(tmp_path: Path):
    (tmp_path / "spec.toml").write_text(LONG)
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    code = "import sys; from signnet.cli import main; sys.exit(main())"
    proc = subprocess.Popen([sys.executable, "-c", code, "sweep", str(tmp_path / "spec.toml"), "--out",
                             str(tmp_path / "sweep"), "--workers", "2"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    workers = []
    try:
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
            workers = _workers(proc.pid)
        assert len(workers) == 2, proc.stderr.read().decode() if proc.poll() is not None else "no workers in 60 s"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [pid for pid in workers if _alive(pid)] == []  # they used to wait forever for work
        assert proc.returncode == 143
        assert err.decode().endswith("signnet sweep: terminated before any run finished; nothing was kept.\n")
        assert not (tmp_path / "sweep").exists()
    finally:
        for pid in [proc.pid, *workers]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        proc.wait()
