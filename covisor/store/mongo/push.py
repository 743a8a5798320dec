"""`PushStore` on MongoDB: agents' Web Push subscriptions."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING

from covisor.store.mongo.base import Database
from covisor.store.records import PushSubscriptionRecord


class MongoPush:
    """Mixed into `MongoStore` (each method's `self` is one: see `Database`)."""

    async def add_push_subscription(
        self: Database, subscription: PushSubscriptionRecord, keep: int
    ) -> None:
        # Two steps without a transaction: a crash between them leaves the agent one
        # subscription over `keep` until its next subscribe, which trims again.
        await self._db.push_subscriptions.replace_one(
            {"_id": subscription.endpoint},
            {
                "agent_id": subscription.agent_id,
                "p256dh": subscription.p256dh,
                "auth": subscription.auth,
                "created_at": subscription.created_at,
            },
            upsert=True,
        )
        cursor = (
            self._db.push_subscriptions.find({"agent_id": subscription.agent_id}, {"_id": 1})
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .skip(keep)
        )
        extra = [doc["_id"] async for doc in cursor]
        if extra:
            await self._db.push_subscriptions.delete_many({"_id": {"$in": extra}})

    async def push_subscriptions(
        self: Database, agent_ids: list[str]
    ) -> list[PushSubscriptionRecord]:
        if not agent_ids:
            return []
        cursor = self._db.push_subscriptions.find({"agent_id": {"$in": agent_ids}}).sort(
            [("created_at", ASCENDING), ("_id", ASCENDING)]
        )
        return [
            PushSubscriptionRecord(
                doc["_id"], doc["p256dh"], doc["auth"], doc["agent_id"], doc["created_at"]
            )
            async for doc in cursor
        ]

    async def remove_push_subscription(
        self: Database, endpoint: str, agent_id: str | None = None
    ) -> bool:
        query: dict[str, Any] = {"_id": endpoint}
        if agent_id is not None:
            query["agent_id"] = agent_id
        result = await self._db.push_subscriptions.delete_one(query)
        return result.deleted_count > 0
