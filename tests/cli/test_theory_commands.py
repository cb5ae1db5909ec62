"""The theory commands: ``signnet certify``, ``signnet check`` and ``signnet ceiling``."""

import json
import re

import pytest
import torch

from signnet import MLP, save
from signnet.cli.main import main

PROVENANCE = {"config", "seed", "versions", "platform", "argv"}


def run_json(capsys, argv):
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def run_error(capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    return err


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A DNN+, the paper's Figure 1C flip of it, and a hand-set DNN solving XOR, saved with their problem."""
    folder = tmp_path_factory.mktemp("models")
    torch.manual_seed(0)
    plus = MLP(2, (3,), weights="nonneg")
    flipped = MLP(2, (3,), weights="nonneg", flips={1: [(0, 0)]})
    xor = MLP(2, (4,))
    with torch.no_grad():
        xor[0].weight.copy_(torch.tensor([[1.0, -1.0], [-1.0, 1.0], [1.0, 1.0], [-1.0, -1.0]]))
        xor[2].weight.copy_(torch.tensor([[1.0, 1.0, -1.0, -1.0]]))
        xor[0].bias.zero_(), xor[2].bias.zero_()
    paths = {}
    for name, model in (("plus", plus), ("flipped", flipped), ("xor", xor)):
        paths[name] = str(save(model, folder / f"{name}.pt", extra={"problem": "xor", "n": 500, "seed": 0}))
    paths["bare"] = str(save(plus, folder / "bare.pt"))
    return paths


# ------------------------------------------------------------------ certify
def test_certify_proves_a_dnn_plus(capsys, models):
    result = run_json(capsys, ["certify", models["plus"], "--seed", "3"])
    assert result["monotone"] == [[1, 1]] and result["convex"] == ["convex"]
    assert result["outputs"] == ["out0"] and result["inputs"] == ["x0", "x1"]
    assert result["preserves_dominance"] is True and result["mixed_paths"] == []
    assert result["seconds"] >= 0 and PROVENANCE <= result.keys() and result["seed"] == 3


def test_certify_names_mixed_paths_of_a_flipped_network(capsys, models):
    result = run_json(capsys, ["certify", models["flipped"], "--explain", "1"])
    assert result["monotone"] == [[None, None]] and result["convex"] == [None]
    (paths,) = result["mixed_paths"]
    assert paths["output"] == "out0" and paths["input"] == "x0"
    assert paths["negative"][-1] == [2, 0, -1]  # the flipped output weight: layer 2, unit 0, sign -1
    main(["certify", models["flipped"]])
    text = capsys.readouterr().out
    assert "out0: x0? x1?" in text and "not certified monotone" in text


def test_certify_reports_a_missing_checkpoint(capsys, tmp_path):
    err = run_error(capsys, ["certify", str(tmp_path / "none.pt")])
    assert "does not exist" in err


# -------------------------------------------------------------------- check
def test_check_finds_violations_in_a_network_solving_xor(capsys, models):
    args = ["check", models["xor"], "--pairs", "2000", "--starts", "16", "--steps", "60"]
    result = run_json(capsys, args)
    assert result["problem"] == "xor" and result["n"] == 500  # from the checkpoint
    assert result["violations"] > 100 and result["worst_gap"] > 0 and result["n_pairs"] == 2000
    v = result["violation"]
    assert v["gap"] > 0 and all(a <= b for a, b in zip(v["x"], v["y"], strict=True))
    assert result["certified_dominance"] is False and PROVENANCE <= result.keys()


def test_check_finds_nothing_in_a_dnn_plus(capsys, models):
    args = ["check", models["plus"], "--problem", "upset", "--n", "300", "--pairs", "1000", "--steps", "30"]
    result = run_json(capsys, args)
    assert result["problem"] == "upset" and result["n"] == 300
    assert result["violations"] == 0 and result["worst_gap"] == 0 and result["violation"] is None
    assert result["certified_dominance"] is True


def test_check_needs_a_problem(capsys, models):
    err = run_error(capsys, ["check", models["bare"]])
    assert "records no problem" in err and "--problem" in err
    err = run_error(capsys, ["check", models["plus"], "--problem", "spiral"])
    assert "Unknown problem 'spiral'" in err


# ------------------------------------------------------------------ ceiling
def test_ceiling_of_a_generated_problem(capsys):
    result = run_json(capsys, ["ceiling", "--problem", "xor", "--n", "2000", "--seed", "1"])
    assert 0.70 < result["ceiling"] < 0.80  # one quadrant of four must change: about 3/4
    assert result["n"] == 2000 and result["relabeled"] == round((1 - result["ceiling"]) * 2000)
    assert PROVENANCE <= result.keys() and result["seconds"] >= 0


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_ceiling_of_a_csv_with_directions_and_orientation(capsys, tmp_path):
    # the label rises with a and falls with b: monotone only once b is negated
    path = write(tmp_path, "a,b,label\n0,3,0\n1,2,0\n2,1,1\n3,0,1\n1,0,1\n2,3,0\n")
    result = run_json(capsys, ["ceiling", path, "--label", "label"])
    assert result["features"] == ["a", "b"] and result["classes"] == [0, 1] and result["n"] == 6
    assert result["ceiling"] < 1
    assert run_json(capsys, ["ceiling", path, "--label", "label", "--directions", "1,-1"])["ceiling"] == 1.0
    oriented = run_json(capsys, ["ceiling", path, "--label", "label", "--orient"])["orientation"]
    assert oriented["flips"] == [1] and oriented["flipped_features"] == ["b"]
    assert oriented["ceiling"] == 1.0 and oriented["exact"] is True


@pytest.mark.parametrize("content, extra, pattern", [
    (None, [], "does not exist"),
    ("", [], "is empty"),
    ("a,b,y\n", [], "no data rows"),
    ("a,b,c\n1,2,0\n", [], "no label column 'y'; its columns are a, b, c"),
    ("y\n0\n1\n", [], "only the label column"),
    ("a,b,y\n1,x,0\n2,3,1\n", [], "Column 'b' on line 2 .* holds 'x', which is not a number"),
    ("a,b,y\n1,nan,0\n2,3,1\n", [], "Column 'b' on line 2 .* finite"),
    ("a,b,y\n1,2,0\n2,3\n", [], "Line 3 .* has 2 fields but the header has 3"),
    ("a,b,y\n1,,0\n2,3,1\n", [], "Line 2 .* no value in column 'b'"),
    ("a,b,y\n1,2,1\n2,3,1\n", [], "one class only"),
    ("a,b,y\n1,2,0.5\n2,3,1\n", [], "Labels must be integers"),
    ("a,b,y\n1,2,0\n2,3,1\n", ["--directions", "1"],
     r"--directions '1' must have one entry per feature: it gives 1 but .* has 2 \(a, b\)"),
    ("a,b,y\n1,2,0\n2,3,1\n", ["--directions", "1,2"], "may hold only"),
    ("a,b,y\n1,2,0\n2,3,1\n", ["--directions", "1,1", "--orient"], "drop --directions or --orient"),
    ("a,b,y\n1,2,0\n2,3,1\n", ["--problem", "xor"], "either a CSV file or --problem"),
])
def test_ceiling_rejects_bad_data_in_one_line(capsys, tmp_path, content, extra, pattern):
    path = str(tmp_path / "missing.csv") if content is None else write(tmp_path, content)
    err = run_error(capsys, ["ceiling", path, *extra])
    assert re.search(pattern, err), err


def test_ceiling_needs_data(capsys):
    assert "either a CSV file or --problem" in run_error(capsys, ["ceiling"])
