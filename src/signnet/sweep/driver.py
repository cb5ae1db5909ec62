"""Running a sweep: :func:`run_sweep` expands the spec, skips finished runs, executes the rest, writes the table.

The output folder of a sweep holds

* ``runs.jsonl``: the table (:mod:`signnet.sweep.table`), appended row by row as runs
  finish; the one file a sweep writes incrementally, by design, so that a sweep
  killed at any moment and started again runs only what is missing, loses no
  finished run and duplicates none;
* ``spec.toml``: the spec of the last sweep run into the folder (written whole);
* ``summary/``: ``index.html``, ``summary.json`` and PNG plots of the spec's runs,
  rendered in a staged folder and moved into place whole when the sweep ends;
* ``.lock``: held while a sweep writes the folder, so two sweeps never append to one table.

A sweep that stops (an error, Ctrl-C) before its first run is in the table leaves the
folder as it found it: it removes the files it wrote there, the folder itself if it made
it, and each parent folder it made while that is empty (what another sweep wrote in one stays).

A group (:meth:`signnet.sweep.spec.Spec.groups`) with some runs already in the
table is trained again whole and only its missing rows are written, so a resumed
sweep trains every group exactly as an uninterrupted one does.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from signnet.errors import SignnetError
from signnet.sweep.engines import ENGINES, execute, ray_session, require_ray
from signnet.sweep.spec import Spec, parse_spec
from signnet.sweep.table import Table, read_rows

TABLE, SPEC_COPY, SUMMARY, LOCK = "runs.jsonl", "spec.toml", "summary", ".lock"
_OWN = {TABLE, SPEC_COPY, SUMMARY, LOCK}
_SPEC_TEMP = re.compile(rf"\.{re.escape(SPEC_COPY)}\.[0-9a-f]+\.tmp")  # a write of spec.toml stopped before its rename


def _ours(name: str) -> bool:
    """A name a sweep writes in its folder: its files, a staged summary, a temporary copy of the spec."""
    return name in _OWN or name.startswith(f".{SUMMARY}.") or _SPEC_TEMP.fullmatch(name) is not None


@dataclass(frozen=True)
class SweepOutcome:
    """What :func:`run_sweep` did."""

    out: Path  # the sweep's folder
    table: Path  # runs.jsonl
    summary: Path | None  # summary/index.html (None when not written)
    runs: int  # runs of the spec
    skipped: int  # runs already in the table when the sweep started
    computed: int  # runs computed and appended now
    groups: int  # groups executed now
    seconds: float  # wall time
    engine: str
    workers: int


def check_sweep_folder(out) -> Path:
    """A folder a sweep may write to: new, empty, or holding only a sweep's files (see the module docstring)."""
    if not isinstance(out, (str, os.PathLike)) or str(out) == "":
        raise SignnetError(f"--out must be a folder path, got {out!r}.")
    out = Path(out)
    if os.path.lexists(out) and not out.is_dir():
        raise SignnetError(f"--out {str(out)!r} is an existing file; give a folder for the sweep.")
    parent = next((p for p in out.parents if os.path.lexists(p)), Path("."))
    if not parent.is_dir():
        raise SignnetError(f"--out {str(out)!r} lies inside {str(parent)!r}, which is a file; give a folder path.")
    if out.is_dir():
        other = sorted(e.name for e in out.iterdir() if not _ours(e.name))
        if other:
            raise SignnetError(f"--out {str(out)!r} holds {other[0]!r}, which a sweep did not write; give a new folder "
                               "or the folder of an earlier sweep to resume it.")
    return out


def check_device(device: str) -> str:
    """``device`` if torch can train on it here (``cpu``, ``cuda``, ``cuda:1``, ``mps``); else a one-line error."""
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise SignnetError(f"--device {device!r} is not a torch device; pass e.g. cpu or cuda.") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise SignnetError(f"--device {device!r} asks for CUDA, which is not available here; pass --device cpu.")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise SignnetError(f"--device {device!r}: this machine has {torch.cuda.device_count()} CUDA device(s); "
                           "pass e.g. cuda:0.")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise SignnetError(f"--device {device!r} asks for MPS, which is not available here; pass --device cpu.")
    if dev.type not in ("cpu", "cuda", "mps"):
        raise SignnetError(f"--device {device!r} is not supported by sweeps; pass cpu, cuda or mps.")
    return str(dev)


