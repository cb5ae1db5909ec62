"""Sweeps: a TOML grid of runs, trained in batched groups, locally or on Ray, into one resumable table.

* :mod:`.spec` — :func:`load_spec` / :func:`parse_spec`: TOML parsing, validation, grid expansion,
  :class:`RunConfig` with a stable :attr:`~RunConfig.run_id`;
* :mod:`.data` — the data of a run (problems, Figure 1 panels, bundled data sets);
* :mod:`.budget` — training under a negative-weight budget (at most ``k`` negative weights);
* :mod:`.run` — :func:`run_group`: train, evaluate, certify, dominance-check a group; one row per run;
* :mod:`.table` — the append-only JSON Lines table (:class:`Table`, :func:`read_table`);
* :mod:`.engines` — ``local`` (processes) and ``ray``;
* :mod:`.driver` — :func:`run_sweep`: skip finished runs, execute, append, summarise;
* :mod:`.report` and ``templates/`` — the summary page; ``specs/`` — specs shipped with signnet.
"""

from signnet.sweep.budget import keep_most_negative, negative_weights, round_budgets, train_group
from signnet.sweep.driver import SweepOutcome, run_sweep
from signnet.sweep.run import COLUMNS, VOLATILE_COLUMNS, run_group
from signnet.sweep.spec import RunConfig, Spec, load_spec, packaged_spec, parse_spec
from signnet.sweep.table import Table, comparable, read_rows, read_table

__all__ = ["COLUMNS", "VOLATILE_COLUMNS", "RunConfig", "Spec", "SweepOutcome", "Table", "comparable",
           "keep_most_negative", "load_spec", "negative_weights", "packaged_spec", "parse_spec", "read_rows",
           "read_table", "round_budgets", "run_group", "run_sweep", "train_group"]
