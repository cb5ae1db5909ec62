"""A sweep trained on a CUDA device: the budget holds and the rows say where they were trained."""

import pytest

from signnet.sweep import parse_spec, run_sweep
from signnet.sweep.table import read_rows


@pytest.mark.cuda
def test_a_sweep_on_cuda_respects_the_budget(tmp_path):
    spec = parse_spec('epochs = 30\ndominance_pairs = 100\n[grid]\ndata = ["xor"]\nhidden = [[8]]\n'
                      'weights = [0, 1, 3, "free"]\nseeds = [0, 1]\n')
    outcome = run_sweep(spec, tmp_path / "s", device="cuda", progress=False, summary=False)
    rows = read_rows(outcome.table)
    assert len(rows) == 8 and {r["device"] for r in rows} == {"cuda"}
    assert all(r["negative_weights"] <= r["budget"] for r in rows if r["budget"] is not None)
    assert all(r["certified_monotone"] for r in rows if r["budget"] == 0)
