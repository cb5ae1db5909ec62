"""`signnet reproduce --quick`: the report, its numbers, its verdicts and its files."""

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import markupsafe
import pytest

from signnet.cli.main import main
from signnet.experiments.figure1 import report as figure1_report
from signnet.experiments.figure1.results import json_paths, schema_paths
from signnet.experiments.results import check_verdict_dict, iter_verdicts

PANEL_KEYS = ("A", "B", "C", "control")
FIGURES = ("figure1.png", "softmax.png", "continuous.png")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Run the CLI once; record the legend texts of every figure it saves."""
    out = tmp_path_factory.mktemp("figure1")
    legends = {}
    save = figure1_report.save_figure

    def spy(fig, path, **kwargs):
        legends[Path(path).name] = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
        legends[f"{Path(path).name} title"] = fig._suptitle.get_text() if fig._suptitle else ""
        return save(fig, path, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(figure1_report, "save_figure", spy)
        assert main(["reproduce", "--quick", "--out", str(out), "--seed", "0", "--json"]) == 0
    return out, legends


@pytest.fixture(scope="module")
def report(run):
    return run[0]


@pytest.fixture(scope="module")
def results(report):
    return json.loads((report / "results.json").read_text())


def test_writes_the_report_files_and_no_temporaries(report):
    names = sorted(p.name for p in report.iterdir())
    assert names == [".signnet-output", "continuous.png", "figure1.png", "index.html", "results.json", "softmax.png"]
    assert not list(report.parent.glob(f".{report.name}.*"))


def test_results_schema(results):
    for key in PANEL_KEYS:
        panel = results["panels"][key]
        assert 0.0 < panel["ceiling"] <= 1.0
        for kind in ("dnn", "dnn_plus"):
            assert {"accuracy_mean", "accuracy_std"} <= set(panel[kind])
        assert {"accuracy", "negative_weights"} <= set(panel["flipped_hand"])
        assert {"accuracy", "negative_weights"} <= set(panel["flipped_trained"])
    assert results["seed"] == 0
    assert "torch" in results["versions"]
    assert results["config"]["quick"] is True


@pytest.mark.parametrize("key,count", [("A", 1), ("B", 4), ("C", 1)])
def test_hard_panels_match_the_figure(results, key, count):
    panel = results["panels"][key]
    assert panel["ceiling"] < 0.95
    assert panel["flipped_hand"]["accuracy"] == 1.0
    assert panel["flipped_hand"]["negative_weights"] == count
    assert panel["flipped_trained"]["negative_weights"] <= count
    # Theorem 1.1, exact: no DNN+ beats the monotone ceiling of the data it is scored on
    trained = panel["dnn_plus"]["accuracies"] + panel["dnn_plus"]["wide"]["accuracies"]
    assert max(trained) == panel["dnn_plus_best_trained"] <= panel["ceiling"]
    assert not panel["checks"]["flipped_hand"]["certified_monotone"]
    assert panel["checks"]["dnn_plus"]["certified_monotone"]
    assert panel["checks"]["dnn_plus"]["dominance_violations"] == 0


@pytest.mark.parametrize("key", PANEL_KEYS)
def test_a_built_dnn_plus_reaches_every_panels_ceiling(results, key):
    panel = results["panels"][key]
    built = panel["dnn_plus_constructed"]
    assert built["accuracy"] == panel["ceiling"]
    assert built["negative_weights"] == 0 and built["certified_monotone"] and built["activation"] == "relu"
    assert panel["checks"]["dnn_plus_constructed"]["dominance_violations"] == 0


def test_continuous_tanh_construction_reaches_every_ceiling(results):
    for name, row in results["continuous"].items():
        assert row["dnn_plus_tanh_constructed"]["accuracy"] == row["ceiling"], name
        for kind in ("dnn_plus", "dnn_plus_tanh"):
            assert row[kind] <= row["ceiling"], (name, kind)
        assert row["dnn_plus_constructed"]["accuracy"] <= row["ceiling"]
    # the rule's class 0 is an L shape: a convex ReLU DNN+ cannot realise it
    assert results["continuous"]["quadrant"]["dnn_plus_constructed"]["accuracy"] < 1.0


def test_every_verdict_agrees_with_its_numbers(results):
    verdicts = list(iter_verdicts(results))
    assert verdicts == results["verdicts"]
    assert len({v["key"] for v in verdicts}) == len(verdicts) >= 60
    for v in verdicts:
        check_verdict_dict(v)
    kinds = {v["key"]: v["kind"] for v in verdicts}
    assert kinds["C.dnn_plus_at_most_ceiling"] == "theorem"
    assert kinds["C.relu_construction_reaches_ceiling"] == "construction"
    assert kinds["C.training_reaches_ceiling"] == "training"
    for key in ("A", "B", "C", "control", "softmax", "continuous.xor"):
        status = {v["key"]: v["status"] for v in verdicts}
        assert status[f"{key}.dnn_plus_at_most_ceiling"] == "holds"
        assert status[f"{key}.relu_construction_reaches_ceiling"] == "holds"


def test_training_verdicts_need_a_trained_dnn(results):
    for v in results["verdicts"]:
        if v["kind"] == "training" and not v["key"].endswith("dnn_solves"):
            assert v["requires"] and v["requires"][0]["left"].startswith("trained DNN on"), v["key"]
            trained = all(c["holds"] for c in v["requires"])
            assert (v["status"] == "inconclusive") == (not trained), v["key"]


def test_page_shows_every_verdict_with_its_status(report, results):
    page = (report / "index.html").read_text()
    for v in results["verdicts"]:
        at = page.index(str(markupsafe.escape(v["claim"])))
        status = re.search(r'<span class="(holds|fails|inconclusive)">', page[at:]).group(1)
        assert status == v["status"], v["key"]
        assert str(markupsafe.escape(v["evidence"])) in page


def test_results_keys_match_the_schema(results):
    assert json_paths(results) == schema_paths()


def test_tables_use_words_not_python_reprs(report):
    page = (report / "index.html").read_text()
    for repr_ in ("[None", "None]", "[&#39;", "['", "[[", "True", "False"):
        assert repr_ not in re.sub(r'src="data:[^"]+"', "", page), repr_
    for word in ("non-decreasing", "non-increasing", "constant", "not proven"):
        assert word in page
    assert "hand-built flipped" in page and "trained flipped" in page
    assert "DNN+ with flips" not in page


def test_every_figure_has_a_colour_key_and_is_readable(run):
    out, legends = run
    for name in FIGURES:
        assert {"predicted class 0", "predicted class 1", "test point, class 0", "test point, class 1"} <= set(
            legends[name]), name
        width = int.from_bytes((out / name).read_bytes()[16:20], "big")  # PNG IHDR width
        assert width >= 1000, (name, width)


def test_the_page_shows_the_command_of_this_run_and_the_figure_claims_no_more_than_its_verdicts(run, results):
    out, legends = run
    page = (out / "index.html").read_text()
    assert "<pre>signnet reproduce --seed 0 --seeds 1 --quick</pre>" in page  # it showed pytest's argv
    assert "(training) and 1000 (test: the seed + 1000" in page
    holding = sum(v["status"] == "holds" for v in results["verdicts"])
    assert legends["figure1.png title"].startswith(
        "Figure 1 of Wang et al., reproduced: " if holding == len(results["verdicts"]) else
        f"Figure 1 of Wang et al., measured ({holding} of {len(results['verdicts'])} verdicts hold): ")
    text = " ".join(page.split())
    assert "the training was too short to tell" not in text  # the dnn_solves verdicts are never inconclusive
    assert ("The exception is the verdict that a trained DNN solves a panel (dnn_solves): it tests that DNN itself, "
            "with no such precondition, so it holds or fails.") in text
    assert not [v["key"] for v in results["verdicts"] if v["key"].endswith("dnn_solves") and v["requires"]]


def test_control_is_solved_by_the_dnn_plus(results):
    control = results["panels"]["control"]
    assert control["ceiling"] == 1.0
    assert control["flipped_hand"]["negative_weights"] == 0
    assert control["dnn_plus"]["wide"]["accuracy_mean"] >= 0.97


def test_softmax_loophole_is_shown(results):
    soft = results["softmax"]
    assert soft["logit_difference_certificate"] == [[None, None]]
    assert soft["softmax_negative_weights"] == 0
    assert soft["binary_accuracy"] <= soft["ceiling"]
    assert soft["dnn_plus_constructed"]["accuracy"] == soft["ceiling"]


def test_html_is_self_contained(report):
    page = (report / "index.html").read_text()
    assert not re.search(r"""(src|href)=["']https?://""", page)
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 3
    for data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    for word in ("Figure 1", "softmax", "ceiling", "convex"):
        assert word in page


