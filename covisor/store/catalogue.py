"""The store's catalogue slice: the products agents can show."""

from __future__ import annotations

from typing import Protocol

from covisor.store.records import CatalogueRecord


class CatalogueStore(Protocol):
    """The products agents can show."""

    async def add_catalogue_item(self, item: CatalogueRecord) -> bool:
        """Store `item` unless an item with its id exists (then change nothing, return False)."""

    async def catalogue_item(self, item_id: str) -> CatalogueRecord | None: ...

    async def catalogue_items(self, limit: int = 1000) -> list[CatalogueRecord]:
        """Oldest first (ties by id), at most `limit`."""
