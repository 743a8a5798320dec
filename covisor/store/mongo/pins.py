"""`PinStore` on MongoDB: one-time PINs."""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from covisor.store.mongo.base import Database
from covisor.store.records import Pin, Redeemer


class MongoPins:
    """Mixed into `MongoStore` (each method's `self` is one: see `Database`)."""

    async def add_pin(self: Database, pin: Pin) -> bool:
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

    async def pin(self: Database, digest: str) -> Pin | None:
        doc = await self._db.pins.find_one({"_id": digest})
        return _pin(doc) if doc else None

    async def claim_pin(self: Database, digest: str, redeemer: Redeemer, now: float) -> Pin | None:
        doc = await self._db.pins.find_one_and_update(
            {"_id": digest, "redeemer": redeemer, "used_at": None, "expires_at": {"$gt": now}},
            {"$set": {"used_at": now}},
            return_document=ReturnDocument.AFTER,
        )
        return _pin(doc) if doc else None


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
