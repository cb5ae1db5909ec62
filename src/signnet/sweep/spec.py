"""A sweep specification (TOML): a grid of runs, expanded into :class:`RunConfig` objects with stable ids.

A spec has optional scalar settings at the top level and a ``[grid]`` table
whose entries are lists; the runs are the Cartesian product of the grid::

    name = "demo"              # a label for the summary page
    epochs = 200               # full-batch Adam steps per training phase
    lr = 0.02                  # Adam's learning rate
    rounds = 1                 # re-selection rounds of the budget algorithm (training has rounds + 1 phases)
    n_train = 400              # points drawn for a generated problem (train), and n_test for its test set
    n_test = 1000
    noise = 0.0                # label noise of a generated problem
    group_size = 64            # most runs trained together in one batched computation
    dominance_pairs = 2000     # comparable pairs sampled by the dominance check
    ceiling = true             # compute the exact monotone ceiling of each test set

    [grid]
    data = ["xor", "figure1:C", "breast_cancer"]   # a problem, a Figure 1 panel, or a bundled data set
    hidden = [[3], [16, 16]]                      # hidden widths, one list per architecture
    activation = ["relu"]
    weights = ["free", "nonneg", 0, 1, 4]         # a sign constraint, or an integer k: at most k negative weights
    seeds = [0, 1, 2]                             # training seeds

Several grids: write ``[[grid]]`` tables instead of one ``[grid]``; the runs are
the union of their products (a run in two of them counts once).

``weights``: ``"free"`` (the paper's DNN) or ``"nonneg"`` (its DNN+) constrain
every weight through training; an integer ``k`` in ``0..10**12`` is a negative-weight
budget, for which the training chooses which weights may be negative
(:mod:`signnet.sweep.budget`). Hidden widths lie in ``1..10**6``. ``noise`` applies to the
generated problems only, so a spec with ``noise > 0`` lists no other data.

A run's id is the first 16 hex digits of the SHA-256 of its configuration as
canonical JSON (sorted keys), so the same run has the same id in every process,
on every machine and in every later sweep: that is what lets a sweep resume.
Settings that do not define a run (``group_size``, the device, the engine, the
worker count) are not part of it. The engine and the worker count do not change
any number. ``group_size`` and the device can: the runs of a group are trained in
one batched computation whose rounding depends on how many share it (and on the
device), and training can amplify a last-bit difference into a different accuracy.
So a folder resumes only with its own ``group_size`` (the grouping, and so every
number, is then the same as in one uninterrupted sweep).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from signnet.errors import SignnetError
from signnet.train.checks import FLOAT32_MAX
from signnet.validation import SEED_MAX, is_integer

RUN_PROTOCOL = 1  # bump when a run's computation changes, so old rows are not mistaken for new ones
SETTINGS = {  # key: (default, kind, help shown in an error)
    "name": ("sweep", "str", 'a label, e.g. name = "budget"'),
    "epochs": (200, "int", "full-batch Adam steps per phase, e.g. epochs = 200"),
    "lr": (0.02, "float", "Adam's learning rate, e.g. lr = 0.02"),
    "rounds": (1, "int", "budget re-selection rounds (>= 1), e.g. rounds = 1"),
    "n_train": (400, "int", "training points of a generated problem, e.g. n_train = 400"),
    "n_test": (1000, "int", "test points of a generated problem, e.g. n_test = 1000"),
    "noise": (0.0, "float", "label noise of a generated problem in [0, 0.5], e.g. noise = 0.0"),
    "group_size": (64, "int", "most runs trained in one batched computation, e.g. group_size = 64"),
    "dominance_pairs": (2000, "int", "comparable pairs of the dominance check (0 skips it, and its columns are "
                                     "then empty), e.g. dominance_pairs = 2000"),
    "ceiling": (True, "bool", "compute the exact monotone ceiling, e.g. ceiling = true"),
}
# integer settings' ranges: a generated problem needs points of both classes to train and test on, and a count
# past these bounds is a typo (a run of 10^14 epochs never ends)
INT_RANGES = {"epochs": (1, 10**7), "rounds": (1, 100), "n_train": (10, 10**8), "n_test": (10, 10**8),
              "group_size": (1, 10**6), "dominance_pairs": (0, 10**9)}
# a hidden width past WIDTH_MAX is a typo (torch cannot size one past 2**63), and so is a budget past BUDGET_MAX: a
# budget above a network's weight count leaves it free, and the table's integer columns must fit int64 (pandas)
WIDTH_MAX, BUDGET_MAX = 10**6, 10**12
GRID = {  # key: example shown in an error
    "data": '["xor", "figure1:C"]',
    "hidden": "[[3], [16, 16]]",
    "activation": '["relu"]',
    "weights": '["free", "nonneg", 0, 1, 4]',
    "seeds": "[0, 1, 2]",
}
FIXED_SIGNS = ("free", "nonneg")


@dataclass(frozen=True)
class RunConfig:
    """One run of a sweep: everything that determines its numbers.

    ``weights`` is ``"free"``, ``"nonneg"`` or an ``int`` budget ``k``; ``seed`` the
    training seed from the grid and ``sweep_seed`` the ``--seed`` of the sweep
    (it draws the data and, with ``seed``, the initialisation).
    """

    data: str
    hidden: tuple[int, ...]
    activation: str
    weights: str | int
    seed: int
    sweep_seed: int
    epochs: int
    lr: float
    rounds: int
    n_train: int
    n_test: int
    noise: float
    dominance_pairs: int
    ceiling: bool
    protocol: int = RUN_PROTOCOL

    def to_dict(self) -> dict:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    @property
    def run_id(self) -> str:
        """First 16 hex digits of the SHA-256 of the configuration as canonical JSON."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    @property
    def group_key(self) -> tuple:
        """Runs with the same key share data and architecture, and can train in one batched computation."""
        return (self.data, self.hidden, self.activation, self.sweep_seed, self.epochs, self.lr, self.rounds,
                self.n_train, self.n_test, self.noise, self.dominance_pairs, self.ceiling, self.protocol)


