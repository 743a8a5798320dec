"""`ReplyStore` on MongoDB: canned replies, shared or an agent's own."""

from __future__ import annotations

import dataclasses
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from covisor.store.mongo.base import Database
from covisor.store.records import ReplyRecord


class MongoReplies:
    """Mixed into `MongoStore` (each method's `self` is one: see `Database`)."""

    async def add_reply(self: Database, reply: ReplyRecord) -> bool:
        try:
            await self._db.replies.insert_one({"_id": reply.id, **_reply_fields(reply)})
        except DuplicateKeyError:
            return False
        return True

    async def update_reply(self: Database, reply: ReplyRecord) -> bool | None:
        try:
            result = await self._db.replies.replace_one({"_id": reply.id}, _reply_fields(reply))
        except DuplicateKeyError:
            return False
        return True if result.matched_count else None

    async def reply(self: Database, reply_id: str) -> ReplyRecord | None:
        doc = await self._db.replies.find_one({"_id": reply_id})
        return _reply(doc) if doc else None

    async def replies_for(self: Database, owner_id: str, limit: int = 1000) -> list[ReplyRecord]:
        cursor = self._db.replies.find({"scope": {"$in": ["", owner_id]}}).sort(
            [("shortcut", ASCENDING), ("shared", ASCENDING), ("_id", ASCENDING)]
        )
        return [_reply(doc) async for doc in cursor.limit(limit)]

    async def delete_reply(self: Database, reply_id: str) -> bool:
        result = await self._db.replies.delete_one({"_id": reply_id})
        return result.deleted_count > 0


def _reply_fields(reply: ReplyRecord) -> dict[str, Any]:
    """A reply's document without its `_id`; `scope` ("" for shared ones, else the owner)
    carries the uniqueness of shortcuts."""
    fields = dataclasses.asdict(reply)
    del fields["id"]
    return {**fields, "scope": "" if reply.shared else reply.owner_id}


def _reply(doc: dict[str, Any]) -> ReplyRecord:
    return ReplyRecord(
        doc["_id"],
        doc["owner_id"],
        doc["shortcut"],
        doc["text"],
        doc["shared"],
        doc["created_at"],
        doc["updated_at"],
        doc.get("catalogue_id"),
    )
