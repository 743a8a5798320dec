"""The store's webhooks slice: webhooks and their delivery queue."""

from __future__ import annotations

from typing import Protocol

from covisor.store.records import WebhookDeliveryRecord, WebhookRecord


class WebhookStore(Protocol):
    """Webhooks and their delivery queue."""

    async def add_webhook(self, hook: WebhookRecord) -> None:
        """Store a new webhook (its id is new)."""

    async def webhook(self, hook_id: str) -> WebhookRecord | None: ...

    async def webhooks(self) -> list[WebhookRecord]:
        """Every webhook, oldest first (ties by id)."""

    async def delete_webhook(self, hook_id: str) -> bool:
        """Drop the webhook and every delivery of it; False if there was none."""

    async def add_webhook_deliveries(self, deliveries: list[WebhookDeliveryRecord]) -> None:
        """Queue new deliveries (their ids are new)."""

    async def claim_webhook_deliveries(
        self, now: float, lease_until: float, claimer: str, limit: int
    ) -> list[WebhookDeliveryRecord]:
        """Lease up to `limit` pending deliveries due at `now` (`next_attempt_at <= now`) and
        not leased past `now`, to `claimer` until `lease_until`; the soonest due first.

        Atomic: of concurrent claims, from any process, one gets each delivery; a lease that
        ran out (its process died) lets the delivery be claimed again.
        """

    async def next_webhook_attempt(self) -> float | None:
        """When the soonest pending delivery may be claimed (the later of its next attempt and
        the end of its lease); None when none is pending."""

    async def settle_webhook_delivery(self, delivery: WebhookDeliveryRecord, claimer: str) -> bool:
        """Write the outcome of an attempt (`state`, `attempts`, `last_status`, `last_error`,
        `next_attempt_at`, `delivered_at`, `finished_at` of `delivery`) and end the lease, if
        `claimer` still holds it; False, changing nothing, if it does not (the lease ran out
        and another claimer took it, or the delivery is gone)."""

    async def webhook_deliveries(
        self, hook_id: str, limit: int = 50
    ) -> list[WebhookDeliveryRecord]:
        """The webhook's latest `limit` deliveries, newest first (ties by id, descending)."""

    async def drop_webhook_deliveries(self, finished_before: float) -> int:
        """Drop deliveries delivered or failed before `finished_before`; how many."""
