"""``--monotonic-cst`` and ``--device`` on ``signnet certify`` and ``signnet check``."""

import json

import numpy as np
import pytest
import torch

from signnet import MLP, save
from signnet.cli.main import main


def run_json(capsys, argv):
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """A net rising in x0 and free in x1 (first-layer weights of both signs on x1), saved with its problem."""
    torch.manual_seed(0)
    net = MLP(2, (4,), monotonic_cst=[1, 0], activation="tanh")
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 2.0], [0.5, -2.0], [1.0, 1.0], [2.0, -1.0]]))
        net[2].weight.copy_(torch.tensor([[1.0, 1.0, 1.0, 1.0]]))
    return save(net, tmp_path_factory.mktemp("m") / "mixed.pt", extra={"problem": "xor", "n": 300})


def test_certify_with_monotonic_cst(mixed, capsys):
    plain = run_json(capsys, ["certify", str(mixed), "--monotonic-cst", "1,1"])
    assert plain["monotone"] == [[1, None]] and not plain["preserves_dominance"] and plain["proved"] == [True, False]
    built = run_json(capsys, ["certify", str(mixed)])  # default: the monotonic_cst the MLP was built with
    assert built["monotonic_cst"] == [1, 0] and built["proved"] == [True, None] and built["satisfies_monotonic_cst"]
    out = run_json(capsys, ["certify", str(mixed), "--monotonic-cst", "1,0", "--device", "cpu"])
    assert out["monotone"] == [[1, None]] and out["monotonic_cst"] == [1, 0] and out["proved"] == [True, None]
    assert out["satisfies_monotonic_cst"] and out["free_inputs"] == [1] and out["not_proved"] == []
    assert out["cst_summary"] == "Proves x0 non-decreasing; proves nothing about x1 (free in monotonic_cst)."
    assert out["config"]["monotonic_cst"] == "1,0" and out["config"]["device"] == "cpu"
    down = run_json(capsys, ["certify", str(mixed), "--monotonic-cst=-1,0"])
    assert down["proved"] == [False, None] and not down["satisfies_monotonic_cst"]
    assert main(["certify", str(mixed), "--monotonic-cst", "1,0"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == ("monotonic_cst [1, 0]: Proves x0 non-decreasing; proves "
                                                        "nothing about x1 (free in monotonic_cst).")


def test_check_with_monotonic_cst(mixed, capsys):
    plain = run_json(capsys, ["check", str(mixed), "--pairs", "2000", "--steps", "60", "--monotonic-cst", "1,1"])
    assert plain["violations"] > 0 and plain["violation"] is not None and not plain["certified_dominance"]
    built = run_json(capsys, ["check", str(mixed), "--pairs", "2000", "--steps", "60"])  # the MLP's own [1, 0]
    assert built["violations"] == 0 and built["violation"] is None and built["monotonic_cst"] == [1, 0]
    out = run_json(capsys, ["check", str(mixed), "--pairs", "2000", "--steps", "60", "--monotonic-cst", "1,0",
                            "--device", "auto"])
    assert out["violations"] == 0 and out["violation"] is None and out["monotonic_cst"] == [1, 0]
    assert out["certified_monotonic_cst"] and not out["certified_dominance"]
    down = run_json(capsys, ["check", str(mixed), "--pairs", "2000", "--steps", "60", "--monotonic-cst=-1,0"])
    v = down["violation"]
    assert down["violations"] > 0 and v["monotonic_cst"] == [-1, 0] and v["x"][1] == v["y"][1]
    assert v["x"][0] >= v["y"][0] and v["gap"] > 0 and not np.isclose(v["f_x"], v["f_y"])
