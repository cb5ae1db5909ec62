"""Reading a labelled CSV file at the boundary: :func:`read_csv` (re-exported by :mod:`signnet.validation`).

A well-formed file goes through pandas' C reader; anything else goes through a reader of
blocks of rows (:mod:`csv` rows, numpy's conversion of whole blocks to floats), which names the
first bad cell in one sentence. Python loops run per row (to drop blank rows) and over the cells
that fail the block conversion, never over every cell. tests/test_validation_csv.py checks both
against a cell-by-cell reference reader.
"""

from __future__ import annotations

import csv
import math
import warnings
from collections import Counter
from itertools import islice
from pathlib import Path

import numpy as np

from signnet.errors import SignnetError

__all__ = ["read_csv"]


def read_csv(path, label: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Features ``X`` (n, d) float, labels ``y`` (n,) and feature names from a CSV file with a header.

    A well-formed file is parsed by pandas' C reader (no Python loop per cell: 10^7 rows in seconds).
    Anything that reader does not turn into finite numbers column by column (a ragged row, an empty,
    non-numeric or non-finite cell, a cell Python's ``float`` reads but pandas does not) sends the
    file to the block reader, which raises at the first bad cell in reading order; either way the
    values are those ``float`` gives (up to the sign of an integer ``-0``). A blank row is an empty
    line or one of spaces only, and is skipped; a row of empty cells (``,,``) has missing values.
    Line numbers are those of the file (the last line of a row with a quoted line break). Values are
    float64: an integer beyond ``2**53`` (a nanosecond timestamp) is rounded, so ``t`` and ``t + 1``
    can read the same.

    Raises:
        SignnetError: missing or empty file, no such label column, ragged rows,
            missing, non-numeric, NaN or infinite values, or no feature column.
    """
    p = Path(path)
    if not p.exists():
        raise SignnetError(f"Data file {str(path)!r} does not exist; give the path of a CSV file with a header row.")
    if not p.is_file():
        raise SignnetError(f"Data path {str(path)!r} is not a file; give the path of a CSV file with a header row.")
    fast = _read_csv_fast(p, label)
    if fast is not None:
        return fast
    return _read_csv_blocks(p, str(path), label)


def _read_csv_fast(p: Path, label: str) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
    """pandas' C reader on a well-formed file; ``None`` wherever the reference reader must decide."""
    import pandas as pd

    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            records = (r for r in csv.reader(fh) if not _blank(r))
            header, first = next(records, None), next(records, None)
        if header is None or first is None or len(first) != len(header):  # pandas would take column 0 as an index
            return None
        header = [h.strip() for h in header]
        if label not in header or len(header) < 2 or len(set(header)) < len(header):
            return None
        with warnings.catch_warnings():  # e.g. DtypeWarning on mixed columns: the block reader decides
            warnings.simplefilter("ignore")
            # pandas finds the header record itself (a quoted line break in it, bare \r line ends): rows are then
            # counted by records, as csv counts them, never by lines; a later row longer than the first is an error
            frame = pd.read_csv(p, header=0, na_filter=False, encoding="utf-8-sig", engine="c", skip_blank_lines=True,
                                low_memory=False)
    except Exception:  # any failure: the block reader names it
        return None
    if [str(c).strip() for c in frame.columns] != header or not frame.index.equals(pd.RangeIndex(len(frame))):
        return None  # pandas read another header record, or took a column as the index: let csv decide
    if len(frame) == 0 or any(dt.kind not in "iuf" for dt in frame.dtypes):
        return None
    values = frame.to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        return None
    j = header.index(label)
    features = [h for k, h in enumerate(header) if k != j]
    return np.delete(values, j, axis=1), values[:, j].copy(), features


BLOCK_ROWS = 50_000  # rows converted at once by the block reader


def _blank(row: list[str]) -> bool:
    """An empty line, or a line of spaces only (one field): skipped. ``,,`` is a row of empty cells."""
    return not row or (len(row) == 1 and not row[0].strip())


def _check_header(path: str, header: list[str], label: str) -> list[str]:
    header = [h.strip() for h in header]
    twice = sorted(h for h, count in Counter(header).items() if count > 1)
    if twice:
        raise SignnetError(f"Data file {path!r} names more than one column {', '.join(map(repr, twice))}; give every "
                           "column its own name in the header row.")
    if label not in header:
        shown = ", ".join(h.replace("\n", " ").replace("\r", " ") for h in header)
        raise SignnetError(f"Data file {path!r} has no label column {label!r}; its columns are "
                           f"{shown}. Name the label column with --label.")
    if len(header) < 2:
        raise SignnetError(f"Data file {path!r} has only the label column {label!r}; "
                           "it needs at least one feature column.")
    return header


def _unreadable(path: str, exc: Exception) -> SignnetError:
    return SignnetError(f"Data file {path!r} is not a readable CSV text file ({type(exc).__name__}); "
                        "save it as UTF-8 CSV.")


def _line_of(p: Path, k: int) -> int:
    """The file's line number of data row ``k`` (0-based, blank rows not counted): read again up to it."""
    with p.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        next(r for r in reader if not _blank(r))  # the header
        seen = -1
        for row in reader:
            if not _blank(row):
                seen += 1
                if seen == k:
                    return reader.line_num
    raise AssertionError("row beyond the file")  # pragma: no cover (k comes from the same file)


def _cell_error(path: str, line: int, column: str, text: str, label: str) -> SignnetError | None:
    """The one-sentence error of a cell that ``float`` does not turn into a finite number, else ``None``."""
    text = text.strip()
    if text == "":
        return SignnetError(f"Line {line} of {path!r} has no value in column {column!r}; fill or drop the row.")
    try:
        v = float(text)
    except ValueError:
        what = "label" if column == label else "feature"
        return SignnetError(f"Column {column!r} on line {line} of {path!r} holds {text!r}, which is "
                            f"not a number; every {what} must be numeric (encode classes as 0/1).")
    if not math.isfinite(v):
        return SignnetError(f"Column {column!r} on line {line} of {path!r} is {text!r}; values must "
                            "be finite: drop or impute NaN and infinite values.")
    return None


def _floats(cells: np.ndarray, first: int, p: Path, path: str, header: list[str], label: str) -> np.ndarray:
    """Cells ``(m, d)`` (str objects) as float64, as ``float`` reads each; raises at the first bad cell in reading order.

    Suspects are the cells pandas does not read as finite numbers (a superset of the bad ones, e.g. ``1_000``,
    which ``float`` reads); only they go through ``float`` one by one.
    """
    import pandas as pd

    try:
        values = cells.astype(np.float64)  # float() of every cell, in C
        bad = None if np.isfinite(values).all() else ~np.isfinite(values)
    except ValueError:
        values = None
        read = pd.to_numeric(pd.Series(cells.ravel()), errors="coerce").to_numpy(np.float64)  # one call, any width
        bad = ~np.isfinite(read.reshape(cells.shape))
    if bad is not None:
        for r, c in zip(*np.nonzero(bad), strict=True):  # row-major: the first bad cell in reading order
            error = _cell_error(path, 0, header[c], str(cells[r, c]), label)
            if error is not None:
                raise _cell_error(path, _line_of(p, first + int(r)), header[c], str(cells[r, c]), label)
    if values is None:  # pandas read some cell float() cannot (none known): cell by cell, this block only
        values = np.empty(cells.shape)
        for (r, c), text in np.ndenumerate(cells):
            if _cell_error(path, 0, header[c], text, label) is not None:
                raise _cell_error(path, _line_of(p, first + r), header[c], text, label)
            values[r, c] = float(text)
    return values


def _read_csv_blocks(p: Path, path: str, label: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The block reader: :mod:`csv` rows, BLOCK_ROWS at a time, converted to floats per block."""
    blocks, n = [], 0
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = next((r for r in reader if not _blank(r)), None)
            if header is None:
                raise SignnetError(f"Data file {path!r} is empty; it needs a header row and at least one data row.")
            header = _check_header(path, header, label)
            while chunk := list(islice(reader, BLOCK_ROWS)):
                rows = [r for r in chunk if not _blank(r)]
                if not rows:
                    continue
                widths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
                ragged = np.flatnonzero(widths != len(header))
                k = int(ragged[0]) if ragged.size else len(rows)  # the rows before a ragged one are read first
                if k:
                    cells = np.empty((k, len(header)), dtype=object)
                    cells[:] = rows[:k]
                    blocks.append(_floats(cells, n, p, path, header, label))
                if ragged.size:
                    raise SignnetError(f"Line {_line_of(p, n + k)} of {path!r} has {widths[k]} fields but the header "
                                       f"has {len(header)}; give every row one value per column.")
                n += len(rows)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _unreadable(path, exc) from None
    if n == 0:
        raise SignnetError(f"Data file {path!r} has a header but no data rows; add at least one row.")
    values = np.concatenate(blocks)
    j = header.index(label)
    features = [h for k, h in enumerate(header) if k != j]
    return np.delete(values, j, axis=1), values[:, j].copy(), features
