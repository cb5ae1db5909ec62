"""Verdicts are data: their status follows from their numbers, and the schema from the dataclasses."""

from dataclasses import dataclass

import numpy as np
import pytest

from signnet.experiments.results import (
    Comparison,
    Results,
    Verdict,
    check_verdict_dict,
    doc,
    iter_verdicts,
    schema_lines,
)


def _v(left, op, right, requires=()):
    return Verdict("k", "a claim", "training", (Comparison("a", left, op, "b", right),), requires)


@pytest.mark.parametrize(("left", "op", "right", "status"), [
    (0.642, "<=", 0.684, "holds"), (0.684, "<=", 0.684, "holds"), (0.6841, "<=", 0.684, "fails"),
    (1.0, ">", 1.0, "fails"), (3, "==", 3, "holds"), (float("nan"), "<=", 1.0, "fails"),
])
def test_status_is_exact_comparison(left, op, right, status):
    assert _v(left, op, right).status == status


def test_failed_precondition_makes_inconclusive_not_holds():
    v = _v(0.5, "<=", 0.7, requires=(Comparison("DNN accuracy", 0.5, ">=", "trained threshold", 0.9),))
    assert v.status == "inconclusive"
    assert v.unmet == "DNN accuracy 0.500 >= trained threshold 0.900"


def test_evidence_is_the_numbers():
    v = Verdict("x", "claim", "theorem", (Comparison("best DNN+", 0.642, "<=", "ceiling", 0.684),
                                          Comparison("violations", 0, "==", "zero", 0)))
    assert v.evidence == "best DNN+ 0.642 <= ceiling 0.684; violations 0 == zero 0"


def test_contradicting_dict_is_caught():
    d = _v(0.9, "<=", 0.7).to_dict()
    assert d["status"] == "fails"
    check_verdict_dict(d)
    d["status"] = "holds"
    with pytest.raises(AssertionError, match="says 'holds' but its numbers give 'fails'"):
        check_verdict_dict(d)


def test_unknown_kind_and_empty_verdict_refused():
    with pytest.raises(ValueError, match="Unknown verdict kind 'guess'"):
        Verdict("k", "c", "guess", (Comparison("a", 1, "<=", "b", 2),))
    with pytest.raises(ValueError, match="has no comparison"):
        Verdict("k", "c", "theorem", ())


@dataclass
class _Inner(Results):
    acc: float = doc("accuracy")


@dataclass
class _Outer(Results):
    panels: dict[str, _Inner] = doc("per panel")
    check: Verdict = doc("a verdict")
    model: object = doc("kept for plots", json=False, default=None)


def test_to_dict_and_schema():
    r = _Outer({"A": _Inner(np.float64(0.5))}, _v(1, "<", 2), model=object())
    d = r.to_dict()
    assert d["panels"] == {"A": {"acc": 0.5}} and type(d["panels"]["A"]["acc"]) is float
    assert "model" not in d
    assert [v["key"] for v in iter_verdicts(d)] == ["k"]
    assert schema_lines(_Outer) == [("panels", "per panel"), ("panels.<key>.acc", "accuracy"), ("check", "a verdict")]


@pytest.mark.parametrize(("left", "op", "right", "text"), [
    (0.99993, "==", 1, "a 0.9999 == b 1"),  # was "a 1.000 == b 1", beside a failing verdict
    (0.99993, ">=", 0.97, "a 0.9999 >= b 0.970"),  # a float other than 1 never reads as 1
    (0.6844, "<=", 0.6843, "a 0.6844 <= b 0.6843"),  # was "a 0.684 <= b 0.684", which reads as holding
    (0.6843, "<=", 0.6844, "a 0.684 <= b 0.684"),  # holds, and reads so: no extra digits
    (1.00001, "<=", 1, "a 1.00001 <= b 1"),
    (2e-9, ">", 1e-9, "a 2.00e-09 > b 1.00e-09"),
])
def test_evidence_never_reads_against_its_comparison(left, op, right, text):
    c = Comparison("a", left, op, "b", right)
    assert c.text() == text
    assert _v(left, op, right).evidence == text
