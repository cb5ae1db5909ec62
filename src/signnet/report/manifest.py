"""Which files an output folder holds that signnet wrote: the ``.signnet-output`` list.

:func:`signnet.report.artifacts.staged_folder` writes the list into every folder it puts in place;
:func:`signnet.validation.check_out_folder` (before a run) and :func:`check_still_ours` (just
before the swap) refuse to replace a folder holding any file no list names, so that a user's own
files are never deleted with an old report.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from signnet.errors import SignnetError

# the list of files a signnet command wrote into its output folder (JSON, written last by staged_folder)
MANIFEST = ".signnet-output"
_SYSTEM_FILES = (".DS_Store", "Thumbs.db", "desktop.ini")  # what file browsers leave in any folder they show


def read_manifest(folder: Path) -> set[str] | None:
    """The relative paths (posix) ``folder``'s manifest lists, or ``None`` when it has no readable one."""
    try:
        listed = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return {str(p) for p in listed} if isinstance(listed, list) else None


def _listed_by_an_ancestor(folder: Path) -> set[str] | None:
    """What the nearest manifest above ``folder`` lists below it (a report inside ``reproduce --all``'s root)."""
    for ancestor in folder.resolve().parents:
        listed = read_manifest(ancestor)
        if listed is not None:
            prefix = folder.resolve().relative_to(ancestor).as_posix() + "/"
            return {p[len(prefix):] for p in listed if p.startswith(prefix)}
    return None


def foreign_files(folder: Path, listed: set[str] | None = None) -> list[str]:
    """Files (and links) under ``folder`` that no signnet manifest lists, as relative paths.

    A folder's own manifest lists what is under it; without one, ``listed`` (what a manifest
    above it lists there) does; without either, every file is foreign.
    """
    own = read_manifest(folder)
    if own is not None:
        listed = own
    out = []
    for entry in sorted(folder.iterdir()):
        if entry.name == MANIFEST and own is not None or entry.name in _SYSTEM_FILES:
            continue
        if entry.is_dir() and not entry.is_symlink():
            below = None if listed is None else {p.split("/", 1)[1] for p in listed if p.startswith(entry.name + "/")}
            if not below and read_manifest(entry) is not None:  # another report, written on its own: not ours to delete
                out.append(f"{entry.name}/ (a separate signnet report)")
                continue
            out += [f"{entry.name}/{f}" for f in foreign_files(entry, below)]
        elif listed is None or entry.name not in listed:
            out.append(entry.name)
    return out


def check_still_ours(out: Path, name: str = "--out") -> None:
    """Just before ``out`` is replaced: refuse when files were added to it since :func:`check_out_folder`."""
    if os.path.isdir(out) and not os.path.islink(out):
        refuse_foreign(out, name)


def refuse_foreign(out: Path, name: str) -> None:
    """Raise when ``out`` holds a file that neither its own list nor the nearest list above it names."""
    above = _listed_by_an_ancestor(out)
    foreign = foreign_files(out, above)
    if not foreign:
        return
    shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
    unlisted = above is None and read_manifest(out) is None
    why = (f"it has no {MANIFEST} list of the files signnet wrote (signnet 0.1.0 before that list, or another "
           "program, wrote it); delete it yourself or give a new folder" if unlisted else
           f"give a new or empty folder (signnet replaces the whole output folder, and replaces only what its "
           f"{MANIFEST} file lists)")
    raise SignnetError(f"{name} {str(out)!r} holds files that signnet did not write ({shown}); {why}.")
