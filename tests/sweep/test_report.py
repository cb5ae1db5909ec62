"""The sweep summary: aggregates over seeds and a plot that survives equal accuracies."""

from pathlib import Path

from signnet.sweep import parse_spec
from signnet.sweep.report import summarise, weights_order, write_summary


def _rows(acc):
    return [{"run_id": f"{i:016x}", "data": "xor", "hidden": "3", "activation": "relu", "weights": w, "seed": i,
             "test_accuracy": a, "negative_weights": 0, "n_weights": 9, "ceiling": 0.75, "certified_monotone": True,
             "dominance_violation_rate": 0.0, "sweep_seed": 0, "seconds": 0.1}
            for i, (w, a) in enumerate(acc)]


def test_summary_aggregates_over_seeds_in_reading_order(tmp_path: Path):
    rows = _rows([("free", 0.9), ("free", 0.7), ("2", 0.8), ("nonneg", 0.5), ("10", 0.6)])
    s = summarise(rows)
    assert [e["weights"] for e in s] == ["nonneg", "2", "10", "free"] == weights_order(["free", "10", "2", "nonneg"])
    free = s[-1]
    assert (free["seeds"], free["test_accuracy_min"], free["test_accuracy_max"]) == (2, 0.7, 0.9)
    assert abs(free["test_accuracy_mean"] - 0.8) < 1e-12


def test_equal_accuracies_over_seeds_plot_without_negative_error_bars(tmp_path: Path):
    rows = _rows([("1", 0.7)] * 3)  # the float mean of three 0.7 is above 0.7: max - mean < 0 unless clipped
    spec = parse_spec('[grid]\ndata = ["xor"]\nhidden = [[3]]\nweights = [1]')
    page = write_summary(tmp_path / "summary", spec, rows)
    assert page.is_file() and (tmp_path / "summary" / "accuracy.png").stat().st_size > 1000


def test_several_classes_have_no_ceiling_because_a_softmax_dnn_plus_is_not_monotone(tmp_path: Path):
    from signnet.sweep.run import run_group

    spec = parse_spec('epochs = 1\ndominance_pairs = 0\n[grid]\ndata = ["wine", "xor"]\nhidden = [[2]]\n'
                      'weights = ["nonneg"]\nseeds = [0]')
    rows = {r["data"]: r for group in spec.groups() for r in run_group(group)}
    assert rows["wine"]["head"] == "softmax" and rows["wine"]["ceiling"] is None
    assert rows["xor"]["head"] == "binary" and 0.5 <= rows["xor"]["ceiling"] < 1  # XOR: no monotone labelling is exact
    # rows written before that rule carried an ordinal ceiling for softmax data: the summary drops it
    old = [{**r, "head": "softmax", "ceiling": 0.889} for r in _rows([("nonneg", 0.978)])]
    assert summarise(old)[0]["ceiling"] is None and summarise(_rows([("nonneg", 0.7)]))[0]["ceiling"] == 0.75


def test_a_spec_name_with_dollar_signs_is_rendered_as_text(tmp_path: Path, monkeypatch):
    # paired `$` used to be parsed as mathtext: "cost $x_$" crashed the summary ("x_" is no valid math)
    import signnet.sweep.report as report

    figures = []
    real_save = report.save_figure
    monkeypatch.setattr(report, "save_figure", lambda fig, path: (figures.append(fig), real_save(fig, path))[1])
    spec = parse_spec('name = "cost $x_$"\n[grid]\ndata = ["xor"]\nhidden = [[3]]\nweights = [1]')
    page = write_summary(tmp_path / "summary", spec, _rows([("1", 0.7)]))
    assert page.is_file() and "signnet sweep: cost $x_$" in page.read_text()
    title = figures[0]._suptitle
    assert title.get_text() == "cost $x_$: test accuracy per sign setting (1 runs)" and title.get_parse_math() is False
