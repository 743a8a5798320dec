"""The MongoDB store, for deployments that already run MongoDB (pymongo's async client).

Same contract as the SQLite store (tests/store/ runs one suite against both). A conversation's
seq range is claimed by one atomic conditional update (`seq == expected_seq`) before its events
are inserted, so two processes never hand out the same seq. Without a replica set there are no
multi-document transactions: a crash between the claim and the insert can leave a gap in the
seqs, which clients treat like any other gap (they resync from a snapshot).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, ReturnDocument
from pymongo.errors import DuplicateKeyError

from covisor.events import Event, decode, encode
from covisor.pins import Pin, Redeemer
from covisor.quotas import Attempts
from covisor.store import (
    AgentRecord,
    Append,
    CatalogueRecord,
    ConversationRecord,
    SummaryRecord,
)

_SUMMARY_FIELDS = {"created_at": 1, "seq": 1, "summary": 1}


class MongoStore:
    def __init__(self, url: str, database: str) -> None:
        self._client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, tz_aware=True)
        self._db = self._client[database]

    async def open(self) -> None:
        await self._db.agents.create_index("token_digest", unique=True)
        await self._db.conversations.create_index(
            [("status", ASCENDING), ("created_at", DESCENDING)]
        )
        await self._db.conversations.create_index(
            [("agent_id", ASCENDING), ("created_at", DESCENDING)]
        )
        await self._db.events.create_index(
            [("conversation_id", ASCENDING), ("seq", ASCENDING)], unique=True
        )
        await self._db.events.create_index(
            [("conversation_id", ASCENDING), ("type", ASCENDING), ("seq", ASCENDING)]
        )
        await self._db.pins.create_index("conversation_id")
        await self._db.pins.create_index("expires_at")
        await self._db.counters.create_index("expires")
        await self._db.catalogue.create_index([("created_at", ASCENDING), ("_id", ASCENDING)])

    async def close(self) -> None:
        await self._client.close()

    async def ping(self) -> None:
        await self._db.command("ping")

    async def secret(self, name: str, candidate: bytes) -> bytes:
        try:
            await self._db.secrets.insert_one({"_id": name, "value": candidate})
        except DuplicateKeyError:
            pass
        found = await self._db.secrets.find_one({"_id": name})
        assert found is not None
        return bytes(found["value"])

    async def add_agent(self, agent: AgentRecord) -> None:
        await self._db.agents.insert_one(
            {
                "_id": agent.id,
                "name": agent.name,
                "token_digest": agent.token_digest,
                "created_at": agent.created_at,
            }
        )

    async def agent_by_digest(self, token_digest: str) -> AgentRecord | None:
        doc = await self._db.agents.find_one({"token_digest": token_digest})
        if doc is None:
            return None
        return AgentRecord(doc["_id"], doc["name"], doc["token_digest"], doc["created_at"])

    async def count_agents(self) -> int:
        return int(await self._db.agents.count_documents({}))

    async def create_conversation(self, conversation_id: str, created_at: float) -> None:
        await self._db.conversations.insert_one(
            {
                "_id": conversation_id,
                "created_at": created_at,
                "seq": 0,
                "status": "waiting",
                "agent_id": None,
                "summary": {},
                "snapshot": None,
                "snapshot_seq": 0,
            }
        )

    async def conversation(self, conversation_id: str) -> ConversationRecord | None:
        doc = await self._db.conversations.find_one({"_id": conversation_id})
        return _record(doc) if doc else None

    async def summary(self, conversation_id: str) -> SummaryRecord | None:
        doc = await self._db.conversations.find_one({"_id": conversation_id}, _SUMMARY_FIELDS)
        return _summary(doc) if doc else None

    async def conversations(
        self, *, status: str | None = None, agent_id: str | None = None, limit: int = 200
    ) -> list[SummaryRecord]:
        query: dict[str, Any] = {"seq": {"$gt": 0}}
        if status is not None:
            query["status"] = status
        if agent_id is not None:
            query["agent_id"] = agent_id
        cursor = (
            self._db.conversations.find(query, _SUMMARY_FIELDS)
            .sort("created_at", DESCENDING)
            .limit(limit)
        )
        return [_summary(doc) async for doc in cursor]

    async def with_pending_uploads(self, limit: int = 1000) -> list[str]:
        cursor = self._db.conversations.find(
            {"summary.uploads_pending": {"$gt": 0}}, {"_id": 1}
        ).limit(limit)
        return [doc["_id"] async for doc in cursor]

    async def seqs(self, conversation_ids: list[str]) -> dict[str, int]:
        cursor = self._db.conversations.find({"_id": {"$in": conversation_ids}}, {"seq": 1})
        return {doc["_id"]: doc["seq"] async for doc in cursor}

    async def commit(self, appends: list[Append]) -> set[str]:
        stale: set[str] = set()
        for append in appends:
            if not await self._commit_one(append):
                stale.add(append.conversation_id)
        return stale

    async def _commit_one(self, append: Append) -> bool:
        last = append.events[-1].seq if append.events else append.expected_seq
        update: dict[str, Any] = {
            "seq": last,
            "status": append.summary.get("status", "waiting"),
            "agent_id": append.summary.get("agent_id"),
            "summary": append.summary,
        }
        if append.snapshot is not None:
            update["snapshot"] = append.snapshot
            update["snapshot_seq"] = last
        claimed = await self._db.conversations.update_one(
            {"_id": append.conversation_id, "seq": append.expected_seq}, {"$set": update}
        )
        if claimed.modified_count != 1:
            return False
        if append.events:
            await self._db.events.insert_many(
                [
                    {
                        "conversation_id": e.conversation_id,
                        "seq": e.seq,
                        "type": e.type,
                        "body": encode(e),
                    }
                    for e in append.events
                ],
                ordered=True,
            )
        return True

    async def events_after(self, conversation_id: str, after_seq: int, limit: int) -> list[Event]:
        cursor = (
            self._db.events.find({"conversation_id": conversation_id, "seq": {"$gt": after_seq}})
            .sort("seq", ASCENDING)
            .limit(limit)
        )
        return [decode(doc["body"]) async for doc in cursor]

    async def events_of_type(
        self, conversation_id: str, type_: str, before_seq: int | None, limit: int
    ) -> list[Event]:
        query: dict[str, Any] = {"conversation_id": conversation_id, "type": type_}
        if before_seq is not None:
            query["seq"] = {"$lt": before_seq}
        cursor = self._db.events.find(query).sort("seq", DESCENDING).limit(limit)
        found = [decode(doc["body"]) async for doc in cursor]
        return found[::-1]

    async def erase_conversation(self, conversation_id: str) -> bool:
        await self._db.events.delete_many({"conversation_id": conversation_id})
        await self._db.pins.delete_many({"conversation_id": conversation_id})
        keys = [f"{kind}:{conversation_id}" for kind in ("uploads", "upload-bytes", "conversation")]
        await self._db.counters.delete_many({"_id": {"$in": keys}})
        deleted = await self._db.conversations.delete_one({"_id": conversation_id})
        return bool(deleted.deleted_count)

    async def media_in_use(self, media_ids: list[str]) -> set[str]:
        wanted = set(media_ids)
        found = {
            doc["media_id"]
            async for doc in self._db.catalogue.find({"media_id": {"$in": media_ids}})
        }
        async for doc in self._db.events.find({"type": "media.processing"}, {"body": 1}):
            media_id = decode(doc["body"]).data.get("media_id")
            if media_id in wanted:
                found.add(media_id)
        return found

    async def closed_before(self, before: float, limit: int = 500) -> list[str]:
        found: list[str] = []
        async for doc in self._db.conversations.find({"status": "closed"}, {"seq": 1}):
            last = await self._db.events.find_one(
                {"conversation_id": doc["_id"], "seq": doc["seq"]}
            )
            if last is not None and decode(last["body"]).at < before:
                found.append(doc["_id"])
                if len(found) >= limit:
                    break
        return found

    async def add_pin(self, pin: Pin) -> bool:
        await self._db.pins.delete_many({"expires_at": {"$lte": pin.created_at}})
        try:
            await self._db.pins.insert_one({"_id": pin.digest, **_pin_fields(pin)})
        except DuplicateKeyError:
            return False
        # No multi-document transaction: revoke after inserting, and only PINs older than this
        # one (ties broken by digest), so of two concurrent issues the newer one survives.
        await self._db.pins.delete_many(
            {
                "conversation_id": pin.conversation_id,
                "used_at": None,
                "$or": [
                    {"created_at": {"$lt": pin.created_at}},
                    {"created_at": pin.created_at, "_id": {"$lt": pin.digest}},
                ],
            }
        )
        return True

    async def pin(self, digest: str) -> Pin | None:
        doc = await self._db.pins.find_one({"_id": digest})
        return _pin(doc) if doc else None

    async def claim_pin(self, digest: str, redeemer: Redeemer, now: float) -> Pin | None:
        doc = await self._db.pins.find_one_and_update(
            {"_id": digest, "redeemer": redeemer, "used_at": None, "expires_at": {"$gt": now}},
            {"$set": {"used_at": now}},
            return_document=ReturnDocument.AFTER,
        )
        return _pin(doc) if doc else None

    async def count_attempt(
        self, key: str, now: float, reset_before: float, amount: int = 1
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

    async def forgive_attempt(self, key: str) -> None:
        await self._db.counters.update_one(
            {"_id": key, "count": {"$gt": 0}}, {"$inc": {"count": -1}}
        )

    async def attempts(self, key: str) -> Attempts | None:
        doc = await self._db.counters.find_one({"_id": key})
        return Attempts(doc["count"], doc["started"]) if doc else None

    async def add_catalogue_item(self, item: CatalogueRecord) -> bool:
        fields = dataclasses.asdict(item)
        try:
            await self._db.catalogue.insert_one({"_id": fields.pop("id"), **fields})
        except DuplicateKeyError:
            return False
        return True

    async def catalogue_item(self, item_id: str) -> CatalogueRecord | None:
        doc = await self._db.catalogue.find_one({"_id": item_id})
        return _catalogue_record(doc) if doc else None

    async def catalogue_items(self, limit: int = 1000) -> list[CatalogueRecord]:
        cursor = self._db.catalogue.find().sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        return [_catalogue_record(doc) async for doc in cursor.limit(limit)]


def _catalogue_record(doc: dict[str, Any]) -> CatalogueRecord:
    return CatalogueRecord(id=doc.pop("_id"), **doc)


def _record(doc: dict[str, Any]) -> ConversationRecord:
    snapshot = doc.get("snapshot")
    return ConversationRecord(
        doc["_id"],
        doc["created_at"],
        doc["seq"],
        doc.get("summary") or {},
        bytes(snapshot) if snapshot is not None else None,
        doc.get("snapshot_seq", 0),
    )


def _summary(doc: dict[str, Any]) -> SummaryRecord:
    return SummaryRecord(doc["_id"], doc["created_at"], doc["seq"], doc.get("summary") or {})


def _pin_fields(pin: Pin) -> dict[str, Any]:
    return {
        "conversation_id": pin.conversation_id,
        "redeemer": pin.redeemer,
        "issuer_id": pin.issuer_id,
        "created_at": pin.created_at,
        "expires_at": pin.expires_at,
        "used_at": pin.used_at,
    }


def _pin(doc: dict[str, Any]) -> Pin:
    return Pin(
        doc["_id"],
        doc["conversation_id"],
        doc["redeemer"],
        doc["issuer_id"],
        doc["created_at"],
        doc["expires_at"],
        doc.get("used_at"),
    )
