"""read_csv: the pandas fast path and the block reader give what a cell-by-cell reference reader gives,
values and errors (the same sentence, naming the same line of the file)."""

from __future__ import annotations

import csv
import math
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import signnet.csvfile as csvfile
from signnet.errors import SignnetError
from signnet.validation import read_csv

# cells that float() and pandas might read differently, good and bad
CELLS = ["0", "1", "-3", "2.5", " 7 ", "+1", ".5", "1e3", "-0", "-0.0", "123456789012345678901234", '"4"',
         "True", "false", "nan", "NaN", "inf", "-Infinity", "", "  ", "1_0", "0x1", "high", "NA", "1.5.2"]


def reference_read_csv(path, label):
    """Cell by cell with csv and float: the first bad cell in reading order, named by its line in the file."""
    path, name = str(path), repr(str(path))
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        rows = [(reader.line_num, r) for r in reader if r and not (len(r) == 1 and not r[0].strip())]
    if not rows:
        raise SignnetError(f"Data file {name} is empty; it needs a header row and at least one data row.")
    header = [h.strip() for h in rows[0][1]]
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        raise SignnetError(f"Data file {name} names more than one column {', '.join(map(repr, twice))}; give every "
                           "column its own name in the header row.")
    if label not in header:
        shown = ", ".join(h.replace("\n", " ").replace("\r", " ") for h in header)  # one line
        raise SignnetError(f"Data file {name} has no label column {label!r}; its columns are "
                           f"{shown}. Name the label column with --label.")
    if len(header) < 2:
        raise SignnetError(f"Data file {name} has only the label column {label!r}; it needs at least one feature column.")
    if len(rows) < 2:
        raise SignnetError(f"Data file {name} has a header but no data rows; add at least one row.")
    values = []
    for line, row in rows[1:]:
        if len(row) != len(header):
            raise SignnetError(f"Line {line} of {name} has {len(row)} fields but the header has "
                               f"{len(header)}; give every row one value per column.")
        for column, cell in zip(header, row, strict=True):
            text = cell.strip()
            if text == "":
                raise SignnetError(f"Line {line} of {name} has no value in column {column!r}; fill or drop the row.")
            try:
                v = float(text)
            except ValueError:
                what = "label" if column == label else "feature"
                raise SignnetError(f"Column {column!r} on line {line} of {name} holds {text!r}, which is not a "
                                   f"number; every {what} must be numeric (encode classes as 0/1).") from None
            if not math.isfinite(v):
                raise SignnetError(f"Column {column!r} on line {line} of {name} is {text!r}; values must be finite: "
                                   "drop or impute NaN and infinite values.")
            values.append(v)
    values = np.array(values).reshape(len(rows) - 1, len(header))
    j = header.index(label)
    return np.delete(values, j, axis=1), values[:, j], [h for k, h in enumerate(header) if k != j]


def outcome(fn, path, label):
    try:
        X, y, names = fn(path, label)
    except SignnetError as exc:
        return "error", str(exc)
    return "ok", X.tolist(), y.tolist(), names


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_fast_path_agrees_with_the_reference_reader(tmp_path_factory, data):
    n_cols = data.draw(st.integers(2, 3))
    header = [data.draw(st.sampled_from(["a", '"a\nz"'])), "y", "b"][:n_cols]  # a quoted line break in a name
    good = st.sampled_from(CELLS[:12])
    cell = data.draw(st.sampled_from([good, st.sampled_from(CELLS)]))  # mostly clean files, sometimes not
    rows = data.draw(st.lists(st.lists(cell, min_size=n_cols, max_size=n_cols), min_size=0, max_size=6))
    if data.draw(st.booleans()) and rows:
        rows[data.draw(st.integers(0, len(rows) - 1))].append(data.draw(st.sampled_from(["9", ""])))  # one ragged row
    lines = [",".join(header)] + [",".join(r) for r in rows]
    if data.draw(st.booleans()):
        lines.insert(data.draw(st.integers(0, len(lines))), data.draw(st.sampled_from(["", "  ", ",", ",,"])))  # blank?
    path = tmp_path_factory.mktemp("csv") / "d.csv"
    end = data.draw(st.sampled_from(["\n", "\r\n", "\r"]))
    path.write_bytes((end.join(lines) + end).encode())
    label = data.draw(st.sampled_from(["y", "b", "missing", "a\nz"]))
    got = outcome(read_csv, path, label)
    want = outcome(reference_read_csv, path, label)
    assert outcome(lambda p, lab: csvfile._read_csv_blocks(p, str(p), lab), path, label)[:2] == want[:2]
    if got[0] == "ok" and want[0] == "ok":  # the same numbers; -0 and 0 compare equal
        assert got[3] == want[3]
        np.testing.assert_array_equal(got[1], want[1])
        np.testing.assert_array_equal(got[2], want[2])
    else:
        assert got == want


