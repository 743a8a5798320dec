"""Bounded polling for conditions no DOM event announces (canvas pixels, video clocks)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

WAIT_S = 15.0
"""Every wait in the end-to-end tests is bounded by this: generous for a loaded 2-core machine."""
POLL_S = 0.05


def eventually(check: Callable[[], T], timeout: float = WAIT_S) -> T:
    """Call `check` until it returns without raising AssertionError; return its result.

    After `timeout` seconds the last AssertionError is raised, so a failure says what was
    still wrong rather than only that time ran out.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() >= deadline:
                raise
        time.sleep(POLL_S)