def _chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None, reason="headless Chromium is not installed")
def test_report_renders_in_headless_chromium(report, tmp_path):
    shot = tmp_path / "page.png"
    subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,3000",
                    f"--screenshot={shot}", (report / "index.html").as_uri()],
                   check=True, capture_output=True, timeout=120)
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[0] >= 1000
    assert pixels.std() > 0.05  # not a blank page: text and figures were drawn


def test_bad_output_folder_exits_2_with_one_line(tmp_path, capsys):
    target = tmp_path / "a-file"
    target.write_text("x")
    assert main(["reproduce", "--quick", "--out", str(target)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is an existing file" in err[0]
    assert target.read_text() == "x"


def test_zero_seeds_is_refused(tmp_path, capsys):
    assert main(["reproduce", "--quick", "--seeds", "0", "--out", str(tmp_path / "r")]) == 2
    assert "--seeds must be an integer >= 1, got 0." in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_all_gathers_figure1_and_the_three_studies(tmp_path):
    out = tmp_path / "reports"
    assert main(["reproduce", "--all", "--quick", "--out", str(out), "--json"]) == 0
    for folder in ("figure1", "census", "zigzag", "positive-output", "budget"):
        assert (out / folder / "index.html").is_file()
        assert (out / folder / "results.json").is_file()
    page = (out / "index.html").read_text()
    for anchor in ("figure1", "census", "zigzag", "budget"):
        assert f'id="{anchor}"' in page
    assert "non-negative" in page.lower()
    assert len(re.findall(r'src="data:image/png;base64,', page)) >= 6
    assert not re.search(r"""(src|href)=["']https?://""", page)
