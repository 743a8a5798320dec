"""`CounterStore` on MongoDB: attempt counters that expire."""

from __future__ import annotations

from pymongo import ReturnDocument

from covisor.store.mongo.base import Database
from covisor.store.records import Attempts


class MongoCounters:
    """Mixed into `MongoStore` (each method's `self` is one: see `Database`)."""

    async def count_attempt(
        self: Database, key: str, now: float, reset_before: float, amount: int = 1
    ) -> Attempts:
        await self._db.counters.delete_many({"expires": {"$lte": now}})
        live = {"$gt": ["$expires", now]}
        doc = await self._db.counters.find_one_and_update(
            {"_id": key},
            [
                {
                    "$set": {
                        "count": {"$cond": [live, {"$add": ["$count", amount]}, amount]},
                        "started": {"$cond": [live, "$started", now]},
                        "expires": {"$cond": [live, "$expires", now + (now - reset_before)]},
                    }
                }
            ],
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            raise RuntimeError("an upsert returning the new document returned none")
        return Attempts(doc["count"], doc["started"])

    async def forgive_attempt(self: Database, key: str) -> None:
        await self._db.counters.update_one(
            {"_id": key, "count": {"$gt": 0}}, {"$inc": {"count": -1}}
        )

    async def attempts(self: Database, key: str) -> Attempts | None:
        doc = await self._db.counters.find_one({"_id": key})
        return Attempts(doc["count"], doc["started"]) if doc else None
