"""The budget study: constructions, the quick run's numbers and verdicts, the report, reading a finished sweep."""

from __future__ import annotations

import json

import pytest
import torch

from signnet.data.figure1 import panel_data
from signnet.errors import SignnetError
from signnet.experiments.budget.construct import paper_network, two_flip_diamond
from signnet.experiments.budget.results import TARGET
from signnet.experiments.budget.run import compute_budget, run_budget, section_html
from signnet.experiments.results import check_verdict_dict, iter_verdicts
from signnet.sweep.budget import negative_weights
from signnet.theory.certificate import certify
from signnet.train.fit import accuracy


def test_two_flips_solve_panel_b_and_the_paper_uses_one_four_one():
    X, y = panel_data("B", n=2000, seed=5)
    model = two_flip_diamond()
    assert negative_weights(model) == 2 and accuracy(model, X, y) == 1.0
    grid = torch.tensor([[a, b] for a in (-0.9, -0.3, 0.0, 0.3, 0.9) for b in (-0.9, -0.3, 0.0, 0.3, 0.9)])
    logit = model(grid)[:, 0]
    assert torch.allclose(logit, 10 * grid.abs().sum(1) - 5)  # 10 (|x1| + |x2|) - 5: the diamond, exactly
    assert certify(model).monotone == [[None, None]]  # not monotone in either input (it cannot be: closed shape)
    assert [negative_weights(paper_network(p)[0]) for p in "ABC"] == [1, 4, 1]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("budget")
    return out, run_budget(out, seed=0, quick=True, progress=False)


def test_the_quick_run_reports_every_problem_with_consistent_numbers(quick_run):
    out, r = quick_run
    assert [p["data"] for p in r["problems"]] == ["xor", "positive_slope", "closed_shape", "disconnected",
                                                 "figure1:A", "figure1:B", "figure1:C"]
    rows = [json.loads(line) for line in (out / "sweep" / "runs.jsonl").read_text().splitlines()]
    assert len(rows) == r["runs"] == 28
    assert all(row["negative_weights"] <= row["budget"] for row in rows if row["budget"] is not None)
    for p in r["problems"]:
        assert p["ceiling"] < TARGET  # every problem of the paper needs a negative weight (exact)
        k0 = next(b for b in p["budgets"] if b["k"] == 0)
        assert k0["best"] <= p["ceiling"]  # Theorem 1.1 on the trained k = 0 networks
        reached = [b["k"] for b in p["budgets"] if b["k"] is not None and b["best"] >= TARGET]
        assert p["smallest_k"] == (min(reached) if reached else None)
    panel_b = next(p for p in r["problems"] if p["data"] == "figure1:B")
    assert [(c["negative_weights"], c["accuracy"]) for c in panel_b["constructions"]] == [(4, 1.0), (2, 1.0)]
    assert [p["paper_flips"] for p in r["problems"]] == [1, 1, 4, None, 1, 4, 1]


def test_verdicts_say_which_number_is_which_and_agree_with_their_numbers(quick_run):
    _, r = quick_run
    verdicts = list(iter_verdicts(r))
    for v in verdicts:
        check_verdict_dict(v)
    kinds = {v["key"].rsplit(".", 1)[1]: v["kind"] for v in verdicts}
    assert kinds == {"k0_below_ceiling": "theorem", "needs_a_negative_weight": "theorem", "smallest_k": "training",
                     "paper_construction": "construction", "signnet_construction": "construction",
                     "training_vs_paper": "training"}
    assert all(v["status"] == "holds" for v in verdicts if v["kind"] in ("theorem", "construction"))


