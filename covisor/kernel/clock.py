"""Injected time and randomness, so expiry and backoff are tested exactly instead of slept."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

Clock = Callable[[], float]
"""Returns the current time in milliseconds since the Unix epoch."""

TokenSource = Callable[[int], str]
"""Returns a URL-safe random string from `n` random bytes."""


def system_clock() -> float:
    return time.time() * 1000.0


def system_tokens(nbytes: int) -> str:
    return secrets.token_urlsafe(nbytes)
