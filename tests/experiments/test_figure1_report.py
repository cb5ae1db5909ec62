"""The Figure 1 report's wording: a --quick run says so."""
def test_a_quick_run_is_labelled_as_quick_and_a_full_one_is_not():
    from signnet.experiments.figure1.report import quick_notice

    quick = {"config": {"quick": True, "seeds": 1, "epochs": 150, "n_train": 200, "wide": [16, 16]}}
    assert quick_notice(quick) == ("Quick mode: 1 seed(s), 150 epochs, 200 training points, wide networks 16x16. The "
                                   "numbers are indicative, and a failing training verdict may only mean that the run "
                                   "was too short; run without --quick for the report's measurements.")
    assert quick_notice({"config": {"quick": False, "seeds": 5}}) == "" and quick_notice({}) == ""
