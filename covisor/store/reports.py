"""The store's part for reports: the figures of a time range, read from what is stored.

`ReportStore` is the protocol; `Store` includes it. Both backends implement it in a module of
their own (`sqlite_reports.py`, `mongo_reports.py`) and pass the same contract tests
(tests/store/test_reports_contract.py). Every bound is in ms since the epoch, `start`
included, `end` excluded; the service (history/reports.py) turns dates in a time zone into them.

The store does the reading and the grouping; what needs a time zone (days, hours of the day)
or an interpolated percentile is left to the service, since neither SQLite (no zone database,
no percentile function) nor the MongoDB version we require does both the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ConversationFacts:
    """One conversation opened in the range, as its events tell it.

    `opened_at`: when it was opened (its row's `created_at`). `device`: its visitor's device
    class (`phone`, `tablet`, `desktop`), `unknown` without one. `agent_id`/`agent_name`: the
    agent of its first `conversation.accepted` (transfers are not followed), with
    `accepted_at`. `first_response_at`: its first `chat.message` by an agent. `closed_at`: its
    `conversation.closed`. `rating`: the score of its `conversation.rated`. `uploads`: its
    `media.ready` events; `pin_joins`: its `member.joined` events."""

    id: str
    opened_at: float
    device: str
    offline: bool
    status: str
    agent_id: str | None
    agent_name: str | None
    accepted_at: float | None
    first_response_at: float | None
    closed_at: float | None
    rating: int | None
    uploads: int
    pin_joins: int


@dataclass(frozen=True)
class VisitorGroup:
    """Visitors seen in the range (`first_seen < end` and `last_seen >= start`) of one device
    class (the visitor's latest), split by `assisted`: the visitor had opened or been given a
    conversation before the range's end (`assisted_at < end`). `converted`: how many of them
    have at least one conversion in the range."""

    device: str
    assisted: bool
    visitors: int
    converted: int


@dataclass(frozen=True)
class OrderGroup:
    """Conversions in the range of one device class, `assisted` flag and currency, as each
    was recorded when the order came (`ConversionRecord.device`/`.assisted`). `total_cents`:
    the sum of their values in hundredths (values are stored with two decimals)."""

    device: str
    assisted: bool
    currency: str
    orders: int
    total_cents: int


class ReportStore(Protocol):
    async def conversation_facts(self, start: float, end: float) -> list[ConversationFacts]:
        """Every conversation opened in [start, end), oldest first (then by id)."""

    async def invitation_counts(self, start: float, end: float) -> tuple[int, int]:
        """Invitations created in [start, end): `(sent, accepted)`."""

    async def visitor_groups(self, start: float, end: float) -> list[VisitorGroup]:
        """Visitors of the range by device class and assisted flag, sorted by both."""

    async def order_groups(self, start: float, end: float) -> list[OrderGroup]:
        """Conversions made in [start, end) by device class, assisted flag and currency,
        sorted by the three."""
