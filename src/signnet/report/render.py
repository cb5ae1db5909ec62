"""HTML from jinja2 templates, with autoescaping, as one self-contained page.

Templates live in ``templates/`` folders inside the package: the shared ones
here (``page.html.j2`` the page, ``macros.html.j2`` tables, figures and
verdicts) and each experiment's own next to its code
(``signnet/experiments/<name>/templates/``). Figures are embedded as
``data:image/png;base64`` URIs (the ``png`` filter), the style sheet is inline:
a report opens offline in any browser.

Example::

    from signnet.report.render import render
    page = render("census/section.html.j2", results=results.to_dict(), out=out)
"""

from __future__ import annotations

import base64
import json
import math
import os
from functools import lru_cache
from pathlib import Path

import jinja2
import numpy as np

_PACKAGE = Path(__file__).resolve().parents[1]  # src/signnet


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The shared jinja2 environment: autoescaping on, undefined names are errors.

    Template names: ``"page.html.j2"``, ``"macros.html.j2"`` (shared),
    ``"<experiment>/<file>"`` for an experiment's own templates and
    ``"sweep/<file>"`` for the summary of ``signnet sweep``.
    """
    loaders: dict[str, jinja2.BaseLoader] = {}
    experiments = _PACKAGE / "experiments"
    for folder in sorted(experiments.iterdir()):
        if (folder / "templates").is_dir():
            loaders[folder.name] = jinja2.FileSystemLoader(str(folder / "templates"))
    loaders["sweep"] = jinja2.FileSystemLoader(str(_PACKAGE / "sweep" / "templates"))  # signnet sweep's summary
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(_PACKAGE / "report" / "templates")),
                                    jinja2.PrefixLoader(loaders)]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["png"] = png_uri
    env.filters["num"] = number
    env.filters["cert"] = certificate_entry
    env.filters["tojson_compact"] = lambda v: json.dumps(v, separators=(",", ":"))
    return env


def render(template: str, **context) -> str:
    """Render the template named ``template`` with ``context``."""
    return environment().get_template(template).render(**context)


def png_uri(png: str | os.PathLike | bytes) -> str:
    """A PNG (path or bytes) as a ``data:image/png;base64,...`` URI."""
    data = png if isinstance(png, bytes) else Path(png).read_bytes()
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError(f"{png if not isinstance(png, bytes) else 'the given bytes'} is not a PNG file.")
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def number(value, digits: int = 3) -> str:
    """A number for a table: floats with ``digits`` decimals (scientific when tiny), ints as is, None as "–".

    A float other than +-1 never reads as +-1: 0.9995 is "0.9995", not "1.000" (a verdict "accuracy 1"
    fails beside it; accuracies, ceilings and probabilities end at 1), so such a value gets as many more
    decimals as it takes (at most 12; beyond that its shortest repr). Tiny values are scientific, so
    none reads as 0.
    """
    if value is None:
        return "\u2013"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if value != 0 and (abs(value) < 10 ** -digits or abs(value) >= 1e15):  # tiny or huge: scientific
            return f"{value:.{max(digits - 2, 1)}e}"
        for places in range(digits, max(digits, 12) + 1):
            text = f"{value:.{places}f}"
            if abs(value) == 1 or not math.isfinite(value) or abs(float(text)) != 1:
                return text
        return repr(value)
    return str(value)


def certificate_entry(value) -> str:
    """One certificate entry in words: 1 "non-decreasing", -1 "non-increasing", 0 "constant", None "not proven"."""
    words = {1: "non-decreasing", -1: "non-increasing", 0: "constant", None: "not proven"}
    if isinstance(value, (list, tuple)):
        return ", ".join(certificate_entry(v) for v in value)
    return words.get(value, str(value))
