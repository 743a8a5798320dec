"""`WebhookStore` on MongoDB: webhooks and their deliveries."""

from __future__ import annotations

import dataclasses
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument

from covisor.store.mongo.base import Database
from covisor.store.records import WebhookDeliveryRecord, WebhookRecord


class MongoWebhooks:
    """Mixed into `MongoStore` (each method's `self` is one: see `Database`)."""

    async def add_webhook(self: Database, hook: WebhookRecord) -> None:
        fields = dataclasses.asdict(hook)
        fields["events"] = list(hook.events)
        await self._db.webhooks.insert_one({"_id": fields.pop("id"), **fields})

    async def webhook(self: Database, hook_id: str) -> WebhookRecord | None:
        doc = await self._db.webhooks.find_one({"_id": hook_id})
        return _webhook(doc) if doc else None

    async def webhooks(self: Database) -> list[WebhookRecord]:
        cursor = self._db.webhooks.find().sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        return [_webhook(doc) async for doc in cursor]

    async def delete_webhook(self: Database, hook_id: str) -> bool:
        # Deliveries first: a crash between the two leaves a hook without history, never
        # deliveries of a hook that is gone.
        await self._db.webhook_deliveries.delete_many({"hook_id": hook_id})
        result = await self._db.webhooks.delete_one({"_id": hook_id})
        return result.deleted_count > 0

    async def add_webhook_deliveries(
        self: Database, deliveries: list[WebhookDeliveryRecord]
    ) -> None:
        if not deliveries:
            return
        docs = []
        for delivery in deliveries:
            fields = dataclasses.asdict(delivery)
            docs.append({"_id": fields.pop("id"), **fields, "claimer": None, "leased_until": 0.0})
        await self._db.webhook_deliveries.insert_many(docs, ordered=True)

    async def claim_webhook_deliveries(
        self: Database, now: float, lease_until: float, claimer: str, limit: int
    ) -> list[WebhookDeliveryRecord]:
        claimed: list[WebhookDeliveryRecord] = []
        while len(claimed) < limit:
            doc = await self._db.webhook_deliveries.find_one_and_update(
                {
                    "state": "pending",
                    "next_attempt_at": {"$lte": now},
                    "leased_until": {"$lte": now},
                },
                {"$set": {"claimer": claimer, "leased_until": lease_until}},
                sort=[("next_attempt_at", ASCENDING), ("_id", ASCENDING)],
                return_document=ReturnDocument.AFTER,
            )
            if doc is None:
                break
            claimed.append(_delivery(doc))
        return claimed

    async def next_webhook_attempt(self: Database) -> float | None:
        cursor = await self._db.webhook_deliveries.aggregate(
            [
                {"$match": {"state": "pending"}},
                {
                    "$group": {
                        "_id": None,
                        "at": {"$min": {"$max": ["$next_attempt_at", "$leased_until"]}},
                    }
                },
            ]
        )
        found = [doc async for doc in cursor]
        return float(found[0]["at"]) if found else None

    async def settle_webhook_delivery(
        self: Database, delivery: WebhookDeliveryRecord, claimer: str
    ) -> bool:
        result = await self._db.webhook_deliveries.update_one(
            {"_id": delivery.id, "claimer": claimer},
            {
                "$set": {
                    "state": delivery.state,
                    "attempts": delivery.attempts,
                    "last_status": delivery.last_status,
                    "last_error": delivery.last_error,
                    "next_attempt_at": delivery.next_attempt_at,
                    "delivered_at": delivery.delivered_at,
                    "finished_at": delivery.finished_at,
                    "claimer": None,
                    "leased_until": 0.0,
                }
            },
        )
        return result.matched_count > 0

    async def webhook_deliveries(
        self: Database, hook_id: str, limit: int = 50
    ) -> list[WebhookDeliveryRecord]:
        cursor = (
            self._db.webhook_deliveries.find({"hook_id": hook_id})
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .limit(limit)
        )
        return [_delivery(doc) async for doc in cursor]

    async def drop_webhook_deliveries(self: Database, finished_before: float) -> int:
        result = await self._db.webhook_deliveries.delete_many(
            {"state": {"$ne": "pending"}, "finished_at": {"$lt": finished_before}}
        )
        return int(result.deleted_count)


def _webhook(doc: dict[str, Any]) -> WebhookRecord:
    return WebhookRecord(
        doc["_id"],
        doc["url"],
        tuple(doc["events"]),
        doc["secret"],
        doc["created_at"],
        bool(doc.get("enabled", True)),
        doc.get("created_by"),
    )


def _delivery(doc: dict[str, Any]) -> WebhookDeliveryRecord:
    return WebhookDeliveryRecord(
        doc["_id"],
        doc["hook_id"],
        doc["event"],
        bytes(doc["body"]),
        doc["created_at"],
        doc["next_attempt_at"],
        doc["state"],
        doc["attempts"],
        doc.get("last_status"),
        doc.get("last_error"),
        doc.get("delivered_at"),
        doc.get("finished_at"),
    )
