"""`CatalogueStore` on SQLite: the catalogue's items."""

from __future__ import annotations

from covisor.store.records import CatalogueRecord
from covisor.store.sql.db import HasDb

_CATALOGUE_COLUMNS = (
    "id, title, description, kind, media_id, width, height, created_at, price, currency, "
    "duration, added_by"
)


class SQLCatalogue:
    """Mixed into `SQLStore` (each method's `self` is one: see `HasDb`)."""

    async def add_catalogue_item(self: HasDb, item: CatalogueRecord) -> bool:
        changed = await self._db.execute(
            f"INSERT INTO catalogue ({_CATALOGUE_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (
                item.id,
                item.title,
                item.description,
                item.kind,
                item.media_id,
                item.width,
                item.height,
                item.created_at,
                item.price,
                item.currency,
                item.duration,
                item.added_by,
            ),
        )
        return changed == 1

    async def catalogue_item(self: HasDb, item_id: str) -> CatalogueRecord | None:
        rows = list(
            await self._db.fetch(
                f"SELECT {_CATALOGUE_COLUMNS} FROM catalogue WHERE id = ?", (item_id,)
            )
        )
        return CatalogueRecord(*rows[0]) if rows else None

    async def catalogue_items(self: HasDb, limit: int = 1000) -> list[CatalogueRecord]:
        rows = await self._db.fetch(
            f"SELECT {_CATALOGUE_COLUMNS} FROM catalogue ORDER BY created_at, id LIMIT ?", (limit,)
        )
        return [CatalogueRecord(*row) for row in rows]
