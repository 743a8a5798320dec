"""The store's push slice: agents' Web Push subscriptions."""

from __future__ import annotations

from typing import Protocol

from covisor.store.records import PushSubscriptionRecord


class PushStore(Protocol):
    """Agents' Web Push subscriptions."""

    async def add_push_subscription(self, subscription: PushSubscriptionRecord, keep: int) -> None:
        """Store `subscription`, replacing any with its endpoint (whichever agent had it: a
        browser has one endpoint, its last agent gets the pushes); then keep only the newest
        `keep` subscriptions of its agent, dropping older ones. One atomic step."""

    async def push_subscriptions(self, agent_ids: list[str]) -> list[PushSubscriptionRecord]:
        """Every subscription of those agents, oldest first (ties by endpoint)."""

    async def remove_push_subscription(self, endpoint: str, agent_id: str | None = None) -> bool:
        """Drop the subscription of `endpoint` (only if it is `agent_id`'s, when given);
        False if there was none."""
