"""`CatalogueStore` on MongoDB: the catalogue's items."""

from __future__ import annotations

import dataclasses
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from covisor.store.mongo.base import Database
from covisor.store.records import CatalogueRecord


class MongoCatalogue:
    """Mixed into `MongoStore` (each method's `self` is one: see `Database`)."""

    async def add_catalogue_item(self: Database, item: CatalogueRecord) -> bool:
        fields = dataclasses.asdict(item)
        try:
            await self._db.catalogue.insert_one({"_id": fields.pop("id"), **fields})
        except DuplicateKeyError:
            return False
        return True

    async def catalogue_item(self: Database, item_id: str) -> CatalogueRecord | None:
        doc = await self._db.catalogue.find_one({"_id": item_id})
        return _catalogue_record(doc) if doc else None

    async def catalogue_items(self: Database, limit: int = 1000) -> list[CatalogueRecord]:
        cursor = self._db.catalogue.find().sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        return [_catalogue_record(doc) async for doc in cursor.limit(limit)]


def _catalogue_record(doc: dict[str, Any]) -> CatalogueRecord:
    return CatalogueRecord(id=doc.pop("_id"), **doc)
