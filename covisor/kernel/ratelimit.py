"""Token buckets, so one flooding connection cannot starve a conversation or the server."""

from __future__ import annotations

from dataclasses import dataclass

from covisor.kernel.clock import Clock
from covisor.kernel.errors import CovisorError


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: `rate` events per second sustained, `burst` at once."""

    rate: float
    burst: float

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        rate, sep, burst = text.partition("/")
        if not sep:
            raise ValueError("expected RATE/BURST, such as 5/10")
        return cls(float(rate), float(burst))


@dataclass
class TokenBucket:
    limit: RateLimit
    tokens: float
    updated: float

    @classmethod
    def full(cls, limit: RateLimit, now: float) -> TokenBucket:
        return cls(limit, limit.burst, now)

    def take(self, now: float) -> float:
        """Spend one token; return 0.0, or the seconds until one is available (nothing spent)."""
        elapsed = max(0.0, now - self.updated) / 1000.0
        self.tokens = min(self.limit.burst, self.tokens + elapsed * self.limit.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.limit.rate


class EventLimiter:
    """One connection's buckets: chat, strokes, and everything else, each with its own limit."""

    def __init__(self, chat: RateLimit, stroke: RateLimit, other: RateLimit, clock: Clock) -> None:
        now = clock()
        self._clock = clock
        self._chat = TokenBucket.full(chat, now)
        self._stroke = TokenBucket.full(stroke, now)
        self._other = TokenBucket.full(other, now)

    def check(self, event: str) -> None:
        if event.startswith("chat.send") or event.startswith("chat.typing"):
            bucket = self._chat
        elif event.startswith("stroke."):
            bucket = self._stroke
        else:
            bucket = self._other
        wait = bucket.take(self._clock())
        if wait > 0.0:
            raise CovisorError("rate_limited", f"too many {event} events", retry_after=wait)
