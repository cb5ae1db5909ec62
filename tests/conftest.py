"""Shared fixtures.

``single_thread``: run a test with one intra-op torch thread. The core suite trains
many tiny networks; for those one thread is faster than two, and on a busy machine
OpenMP's spinning worker threads can make two threads several times slower.
Opt in per module with ``pytestmark = pytest.mark.usefixtures("single_thread")``.

Hypothesis runs derandomized (the "signnet" profile below): every run draws the same examples.
"""

import pytest
import torch
from hypothesis import settings

# The same examples on every run and every machine: a property test that fails in CI fails locally too,
# and a green run is not luck of the draw (no example database either, so local history changes nothing).
settings.register_profile("signnet", derandomize=True, database=None)
settings.load_profile("signnet")


def pytest_collection_modifyitems(config, items):
    """``@pytest.mark.cuda`` tests run only where torch sees a CUDA device."""
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="no CUDA device here (torch.cuda.is_available() is False)")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread_for_the_suite():
    """The suite trains hundreds of tiny networks: one intra-op thread is several times faster for them.

    The library leaves torch's thread count alone (``fit(threads=None)``); the test
    session, like an application, chooses it here once and restores it at the end.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def single_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _check_report(out, figures):
    """Assert that ``out/index.html`` embeds exactly ``figures`` (PNG files in ``out``) and links nothing outside.

    Returns the page text for further checks.
    """
    import re

    for name in figures:
        assert (out / name).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    page = (out / "index.html").read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == len(figures)
    assert "http://" not in page and "https://" not in page
    assert all(src.startswith("data:") for src in re.findall(r'src="([^"]*)"', page))
    return page


@pytest.fixture
def check_report():
    """The self-contained-report check shared by the study tests (see ``_check_report``)."""
    return _check_report
