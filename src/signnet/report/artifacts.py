"""Writing results so that a run can be repeated and no file is ever half written.

* :func:`run_metadata` is the provenance block every JSON result carries:
  the package versions, the Python version and the platform.
* :func:`atomic_write_bytes` / :func:`atomic_write_text` / :func:`atomic_write_json`
  write to a temporary file in the target folder, then ``os.replace`` it into
  place, so a reader sees the old file or the whole new one, never a part.
* :func:`save_figure` does the same for a matplotlib figure (PNG).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

_UMASK = os.umask(0)
os.umask(_UMASK)

_PACKAGES = ("signnet", "torch", "numpy", "scipy", "scikit-learn", "matplotlib", "cooper-optim")


def versions() -> dict[str, str]:
    """Installed versions of signnet, Python and the libraries it builds on."""
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
    from signnet.errors import SignnetError

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SignnetError(f"Output folder {str(out)!r} is an existing file; give a folder path with --out.")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SignnetError(f"Cannot create the output folder {str(out)!r}: {exc.strerror or exc}.") from None
    return out


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` whole: temp file in the same folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; give the file the usual permissions
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


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
