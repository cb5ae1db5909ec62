"""read_csv: the pandas fast path gives what the row-by-row reference reader gives, values and errors."""

from __future__ import annotations

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
    header = ["a", "y", "b"][:n_cols]
    good = st.sampled_from(CELLS[:12])
    cell = data.draw(st.sampled_from([good, st.sampled_from(CELLS)]))  # mostly clean files, sometimes not
    rows = data.draw(st.lists(st.lists(cell, min_size=n_cols, max_size=n_cols), min_size=0, max_size=6))
    if data.draw(st.booleans()) and rows:
        rows[data.draw(st.integers(0, len(rows) - 1))].append("9")  # one ragged row
    lines = [",".join(header)] + [",".join(r) for r in rows]
    if data.draw(st.booleans()):
        lines.insert(data.draw(st.integers(0, len(lines))), data.draw(st.sampled_from(["", "  ", ","])))  # a blank row
    path = tmp_path_factory.mktemp("csv") / "d.csv"
    path.write_bytes((data.draw(st.sampled_from(["\n", "\r\n"])).join(lines) + "\n").encode())
    label = data.draw(st.sampled_from(["y", "b", "missing"]))
    got = outcome(read_csv, path, label)
    want = outcome(lambda p, lab: csvfile._read_csv_rows(p, str(p), lab), path, label)
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
    with mock.patch.object(csvfile, "_read_csv_rows", side_effect=AssertionError("slow path")):
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
        ("a,y\n1,0\n\n2,\n", r"^Line 3 of '.*' has no value in column 'y'; fill or drop the row\.$"),
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


def test_cells_only_float_reads_go_to_the_reference_reader(tmp_path):
    path = tmp_path / "underscore.csv"
    path.write_text("a,y\n1_000,0\n2,1\n")  # float("1_000") == 1000.0; pandas reads a string
    X, y, _ = read_csv(path, "y")
    assert X.tolist() == [[1000.0], [2.0]] and y.tolist() == [0.0, 1.0]
