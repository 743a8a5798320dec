"""`CatalogueStore` on SQLite: the catalogue's items."""

from __future__ import annotations

from covisor.store.records import CatalogueRecord
from covisor.store.sqlite.base import Connections

_CATALOGUE_COLUMNS = (
    "id, title, description, kind, media_id, width, height, created_at, price, currency, "
    "duration, added_by"
)


class SQLiteCatalogue:
    """Mixed into `SQLiteStore` (each method's `self` is one: see `Connections`)."""

    async def add_catalogue_item(self: Connections, item: CatalogueRecord) -> bool:
        async with self._write_lock:
            cursor = await self._w.execute(
                f"INSERT OR IGNORE INTO catalogue ({_CATALOGUE_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            return cursor.rowcount == 1

    async def catalogue_item(self: Connections, item_id: str) -> CatalogueRecord | None:
        rows = list(
            await self._r.execute_fetchall(
                f"SELECT {_CATALOGUE_COLUMNS} FROM catalogue WHERE id = ?", (item_id,)
            )
        )
        return CatalogueRecord(*rows[0]) if rows else None

    async def catalogue_items(self: Connections, limit: int = 1000) -> list[CatalogueRecord]:
        rows = await self._r.execute_fetchall(
            f"SELECT {_CATALOGUE_COLUMNS} FROM catalogue ORDER BY created_at, id LIMIT ?", (limit,)
        )
        return [CatalogueRecord(*row) for row in rows]
