"""`SettingsStore` on MongoDB: the methods `MongoStore` takes from this mixin (one document,
`_id` `shop`, in `settings`)."""

from __future__ import annotations

from pymongo import ReturnDocument

from covisor.store.mongo.base import Database
from covisor.store.settings import StoredSettings

_NAME = "shop"


class MongoSettings:
    """Mixed into `MongoStore` (each method's `self` is one: see `Database`)."""

    async def settings(self: Database) -> StoredSettings | None:
        doc = await self._db.settings.find_one({"_id": _NAME})
        return None if doc is None else StoredSettings(int(doc["version"]), str(doc["value"]))

    async def settings_version(self: Database) -> int:
        doc = await self._db.settings.find_one({"_id": _NAME}, {"version": 1})
        return 0 if doc is None else int(doc["version"])

    async def put_settings(self: Database, value: str) -> int:
        doc = await self._db.settings.find_one_and_update(
            {"_id": _NAME},
            {"$set": {"value": value}, "$inc": {"version": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert doc is not None, "an upsert returns the document"
        return int(doc["version"])
