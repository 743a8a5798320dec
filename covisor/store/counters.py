"""The store's counters slice: fixed-window counters every process shares (quotas, limits)."""

from __future__ import annotations

from typing import Protocol

from covisor.store.records import Attempts


class CounterStore(Protocol):
    """Fixed-window counters shared by every process (quotas, attempt limits)."""

    async def count_attempt(
        self, key: str, now: float, reset_before: float, amount: int = 1
    ) -> Attempts:
        """Add `amount` to the counter under `key`, atomically across processes; return it.

        A counter lives one window, from its first count at `started` until
        `started + (now - reset_before)` of that first count: a spent counter restarts at `now`
        with `amount`. Spent counters of any key may be dropped on the way. Counters keep PIN
        attempts and the quotas of quotas.py; a key is always counted with one window.
        """

    async def forgive_attempt(self, key: str) -> None:
        """Take back one counted attempt (it turned out to be a successful redemption)."""

    async def attempts(self, key: str) -> Attempts | None:
        """The attempt counter under `key`, spent or not, or None if there is none."""