def test_the_report_renders_and_a_finished_sweep_can_be_read_back(quick_run, tmp_path):
    out, r = quick_run
    html = (out / "index.html").read_text()
    assert "upper bound" in html and "exact ceiling" in html and html.count('<tr><td>') >= 7
    assert section_html(out).startswith("<section") or "<section" in section_html(out)
    again = compute_budget(tmp_path, sweep=str(out / "sweep"))
    assert again.grid == "sweep" and again.runs == r["runs"]
    assert [p.smallest_k for p in again.problems] == [p["smallest_k"] for p in r["problems"]]
    with pytest.raises(SignnetError, match=r"--sweep '.*' holds no sweep \(spec.toml and runs.jsonl\)"):
        compute_budget(tmp_path, sweep=str(tmp_path))


def test_theorem_verdicts_are_inconclusive_when_a_run_has_a_non_monotone_activation():
    # Theorem 1.1 needs non-decreasing activations: a one-unit GELU network with weights >= 0 scores 1.000 on
    # `disconnected` (ceiling 0.74), so over such runs the ceiling proves nothing
    from signnet.experiments.budget.results import Budget, Problem
    from signnet.experiments.budget.verdicts import problem_verdicts

    problem = Problem(data="disconnected", title="disconnected", paper_flips=None, ceiling=0.74, n_test=100,
                      budgets=[Budget(k=0, label="k = 0", best=1.0, best_hidden="1", archs=[])],
                      smallest_k=None, smallest_k_hidden=None,
                      smallest_k_seed=None, smallest_k_successes=None, smallest_k_accuracy=None,
                      smallest_k_negative_by_layer=None, smallest_k_certificate=None, free_best=1.0,
                      constructions=[])
    theorem = {v.key.rsplit(".", 1)[1]: v.status for v in problem_verdicts(problem, TARGET, 3) if v.kind == "theorem"}
    assert theorem == {"k0_below_ceiling": "inconclusive", "needs_a_negative_weight": "holds"}  # the latter: a fact
    monotone = {v.key.rsplit(".", 1)[1]: v.status for v in problem_verdicts(problem, TARGET, 0) if v.kind == "theorem"}
    assert monotone == {"k0_below_ceiling": "fails", "needs_a_negative_weight": "holds"}


def test_a_report_on_a_sweep_keeps_its_table_even_where_it_replaces_the_sweeps_folder(quick_run, tmp_path, capsys):
    import shutil

    from signnet.cli.main import main

    out, _ = quick_run
    report = tmp_path / "b"
    shutil.copytree(out, report)  # as `signnet budget --quick --out b` leaves it: the report, sweep/, the manifest
    files = sorted(p.relative_to(report).as_posix() for p in report.rglob("*") if p.is_file())
    (report / ".signnet-output").write_text(json.dumps({"files": files}))
    table = (report / "sweep" / "runs.jsonl").read_bytes()
    assert main(["budget", "--sweep", str(report / "sweep"), "--out", str(report), "--json"]) == 0
    assert (report / "sweep" / "runs.jsonl").read_bytes() == table  # it used to delete the sweep it read
    assert json.loads(capsys.readouterr().out)["grid"] == "sweep"
    with pytest.raises(SignnetError, match=r"^--grid 'full' and --sweep exclude each other"):
        compute_budget(tmp_path / "c", sweep=str(report / "sweep"), grid="full")
    with pytest.raises(SignnetError, match=r"^Unknown --grid ''; choose one of"):
        compute_budget(tmp_path / "c", grid="")
    with pytest.raises(SignnetError, match=r"^--out lies inside the sweep folder"):
        compute_budget(report / "sweep" / "here", sweep=str(report / "sweep"))
    other = tmp_path / "digits"
    other.mkdir()
    shutil.copyfile(report / "sweep" / "runs.jsonl", other / "runs.jsonl")
    spec = (report / "sweep" / "spec.toml").read_text()
    (other / "spec.toml").write_text(spec.replace('"xor", "positive_slope"', '"digits", "positive_slope"', 1))
    with pytest.raises(SignnetError, match=r"^--sweep '.*digits' is not a budget sweep: its data digits are not "
                                           r"generated problems \(xor, .*\) or Figure 1's panels"):
        compute_budget(tmp_path / "c", sweep=str(other))
    (other / "spec.toml").write_text("ceiling = false\n" + spec)
    with pytest.raises(SignnetError, match=r"ran without the exact monotone ceiling \(ceiling = false in its spec\)"):
        compute_budget(tmp_path / "c", sweep=str(other))
    again = run_budget(report, sweep=str(report / "sweep"), progress=False)  # the library call, in place
    assert again["grid"] == "sweep" and (report / "sweep" / "runs.jsonl").read_bytes() == table


