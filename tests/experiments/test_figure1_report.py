"""The Figure 1 report's wording: a --quick run says so."""
def test_a_quick_run_is_labelled_as_quick_and_a_full_one_is_not():
    from signnet.experiments.figure1.report import quick_notice

    quick = {"config": {"quick": True, "seeds": 1, "epochs": 150, "n_train": 200, "wide": [16, 16]}}
    assert quick_notice(quick) == ("Quick mode: 1 seed(s), 150 epochs, 200 training points, wide networks 16x16. The "
                                   "numbers are indicative, and a failing training verdict may only mean that the run "
                                   "was too short; run without --quick for the report's measurements.")
    assert quick_notice({"config": {"quick": False, "seeds": 5}}) == "" and quick_notice({}) == ""


def test_the_test_data_seed_is_seed_plus_1000_wrapped_only_at_the_top_of_the_range():
    from signnet.experiments.figure1.run import held_out_seed

    assert [held_out_seed(s) for s in (0, 5, 2**32 - 1001)] == [1000, 1005, 2**32 - 1]  # as it always was
    assert [held_out_seed(s) for s in (2**32 - 1000, 2**32 - 1)] == [0, 999]  # it used to overflow the seed range


def test_the_top_seed_runs_the_continuous_problems(tmp_path):
    # --seed 4294967295 used to fail half-way: "seed must be an integer in 0..4294967295, got 4294968295"
    from signnet.data.problems import PROBLEMS
    from signnet.experiments.figure1.run import ReproduceConfig, run_continuous

    cfg = ReproduceConfig(seeds=1, wide=(2,), restarts=1, continuous_n=40, continuous_epochs=2, quick=True)
    results, _ = run_continuous(cfg, 2**32 - 1)
    assert list(results) == list(PROBLEMS) and all(r.n_test == 40 for r in results.values())


def _verdicts(*statuses):
    return [{"key": f"k{i}", "status": s} for i, s in enumerate(statuses)]


def test_the_reproduce_command_comes_from_the_stored_seed_and_settings():
    from dataclasses import asdict

    from signnet.experiments.figure1.report import reproduce_command
    from signnet.experiments.figure1.run import ReproduceConfig

    quick = {**asdict(ReproduceConfig.quick_config()), "out": "x", "all": False}
    assert reproduce_command({"seed": 5, "config": quick, "argv": ["signnet", "reproduce"]}) == (
        "signnet reproduce --seed 5 --seeds 1 --quick", False)
    full = {**asdict(ReproduceConfig()), "seeds": 3, "wide": [64, 64]}  # as read back from results.json
    assert reproduce_command({"seed": 0, "config": full}) == ("signnet reproduce --seed 0 --seeds 3", False)
    assert reproduce_command({"seed": 0, "config": {**full, "epochs": 7}}) == ("signnet reproduce --seed 0 --seeds 3",
                                                                               True)


def test_the_figure_says_reproduced_only_when_every_verdict_holds():
    from signnet.experiments.figure1.report import figure_title

    assert figure_title({"verdicts": _verdicts("holds", "holds")}).startswith("Figure 1 of Wang et al., reproduced: ")
    assert figure_title({"verdicts": _verdicts("holds", "fails", "inconclusive")}).startswith(
        "Figure 1 of Wang et al., measured (1 of 3 verdicts hold): ")


def test_the_command_line_summary_counts_the_verdicts(tmp_path, capsys, monkeypatch):
    import signnet.cli.reproduce as reproduce
    from signnet.cli.main import main

    panel = {"ceiling": 0.5, "dnn": {"accuracy_mean": 1.0}, "dnn_plus": {"accuracy_mean": 0.5},
             "flipped_hand": {"accuracy": 1.0}, "flipped_trained": {"accuracy": 1.0}}
    fake = {"seconds": 12.3, "panels": {"A": panel}, "verdicts": _verdicts(*["holds"] * 20, *["fails"] * 11, "inconclusive")}
    monkeypatch.setattr(reproduce, "run_experiment", lambda *a, **k: fake)
    assert main(["reproduce", "--quick", "--out", str(tmp_path / "r")]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == "Figure 1 in 12 s; verdicts: 20 hold, 11 fail, 1 inconclusive."
