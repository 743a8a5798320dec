"""The store's part for visitors: page views, invitations and their rules, conversions.

`VisitStore` is the protocol; `Store` includes it. Both backends implement it in a module of
their own (`sqlite/visits.py`, `mongo/visits.py`) and pass the same contract tests
(tests/store/test_visits_contract.py).

A visitor is a random id the widget keeps in first-party storage: no name, no address, no
fingerprint. A visit is the run of page views with no gap over the `gap` given to
`record_visits` (30 minutes by default); a visitor with more than one visit is returning. The
referrer kept is the one of the visit's first page (where the visitor came from).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from covisor.store.records import (
    ConversionRecord,
    InvitationRecord,
    Outcome,
    PageView,
    RuleRecord,
    ShopContext,
    VisitedPage,
    VisitorRecord,
)


class VisitStore(Protocol):
    async def record_visits(self, views: Sequence[PageView | ShopContext], gap: float) -> None:
        """Apply page views, heartbeats and what shops' pages told, in order, in one step: a
        view sets the current page (and its product, forgetting the product the last page
        told) and counts it; a new visit starts after `gap` ms without any. A told context
        of an unknown visitor is dropped."""

    async def visitor(self, visitor_id: str) -> VisitorRecord | None: ...

    async def live_visitors(self, seen_after: float, limit: int = 500) -> list[VisitorRecord]:
        """Visitors seen after `seen_after` (ms), the most recently seen first."""

    async def visit_pages(
        self, visitor_id: str, since: float, limit: int = 50
    ) -> list[VisitedPage]:
        """The visitor's page views from `since` on, oldest first, at most the last `limit`."""

    async def link_conversation(self, visitor_id: str, conversation_id: str, at: float) -> None:
        """The visitor opened (or was given) a conversation: it is assisted from `at` on."""

    async def add_invitation(self, invitation: InvitationRecord) -> None: ...

    async def invitation(self, invitation_id: str) -> InvitationRecord | None: ...

    async def decide_invitation(
        self, invitation_id: str, outcome: Outcome, at: float, conversation_id: str | None
    ) -> InvitationRecord | None:
        """Set a pending invitation's outcome; None if it is not pending (or unknown)."""

    async def invitation_rules(self) -> list[RuleRecord]:
        """Every rule, oldest first."""

    async def put_invitation_rule(self, rule: RuleRecord) -> None:
        """Add the rule, or replace the one with its id."""

    async def delete_invitation_rule(self, rule_id: str) -> bool: ...

    async def add_conversion(self, conversion: ConversionRecord) -> bool:
        """Store it with its items, in one step, unless its `order_id` is known (then change
        nothing, the items included, and return False)."""

    async def forget_visitors(self, seen_before: float) -> int:
        """Drop visitors last seen before `seen_before` with their page views and
        invitations; conversions stay (they name no one). How many visitors."""
