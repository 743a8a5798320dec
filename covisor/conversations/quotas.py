"""Fixed-window counters kept in the store, so every process of a deployment shares them.

They limit PIN redemption attempts (phone/service.py) and the quotas of anonymous and abusable
work: conversations opened and PINs issued per client, uploads and uploaded bytes per
conversation. A window opens with the first count under a key and everything is forgiven
when it ends. Over a limit the answer is `rate_limited` with `retry_after`, the seconds until
the window ends (HTTP `429` with `Retry-After`).
"""

from __future__ import annotations

from dataclasses import dataclass

from covisor.kernel.clock import Clock
from covisor.kernel.errors import CovisorError
from covisor.store import Store
from covisor.store.records import Attempts


@dataclass(frozen=True)
class AttemptLimit:
    """At most `limit` (attempts, uploads, bytes) in a fixed window of `window` seconds.

    The window opens with the first counted attempt and everything is forgiven when it ends. A
    counter in the store says how many attempts fell in its window; `wait` turns it into a
    verdict.
    """

    limit: int
    window: float

    def reset_before(self, now: float) -> float:
        """A counter whose window started at or before this instant (ms) is spent: it restarts."""
        return now - self.window * 1000.0

    def wait(self, attempts: Attempts | None, now: float, *, counted: bool) -> float | None:
        """Seconds until an attempt is allowed again, or None if this one may go ahead.

        `counted` says whether `attempts` already includes this attempt (taken before trying,
        so concurrent attempts cannot all slip under the limit) or only earlier failures.
        """
        if attempts is None or attempts.started <= self.reset_before(now):
            return None
        allowed = self.limit if counted else self.limit - 1
        if attempts.count <= allowed:
            return None
        return max(0.001, (attempts.started + self.window * 1000.0 - now) / 1000.0)


class Quotas:
    """Spends and checks quotas of `AttemptLimit`s against the store's counters."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def spend(self, key: str, limit: AttemptLimit, what: str, amount: int = 1) -> None:
        """Count `amount` under `key`, then refuse if that went over the limit. Counted first,
        so concurrent requests cannot all slip under it; refused ones count too."""
        now = self._clock()
        counted = await self._store.count_attempt(key, now, limit.reset_before(now), amount)
        wait = limit.wait(counted, now, counted=True)
        if wait is not None:
            raise over_quota(what, wait)

    async def check(self, key: str, limit: AttemptLimit, what: str) -> None:
        """Refuse if the window under `key` is already used up; count nothing."""
        now = self._clock()
        wait = limit.wait(await self._store.attempts(key), now, counted=False)
        if wait is not None:
            raise over_quota(what, wait)

    async def add(self, key: str, limit: AttemptLimit, amount: int) -> None:
        """Count `amount` under `key` without a verdict (what was used, found out after)."""
        now = self._clock()
        await self._store.count_attempt(key, now, limit.reset_before(now), amount)


def over_quota(what: str, wait: float) -> CovisorError:
    return CovisorError("rate_limited", f"too many {what}; try again later", retry_after=wait)
