"""`VisitStore` on MongoDB: the methods `MongoStore` takes from this mixin.

Collections: `visitors` (`_id` the visitor id), `page_views`, `invitations`, `invitation_rules`,
`conversions` (`_id` the order id, its items embedded as an array of documents, so one insert
stores both or neither). A page view is one pipeline update, so the visit counting
is atomic as on SQLite; every value from a page goes in as `$literal` (a title may begin with
`$`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from pymongo import DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from covisor.store.mongo.base import Database, Document
from covisor.store.records import (
    CartValue,
    ConversionRecord,
    InvitationRecord,
    Outcome,
    PageView,
    RuleRecord,
    ShopContext,
    VisitedPage,
    VisitorRecord,
)


def _view_update(view: PageView, gap: float) -> list[Document]:
    at = view.at
    literal = {
        name: {"$literal": getattr(view, name)} for name in ("device", "language", "url", "title")
    }
    new_visit = {
        "$or": [
            {"$eq": [{"$type": "$last_seen"}, "missing"]},
            {"$gt": [{"$subtract": [at, "$last_seen"]}, gap]},
        ]
    }
    return [
        {"$set": {"_new_visit": new_visit}},
        {
            "$set": {
                "first_seen": {"$ifNull": ["$first_seen", at]},
                "visits": {
                    "$cond": ["$_new_visit", {"$add": [{"$ifNull": ["$visits", 0]}, 1]}, "$visits"]
                },
                "visit_started": {"$cond": ["$_new_visit", at, "$visit_started"]},
                "pages": {"$cond": ["$_new_visit", 1, {"$add": ["$pages", 1]}]},
                "last_seen": {"$max": [{"$ifNull": ["$last_seen", at]}, at]},
                "page_at": at,
                "referrer": {"$cond": ["$_new_visit", {"$literal": view.referrer}, "$referrer"]},
                "page_product_id": {"$literal": view.product_id},
                "product_id": None,
                **literal,
            }
        },
        {"$unset": "_new_visit"},
    ]


def _told_update(context: ShopContext) -> Document:
    told: Document = {"product_id": context.product_id}
    if context.cart is not None:
        told["cart"] = asdict(context.cart)
    return {"$set": told, "$max": {"last_seen": context.at}}


def _visitor(doc: Document) -> VisitorRecord:
    return VisitorRecord(
        id=doc["_id"],
        first_seen=doc["first_seen"],
        last_seen=doc["last_seen"],
        visit_started=doc["visit_started"],
        visits=doc["visits"],
        pages=doc["pages"],
        device=doc["device"],
        language=doc.get("language"),
        url=doc.get("url"),
        title=doc.get("title"),
        referrer=doc.get("referrer"),
        page_at=doc["page_at"],
        conversation_id=doc.get("conversation_id"),
        assisted_at=doc.get("assisted_at"),
        product_id=doc.get("product_id") or doc.get("page_product_id"),
        cart=CartValue(**doc["cart"]) if doc.get("cart") else None,
    )


def _invitation(doc: Document) -> InvitationRecord:
    fields = {k: v for k, v in doc.items() if k != "_id"}
    return InvitationRecord(id=doc["_id"], **fields)


def _rule(doc: Document) -> RuleRecord:
    fields = {k: v for k, v in doc.items() if k != "_id"}
    return RuleRecord(id=doc["_id"], **fields)


class MongoVisits:
    """Mixed into `MongoStore` (each method's `self` is one: see `Database`)."""

    async def record_visits(
        self: Database, views: Sequence[PageView | ShopContext], gap: float
    ) -> None:
        for view in views:
            if isinstance(view, ShopContext):
                await self._db.visitors.update_one({"_id": view.visitor_id}, _told_update(view))
                continue
            if view.url is None:
                await self._db.visitors.update_one(
                    {"_id": view.visitor_id}, {"$max": {"last_seen": view.at}}
                )
                continue
            await self._db.visitors.update_one(
                {"_id": view.visitor_id}, _view_update(view, gap), upsert=True
            )
            await self._db.page_views.insert_one(
                {"visitor_id": view.visitor_id, "at": view.at, "url": view.url, "title": view.title}
            )

    async def visitor(self: Database, visitor_id: str) -> VisitorRecord | None:
        doc = await self._db.visitors.find_one({"_id": visitor_id})
        return _visitor(doc) if doc else None

    async def live_visitors(
        self: Database, seen_after: float, limit: int = 500
    ) -> list[VisitorRecord]:
        cursor = (
            self._db.visitors.find({"last_seen": {"$gt": seen_after}})
            .sort("last_seen", DESCENDING)
            .limit(limit)
        )
        return [_visitor(doc) async for doc in cursor]

    async def visit_pages(
        self: Database, visitor_id: str, since: float, limit: int = 50
    ) -> list[VisitedPage]:
        cursor = (
            self._db.page_views.find({"visitor_id": visitor_id, "at": {"$gte": since}})
            .sort("at", DESCENDING)
            .limit(limit)
        )
        found = [VisitedPage(doc["url"], doc.get("title"), doc["at"]) async for doc in cursor]
        return found[::-1]

    async def link_conversation(
        self: Database, visitor_id: str, conversation_id: str, at: float
    ) -> None:
        await self._db.visitors.update_one(
            {"_id": visitor_id},
            [
                {
                    "$set": {
                        "conversation_id": {"$literal": conversation_id},
                        "assisted_at": {"$ifNull": ["$assisted_at", at]},
                    }
                }
            ],
        )

    async def add_invitation(self: Database, invitation: InvitationRecord) -> None:
        fields = asdict(invitation)
        await self._db.invitations.insert_one({"_id": fields.pop("id"), **fields})

    async def invitation(self: Database, invitation_id: str) -> InvitationRecord | None:
        doc = await self._db.invitations.find_one({"_id": invitation_id})
        return _invitation(doc) if doc else None

    async def decide_invitation(
        self: Database,
        invitation_id: str,
        outcome: Outcome,
        at: float,
        conversation_id: str | None,
    ) -> InvitationRecord | None:
        doc = await self._db.invitations.find_one_and_update(
            {"_id": invitation_id, "outcome": "pending"},
            {"$set": {"outcome": outcome, "decided_at": at, "conversation_id": conversation_id}},
            return_document=ReturnDocument.AFTER,
        )
        return _invitation(doc) if doc else None

    async def invitation_rules(self: Database) -> list[RuleRecord]:
        cursor = self._db.invitation_rules.find({}).sort([("created_at", 1), ("_id", 1)])
        return [_rule(doc) async for doc in cursor]

    async def put_invitation_rule(self: Database, rule: RuleRecord) -> None:
        fields = asdict(rule)
        rule_id = fields.pop("id")
        created_at = fields.pop("created_at")
        await self._db.invitation_rules.update_one(
            {"_id": rule_id},
            {"$set": fields, "$setOnInsert": {"created_at": created_at}},
            upsert=True,
        )

    async def delete_invitation_rule(self: Database, rule_id: str) -> bool:
        result = await self._db.invitation_rules.delete_one({"_id": rule_id})
        return result.deleted_count == 1

    async def add_conversion(self: Database, conversion: ConversionRecord) -> bool:
        fields = asdict(conversion)
        try:
            await self._db.conversions.insert_one({"_id": fields.pop("order_id"), **fields})
        except DuplicateKeyError:
            return False
        return True

    async def forget_visitors(self: Database, seen_before: float) -> int:
        result = await self._db.visitors.delete_many({"last_seen": {"$lt": seen_before}})
        await self._db.page_views.delete_many({"at": {"$lt": seen_before}})
        await self._db.invitations.delete_many({"created_at": {"$lt": seen_before}})
        return result.deleted_count
