"""Spec parsing, validation (one-line errors naming the key and the fix), grid expansion, stable run ids."""

import subprocess
import sys
from pathlib import Path

import pytest

from signnet.errors import SignnetError
from signnet.sweep.spec import RunConfig, load_spec, packaged_spec, parse_spec

GOOD = """
name = "t"
epochs = 10
[grid]
data = ["xor", "figure1:C"]
hidden = [[3], [4, 4]]
weights = ["free", "nonneg", 0, 2]
seeds = [0, 1]
"""


def test_grid_expands_to_the_cartesian_product():
    spec = parse_spec(GOOD)
    assert len(spec.runs) == 2 * 2 * 4 * 2
    assert spec.settings["epochs"] == 10 and spec.settings["lr"] == 0.02  # given, default
    assert {r.weights for r in spec.runs} == {"free", "nonneg", 0, 2}
    assert len({r.run_id for r in spec.runs}) == len(spec.runs)  # distinct runs, distinct ids


def test_groups_share_data_and_architecture_and_cover_every_run_once():
    spec = parse_spec(GOOD)
    groups = spec.groups(group_size=5)
    assert sorted(r.run_id for g in groups for r in g) == sorted(r.run_id for r in spec.runs)
    assert all(len(g) <= 5 and len({r.group_key for r in g}) == 1 for g in groups)
    assert [[r.run_id for r in g] for g in groups] == [[r.run_id for r in g] for g in parse_spec(GOOD).groups(5)]


def test_run_id_is_the_hash_of_the_config_and_stable_across_processes():
    run = parse_spec(GOOD).runs[0]
    code = ("from signnet.sweep.spec import parse_spec; import sys; "
            "print(parse_spec(sys.stdin.read()).runs[0].run_id)")
    other = subprocess.run([sys.executable, "-c", code], input=GOOD, capture_output=True, text=True, check=True)
    assert other.stdout.strip() == run.run_id
    assert len(run.run_id) == 16 and int(run.run_id, 16) >= 0
    # a setting that changes the numbers changes the id; the group size and the seed of the sweep matter as declared
    assert parse_spec(GOOD.replace("epochs = 10", "epochs = 11")).runs[0].run_id != run.run_id
    assert parse_spec(GOOD + "").runs[0].run_id == run.run_id
    assert parse_spec(GOOD.replace('name = "t"', 'name = "t"\ngroup_size = 3')).runs[0].run_id == run.run_id
    assert parse_spec(GOOD, sweep_seed=1).runs[0].run_id != run.run_id
    # pinned: a change of the id scheme would orphan every existing table
    cfg = RunConfig(data="xor", hidden=(3,), activation="relu", weights=1, seed=0, sweep_seed=0, epochs=10, lr=0.02,
                    rounds=1, n_train=400, n_test=1000, noise=0.0, dominance_pairs=2000, ceiling=True)
    assert cfg.run_id == "0b84ec0524fef14b"


def _spec(top: str = "", **grid: str) -> str:
    """A spec's text: ``top`` settings, then a [grid] with these entries (TOML values) over a valid default."""
    entries = {"data": '["xor"]', "hidden": "[[3]]", "weights": "[0]", **grid}
    return top + "\n[grid]\n" + "\n".join(f"{k} = {v}" for k, v in entries.items() if v is not None)