def _lock(out: Path):
    import fcntl

    fh = open(out / LOCK, "a")  # noqa: SIM115 - held for the sweep
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise SignnetError(f"Another sweep is writing {str(out)!r}; wait for it to end or give another --out.") from None
    return fh


def run_sweep(spec: Spec, out, *, engine: str = "local", workers: int = 1, device: str = "cpu",
              address: str | None = None, progress: bool = True, summary: bool = True) -> SweepOutcome:
    """Run every run of ``spec`` that the table in ``out`` does not hold yet; return a :class:`SweepOutcome`.

    Args:
        spec: a parsed spec (:func:`signnet.sweep.spec.load_spec`).
        out: the sweep's folder (see the module docstring); created if missing.
        engine: ``"local"`` or ``"ray"`` (:mod:`signnet.sweep.engines`).
        workers: processes (local) or CPUs of a local Ray (ray, without ``address``).
        device: torch device of the training.
        address: a running Ray cluster (``ray``), e.g. ``"ray://head:10001"`` or ``"auto"``.
        progress: a progress bar over runs on stderr.
        summary: render ``summary/`` when the runs are done.

    Everything is checked before anything is written: a bad argument, a Ray that cannot be
    started or joined, or a folder whose table holds runs this spec does not list raises
    :class:`~signnet.errors.SignnetError` and leaves ``out`` as it was. A folder whose table
    holds no run yet takes any spec. A failure (or an interrupt) before the first run is in the
    table leaves ``out`` as it was too (see the module docstring).
    """
    from signnet.validation import check_choice, check_size

    check_choice(engine, "engine", ENGINES)
    workers = check_size(workers, "--workers")
    device = check_device(device)
    if engine == "ray":
        require_ray()
    elif address is not None:
        raise SignnetError("--address is for --engine ray; leave it out or add --engine ray.")
    out = check_sweep_folder(out)
    wanted = {r.run_id for r in spec.runs}
    done = _check_resumable(out, spec, wanted)  # refuses a corrupt table, or one of another spec, before any write
    pending = bool(wanted - done)  # Ray only when there is something to run
    session = ray_session(workers, address) if engine == "ray" and pending else contextlib.nullcontext()
    with session:  # Ray is started or joined before anything is written: a bad --address leaves out as it was
        return _run(spec, out, engine=engine, workers=workers, device=device, address=address, progress=progress,
                    summary=summary)


def _check_resumable(out: Path, spec: Spec, wanted: set) -> set:
    """The run ids already in the table of ``out``, after refusing a folder that holds another sweep's runs."""
    done = {row.get("run_id") for row in read_rows(out / TABLE)} if out.is_dir() else set()
    if not done:  # no run in the table yet (a new folder, or a sweep stopped before its first run): any spec
        return done
    foreign = done - wanted
    if foreign:
        raise SignnetError(f"--out {str(out)!r} holds {len(foreign)} run(s) that this spec does not list (another "
                           f"spec, or another --seed, was swept there); give a new folder, or resume that sweep "
                           f"with its own spec ({SPEC_COPY} there) and --seed.")
    old_group_size = _other_grid(out / SPEC_COPY, spec, wanted)
    if old_group_size is False:
        raise SignnetError(f"--out {str(out)!r} was swept with another spec ({SPEC_COPY} there differs from this "
                           "one); give a new folder, or resume that sweep with its own spec.")
    if old_group_size is not None:
        raise SignnetError(f"--out {str(out)!r} was swept with group_size = {old_group_size}, this spec has "
                           f"{spec.settings['group_size']}: a group's batched rounding depends on its size, so the "
                           f"rows would not be one sweep's; resume with group_size = {old_group_size}, or give a "
                           "new folder.")
    return done


def _missing_folders(path: Path) -> list[Path]:
    """``path`` and those of its parents that do not exist yet, deepest first (what ``mkdir(parents=True)`` makes)."""
    missing = []
    while not os.path.lexists(path) and path != path.parent:
        missing.append(path)
        path = path.parent
    return missing


def _remove_empty(folders: list[Path]) -> None:
    """Remove ``folders`` (deepest first) while each is empty: what another process wrote there stays."""
    for folder in folders:
        try:
            os.rmdir(folder)
        except OSError:
            return


