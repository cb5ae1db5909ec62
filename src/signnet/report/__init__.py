"""Writing results: atomic files and provenance (:mod:`.artifacts`), jinja2 HTML (:mod:`.render`), plots (:mod:`.plotting`)."""

from signnet.report.artifacts import (
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    run_metadata,
    save_figure,
    to_json,
)

__all__ = ["atomic_write_bytes", "atomic_write_json", "atomic_write_text", "run_metadata", "save_figure", "to_json"]
