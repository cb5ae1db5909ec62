"""Typed results and verdicts shared by every experiment.

An experiment returns a dataclass of results (a subclass of :class:`Results`);
the claims it checks are :class:`Verdict` objects computed from the numbers of
the same run and stored with them, so the HTML report only displays them.

A verdict is a conjunction of :class:`Comparison` objects (``left op right``,
e.g. "best DNN+ accuracy 0.642 <= ceiling 0.684"), guarded by preconditions
(``requires``): when a precondition fails (say, the networks did not train in a
``--quick`` run) the verdict is ``"inconclusive"``, never a green "holds". The
status is recomputed from the stored numbers by :func:`verdict_status`, which is
how the tests check that no verdict's words contradict its numbers.

Every verdict says which kind of number it rests on (``kind``):

* ``"theorem"``: a bound that no network of the class can beat (e.g. the exact
  monotone ceiling bounds every DNN+, Theorem 1.1 of Wang et al.);
* ``"training"``: what training reached (an optimiser can stop below what the
  class can represent: an optimisation trap is not the theorem's limit);
* ``"construction"``: a network built by hand, evaluated as is;
* ``"measurement"``: any other measured quantity.
"""

from __future__ import annotations

import dataclasses
import math
import operator
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KINDS = ("theorem", "training", "construction", "measurement")
STATUSES = ("holds", "fails", "inconclusive")
_OPS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt, "==": operator.eq, "!=": operator.ne}


@dataclass(frozen=True)
class Comparison:
    """``left op right`` between two named numbers, e.g. ``("best DNN+ accuracy", 0.642, "<=", "ceiling", 0.684)``.

    The comparison is exact: a bound is written as it is (``<= ceiling``), never
    with a tolerance hidden in the number (write the tolerance as its own term in
    the name and value if one is meant, e.g. ``"ceiling + 1/n_test"``).
    """

    left: str
    left_value: float
    op: str
    right: str
    right_value: float

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ValueError(f"Unknown comparison operator {self.op!r}; choose one of: {', '.join(_OPS)}.")

    @property
    def holds(self) -> bool:
        a, b = self.left_value, self.right_value
        if any(isinstance(v, float) and math.isnan(v) for v in (a, b)):
            return False
        return bool(_OPS[self.op](a, b))

    def text(self, digits: int = 3) -> str:
        """``"best DNN+ accuracy 0.642 <= ceiling 0.684"``.

        The numbers get as many more digits as it takes for the shown comparison to read as it comes out:
        0.6844 <= 0.6843 fails, so it is written "0.6844 <= 0.6843", never "0.684 <= 0.684".
        """
        holds = self.holds
        for places in range(digits, 21):
            left, right = _fmt(self.left_value, places), _fmt(self.right_value, places)
            if _reads(left, self.op, right) in (None, holds):
                break
        else:  # repr gives back the exact float
            left, right = (repr(float(v)) for v in (self.left_value, self.right_value))
        return f"{self.left} {left} {self.op} {self.right} {right}"


def _reads(left: str, op: str, right: str) -> bool | None:
    """How ``left op right`` reads with the numbers as written (None: not two numbers)."""
    try:
        a, b = float(left), float(right)
    except ValueError:
        return None
    return False if math.isnan(a) or math.isnan(b) else bool(_OPS[op](a, b))


