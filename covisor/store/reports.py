"""The store's part for reports: the figures of a time range, read from what is stored.

`ReportStore` is the protocol; `Store` includes it. Both backends implement it in a module of
their own (`sqlite/reports.py`, `mongo/reports.py`) and pass the same contract tests
(tests/store/test_reports_contract.py). Every bound is in ms since the epoch, `start`
included, `end` excluded; the service (history/reports.py) turns dates in a time zone into them.

The store does the reading and the grouping; what needs a time zone (days, hours of the day)
or an interpolated percentile is left to the service, since neither SQLite (no zone database,
no percentile function) nor the MongoDB version we require does both the same way.
"""

from __future__ import annotations

from typing import Protocol

from covisor.store.records import ConversationFacts, OrderGroup, VisitorGroup


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
