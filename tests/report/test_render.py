"""The jinja2 environment: autoescaping, embedded PNGs, number formatting."""

import jinja2
import numpy as np
import pytest

from signnet.report.render import certificate_entry, environment, number, png_uri, render


def test_autoescape_and_strict_undefined():
    env = environment()
    assert env.from_string("{{ x }}").render(x="<b>&") == "&lt;b&gt;&amp;"
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ missing }}").render()


def test_page_is_self_contained():
    page = render("page.html.j2", title="T <1>", intro="", sections=["<p>x</p>"], footer="f")
    assert "<title>T &lt;1&gt;</title>" in page and "http" not in page


def test_png_uri_refuses_non_png(tmp_path):
    p = tmp_path / "a.png"
    p.write_bytes(b"not a png")
    with pytest.raises(ValueError, match="is not a PNG file"):
        png_uri(p)
    assert png_uri(b"\x89PNG\r\n\x1a\nxyz").startswith("data:image/png;base64,iVBORw0KGgp4eXo")


def test_number_and_certificate_words():
    assert [number(v) for v in (0.5, 3, None, True, 1e-7)] == ["0.500", "3", "\u2013", "yes", "1.0e-07"]
    assert certificate_entry([1, -1, 0, None]) == "non-decreasing, non-increasing, constant, not proven"


def test_number_never_rounds_a_value_to_one():
    # an accuracy of 0.9995 beside a failing "accuracy 1" verdict once read "1.000"
    assert [number(v) for v in (0.9995, 0.99996, -0.9996, 1.0004, 1.0, -1.0)] == [
        "0.9995", "0.99996", "-0.9996", "1.0004", "1.000", "-1.000"]
    assert number(1 - 2**-52) == "0.9999999999999998"  # beyond 12 decimals: its shortest repr
    assert number(2.0004) == "2.000" and number(0.12345) == "0.123"  # other values keep 3 decimals
    assert number(np.float32(0.25)) == "0.250" and number(np.float64(0.99996)) == "0.99996"  # numpy floats too
    assert number(1e300) == "1.0e+300" and number(0.123456789, 14) == "0.12345678900000"


def test_verdict_macro_shows_status_and_kind():
    from signnet.experiments.results import Comparison, Verdict

    v = Verdict("k", "DNN+ at or below the ceiling", "theorem", (Comparison("best DNN+", 0.6, "<=", "ceiling", 0.7),))
    html = environment().from_string('{% import "macros.html.j2" as m %}{{ m.verdicts([v]) }}').render(v=v.to_dict())
    assert '<span class="holds">holds</span>' in html and "theorem&#39;s limit" in html
    assert "best DNN+ 0.600 &lt;= ceiling 0.700" in html
