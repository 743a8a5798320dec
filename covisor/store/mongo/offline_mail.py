"""`OfflineMailStore` on MongoDB: bursts of agents' answers waiting to be e-mailed."""

from __future__ import annotations

from pymongo import ASCENDING, ReturnDocument

from covisor.store.mongo.base import Database
from covisor.store.offline_mail import PendingMail


class MongoOfflineMail:
    """Mixed into `MongoStore` (each method's `self` is one: see `Database`)."""

    async def schedule_offline_mail(
        self: Database, conversation_id: str, first_seq: int, due_at: float
    ) -> None:
        await self._db.offline_mail.update_one(
            {"_id": conversation_id},
            {
                "$min": {"first_seq": first_seq},
                "$max": {"due_at": due_at},
                "$setOnInsert": {"claimer": None, "leased_until": 0.0},
            },
            upsert=True,
        )

    async def claim_offline_mail(
        self: Database, now: float, lease_until: float, claimer: str, limit: int
    ) -> list[PendingMail]:
        claimed: list[PendingMail] = []
        while len(claimed) < limit:
            doc = await self._db.offline_mail.find_one_and_update(
                {"due_at": {"$lte": now}, "leased_until": {"$lte": now}},
                {"$set": {"claimer": claimer, "leased_until": lease_until}},
                sort=[("due_at", ASCENDING), ("_id", ASCENDING)],
                return_document=ReturnDocument.AFTER,
            )
            if doc is None:
                break
            claimed.append(PendingMail(doc["_id"], doc["first_seq"], doc["due_at"]))
        return claimed

    async def finish_offline_mail(
        self: Database, claimed: PendingMail, claimer: str, next_seq: int
    ) -> None:
        gone = await self._db.offline_mail.delete_one(
            {"_id": claimed.conversation_id, "claimer": claimer, "due_at": claimed.due_at}
        )
        if not gone.deleted_count:
            await self._db.offline_mail.update_one(
                {"_id": claimed.conversation_id, "claimer": claimer},
                {"$set": {"first_seq": next_seq, "claimer": None, "leased_until": 0.0}},
            )