def test_a_clean_file_never_reaches_the_row_by_row_reader(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2000, 2))
    y = rng.integers(0, 2, 2000)
    path = tmp_path / "clean.csv"
    path.write_text("x1,x2,label\n" + "".join(f"{a!r},{b!r},{c}\n" for (a, b), c in zip(X.tolist(), y.tolist(), strict=True)))
    with mock.patch.object(csvfile, "_read_csv_blocks", side_effect=AssertionError("slow path")):
        got_X, got_y, names = read_csv(path, "label")
    assert names == ["x1", "x2"]
    np.testing.assert_array_equal(got_X, X)  # repr round-trips: pandas reads the very same floats
    np.testing.assert_array_equal(got_y, y)


@pytest.mark.parametrize(
    "text, match",
    [
        ("a,y\n1,0\n2,nan\n", r"^Column 'y' on line 3 of '.*' is 'nan'; values must be finite"),
        ("a,y\n1,0\nTrue,1\n", r"^Column 'a' on line 3 of '.*' holds 'True', which is not a number; every feature"),
        ("a,y\n1,0\n2,1,3\n", r"^Line 3 of '.*' has 3 fields but the header has 2"),
        ("a,y\n1,0,\n2,1\n", r"^Line 2 of '.*' has 3 fields but the header has 2"),  # pandas dropped the empty field
        ("a,y\n1,0,\n2,1,\n", r"^Line 2 of '.*' has 3 fields but the header has 2"),
        ("a,y\n1,0,5\n2,1,6\n", r"^Line 2 of '.*' has 3 fields but the header has 2"),  # pandas made column 0 the index
        ("a,y\n1,0\n\n2,\n", r"^Line 4 of '.*' has no value in column 'y'; fill or drop the row\.$"),
        ("a,y\n1,0\n,\n2,1\n", r"^Line 3 of '.*' has no value in column 'a'; fill or drop the row\.$"),  # not blank
        ("a,y\n\n  \n1,0\n2,x\n", r"^Column 'y' on line 5 of '.*' holds 'x', which is not a number; every label"),
        ('a,y\n"1\n",0\n2,x\n', r"^Column 'y' on line 4 of '.*' holds 'x'"),  # a quoted line break: lines of the file
        ("a,y\n", r"has a header but no data rows"),
        # a second "y" was read as a feature named y, a second "a" as another feature "a"
        ("a,b,y,y\n1,2,0,1\n", r"^Data file '.*' names more than one column 'y'; give every column its own name"),
        ("a,a,y\n1,2,0\n", r"^Data file '.*' names more than one column 'a'; give every column its own name"),
    ],
)
def test_bad_files_keep_their_messages(tmp_path, text, match):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(SignnetError, match=match):
        read_csv(path, "y")


def test_cells_only_float_reads_go_to_the_block_reader(tmp_path):
    path = tmp_path / "underscore.csv"
    path.write_text("a,y\n1_000,0\n2,1\n")  # float("1_000") == 1000.0; pandas reads a string
    X, y, _ = read_csv(path, "y")
    assert X.tolist() == [[1000.0], [2.0]] and y.tolist() == [0.0, 1.0]


def test_a_bad_cell_at_the_end_of_a_large_file_is_found_without_a_loop_per_cell(tmp_path):
    """200,000 rows: the block reader converts whole blocks; only the suspect cells reach float() one by one."""
    rng = np.random.default_rng(0)
    body = "".join(f"{a:.6f},{b:.6f},{c}\n" for a, b, c in zip(rng.random(200_000), rng.random(200_000),
                                                             rng.integers(0, 2, 200_000), strict=True))
    path = tmp_path / "big.csv"
    path.write_text("a,b,y\n" + body + "1_5,1,0\n1,oops,0\n")
    with mock.patch.object(csvfile, "_cell_error", wraps=csvfile._cell_error) as per_cell:
        with pytest.raises(SignnetError, match=r"^Column 'b' on line 200003 of '.*' holds 'oops', which is not a number"):
            read_csv(path, "y")
    assert per_cell.call_count == 3  # "1_5" (float reads it: 15), then "oops" twice (found, then named with its line)


def test_a_wide_file_with_a_bad_cell_is_read_in_whole_blocks(tmp_path):
    """20,000 columns: one conversion call per block, not one per column (nor a quadratic header check)."""
    path = tmp_path / "wide.csv"
    names = [f"f{k}" for k in range(20_000)]
    row = ["1"] * 20_000
    bad = row.copy()
    bad[12_345] = "x"
    path.write_text(",".join(names + ["y"]) + "\n" + ",".join(row + ["0"]) + "\n" + ",".join(bad + ["1"]) + "\n")
    with mock.patch.object(csvfile, "_cell_error", wraps=csvfile._cell_error) as per_cell:
        with pytest.raises(SignnetError, match=r"^Column 'f12345' on line 3 of '.*' holds 'x', which is not a number"):
            read_csv(path, "y")
    assert per_cell.call_count == 2
