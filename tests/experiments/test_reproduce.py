"""`signnet reproduce --quick`: the report, its numbers and its files."""

import base64
import json
import re
import shutil
import subprocess

import pytest

from signnet.cli.main import main

PANEL_KEYS = ("A", "B", "C", "control")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("figure1")
    assert main(["reproduce", "--quick", "--out", str(out), "--seed", "0", "--json"]) == 0
    return out


@pytest.fixture(scope="module")
def results(report):
    return json.loads((report / "results.json").read_text())


def test_writes_the_report_files_and_no_temporaries(report):
    names = sorted(p.name for p in report.iterdir())
    assert names == ["continuous.png", "figure1.png", "index.html", "results.json", "softmax.png"]
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
    # Theorem 1.1: no DNN+ beats the monotone ceiling of the data it is scored on
    assert panel["dnn_plus"]["accuracy_mean"] <= panel["ceiling"] + 1e-9
    assert panel["dnn_plus"]["wide"]["accuracy_mean"] <= panel["ceiling"] + 1e-9
    assert not panel["checks"]["flipped_hand"]["certified_monotone"]
    assert panel["checks"]["dnn_plus"]["certified_monotone"]
    assert panel["checks"]["dnn_plus"]["dominance_violations"] == 0


def test_control_is_solved_by_the_dnn_plus(results):
    control = results["panels"]["control"]
    assert control["ceiling"] == 1.0
    assert control["flipped_hand"]["negative_weights"] == 0
    assert control["dnn_plus"]["wide"]["accuracy_mean"] >= 0.97


def test_softmax_loophole_is_shown(results):
    soft = results["softmax"]
    assert soft["logit_difference_certificate"] == [[None, None]]
    assert soft["softmax_negative_weights"] == 0
    assert soft["binary_accuracy"] <= soft["ceiling"] + 1e-9


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
    for folder in ("figure1", "census", "zigzag", "positive-output"):
        assert (out / folder / "index.html").is_file()
        assert (out / folder / "results.json").is_file()
    page = (out / "index.html").read_text()
    for anchor in ("figure1", "census", "zigzag"):
        assert f'id="{anchor}"' in page
    assert "non-negative" in page.lower()
    assert len(re.findall(r'src="data:image/png;base64,', page)) >= 6
    assert not re.search(r"""(src|href)=["']https?://""", page)
