"""The README's results.json schema is generated from the Figure 1 results dataclasses, and checked against them."""

import re
from pathlib import Path

import pytest

from signnet.experiments.figure1.results import json_paths, schema_paths, schema_text

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_block() -> str:
    text = README.read_text()
    section = text[text.index("## The main job: `signnet reproduce`"):]
    return re.search(r"`results.json` schema.*?\n\n```\n(.*?)```", section, re.S).group(1).rstrip("\n")


def test_readme_schema_is_the_generated_one():
    assert _readme_block() == schema_text(), (
        "README's results.json schema is out of date; regenerate it with "
        "`python -m signnet.experiments.figure1.results` and paste it into the README")


def test_schema_text_lists_every_documented_field_once():
    text = schema_text()
    for path in schema_paths():
        leaf = path.rsplit(".", 1)[-1]
        assert re.search(rf"^\s*{re.escape(leaf)}(\.<key>)?(\s|$)", text, re.M), path
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "fields as panels.<key>.dnn" in text  # dnn_plus repeats dnn's fields by reference
    assert "dnn_plus_constructed" in text and "verdicts" in text and "init_seeds" in text


def _minimal_results() -> dict:
    """A results.json-shaped dict with every documented key (values irrelevant)."""
    out: dict = {}
    for path in sorted(schema_paths()):
        node = out
        parts = path.replace("<key>", "K").split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node.setdefault(parts[-1], {} if any(p.startswith(path + ".") for p in schema_paths()) else 0)
    return out


def test_json_paths_sees_extra_and_missing_keys():
    d = _minimal_results()
    assert json_paths(d) == schema_paths()
    d["panels"]["K"]["undocumented"] = 1
    assert "panels.<key>.undocumented" in json_paths(d) - schema_paths()
    del d["softmax"]["ceiling"]
    assert "softmax.ceiling" in schema_paths() - json_paths(d)


@pytest.mark.parametrize("key", [
    "panels.<key>.ceiling", "panels.<key>.dnn.wide.accuracy_mean", "panels.<key>.checks.<key>.worst_gap",
    "continuous.<key>.dnn_plus_tanh_constructed.accuracy", "softmax.dnn_plus_constructed.certified_monotone",
    "verdicts", "seed", "argv"])
def test_schema_documents_the_keys_the_report_reads(key):
    assert key in schema_paths()
