"""Shared fixtures.

``single_thread``: run a test with one intra-op torch thread. The core suite trains
many tiny networks; for those one thread is faster than two, and on a busy machine
OpenMP's spinning worker threads can make two threads several times slower.
Opt in per module with ``pytestmark = pytest.mark.usefixtures("single_thread")``.
"""

import pytest
import torch


@pytest.fixture
def single_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
