"""Reading a labelled CSV file at the boundary: :func:`read_csv` (re-exported by :mod:`signnet.validation`).

A well-formed file goes through pandas' C reader; anything else goes through the
row-by-row reference reader, which names the first bad cell in one sentence.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from signnet.errors import SignnetError

__all__ = ["read_csv"]


def read_csv(path, label: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Features ``X`` (n, d) float, labels ``y`` (n,) and feature names from a CSV file with a header.

    A well-formed file is parsed by pandas' C reader (no Python loop per cell: 10^7 rows in seconds).
    Anything that reader does not turn into finite numbers column by column (a ragged row, an empty,
    non-numeric or non-finite cell, a cell Python's ``float`` reads but pandas does not) sends the
    file to the reference reader, which reads row by row with :mod:`csv` and ``float`` and raises at
    the first bad cell; either way the values are those ``float`` gives (up to the sign of an integer
    ``-0``), and line numbers count the non-blank rows. Values are float64: an integer beyond ``2**53``
    (a nanosecond timestamp) is rounded, so ``t`` and ``t + 1`` can read the same.

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
    return _read_csv_rows(p, str(path), label)


def _read_csv_fast(p: Path, label: str) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
    """pandas' C reader on a well-formed file; ``None`` wherever the reference reader must decide."""
    import pandas as pd

    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = next((r for r in reader if any(c.strip() for c in r)), None)
            skip = reader.line_num
        if header is None:
            return None
        header = [h.strip() for h in header]
        if label not in header or len(header) < 2 or len(set(header)) < len(header):
            return None
        frame = pd.read_csv(p, header=None, skiprows=skip, na_filter=False, encoding="utf-8-sig", engine="c",
                            skip_blank_lines=True)
    except Exception:  # any failure: the reference reader names it
        return None
    if frame.shape[1] != len(header) or len(frame) == 0 or any(dt.kind not in "iuf" for dt in frame.dtypes):
        return None
    values = frame.to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        return None
    j = header.index(label)
    features = [h for k, h in enumerate(header) if k != j]
    return np.delete(values, j, axis=1), values[:, j].copy(), features


def _read_csv_rows(p: Path, path: str, label: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The reference reader: :mod:`csv` rows and ``float`` cells, raising at the first bad one."""
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            rows = [r for r in csv.reader(fh) if any(c.strip() for c in r)]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise SignnetError(f"Data file {path!r} is not a readable CSV text file ({type(exc).__name__}); "
                           "save it as UTF-8 CSV.") from None
    if not rows:
        raise SignnetError(f"Data file {path!r} is empty; it needs a header row and at least one data row.")
    header = [h.strip() for h in rows[0]]
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        raise SignnetError(f"Data file {path!r} names more than one column {', '.join(map(repr, twice))}; give every "
                           "column its own name in the header row.")
    if label not in header:
        raise SignnetError(f"Data file {path!r} has no label column {label!r}; its columns are "
                           f"{', '.join(header)}. Name the label column with --label.")
    if len(header) < 2:
        raise SignnetError(f"Data file {path!r} has only the label column {label!r}; "
                           "it needs at least one feature column.")
    if len(rows) < 2:
        raise SignnetError(f"Data file {path!r} has a header but no data rows; add at least one row.")
    values = np.empty((len(rows) - 1, len(header)))
    for r, row in enumerate(rows[1:]):
        line = r + 2
        if len(row) != len(header):
            raise SignnetError(f"Line {line} of {path!r} has {len(row)} fields but the header has "
                               f"{len(header)}; give every row one value per column.")
        for c, cell in enumerate(row):
            text = cell.strip()
            if text == "":
                raise SignnetError(f"Line {line} of {path!r} has no value in column {header[c]!r}; "
                                   "fill or drop the row.")
            try:
                v = float(text)
            except ValueError:
                what = "label" if header[c] == label else "feature"
                raise SignnetError(f"Column {header[c]!r} on line {line} of {path!r} holds {text!r}, which is "
                                   f"not a number; every {what} must be numeric (encode classes as 0/1).") from None
            if not math.isfinite(v):
                raise SignnetError(f"Column {header[c]!r} on line {line} of {path!r} is {text!r}; values must "
                                   "be finite: drop or impute NaN and infinite values.")
            values[r, c] = v
    j = header.index(label)
    features = [h for k, h in enumerate(header) if k != j]
    return np.delete(values, j, axis=1), values[:, j], features
