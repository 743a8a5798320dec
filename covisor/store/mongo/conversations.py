"""`ConversationStore` on MongoDB: conversations and their events."""

from __future__ import annotations

import re
from typing import Any, Protocol

from pymongo import ASCENDING, DESCENDING

from covisor.kernel.events import Event, decode, encode
from covisor.store.mongo.base import Database
from covisor.store.records import (
    Append,
    ClosedQuery,
    ConversationRecord,
    SummaryRecord,
    with_seq,
)

_SUMMARY_FIELDS = {"created_at": 1, "seq": 1, "summary": 1}


class _Conversations(Database, Protocol):
    """The database, and the method of this mixin that `commit` calls."""

    async def _commit_one(self, append: Append) -> bool: ...


class MongoConversations:
    """Mixed into `MongoStore` (each method's `self` is one: see `_Conversations`)."""

    async def create_conversation(
        self: _Conversations, conversation_id: str, created_at: float
    ) -> None:
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

    async def conversation(self: _Conversations, conversation_id: str) -> ConversationRecord | None:
        doc = await self._db.conversations.find_one({"_id": conversation_id})
        return _record(doc) if doc else None

    async def summary(self: _Conversations, conversation_id: str) -> SummaryRecord | None:
        doc = await self._db.conversations.find_one({"_id": conversation_id}, _SUMMARY_FIELDS)
        return _summary(doc) if doc else None

    async def conversations(
        self: _Conversations,
        *,
        status: str | None = None,
        agent_id: str | None = None,
        customer_id: str | None = None,
        limit: int = 200,
    ) -> list[SummaryRecord]:
        query: dict[str, Any] = {"seq": {"$gt": 0}}
        if status is not None:
            query["status"] = status
        if agent_id is not None:
            query["agent_id"] = agent_id
        if customer_id is not None:
            query["summary.visitor.customer_id"] = customer_id
        cursor = (
            self._db.conversations.find(query, _SUMMARY_FIELDS)
            .sort("created_at", DESCENDING)
            .limit(limit)
        )
        return [_summary(doc) async for doc in cursor]

    async def closed_conversations(self: _Conversations, query: ClosedQuery) -> list[SummaryRecord]:
        found: dict[str, Any] = {"status": "closed", "seq": {"$gt": 0}}
        created = {"$gte": query.since, "$lt": query.until}
        if any(v is not None for v in created.values()):
            found["created_at"] = {k: v for k, v in created.items() if v is not None}
        if query.agent_id is not None:
            found["agent_id"] = query.agent_id
        if query.rating is not None:
            found["summary.rating.score"] = query.rating
        if query.text:
            holds = {"$regex": re.escape(query.text), "$options": "i"}
            found["$or"] = [
                {"summary.name": holds},
                {"summary.visitor.name": holds},
                {"summary.visitor.email": holds},
                {"_id": {"$in": await _said(self, query.text)}},
            ]
        cursor = (
            self._db.conversations.find(found, _SUMMARY_FIELDS)
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .skip(query.offset)
            .limit(query.limit)
        )
        return [_summary(doc) async for doc in cursor]

    async def open_counts(self: _Conversations) -> dict[str, int]:
        cursor = await self._db.conversations.aggregate(
            [
                {"$match": {"status": "active", "agent_id": {"$type": "string"}}},
                {"$group": {"_id": "$agent_id", "n": {"$sum": 1}}},
            ]
        )
        return {doc["_id"]: doc["n"] async for doc in cursor}

    async def with_pending_uploads(self: _Conversations, limit: int = 1000) -> list[str]:
        cursor = self._db.conversations.find(
            {"summary.uploads_pending": {"$gt": 0}}, {"_id": 1}
        ).limit(limit)
        return [doc["_id"] async for doc in cursor]

    async def commit(self: _Conversations, appends: list[Append]) -> set[str]:
        stale: set[str] = set()
        for append in appends:
            if not await self._commit_one(append):
                stale.add(append.conversation_id)
        return stale

    async def _commit_one(self: _Conversations, append: Append) -> bool:
        if not append.events:
            found = {"_id": append.conversation_id, "seq": append.expected_seq}
            return await self._db.conversations.find_one(found, {"_id": 1}) is not None
        last = append.events[-1].seq
        update: dict[str, Any] = {"seq": last}
        if append.summary is not None:
            update["status"] = append.summary.get("status", "waiting")
            update["agent_id"] = append.summary.get("agent_id")
            update["summary"] = append.summary
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

    async def events_after(
        self: _Conversations, conversation_id: str, after_seq: int, limit: int
    ) -> list[Event]:
        cursor = (
            self._db.events.find({"conversation_id": conversation_id, "seq": {"$gt": after_seq}})
            .sort("seq", ASCENDING)
            .limit(limit)
        )
        return [decode(doc["body"]) async for doc in cursor]

    async def events_of_type(
        self: _Conversations, conversation_id: str, type_: str, before_seq: int | None, limit: int
    ) -> list[Event]:
        query: dict[str, Any] = {"conversation_id": conversation_id, "type": type_}
        if before_seq is not None:
            query["seq"] = {"$lt": before_seq}
        cursor = self._db.events.find(query).sort("seq", DESCENDING).limit(limit)
        found = [decode(doc["body"]) async for doc in cursor]
        return found[::-1]

    async def events_of_type_after(
        self: _Conversations, conversation_id: str, type_: str, after_seq: int, limit: int
    ) -> list[Event]:
        query = {"conversation_id": conversation_id, "type": type_, "seq": {"$gt": after_seq}}
        cursor = self._db.events.find(query).sort("seq", ASCENDING).limit(limit)
        return [decode(doc["body"]) async for doc in cursor]

    async def erase_conversation(self: _Conversations, conversation_id: str) -> bool:
        await self._db.events.delete_many({"conversation_id": conversation_id})
        await self._db.pins.delete_many({"conversation_id": conversation_id})
        keys = [f"{kind}:{conversation_id}" for kind in ("uploads", "upload-bytes", "conversation")]
        await self._db.counters.delete_many({"_id": {"$in": keys}})
        deleted = await self._db.conversations.delete_one({"_id": conversation_id})
        return bool(deleted.deleted_count)

    async def media_in_use(self: _Conversations, media_ids: list[str]) -> set[str]:
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

    async def closed_before(self: _Conversations, before: float, limit: int = 500) -> list[str]:
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


def _record(doc: dict[str, Any]) -> ConversationRecord:
    snapshot = doc.get("snapshot")
    return ConversationRecord(
        doc["_id"],
        doc["created_at"],
        doc["seq"],
        with_seq(doc.get("summary") or {}, doc["seq"]),
        bytes(snapshot) if snapshot is not None else None,
        doc.get("snapshot_seq", 0),
    )


def _summary(doc: dict[str, Any]) -> SummaryRecord:
    return SummaryRecord(
        doc["_id"], doc["created_at"], doc["seq"], with_seq(doc.get("summary") or {}, doc["seq"])
    )


async def _said(store: _Conversations, text: str) -> list[str]:
    """Ids of the conversations with a chat message holding `text` (lowercased) in any case:
    the events' bodies are encoded, so they are read and decoded here (a scan, as SQL's)."""
    ids: set[str] = set()
    cursor = store._db.events.find({"type": "chat.message"}, {"conversation_id": 1, "body": 1})
    async for doc in cursor:
        if doc["conversation_id"] not in ids:
            said = decode(doc["body"]).data.get("text")
            if isinstance(said, str) and text in said.lower():
                ids.add(doc["conversation_id"])
    return sorted(ids)
