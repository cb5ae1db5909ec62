"""A small sweep on a local Ray (2 CPUs, started inside the test) gives the local engine's table."""

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
    assert main(["sweep", str(spec), "--out", str(out), "--engine", "ray", "--address", "auto"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Cannot start or join Ray at 'auto'" in err and "check --address" in err
    assert not out.exists()