@pytest.mark.parametrize("text, match", [
    (_spec(data=None), r"Spec key `grid.data` is missing; add e.g. data = "),
    (_spec(weights="[-1]"), r"Spec key `grid.weights` must hold \"free\", \"nonneg\" or integer budgets in "
                            r"0\.\.1,000,000,000,000, e\.g\. weights = .*got -1\."),
    # a budget past int64 made runs.jsonl unreadable by pandas.read_json(lines=True)
    (_spec(weights="[18446744073709551616]"), r"Spec key `grid.weights` must hold \"free\", \"nonneg\" or integer "
                                              r"budgets in 0\.\.1,000,000,000,000.*got 18446744073709551616\."),
    (_spec(weights="[1000000000001]"), r"integer budgets in 0\.\.1,000,000,000,000.*got 1000000000001\."),
    (_spec(data='["xr"]'), r"Spec key `grid.data` holds the unknown name 'xr'; choose from: xor, "),
    (_spec(hidden="[3]"), r"Spec key `grid.hidden` must hold lists of widths in 1\.\.1,000,000.*got 3\."),
    # a width past 2**63 crashed in torch with a TypeError traceback
    (_spec(hidden="[[4, 9223372036854775808]]"), r"Spec key `grid.hidden` must hold lists of widths in 1\.\.1,000,000, "
                                                 r"e\.g\. hidden = \[\[3\], \[16, 16\]\], got \[4, 9223372036854775808\]\."),
    (_spec(hidden="[[1000001]]"), r"Spec key `grid.hidden` must hold lists of widths in 1\.\.1,000,000.*got \[1000001\]\."),
    # label noise would leave a panel's or a data set's labels unchanged while the rows recorded it
    (_spec("noise = 0.1", data='["xor", "figure1:A"]'), r"^Spec key `noise` = 0\.1 applies only to generated problems, "
                                                        r"but grid\.data holds 'figure1:A', whose labels it would leave "
                                                        r"unchanged; set noise = 0, or sweep 'figure1:A' in a spec without "
                                                        r"noise\.$"),
    (_spec("noise = 0.2", data='["breast_cancer"]'), r"^Spec key `noise` = 0\.2 applies only to generated problems, "
                                                     r"but grid\.data holds 'breast_cancer'"),
    (_spec(activation='["rel"]'), r"Spec key `grid.activation` must hold activations from"),
    (_spec(seeds="[-1]"), r"Spec key `grid.seeds` must hold integers in 0..4294967295"),
    (_spec(data='["xor", "xor"]'), r"Spec key `grid.data` lists a value twice; list each value once, got 'xor'\."),
    (_spec(data="[]"), r"Spec key `grid.data` must be a non-empty list"),
    (_spec(width="[1]"), r"Spec key `grid.width` is unknown; the grid takes data, hidden"),
    (_spec("epoch = 3"), r"Spec key `epoch` is unknown; use the settings name, epochs"),
    (_spec("epochs = 0"), r"Spec key `epochs` must be an integer in 1\.\.10,000,000 \(full-batch Adam steps per "
                          r"phase, e.g. epochs = 200\), got 0\."),
    (_spec("epochs = 99999999999999"), r"Spec key `epochs` must be an integer in 1\.\.10,000,000"),
    (_spec("n_train = 1"), r"Spec key `n_train` must be an integer in 10\.\.100,000,000 \(training points"),
    (_spec("dominance_pairs = -1"), r"Spec key `dominance_pairs` must be an integer in 0\.\.1,000,000,000 "
                                    r"\(comparable pairs of the dominance check \(0 skips it"),
    (_spec("lr = -1"), r"Spec key `lr` must be a number in \(0, 3.4e\+38\], the largest float32"),
    (_spec("lr = inf"), r"Spec key `lr` must be a number in \(0, 3.4e\+38\].*got inf\."),
    (_spec("lr = 1e300"), r"Spec key `lr` must be a number in \(0, 3.4e\+38\].*got 1e\+300\."),
    (_spec(activation='[["relu"]]'), r"Spec key `grid.activation` must hold activations from .*got \['relu'\]\."),
    (_spec(activation="[{}]"), r"Spec key `grid.activation` must hold activations from"),
    (_spec(weights='[["free"]]'), r"Spec key `grid.weights` must hold \"free\", \"nonneg\" or integer budgets"),
    (_spec("noise = 0.9"), r"Spec key `noise` must lie in \[0, 0.5\]"),
    (_spec("ceiling = 1"), r"Spec key `ceiling` must be true or false"),
    ("epochs = 3", r"has no \[grid\] table; add one with the lists data, hidden"),
    ("[grid\n", r"is not valid TOML"),
])
def test_bad_specs_give_one_line_naming_the_key_and_the_fix(text, match):
    with pytest.raises(SignnetError, match=match) as info:
        parse_spec(text)
    assert "\n" not in str(info.value)


def test_bounds_and_noise_accept_what_they_should():
    spec = parse_spec(_spec(hidden="[[1000000]]", weights="[1000000000000]"))
    assert [(r.hidden, r.weights) for r in spec.runs] == [((1_000_000,), 1_000_000_000_000)]
    noisy = parse_spec(_spec("noise = 0.1", data='["xor", "positive_slope"]'))  # generated problems only: applied
    assert [r.noise for r in noisy.runs] == [0.1, 0.1]
    assert len(parse_spec(_spec(data='["figure1:A", "wine"]')).runs) == 2  # noise = 0 (the default): any data


def test_missing_file_and_packaged_specs(tmp_path: Path):
    with pytest.raises(SignnetError, match=r"Spec file '.*nope.toml' does not exist; give the path of a TOML spec"):
        load_spec(tmp_path / "nope.toml")
    with pytest.raises(SignnetError, match=r"Spec path '.*' is a folder; give the path of a TOML spec file"):
        load_spec(tmp_path)
    with pytest.raises(SignnetError, match=r"No packaged spec 'nope'; choose one of: budget"):
        packaged_spec("nope")
    for name in ("budget", "budget_full", "budget_quick"):
        spec = load_spec(packaged_spec(name))
        assert spec.runs and spec.source.startswith("#")


def test_a_spec_saved_with_a_byte_order_mark_reads_as_without(tmp_path: Path):
    text = packaged_spec("budget_quick").read_text(encoding="utf-8")
    (tmp_path / "bom.toml").write_bytes(b"\xef\xbb\xbf" + text.encode())  # what Windows editors save
    assert load_spec(tmp_path / "bom.toml").runs == load_spec(packaged_spec("budget_quick")).runs