def _partial_sweep(source, folder, keep):
    """A copy of the sweep ``source`` with only the runs whose weights are in ``keep`` (its spec edited to match)."""
    folder.mkdir()
    rows = [line for line in (source / "runs.jsonl").read_text().splitlines()
            if json.loads(line)["budget"] in keep or json.loads(line)["weights"] in keep]
    (folder / "runs.jsonl").write_text("\n".join(rows) + "\n")
    spec = (source / "spec.toml").read_text()
    assert 'weights = [0, 1, 4, "free"]' in spec
    (folder / "spec.toml").write_text(spec.replace('weights = [0, 1, 4, "free"]', f"weights = {json.dumps(keep)}"))
    return folder


def test_a_sweep_without_free_runs_is_reported_with_no_free_best(quick_run, tmp_path, capsys):
    from signnet.cli.main import main

    out, _ = quick_run
    sweep = _partial_sweep(out / "sweep", tmp_path / "budgeted", [0, 1, 4])
    assert main(["budget", "--sweep", str(sweep), "--out", str(tmp_path / "r"), "--json"]) == 0  # it crashed on NaN
    r = json.loads((tmp_path / "r" / "results.json").read_text())
    assert [p["free_best"] for p in r["problems"]] == [None] * 7
    smallest = [v for v in r["checks"] if v["key"].endswith(".smallest_k")]
    assert {v["status"] for v in smallest} == {"inconclusive"}
    assert smallest[0]["requires"] == [{"left": "free networks (no budget) in the sweep", "left_value": 0, "op": ">=",
                                        "right": "one", "right_value": 1, "holds": False}]
    page = " ".join((tmp_path / "r" / "index.html").read_text().split())
    assert page.count("<td>no free runs</td>") == 7 and "k</em> = 0, 1, 4; no free runs)" in page


def test_a_sweep_with_only_free_runs_is_refused_in_one_line(quick_run, tmp_path, capsys):
    from signnet.cli.main import main

    out, _ = quick_run
    sweep = _partial_sweep(out / "sweep", tmp_path / "free", ["free"])
    assert main(["budget", "--sweep", str(sweep), "--out", str(tmp_path / "r")]) == 2  # it crashed in np.interp
    err = capsys.readouterr().err
    assert err == (f"signnet budget: error: --sweep {str(sweep)!r} has no budgeted runs (integer weights k = 0, 1, ... "
                   "in its grid) for xor, positive_slope, closed_shape, disconnected, figure1:A, figure1:B, figure1:C, "
                   "only free or nonneg ones, so there is no budget to report; give a sweep of the budget-full spec "
                   "(`signnet sweep budget-full --out DIR`).\n")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(("extra", "given"), [
    (["--seed", "7"], "--seed 7 and --sweep exclude each other: --sweep reports on a finished sweep, made with its own "
                      "seed and grid; drop --seed 7 or --sweep."),
    (["--seed", "0", "--quick", "--workers", "2"], "--seed 0, --quick, --workers 2 and --sweep exclude each other: "
     "--sweep reports on a finished sweep, made with its own seed and grid; drop them or --sweep."),
])
def test_seed_quick_and_workers_are_refused_with_a_sweep(quick_run, tmp_path, capsys, extra, given):
    from signnet.cli.main import main

    out, _ = quick_run
    assert main(["budget", "--sweep", str(out / "sweep"), "--out", str(tmp_path / "r"), *extra]) == 2  # were ignored
    assert capsys.readouterr().err == f"signnet budget: error: {given}\n"
    assert not (tmp_path / "r").exists()
