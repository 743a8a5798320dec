"""`PresenceStore` on MongoDB: agents' statuses (`agent_status`) and each process's consoles."""

from __future__ import annotations

import dataclasses

from covisor.store.mongo.base import Database
from covisor.store.records import PresenceRecord


class MongoPresence:
    """Mixed into `MongoStore` (each method's `self` is one: see `Database`)."""

    async def set_agent_status(self: Database, agent_id: str, status: str, at: float) -> None:
        await self._db.agent_status.update_one(
            {"_id": agent_id},
            {"$set": {"status": status, "changed_at": at}, "$setOnInsert": {"assigned_at": 0.0}},
            upsert=True,
        )

    async def mark_assigned(self: Database, agent_id: str, at: float) -> None:
        await self._db.agent_status.update_one(
            {"_id": agent_id},
            {
                "$set": {"assigned_at": at},
                "$setOnInsert": {"status": None, "changed_at": 0.0},
            },
            upsert=True,
        )

    async def record_consoles(
        self: Database, process_id: str, counts: dict[str, int], at: float
    ) -> None:
        await self._db.consoles.update_one(
            {"_id": process_id},
            {"$set": {"agents": {k: n for k, n in counts.items() if n > 0}, "seen_at": at}},
            upsert=True,
        )

    async def presence(self: Database, seen_after: float) -> dict[str, PresenceRecord]:
        found = {
            doc["_id"]: PresenceRecord(
                doc["_id"], doc.get("status"), doc["changed_at"], doc["assigned_at"], 0
            )
            async for doc in self._db.agent_status.find({})
        }
        async for report in self._db.consoles.find({"seen_at": {"$gt": seen_after}}):
            for agent_id, count in report["agents"].items():
                known = found.get(agent_id) or PresenceRecord(agent_id, None, 0.0, 0.0, 0)
                found[agent_id] = dataclasses.replace(known, consoles=known.consoles + count)
        return found