def _undo(out: Path, made: list[Path], had_lock: bool, found: tuple[bool, bytes | None] | None) -> None:
    """Put ``out`` back as it was before a sweep that appended no run: the table and the spec copy removed or
    restored as ``found`` says (whether the table existed, the spec copy's bytes; ``None``: neither was written
    yet), the lock file removed if this call made it, then the folders it made removed while empty. Run under
    the lock: no other sweep writes there meanwhile."""
    from signnet.report.artifacts import atomic_write_bytes

    if found is not None:
        had_table, old_spec = found
        with contextlib.suppress(OSError):
            if not had_table:
                (out / TABLE).unlink(missing_ok=True)
            if old_spec is None:
                (out / SPEC_COPY).unlink(missing_ok=True)
            elif (out / SPEC_COPY).read_bytes() != old_spec:
                atomic_write_bytes(out / SPEC_COPY, old_spec)
    if not had_lock:
        with contextlib.suppress(OSError):
            (out / LOCK).unlink(missing_ok=True)
    _remove_empty(made)


def _other_grid(copy: Path, spec: Spec, wanted: set):
    """How the folder's spec (``copy``, if any) differs from ``spec`` with its ``--seed`` (comments aside): ``None``
    when it lists the same runs grouped alike, ``False`` when it lists other runs (or is unreadable), else its own
    ``group_size`` (a group's batched rounding depends on its size, so that changes numbers too)."""
    if not copy.is_file():
        return None
    seed = spec.runs[0].sweep_seed if spec.runs else 0
    try:
        old = parse_spec(copy.read_text(encoding="utf-8"), sweep_seed=seed)
    except (SignnetError, UnicodeDecodeError):
        return False
    if {r.run_id for r in old.runs} != wanted:
        return False
    size = old.settings["group_size"]
    return None if size == spec.settings["group_size"] else size


def _run(spec: Spec, out: Path, *, engine: str, workers: int, device: str, address: str | None, progress: bool,
         summary: bool) -> SweepOutcome:
    """:func:`run_sweep` once its arguments are checked: write the folder, run what is missing, render the summary."""
    from tqdm.auto import tqdm

    start = time.perf_counter()
    made = _missing_folders(out)  # the folders this call makes, deepest first (none: out exists)
    had_lock = os.path.lexists(out / LOCK)
    try:
        out.mkdir(parents=True, exist_ok=True)
        lock = _lock(out)
    except BaseException:
        _remove_empty(made)
        raise
    computed, found = 0, None
    try:  # under the lock: what the folder holds now is what this call found
        from signnet.report.artifacts import atomic_write_text

        _check_resumable(out, spec, {r.run_id for r in spec.runs})  # another sweep may have written it meanwhile
        found = (os.path.lexists(out / TABLE),
                 (out / SPEC_COPY).read_bytes() if os.path.lexists(out / SPEC_COPY) else None)
        for entry in out.iterdir():
            if _SPEC_TEMP.fullmatch(entry.name) and entry.is_file():  # left by a sweep killed while writing it
                entry.unlink(missing_ok=True)
        atomic_write_text(out / SPEC_COPY, spec.source)
        with Table.open(out / TABLE) as table:
            wanted = {r.run_id for r in spec.runs}
            skipped = len(wanted & table.ids)
            todo = [g for g in spec.groups() if any(r.run_id not in table.ids for r in g)]
            bar = tqdm(total=len(spec.runs), initial=skipped, desc=f"sweep {spec.name}", unit="run",
                       disable=not progress, file=sys.stderr)
            try:
                batches = execute(todo, engine=engine, workers=workers, device=device, address=address) if todo else ()
                for rows in batches:
                    for row in rows:
                        if row["run_id"] not in table.ids:
                            table.append(row)
                            computed += 1
                            bar.update()
            finally:
                bar.close()
            rows = [r for r in table.rows if r["run_id"] in wanted]
        page = None
        if summary:
            from signnet.sweep.report import write_summary

            page = write_summary(out / SUMMARY, spec, rows)
    except BaseException:
        if computed == 0:  # no run appended: leave the folder, and its parents, as this call found them
            _undo(out, made, had_lock, found)
        raise
    finally:
        lock.close()
    return SweepOutcome(out=out, table=out / TABLE, summary=page, runs=len(spec.runs), skipped=skipped,
                        computed=computed, groups=len(todo), seconds=round(time.perf_counter() - start, 2),
                        engine=engine, workers=workers)
