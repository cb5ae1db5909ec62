"""The results table of a sweep: append-only JSON Lines, one row per finished run.

Each row is one JSON object on one line, written with a single ``write`` of the
whole line, then ``flush`` and ``os.fsync``, so a sweep killed at any moment
leaves every finished row on disk and at most one torn line at the end (a line
without its newline, or with half an object). :meth:`Table.open` drops such a
tail before anything is appended, so a resumed sweep continues a clean file.
Rows are never rewritten or reordered: this file is the one thing a sweep writes
incrementally (its HTML summary is written whole, in a staged folder).

``pandas.read_json(path, lines=True)`` reads the table in one call;
:func:`read_table` does the same after leaving out a torn tail, with the text
columns kept as text (pandas would otherwise read ``weights`` ``"4"`` as a number).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from signnet.errors import SignnetError

TEXT_COLUMNS = ("run_id", "data", "hidden", "activation", "weights", "head", "negative_by_layer", "certificate",
                "convex", "device", "versions", "host")


def _good_prefix(raw: bytes, path: Path) -> tuple[int, list[dict]]:
    """Length in bytes of the complete rows at the start of ``raw``, and those rows.

    A last line without a newline or that is not JSON is a torn write and is left out;
    a bad line before the last one means the file is not a sweep table.
    """
    rows, end = [], 0
    lines = raw.split(b"\n")
    for i, line in enumerate(lines):
        last = i == len(lines) - 1  # after the final newline: empty, or a torn line
        if last:
            break
        if not line.strip():
            end += len(line) + 1
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict) or "run_id" not in row:
                raise ValueError
        except ValueError:
            if i == len(lines) - 2 and not lines[-1]:  # the last complete line is torn (e.g. a NUL-filled block)
                break
            raise SignnetError(f"Line {i + 1} of the sweep table {str(path)!r} is not a run row; "
                               "give --out a folder holding only a sweep's output.") from None
        rows.append(row)
        end += len(line) + 1
    return end, rows


class Table:
    """An append-only JSON Lines table of runs (see the module docstring).

    Example::

        table = Table.open(out / "runs.jsonl")   # drops a torn last line
        if row["run_id"] not in table.ids:
            table.append(row)                     # one line, flushed and fsynced
        table.close()
    """

    def __init__(self, path: Path, rows: list[dict], handle):
        self.path = path
        self.rows = rows
        self.ids = {r["run_id"] for r in rows}
        self._fh = handle

    @classmethod
    def open(cls, path) -> Table:
        """Open (or create) the table at ``path`` for appending, after dropping a torn last line."""
        path = Path(path)
        raw = path.read_bytes() if path.exists() else b""
        end, rows = _good_prefix(raw, path)
        fh = open(path, "ab")  # noqa: SIM115 - kept open for the sweep, closed by close()
        if end < len(raw):
            fh.truncate(end)
            fh.flush()
            os.fsync(fh.fileno())
        return cls(path, rows, fh)

    def append(self, row: dict) -> None:
        """Write ``row`` as one line, then flush and fsync; a row whose ``run_id`` is present is refused."""
        if row["run_id"] in self.ids:
            raise SignnetError(f"Run {row['run_id']} is already in the table {str(self.path)!r}; rows are never duplicated.")
        line = json.dumps(row, sort_keys=True, allow_nan=False, separators=(",", ":")) + "\n"
        self._fh.write(line.encode("utf-8"))
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self.rows.append(row)
        self.ids.add(row["run_id"])

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_rows(path) -> list[dict]:
    """The complete rows of the table at ``path`` (a torn last line left out), in file order."""
    path = Path(path)
    return _good_prefix(path.read_bytes(), path)[1] if path.exists() else []


def read_table(path):
    """The table at ``path`` as a ``pandas.DataFrame`` (one row per run, in the order they finished)."""
    import io

    import pandas as pd

    path = Path(path)
    raw = path.read_bytes() if path.exists() else b""
    end, rows = _good_prefix(raw, path)
    if not rows:
        return pd.DataFrame(columns=["run_id"])
    return pd.read_json(io.BytesIO(raw[:end]), lines=True, dtype={c: str for c in TEXT_COLUMNS})


def comparable(df, volatile=None):
    """``df`` without its volatile columns (timings, host), sorted by ``run_id``: equal for equal runs."""
    from signnet.sweep.run import VOLATILE_COLUMNS

    drop = [c for c in (volatile or VOLATILE_COLUMNS) if c in df.columns]
    return df.drop(columns=drop).sort_values("run_id").reset_index(drop=True)