def _fmt(value: Any, digits: int) -> str:
    """``value`` with ``digits`` decimals; a float other than +-1 never reads as +-1 (0.99993 is "0.9999")."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1:
        return str(int(value))
    if value != 0 and (abs(value) < 10 ** -digits or abs(value) >= 1e6):
        return f"{value:.{digits - 1}e}"
    for places in range(digits, max(digits, 12) + 1):
        text = f"{value:.{places}f}"
        if not math.isfinite(value) or abs(float(text)) != 1:
            return text
    return repr(float(value))


def verdict_status(comparisons, requires=()) -> str:
    """``"inconclusive"`` if a precondition fails, else ``"holds"`` iff every comparison holds."""
    if not all(c.holds for c in requires):
        return "inconclusive"
    return "holds" if all(c.holds for c in comparisons) else "fails"


@dataclass(frozen=True)
class Verdict:
    """A claim checked against the numbers of the run that stores it.

    Args:
        key: a stable identifier, e.g. ``"A.dnn_plus_below_ceiling"``.
        claim: the claim in words, with no numbers (they are in ``comparisons``).
        kind: which number it rests on: one of :data:`KINDS`.
        comparisons: all must hold for the claim to hold.
        requires: preconditions; if one fails the status is ``"inconclusive"``.
        note: optional caveat shown with the verdict; any number in it comes from the same run's results
            (e.g. the benchmark's paired interval, stored beside the verdict's data set).
    """

    key: str
    claim: str
    kind: str
    comparisons: tuple[Comparison, ...]
    requires: tuple[Comparison, ...] = ()
    note: str = ""
    status: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Unknown verdict kind {self.kind!r}; choose one of: {', '.join(KINDS)}.")
        object.__setattr__(self, "comparisons", tuple(self.comparisons))
        object.__setattr__(self, "requires", tuple(self.requires))
        if not self.comparisons:
            raise ValueError(f"Verdict {self.key!r} has no comparison; a verdict must rest on numbers.")
        object.__setattr__(self, "status", verdict_status(self.comparisons, self.requires))

    @property
    def holds(self) -> bool:
        return self.status == "holds"

    @property
    def evidence(self) -> str:
        """The comparisons as one sentence: ``"a 0.5 <= b 0.7; c 1 == d 1"``."""
        return "; ".join(c.text() for c in self.comparisons)

    @property
    def unmet(self) -> str:
        """The failed preconditions as one sentence (empty when all are met)."""
        return "; ".join(c.text() for c in self.requires if not c.holds)

    def to_dict(self) -> dict:
        return {
            "key": self.key, "claim": self.claim, "kind": self.kind, "status": self.status,
            "evidence": self.evidence, "note": self.note,
            "comparisons": [dataclasses.asdict(c) | {"holds": c.holds} for c in self.comparisons],
            "requires": [dataclasses.asdict(c) | {"holds": c.holds} for c in self.requires],
        }


def check_verdict_dict(d: dict) -> None:
    """Raise ``AssertionError`` if a stored verdict's status or evidence contradicts its numbers."""
    comps = [Comparison(**{k: v for k, v in c.items() if k != "holds"}) for c in d["comparisons"]]
    reqs = [Comparison(**{k: v for k, v in c.items() if k != "holds"}) for c in d["requires"]]
    status = verdict_status(comps, reqs)
    assert d["status"] == status, f"verdict {d['key']!r} says {d['status']!r} but its numbers give {status!r}"
    assert d["evidence"] == "; ".join(c.text() for c in comps), f"verdict {d['key']!r}: evidence is not its numbers"
    assert d["kind"] in KINDS


def iter_verdicts(obj: Any):
    """Every verdict dict inside a results dict (depth first)."""
    if isinstance(obj, dict):
        if {"key", "claim", "kind", "status", "comparisons"} <= obj.keys():
            yield obj
            return
        for v in obj.values():
            yield from iter_verdicts(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from iter_verdicts(v)


def to_plain(obj: Any) -> Any:
    """Turn dataclasses, numpy and torch values, tuples and paths into plain JSON values.

    Dataclass fields declared with ``metadata={"json": False}`` (e.g. trained
    models kept for plotting) are left out.
    """
    if isinstance(obj, Verdict):
        return obj.to_dict()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.metadata.get("json", True)}
    if isinstance(obj, dict):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "tolist"):  # numpy arrays and scalars, torch tensors
        return obj.tolist()
    return obj


class Results:
    """Mixin for an experiment's results dataclass: :meth:`to_dict` and :meth:`verdicts`."""

    def to_dict(self) -> dict:
        return to_plain(self)

    def verdicts(self) -> list[dict]:
        return list(iter_verdicts(self.to_dict()))


def doc(text: str, **kwargs) -> Any:
    """A dataclass field with a schema description: ``ceiling: float = doc("exact monotone ceiling")``.

    Extra keyword arguments go to :func:`dataclasses.field` (``default``,
    ``default_factory``); ``json=False`` keeps the field out of ``to_dict``.
    """
    json_ = kwargs.pop("json", True)
    return field(metadata={"doc": text, "json": json_}, **kwargs)


def schema_lines(cls: type, prefix: str = "") -> list[tuple[str, str]]:
    """``(dotted key, description)`` for every documented field of a results dataclass, recursively.

    Nested dataclass fields (directly, or as ``dict[str, X]`` / ``list[X]``) are
    expanded with ``<key>`` / ``[]`` in the path. This is the one source of the
    ``results.json`` schema; the README's schema sections are checked against it.
    """
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        if not f.metadata.get("json", True):
            continue
        name = f"{prefix}{f.name}"
        out.append((name, f.metadata.get("doc", "")))
        inner, suffix = _inner_dataclass(hints.get(f.name))
        if inner is not None:
            out += schema_lines(inner, f"{name}{suffix}.")
    return out


def _inner_dataclass(tp) -> tuple[type | None, str]:
    if tp is None or tp in (Verdict, Comparison):  # verdicts are leaves: their own schema is fixed
        return None, ""
    if dataclasses.is_dataclass(tp):
        return tp, ""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is dict and len(args) == 2 and dataclasses.is_dataclass(args[1]) and args[1] not in (Verdict, Comparison):
        return args[1], ".<key>"
    if origin in (list, tuple) and args and dataclasses.is_dataclass(args[0]) and args[0] not in (Verdict, Comparison):
        return args[0], "[]"
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        for a in args:
            inner = _inner_dataclass(a)
            if inner[0] is not None:
                return inner
    return None, ""