@dataclass(frozen=True)
class Spec:
    """A parsed sweep specification: its settings and the expanded runs (in grid order)."""

    name: str
    settings: dict
    grid: dict
    runs: tuple[RunConfig, ...] = field(repr=False)
    source: str = ""  # the TOML text

    def groups(self, group_size: int | None = None) -> list[list[RunConfig]]:
        """The runs split into batched groups: same :attr:`RunConfig.group_key`, at most ``group_size`` each.

        The split depends on the spec alone (runs sorted by id within a key), so every
        engine trains the same groups.
        """
        size = group_size or self.settings["group_size"]
        by_key: dict[tuple, list[RunConfig]] = {}
        for run in self.runs:
            by_key.setdefault(run.group_key, []).append(run)
        out = []
        for key in sorted(by_key, key=repr):
            members = sorted(by_key[key], key=lambda r: r.run_id)
            out += [members[i:i + size] for i in range(0, len(members), size)]
        return out


def _err(key: str, got, fix: str) -> SignnetError:
    return SignnetError(f"Spec key `{key}` {fix}, got {got!r}.")


def _setting(key: str, value):
    default, kind, help_ = SETTINGS[key]
    if kind == "str":
        if not isinstance(value, str) or not value.strip():
            raise _err(key, value, f"must be a non-empty string ({help_})")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise _err(key, value, f"must be true or false ({help_})")
        return value
    if kind == "int":
        low, high = INT_RANGES[key]
        if not is_integer(value) or not low <= value <= high:
            raise _err(key, value, f"must be an integer in {low}..{high:,} ({help_})")
        return int(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _err(key, value, f"must be a number ({help_})")
    value = float(value)
    if key == "lr" and not 0 < value <= FLOAT32_MAX:  # NaN, inf and what float32 cannot hold are refused here
        raise _err(key, value, f"must be a number in (0, {FLOAT32_MAX:.3g}], the largest float32 ({help_})")
    if key == "noise" and not 0 <= value <= 0.5:
        raise _err(key, value, f"must lie in [0, 0.5] ({help_})")
    return value


def _grid_values(key: str, values) -> list:
    from signnet.nn.activations import ACTIVATIONS
    from signnet.sweep.data import check_data_name

    example = GRID[key]
    if not isinstance(values, list) or not values:
        raise _err(f"grid.{key}", values, f"must be a non-empty list, e.g. {key} = {example}")
    out = []
    for v in values:
        if key == "data":
            if not isinstance(v, str):
                raise _err("grid.data", v, f"must hold names, e.g. data = {example}")
            check_data_name(v)
            out.append(v)
        elif key == "hidden":
            if not isinstance(v, list) or not all(is_integer(h) and 1 <= h <= WIDTH_MAX for h in v):
                raise _err("grid.hidden", v, f"must hold lists of widths in 1..{WIDTH_MAX:,}, e.g. hidden = {example}")
            out.append(tuple(int(h) for h in v))
        elif key == "activation":
            if not isinstance(v, str) or v not in ACTIVATIONS:
                raise _err("grid.activation", v, f"must hold activations from {', '.join(sorted(ACTIVATIONS))}")
            out.append(v)
        elif key == "weights":
            if not ((isinstance(v, str) and v in FIXED_SIGNS) or (is_integer(v) and 0 <= v <= BUDGET_MAX)):
                raise _err("grid.weights", v, f'must hold "free", "nonneg" or integer budgets in 0..{BUDGET_MAX:,}, '
                                              f"e.g. weights = {example}")
            out.append(v if isinstance(v, str) else int(v))
        else:
            if not is_integer(v) or not 0 <= v <= SEED_MAX:
                raise _err("grid.seeds", v, f"must hold integers in 0..{SEED_MAX}, e.g. seeds = {example}")
            out.append(int(v))
    if len(set(out)) != len(out):
        dup = next(v for v in out if out.count(v) > 1)
        raise _err(f"grid.{key}", dup, "lists a value twice; list each value once")
    return out


def parse_spec(text: str, *, sweep_seed: int = 0, where: str = "the spec") -> Spec:
    """Parse and validate a spec's TOML text and expand its grid (see the module docstring).

    Raises:
        SignnetError: one sentence naming the key, the bad value and the fix.
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SignnetError(f"{where} is not valid TOML ({exc}); fix the syntax.") from None
    unknown = sorted(set(doc) - set(SETTINGS) - {"grid"})
    if unknown:
        raise SignnetError(f"Spec key `{unknown[0]}` is unknown; use the settings {', '.join(SETTINGS)} "
                           "and a [grid] table.")
    settings = {k: _setting(k, doc[k]) if k in doc else v[0] for k, v in SETTINGS.items()}
    grid_doc = doc.get("grid")
    tables = grid_doc if isinstance(grid_doc, list) else [grid_doc]
    if not tables or not all(isinstance(t, dict) for t in tables):
        raise SignnetError(f"{where} has no [grid] table; add one with the lists {', '.join(GRID)}.")
    grids, runs, seen = [], [], set()
    for table in tables:
        grid = _grid_table(table)
        grids.append(grid)
        for d, h, a, w, s in itertools.product(grid["data"], grid["hidden"], grid["activation"], grid["weights"],
                                               grid["seeds"]):
            run = RunConfig(data=d, hidden=h, activation=a, weights=w, seed=s, sweep_seed=sweep_seed,
                            epochs=settings["epochs"], lr=settings["lr"], rounds=settings["rounds"],
                            n_train=settings["n_train"], n_test=settings["n_test"], noise=settings["noise"],
                            dominance_pairs=settings["dominance_pairs"], ceiling=settings["ceiling"])
            if run.run_id not in seen:  # two [[grid]] tables may overlap: each run once
                seen.add(run.run_id)
                runs.append(run)
    _check_noise(settings["noise"], grids)
    grid = grids[0] if len(grids) == 1 else {k: [v for g in grids for v in g[k]] for k in GRID}
    return Spec(name=settings["name"], settings=settings, grid=grid, runs=tuple(runs), source=text)


def _check_noise(noise: float, grids: list[dict]) -> None:
    """Label noise applies to generated problems only: refuse it beside a Figure 1 panel or a bundled data set,
    whose labels it would leave unchanged while the rows recorded it."""
    from signnet.sweep.data import is_generated

    other = next((d for g in grids for d in g["data"] if not is_generated(d)), None)
    if noise > 0 and other is not None:
        raise SignnetError(f"Spec key `noise` = {noise} applies only to generated problems, but grid.data holds "
                           f"{other!r}, whose labels it would leave unchanged; set noise = 0, or sweep {other!r} in "
                           "a spec without noise.")


def _grid_table(table: dict) -> dict:
    """One ``[grid]`` (or ``[[grid]]``) table, validated, with defaults for ``activation`` and ``seeds``."""
    unknown = sorted(set(table) - set(GRID))
    if unknown:
        raise SignnetError(f"Spec key `grid.{unknown[0]}` is unknown; the grid takes {', '.join(GRID)}.")
    missing = [k for k in ("data", "hidden", "weights") if k not in table]
    if missing:
        raise SignnetError(f"Spec key `grid.{missing[0]}` is missing; add e.g. {missing[0]} = {GRID[missing[0]]}.")
    grid = {k: _grid_values(k, table[k]) for k in table}
    grid.setdefault("activation", ["relu"])
    grid.setdefault("seeds", [0])
    return grid


def load_spec(path, *, sweep_seed: int = 0) -> Spec:
    """Read and parse the spec file at ``path`` (see :func:`parse_spec`)."""
    path = Path(path)
    if path.is_dir():
        raise SignnetError(f"Spec path {str(path)!r} is a folder; give the path of a TOML spec file, "
                           "e.g. src/signnet/sweep/specs/budget.toml.")
    if not path.is_file():
        raise SignnetError(f"Spec file {str(path)!r} does not exist; give the path of a TOML spec, "
                           "e.g. src/signnet/sweep/specs/budget.toml.")
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark (Windows editors) is not TOML
    except (OSError, UnicodeDecodeError) as exc:
        raise SignnetError(f"Cannot read the spec file {str(path)!r} ({exc}); check the path and its encoding.") from None
    return parse_spec(text, sweep_seed=sweep_seed, where=f"Spec file {str(path)!r}")


def packaged_spec(name: str) -> Path:
    """The path of a spec shipped in the package (``specs/<name>.toml``), e.g. ``packaged_spec("budget")``."""
    path = Path(__file__).resolve().parent / "specs" / f"{name}.toml"
    if not path.is_file():
        names = sorted(p.stem for p in path.parent.glob("*.toml"))
        raise SignnetError(f"No packaged spec {name!r}; choose one of: {', '.join(names)}.")
    return path
