"""The store's offline-mail slice: agents' answers waiting to be e-mailed to an absent shopper.

What was a timer in one process is a row per conversation, so a node that dies with a burst
under way loses nothing: another node claims it once it is due and its lease (if any) ran out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PendingMail:
    """A conversation's agent lines from `first_seq` on, to e-mail at `due_at` (ms)."""

    conversation_id: str
    first_seq: int
    due_at: float


class OfflineMailStore(Protocol):
    async def schedule_offline_mail(
        self, conversation_id: str, first_seq: int, due_at: float
    ) -> None:
        """Note an agent's line at `first_seq`, due to be e-mailed at `due_at`: a pending
        burst of the conversation keeps its earliest line and takes the latest due time (so
        the order concurrent notes arrive in does not matter)."""

    async def claim_offline_mail(
        self, now: float, lease_until: float, claimer: str, limit: int
    ) -> list[PendingMail]:
        """Lease up to `limit` bursts due at `now` and not leased past it to `claimer` until
        `lease_until`, soonest first. Of concurrent claims from any process, one gets each."""

    async def finish_offline_mail(self, claimed: PendingMail, claimer: str, next_seq: int) -> None:
        """The burst `claimed` was handled up to `next_seq` (exclusive): gone, unless a line
        came after the claim (its due time moved), which then waits from `next_seq`."""
