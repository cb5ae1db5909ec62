"""A small sweep on a local Ray (2 CPUs, started inside the test) gives the local engine's table."""

import os
import signal

import pandas as pd
import pytest

from signnet.sweep import comparable, parse_spec, read_table, run_sweep

SPEC = """
name = "ray"
epochs = 30
group_size = 3
n_train = 100
n_test = 200
dominance_pairs = 100
[grid]
data = ["figure1:C", "positive_slope"]
hidden = [[3]]
weights = ["nonneg", 0, 1, "free"]
seeds = [0, 1]
"""


@pytest.mark.slow  # Ray starts in about 30 s and its first task in as long again on a 2-core machine
def test_ray_engine_gives_the_local_engines_table(tmp_path):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        on_ray = run_sweep(parse_spec(SPEC), tmp_path / "ray", engine="ray", workers=2, progress=False)
    finally:
        ray.shutdown()
    local = run_sweep(parse_spec(SPEC), tmp_path / "local", progress=False, summary=False)
    assert on_ray.computed == local.computed == 16
    pd.testing.assert_frame_equal(comparable(read_table(tmp_path / "ray" / "runs.jsonl")),
                                  comparable(read_table(tmp_path / "local" / "runs.jsonl")))


def test_a_ray_address_that_cannot_be_joined_writes_nothing(tmp_path, capsys):
    pytest.importorskip("ray")
    from signnet.cli import main

    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    out = tmp_path / "sweep"
    environ, handler = dict(os.environ), signal.getsignal(signal.SIGTERM)
    assert main(["sweep", str(spec), "--out", str(out), "--engine", "ray", "--address", "auto"]) == 2
    assert dict(os.environ) == environ and signal.getsignal(signal.SIGTERM) is handler
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Cannot start or join Ray at 'auto'" in err and "check --address" in err
    assert not out.exists()


def test_an_address_nothing_answers_on_is_refused_at_once(tmp_path, capsys):
    # ray.init retried 127.0.0.1:1 for three and a half minutes, printing Ray's warnings
    import socket
    import time

    pytest.importorskip("ray")
    from signnet.cli import main

    with socket.socket() as s:  # a port that was free a moment ago: nothing listens on it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    out = tmp_path / "sweep"
    start = time.perf_counter()
    assert main(["sweep", str(spec), "--out", str(out), "--engine", "ray", "--address", f"127.0.0.1:{port}"]) == 2
    assert time.perf_counter() - start < 10
    err = capsys.readouterr().err
    assert err.splitlines() == [f"signnet sweep: error: Cannot reach a Ray cluster at '127.0.0.1:{port}' (Connection "
                                "refused); check --address (the head node's host:port, e.g. 10.0.0.5:6379), or leave "
                                "it out to start a local Ray."]
    assert not out.exists()


def test_the_process_state_ray_changes_is_put_back():
    from signnet.sweep.engines import _process_state_restored

    os.environ["SIGNNET_TEST_KEPT"] = "1"
    before, handler = dict(os.environ), signal.getsignal(signal.SIGTERM)
    try:
        with _process_state_restored() as snapshot:  # what ray.init does to the process
            os.environ["PYTHONBREAKPOINT"] = "ray.util.rpdb._driver_set_trace"
            del os.environ["SIGNNET_TEST_KEPT"]
            signal.signal(signal.SIGTERM, lambda *_: None)
            snapshot.taken()
            os.environ["SIGNNET_TEST_LATER"] = "another thread's"  # set after ray.init: not Ray's, kept
        assert os.environ.pop("SIGNNET_TEST_LATER") == "another thread's"
        assert dict(os.environ) == before and signal.getsignal(signal.SIGTERM) is handler
    finally:
        os.environ.pop("SIGNNET_TEST_KEPT", None)
        os.environ.pop("SIGNNET_TEST_LATER", None)
        signal.signal(signal.SIGTERM, handler)


def test_a_cuda_sweep_on_ray_asks_for_a_share_of_the_gpus():
    """Ray hides every GPU from a task that asks for none: a CUDA sweep's tasks must ask for a share."""
    from signnet.errors import SignnetError
    from signnet.sweep.engines import gpu_share

    assert gpu_share("cpu", 4.0, 2) == 0.0 and gpu_share("mps", 0.0, 2) == 0.0
    assert gpu_share("cuda", 1.0, 4) == 0.25 and gpu_share("cuda:1", 2.0, 1) == 1.0 and gpu_share("cuda", 8.0, 2) == 1.0
    with pytest.raises(SignnetError, match=r"^--device cuda but the Ray cluster has no GPU; pass --device cpu, or join"):
        gpu_share("cuda", 0.0, 2)


def test_a_tasks_signnet_error_comes_back_as_its_own_line():
    from types import SimpleNamespace

    from signnet.errors import SignnetError
    from signnet.sweep.engines import task_result

    class RayTaskError(Exception):  # as ray.exceptions.RayTaskError: the task's exception in .cause
        def __init__(self, cause):
            super().__init__("ray::run_group() (pid=1, ip=127.0.0.1)\n  File ...")
            self.cause = cause

    def failing(cause):
        def get(ref):
            raise RayTaskError(cause)
        return SimpleNamespace(get=get, exceptions=SimpleNamespace(RayTaskError=RayTaskError))

    with pytest.raises(SignnetError, match=r"^Spec key `noise` is wrong\.$"):
        task_result(failing(SignnetError("Spec key `noise` is wrong.")), None)
    with pytest.raises(RayTaskError):  # anything else keeps Ray's own report
        task_result(failing(ValueError("bug")), None)
    assert task_result(SimpleNamespace(get=lambda ref: [{"run": ref}]), 7) == [{"run": 7}]
