"""`ReportStore` on MongoDB: the methods `MongoStore` takes from this mixin.

Visitors, conversions and invitations are grouped by aggregation pipelines. An event's `body`
is its encoded JSON as bytes (the same bytes as on SQLite, replayed as they were written), which
a pipeline cannot look into: the conversations of the range are selected in the database and
only their few reported event types are fetched, by the `(conversation_id, type, seq)` index,
and read here.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING

from covisor.kernel.events import decode
from covisor.store.mongo.base import Database, Document
from covisor.store.records import AgentPart, ConversationFacts, OrderGroup, VisitorGroup

REPORTED_TYPES = [
    "conversation.opened",
    "conversation.accepted",
    "conversation.transferred",
    "conversation.closed",
    "conversation.rated",
    "chat.message",
    "media.ready",
    "member.joined",
]
_BATCH = 500


def _part(parts: dict[str, dict[str, Any]], who: dict[str, Any]) -> dict[str, Any]:
    part = parts.setdefault(
        who["id"], {"received_at": None, "messages": 0, "first_message_at": None}
    )
    part["name"] = max(part.get("name", ""), who.get("name") or "")
    return part


def _facts(doc: Document, events: list[Document]) -> ConversationFacts:
    summary = doc.get("summary") or {}
    agent: dict[str, Any] | None = None
    accepted_at = first_response_at = closed_at = None
    closer: dict[str, Any] = {}
    rating: int | None = None
    uploads = pin_joins = 0
    by_phone = False
    parts: dict[str, dict[str, Any]] = {}
    for raw in events:
        event = decode(raw["body"])
        match event.type:
            case "conversation.opened":
                by_phone = bool(event.data.get("by_phone"))
            case "conversation.accepted" | "conversation.transferred":
                to = event.data.get("agent") or event.data.get("to")
                if to:
                    part = _part(parts, to)
                    if part["received_at"] is None:
                        part["received_at"] = event.at
                if event.type == "conversation.accepted" and agent is None:
                    agent = event.data.get("agent") or {}
                    accepted_at = event.at
            case "conversation.closed" if closed_at is None:
                closed_at = event.at
                closer = event.actor
            case "conversation.rated" if rating is None:
                rating = int(event.data["score"])
            case "chat.message" if event.actor.get("role") == "agent":
                if first_response_at is None:
                    first_response_at = event.at
                part = _part(parts, event.actor)
                part["messages"] += 1
                if part["first_message_at"] is None:
                    part["first_message_at"] = event.at
            case "media.ready":
                uploads += 1
            case "member.joined":
                pin_joins += 1
    ordered = sorted(
        parts.items(),
        key=lambda item: (
            item[1]["received_at"]
            if item[1]["received_at"] is not None
            else item[1]["first_message_at"],
            item[0],
        ),
    )
    return ConversationFacts(
        id=doc["_id"],
        opened_at=doc["created_at"],
        device="call" if by_phone else (summary.get("visitor") or {}).get("device") or "unknown",
        offline=bool(summary.get("offline")),
        status=doc.get("status", "waiting"),
        agent_id=agent.get("id") if agent else None,
        agent_name=agent.get("name") if agent else None,
        accepted_at=accepted_at,
        first_response_at=first_response_at,
        closed_at=closed_at,
        rating=rating,
        uploads=uploads,
        pin_joins=pin_joins,
        closed_by=closer.get("id"),
        closed_by_name=closer.get("name"),
        parts=tuple(
            AgentPart(
                agent_id,
                part["name"],
                part["received_at"],
                part["messages"],
                part["first_message_at"],
            )
            for agent_id, part in ordered
        ),
    )


class MongoReports:
    """Mixed into `MongoStore` (each method's `self` is one: see `Database`)."""

    async def conversation_facts(
        self: Database, start: float, end: float
    ) -> list[ConversationFacts]:
        cursor = self._db.conversations.find(
            {"seq": {"$gt": 0}, "created_at": {"$gte": start, "$lt": end}},
            {"created_at": 1, "status": 1, "summary": 1},
        ).sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        docs = [doc async for doc in cursor]
        found: list[ConversationFacts] = []
        for i in range(0, len(docs), _BATCH):
            batch = docs[i : i + _BATCH]
            events: dict[str, list[Document]] = {doc["_id"]: [] for doc in batch}
            async for raw in self._db.events.find(
                {"conversation_id": {"$in": list(events)}, "type": {"$in": REPORTED_TYPES}},
                {"conversation_id": 1, "body": 1},
            ).sort([("conversation_id", ASCENDING), ("seq", ASCENDING)]):
                events[raw["conversation_id"]].append(raw)
            found += [_facts(doc, events[doc["_id"]]) for doc in batch]
        return found

    async def invitation_counts(self: Database, start: float, end: float) -> tuple[int, int]:
        cursor = await self._db.invitations.aggregate(
            [
                {"$match": {"created_at": {"$gte": start, "$lt": end}}},
                {
                    "$group": {
                        "_id": None,
                        "sent": {"$sum": 1},
                        "accepted": {"$sum": {"$cond": [{"$eq": ["$outcome", "accepted"]}, 1, 0]}},
                    }
                },
            ]
        )
        async for doc in cursor:
            return int(doc["sent"]), int(doc["accepted"])
        return 0, 0

    async def visitor_groups(self: Database, start: float, end: float) -> list[VisitorGroup]:
        cursor = await self._db.visitors.aggregate(
            [
                {"$match": {"first_seen": {"$lt": end}, "last_seen": {"$gte": start}}},
                {
                    "$lookup": {
                        "from": "conversions",
                        "let": {"visitor": "$_id"},
                        "pipeline": [
                            {
                                "$match": {
                                    "$expr": {"$eq": ["$visitor_id", "$$visitor"]},
                                    "at": {"$gte": start, "$lt": end},
                                }
                            },
                            {"$limit": 1},
                        ],
                        "as": "orders",
                    }
                },
                {
                    "$group": {
                        "_id": {
                            "device": "$device",
                            "assisted": {
                                "$and": [
                                    {"$ne": [{"$ifNull": ["$assisted_at", None]}, None]},
                                    {"$lt": ["$assisted_at", end]},
                                ]
                            },
                        },
                        "visitors": {"$sum": 1},
                        "converted": {"$sum": {"$min": [{"$size": "$orders"}, 1]}},
                    }
                },
                {"$sort": {"_id.device": 1, "_id.assisted": 1}},
            ]
        )
        return [
            VisitorGroup(
                doc["_id"]["device"],
                bool(doc["_id"]["assisted"]),
                int(doc["visitors"]),
                int(doc["converted"]),
            )
            async for doc in cursor
        ]

    async def order_groups(self: Database, start: float, end: float) -> list[OrderGroup]:
        cursor = await self._db.conversions.aggregate(
            [
                {"$match": {"at": {"$gte": start, "$lt": end}}},
                {
                    "$group": {
                        "_id": {
                            "device": "$device",
                            "assisted": "$assisted",
                            "currency": "$currency",
                        },
                        "orders": {"$sum": 1},
                        "cents": {
                            "$sum": {
                                "$toLong": {
                                    "$round": [{"$multiply": [{"$toDouble": "$value"}, 100]}, 0]
                                }
                            }
                        },
                    }
                },
                {"$sort": {"_id.device": 1, "_id.assisted": 1, "_id.currency": 1}},
            ]
        )
        return [
            OrderGroup(
                doc["_id"]["device"],
                bool(doc["_id"]["assisted"]),
                doc["_id"]["currency"],
                int(doc["orders"]),
                int(doc["cents"]),
            )
            async for doc in cursor
        ]
