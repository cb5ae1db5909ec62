"""The append-only table: rows on disk after each append, a torn last line dropped, pandas reads it in one call."""

import json
from pathlib import Path

import pandas as pd
import pytest

from signnet.errors import SignnetError
from signnet.sweep.table import Table, read_rows, read_table


def _row(i: int) -> dict:
    return {"run_id": f"{i:016x}", "data": "xor", "weights": str(i), "hidden": "3", "test_accuracy": i / 10}


def test_rows_are_on_disk_after_each_append_and_pandas_reads_the_file_in_one_call(tmp_path: Path):
    path = tmp_path / "runs.jsonl"
    with Table.open(path) as table:
        for i in range(3):
            table.append(_row(i))
            assert len(path.read_text().splitlines()) == i + 1  # flushed before append returns
    df = pd.read_json(path, lines=True)
    assert list(df["test_accuracy"]) == [0.0, 0.1, 0.2]
    df = read_table(path)
    assert list(df["weights"]) == ["0", "1", "2"]  # text stays text (pandas alone reads 0, 1, 2)
    assert list(pd.read_json(path, lines=True)["weights"]) == [0, 1, 2]


def test_a_torn_last_line_is_dropped_and_the_table_continues_cleanly(tmp_path: Path):
    path = tmp_path / "runs.jsonl"
    with Table.open(path) as table:
        table.append(_row(0))
        table.append(_row(1))
    full = path.read_bytes()
    path.write_bytes(full + json.dumps(_row(2)).encode()[:25])  # killed in the middle of a write
    assert [r["run_id"] for r in read_rows(path)] == [_row(0)["run_id"], _row(1)["run_id"]]
    with Table.open(path) as table:
        assert table.ids == {_row(0)["run_id"], _row(1)["run_id"]}
        assert path.read_bytes() == full  # the torn tail is gone before anything is appended
        table.append(_row(2))
    assert [r["run_id"] for r in read_rows(path)] == [_row(i)["run_id"] for i in range(3)]
    assert len(pd.read_json(path, lines=True)) == 3


def test_duplicates_are_refused_and_a_corrupt_middle_line_is_an_error(tmp_path: Path):
    path = tmp_path / "runs.jsonl"
    with Table.open(path) as table:
        table.append(_row(0))
        with pytest.raises(SignnetError, match=r"Run 0000000000000000 is already in the table"):
            table.append(_row(0))
    path.write_text("not json\n" + json.dumps(_row(1)) + "\n")
    with pytest.raises(SignnetError, match=r"Line 1 of the sweep table '.*runs.jsonl' is not a run row"):
        Table.open(path)
