"""Self-contained HTML reports: one file, images embedded, no external assets.

A report opens offline in any browser: PNG figures are inlined as
``data:image/png;base64`` URIs and the style sheet is inline.

Example::

    page = html_page("Figure 1", [
        section("Data", paragraph("..."), image("figure1.png", "the panels")),
        section("Numbers", table(["panel", "ceiling"], [["A", "0.750"]])),
    ])
    atomic_write_text("reports/figure1/index.html", page)
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{border-bottom:2px solid #c0392b;padding-bottom:.2em}h2{margin-top:1.8em;color:#333}
table{border-collapse:collapse;margin:1em 0;font-size:.92em}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
img{max-width:100%;border:1px solid #ddd;margin:.5em 0}figure{margin:1em 0}figcaption{font-size:.9em;color:#555}
code,pre{background:#f6f6f6;padding:.1em .3em;border-radius:3px}pre{padding:.6em;overflow-x:auto}
.ok{color:#1e8449;font-weight:600}.bad{color:#c0392b;font-weight:600}.note{color:#555;font-size:.92em}
nav a{margin-right:1em}
"""


def escape(text: object) -> str:
    """HTML-escape ``text``."""
    return html.escape(str(text))


def paragraph(text: str, *, raw: bool = False) -> str:
    """A ``<p>``; ``text`` is escaped unless ``raw``."""
    return f"<p>{text if raw else escape(text)}</p>"


def code_block(text: str) -> str:
    """A ``<pre>`` block of escaped text."""
    return f"<pre>{escape(text)}</pre>"


def image(png: str | os.PathLike | bytes, caption: str = "", alt: str | None = None) -> str:
    """A ``<figure>`` with the PNG (a path or bytes) embedded as a data URI."""
    data = png if isinstance(png, bytes) else Path(png).read_bytes()
    uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    cap = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="{uri}" alt="{escape(alt or caption or "figure")}">{cap}</figure>'


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return escape(value)


def table(header: Sequence[str], rows: Iterable[Sequence[object]], *, raw_cells: bool = False) -> str:
    """A ``<table>``: floats shown with 3 decimals; cells escaped unless ``raw_cells``."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{c if raw_cells and isinstance(c, str) else _cell(c)}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def verdict(ok: bool, text_ok: str = "holds", text_bad: str = "fails") -> str:
    """A green or red word for a checked claim."""
    return f'<span class="{"ok" if ok else "bad"}">{escape(text_ok if ok else text_bad)}</span>'


def section(title: str, *parts: str, anchor: str | None = None) -> str:
    """A ``<section>`` with an ``<h2>`` title and the given HTML parts."""
    ident = f' id="{escape(anchor)}"' if anchor else ""
    return f"<section{ident}><h2>{escape(title)}</h2>{''.join(parts)}</section>"


def html_page(title: str, sections: Sequence[str], *, intro: str = "", footer: str = "") -> str:
    """A whole HTML document with inline style; no external assets."""
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>{intro}{''.join(sections)}"
        f"<footer class=\"note\">{footer}</footer></body></html>\n"
    )
