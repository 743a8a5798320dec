"""`ProductStore` in SQL: the feed's items, their search index, pictures, imports, schedule.

The index is the engine's own full-text search (search.py).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from covisor.store.products import IndexedProduct, ProductQuery, link_path
from covisor.store.records import (
    FeedScheduleRecord,
    ImportRecord,
    ProductImageRecord,
    ProductRecord,
)
from covisor.store.sql.db import Dialect, HasDb, Tx
from covisor.store.sql.search import (
    CANDIDATES,
    best_of_groups,
    first_of_groups,
    index_product,
    match,
    unindex_unlisted,
)

_PRODUCT_COLUMNS = (
    "id, group_id, title, description, link, price, currency, sale_price, availability, brand, "
    "gtin, mpn, color, size, material, product_type, condition, images, extra, digest, "
    "updated_at, removed_at"
)
_PATHS_AT_ONCE = 500
"""Paths looked up in one statement (SQLite bounds a statement's parameters)."""
_P_COLUMNS = ", ".join("p." + name for name in _PRODUCT_COLUMNS.split(", "))
_IMPORT_COLUMNS = (
    "id, source, state, started_at, url, file, finished_at, added, updated, unchanged, removed, "
    "failed, errors, reason, lease_until, processed"
)
_IMPORT_SLOTS = ", ".join("?" * len(_IMPORT_COLUMNS.split(", ")))
_IMPORT_UPDATES = ", ".join(f"{name} = excluded.{name}" for name in _IMPORT_COLUMNS.split(", ")[1:])


def _product(row: Sequence[Any]) -> ProductRecord:
    values = list(row)
    values[17] = tuple(json.loads(values[17]))
    values[18] = json.loads(values[18])
    return ProductRecord(*values)


def _import(row: Sequence[Any]) -> ImportRecord:
    values = list(row)
    values[12] = tuple(json.loads(values[12]))
    return ImportRecord(*values)


def _import_values(record: ImportRecord) -> tuple[Any, ...]:
    return (
        record.id,
        record.source,
        record.state,
        record.started_at,
        record.url,
        record.file,
        record.finished_at,
        record.added,
        record.updated,
        record.unchanged,
        record.removed,
        record.failed,
        json.dumps(list(record.errors), ensure_ascii=False),
        record.reason,
        record.lease_until,
        record.processed,
    )


def _slots(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


class SQLProducts:
    """Mixed into `SQLStore` (each method's `self` is one: see `HasDb`)."""

    async def product_digests(
        self: HasDb, ids: Sequence[str], import_id: str
    ) -> dict[str, tuple[str, bool, bool]]:
        found: dict[str, tuple[str, bool, bool]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            seen = self._db.dialect.same("seen_import", "?")
            rows = await self._db.fetch(
                f"SELECT id, digest, removed_at IS NULL, {seen} FROM products "
                f"WHERE id IN ({_slots(chunk)})",
                (import_id, *chunk),
            )
            found.update((row[0], (row[1], bool(row[2]), bool(row[3]))) for row in rows)
        return found

    async def write_products(
        self: HasDb,
        import_id: str,
        products: Sequence[IndexedProduct],
        seen: Sequence[str],
        progress: ImportRecord,
    ) -> None:
        async with self._db.transaction() as db:
            for indexed in products:
                await _upsert(db, self._db.dialect, import_id, indexed)
            for start in range(0, len(seen), 500):
                chunk = seen[start : start + 500]
                await db.execute(
                    f"UPDATE products SET seen_import = ? WHERE id IN ({_slots(chunk)})",
                    (import_id, *chunk),
                )
            await _save_import(db, progress)

    async def finish_import(self: HasDb, record: ImportRecord, remove_unlisted: bool) -> int:
        removed = 0
        async with self._db.transaction() as db:
            if remove_unlisted:
                d = self._db.dialect
                await unindex_unlisted(db, d, record.id)
                removed = await db.execute(
                    "UPDATE products SET removed_at = ? "
                    f"WHERE removed_at IS NULL AND NOT ({d.same('seen_import', '?')})",
                    (record.finished_at, record.id),
                )
            await _save_import(db, dataclasses.replace(record, removed=record.removed + removed))
        return removed

    async def product(self: HasDb, product_id: str) -> ProductRecord | None:
        rows = list(
            await self._db.fetch(
                f"SELECT {_PRODUCT_COLUMNS} FROM products WHERE id = ?", (product_id,)
            )
        )
        return _product(rows[0]) if rows else None

    async def product_group(self: HasDb, group_id: str) -> list[ProductRecord]:
        rows = await self._db.fetch(
            f"SELECT {_PRODUCT_COLUMNS} FROM products "
            "WHERE group_id = ? AND removed_at IS NULL ORDER BY id",
            (group_id,),
        )
        return [_product(row) for row in rows]

    async def search_products(self: HasDb, query: ProductQuery) -> list[ProductRecord]:
        filters, arguments = _filters(query)
        d = self._db.dialect
        hits: list[ProductRecord] = []
        if query.code:
            rows = await self._db.fetch(
                f"SELECT {_P_COLUMNS} FROM product_codes c "
                "JOIN products p ON p.rowid = c.product_rowid "
                f"WHERE c.code = ? AND p.removed_at IS NULL {filters} ORDER BY p.id LIMIT ?",
                (query.code, *arguments, query.limit),
            )
            hits = [_product(row) for row in rows]
        groups = {hit.group_id for hit in hits}
        if query.terms:
            rows = await self._db.fetch(
                best_of_groups(d, _P_COLUMNS, filters),
                (match(d, query.terms), CANDIDATES, *arguments, query.limit + len(groups)),
            )
        elif not query.code:
            rows = await self._db.fetch(
                first_of_groups(d, _P_COLUMNS, filters), (*arguments, query.limit)
            )
        else:
            rows = []
        for row in rows:
            hit = _product(row[:-1])
            if hit.group_id not in groups:
                groups.add(hit.group_id)
                hits.append(hit)
        return hits[: query.limit]

    async def product_brands(self: HasDb) -> list[tuple[str, int]]:
        rows = await self._db.fetch(
            "SELECT brand, count(DISTINCT group_id) AS n FROM products "
            "WHERE removed_at IS NULL AND brand != '' GROUP BY brand ORDER BY n DESC, brand"
        )
        return [(row[0], row[1]) for row in rows]

    async def product_images(self: HasDb, urls: Sequence[str]) -> dict[str, ProductImageRecord]:
        found: dict[str, ProductImageRecord] = {}
        for start in range(0, len(urls), 500):
            chunk = urls[start : start + 500]
            rows = await self._db.fetch(
                "SELECT url, media_id, width, height, error, attempted_at FROM product_images "
                f"WHERE url IN ({_slots(chunk)})",
                tuple(chunk),
            )
            found.update((row[0], ProductImageRecord(*row)) for row in rows)
        return found

    async def save_product_image(self: HasDb, image: ProductImageRecord) -> None:
        await self._db.execute(
            "INSERT INTO product_images (url, media_id, width, height, error, attempted_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET "
            "media_id = excluded.media_id, width = excluded.width, height = excluded.height, "
            "error = excluded.error, attempted_at = excluded.attempted_at",
            (
                image.url,
                image.media_id,
                image.width,
                image.height,
                image.error,
                image.attempted_at,
            ),
        )

    async def is_product_media(self: HasDb, media_id: str) -> bool:
        rows = await self._db.fetch(
            "SELECT 1 FROM product_images WHERE media_id = ? LIMIT 1", (media_id,)
        )
        return bool(list(rows))

    async def products_at(self: HasDb, paths: Sequence[str]) -> dict[str, str]:
        unique = list(dict.fromkeys(paths))
        found: dict[str, str] = {}
        for start in range(0, len(unique), _PATHS_AT_ONCE):
            chunk = unique[start : start + _PATHS_AT_ONCE]
            rows = await self._db.fetch(
                "SELECT link_path, min(group_id) FROM products "
                f"WHERE link_path IN ({_slots(chunk)}) AND removed_at IS NULL "
                "GROUP BY link_path HAVING count(DISTINCT group_id) = 1",
                chunk,
            )
            found.update((path, group) for path, group in rows)
        return found

    async def create_import(self: HasDb, record: ImportRecord) -> bool:
        async with self._db.transaction() as db:
            busy = await db.fetch(
                "SELECT 1 FROM catalogue_imports WHERE state = 'running' AND lease_until >= ?",
                (record.started_at,),
            )
            if list(busy):
                return False
            await db.execute(
                f"INSERT INTO catalogue_imports ({_IMPORT_COLUMNS}) VALUES ({_IMPORT_SLOTS})",
                _import_values(record),
            )
        return True

    async def take_over_import(self: HasDb, now: float, lease_until: float) -> ImportRecord | None:
        async with self._db.transaction() as db:
            rows = list(
                await db.fetch(
                    f"SELECT {_IMPORT_COLUMNS} FROM catalogue_imports "
                    "WHERE state = 'running' AND lease_until < ? ORDER BY started_at LIMIT 1",
                    (now,),
                )
            )
            if not rows:
                return None
            await db.execute(
                "UPDATE catalogue_imports SET lease_until = ? WHERE id = ?",
                (lease_until, rows[0][0]),
            )
        values = list(rows[0])
        values[14] = lease_until
        return _import(values)

    async def renew_import(self: HasDb, import_id: str, lease_until: float) -> None:
        await self._db.execute(
            "UPDATE catalogue_imports SET lease_until = ? WHERE id = ? AND state = 'running'",
            (lease_until, import_id),
        )

    async def import_record(self: HasDb, import_id: str) -> ImportRecord | None:
        rows = list(
            await self._db.fetch(
                f"SELECT {_IMPORT_COLUMNS} FROM catalogue_imports WHERE id = ?", (import_id,)
            )
        )
        return _import(rows[0]) if rows else None

    async def recent_imports(self: HasDb, limit: int) -> list[ImportRecord]:
        rows = await self._db.fetch(
            f"SELECT {_IMPORT_COLUMNS} FROM catalogue_imports "
            "ORDER BY started_at DESC, id DESC LIMIT ?",
            (limit,),
        )
        return [_import(row) for row in rows]

    async def feed_schedule(self: HasDb) -> FeedScheduleRecord | None:
        rows = list(
            await self._db.fetch(
                "SELECT url, every_minutes, etag, last_modified, next_at FROM catalogue_feed"
            )
        )
        return FeedScheduleRecord(*rows[0]) if rows else None

    async def set_feed_schedule(self: HasDb, schedule: FeedScheduleRecord | None) -> None:
        async with self._db.transaction() as db:
            await db.execute("DELETE FROM catalogue_feed")
            if schedule is not None:
                await db.execute(
                    "INSERT INTO catalogue_feed "
                    "(one, url, every_minutes, etag, last_modified, next_at) "
                    "VALUES (1, ?, ?, ?, ?, ?)",
                    (
                        schedule.url,
                        schedule.every_minutes,
                        schedule.etag,
                        schedule.last_modified,
                        schedule.next_at,
                    ),
                )


def _filters(query: ProductQuery) -> tuple[str, tuple[Any, ...]]:
    sql = ""
    arguments: tuple[Any, ...] = ()
    if query.in_stock:
        sql += " AND p.availability = 'in_stock'"
    if query.brand is not None:
        sql += " AND p.brand = ?"
        arguments += (query.brand,)
    if query.product_type is not None:
        sql += " AND substr(p.product_type, 1, ?) = ?"
        arguments += (len(query.product_type), query.product_type)
    return sql, arguments


async def _upsert(db: Tx, d: Dialect, import_id: str, indexed: IndexedProduct) -> None:
    p = indexed.product
    values = (
        p.id,
        p.group_id,
        p.title,
        p.description,
        p.link,
        p.price,
        p.currency,
        p.sale_price,
        p.availability,
        p.brand,
        p.gtin,
        p.mpn,
        p.color,
        p.size,
        p.material,
        p.product_type,
        p.condition,
        json.dumps(list(p.images), ensure_ascii=False),
        json.dumps(p.extra, ensure_ascii=False),
        p.digest,
        p.updated_at,
        None,
        import_id,
        link_path(p.link),
    )
    columns = _PRODUCT_COLUMNS + ", seen_import, link_path"
    updates = ", ".join(f"{name} = excluded.{name}" for name in columns.split(", ") if name != "id")
    rows = list(
        await db.fetch(
            f"INSERT INTO products ({columns}) VALUES ({_slots(values)}) "
            f"ON CONFLICT (id) DO UPDATE SET {updates} RETURNING rowid",
            values,
        )
    )
    rowid = rows[0][0]
    await db.execute("DELETE FROM product_codes WHERE product_rowid = ?", (rowid,))
    await db.executemany(
        "INSERT INTO product_codes (code, product_rowid) VALUES (?, ?) ON CONFLICT DO NOTHING",
        [(code, rowid) for code in indexed.codes.split()],
    )
    await index_product(db, d, rowid, indexed)


async def _save_import(db: Tx, record: ImportRecord) -> None:
    await db.execute(
        f"INSERT INTO catalogue_imports ({_IMPORT_COLUMNS}) VALUES ({_IMPORT_SLOTS}) "
        f"ON CONFLICT (id) DO UPDATE SET {_IMPORT_UPDATES}",
        _import_values(record),
    )
