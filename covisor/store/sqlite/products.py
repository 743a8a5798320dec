"""`ProductStore` on SQLite: the feed's items, their FTS5 index, pictures, imports, schedule.

`products_fts` is an FTS5 table whose rowid is the product row's: it holds the words and codes
the catalogue folded (so the tokenizer only splits them), with prefix indexes for
search-as-you-type. Only live products are in it: a removed product leaves the index in the
transaction that removes it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite

from covisor.store.products import IndexedProduct, ProductQuery, link_path
from covisor.store.records import (
    FeedScheduleRecord,
    ImportRecord,
    ProductImageRecord,
    ProductRecord,
)
from covisor.store.sqlite.base import Connections

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
CANDIDATES = 500
"""The best-ranked index matches a search groups into products: a word shared by thousands of
products ranks them all once, but groups only these (search-as-you-type narrows quickly)."""
_IMPORT_SLOTS = ", ".join("?" * len(_IMPORT_COLUMNS.split(", ")))


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


def _match(terms: Iterable[str]) -> str:
    """An FTS5 query: each term a quoted prefix, all required (quotes keep FTS5's syntax out
    of the shopper-facing text)."""
    return " AND ".join('"' + term.replace('"', '""') + '"*' for term in terms)


class SQLiteProducts:
    """Mixed into `SQLiteStore` (each method's `self` is one: see `Connections`)."""

    async def product_digests(
        self: Connections, ids: Sequence[str], import_id: str
    ) -> dict[str, tuple[str, bool, bool]]:
        found: dict[str, tuple[str, bool, bool]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = await self._r.execute_fetchall(
                "SELECT id, digest, removed_at IS NULL, seen_import IS ? FROM products "
                f"WHERE id IN ({_slots(chunk)})",
                (import_id, *chunk),
            )
            found.update((row[0], (row[1], bool(row[2]), bool(row[3]))) for row in rows)
        return found

    async def write_products(
        self: Connections,
        import_id: str,
        products: Sequence[IndexedProduct],
        seen: Sequence[str],
        progress: ImportRecord,
    ) -> None:
        async with self._immediate() as db:
            for indexed in products:
                await _upsert(db, import_id, indexed)
            for start in range(0, len(seen), 500):
                chunk = seen[start : start + 500]
                await db.execute(
                    f"UPDATE products SET seen_import = ? WHERE id IN ({_slots(chunk)})",
                    (import_id, *chunk),
                )
            await _save_import(db, progress)

    async def finish_import(self: Connections, record: ImportRecord, remove_unlisted: bool) -> int:
        removed = 0
        async with self._immediate() as db:
            if remove_unlisted:
                await db.execute(
                    "DELETE FROM products_fts WHERE rowid IN (SELECT rowid FROM products "
                    "WHERE removed_at IS NULL AND seen_import IS NOT ?)",
                    (record.id,),
                )
                cursor = await db.execute(
                    "UPDATE products SET removed_at = ? "
                    "WHERE removed_at IS NULL AND seen_import IS NOT ?",
                    (record.finished_at, record.id),
                )
                removed = cursor.rowcount
            await _save_import(db, dataclasses.replace(record, removed=record.removed + removed))
        return removed

    async def product(self: Connections, product_id: str) -> ProductRecord | None:
        rows = list(
            await self._r.execute_fetchall(
                f"SELECT {_PRODUCT_COLUMNS} FROM products WHERE id = ?", (product_id,)
            )
        )
        return _product(rows[0]) if rows else None

    async def product_group(self: Connections, group_id: str) -> list[ProductRecord]:
        rows = await self._r.execute_fetchall(
            f"SELECT {_PRODUCT_COLUMNS} FROM products "
            "WHERE group_id = ? AND removed_at IS NULL ORDER BY id",
            (group_id,),
        )
        return [_product(row) for row in rows]

    async def search_products(self: Connections, query: ProductQuery) -> list[ProductRecord]:
        filters, arguments = _filters(query)
        hits: list[ProductRecord] = []
        if query.code:
            rows = await self._r.execute_fetchall(
                f"SELECT {_P_COLUMNS} FROM product_codes c "
                "JOIN products p ON p.rowid = c.product_rowid "
                f"WHERE c.code = ? AND p.removed_at IS NULL {filters} ORDER BY p.id LIMIT ?",
                (query.code, *arguments, query.limit),
            )
            hits = [_product(row) for row in rows]
        groups = {hit.group_id for hit in hits}
        if query.terms:
            rows = await self._r.execute_fetchall(
                f"SELECT {_P_COLUMNS}, min(f.rank) AS best FROM "
                "(SELECT rowid, rank FROM products_fts WHERE products_fts MATCH ? "
                "ORDER BY rank LIMIT ?) f "
                f"JOIN products p ON p.rowid = f.rowid WHERE p.removed_at IS NULL {filters} "
                "GROUP BY p.group_id ORDER BY best, p.title LIMIT ?",
                (_match(query.terms), CANDIDATES, *arguments, query.limit + len(groups)),
            )
        elif not query.code:
            rows = await self._r.execute_fetchall(
                f"SELECT {_P_COLUMNS}, min(p.id) FROM products p "
                f"WHERE p.removed_at IS NULL {filters} "
                "GROUP BY p.group_id ORDER BY p.title, p.group_id LIMIT ?",
                (*arguments, query.limit),
            )
        else:
            rows = []
        for row in rows:
            hit = _product(row[:-1])
            if hit.group_id not in groups:
                groups.add(hit.group_id)
                hits.append(hit)
        return hits[: query.limit]

    async def product_brands(self: Connections) -> list[tuple[str, int]]:
        rows = await self._r.execute_fetchall(
            "SELECT brand, count(DISTINCT group_id) AS n FROM products "
            "WHERE removed_at IS NULL AND brand != '' GROUP BY brand ORDER BY n DESC, brand"
        )
        return [(row[0], row[1]) for row in rows]

    async def product_images(
        self: Connections, urls: Sequence[str]
    ) -> dict[str, ProductImageRecord]:
        found: dict[str, ProductImageRecord] = {}
        for start in range(0, len(urls), 500):
            chunk = urls[start : start + 500]
            rows = await self._r.execute_fetchall(
                "SELECT url, media_id, width, height, error, attempted_at FROM product_images "
                f"WHERE url IN ({_slots(chunk)})",
                tuple(chunk),
            )
            found.update((row[0], ProductImageRecord(*row)) for row in rows)
        return found

    async def save_product_image(self: Connections, image: ProductImageRecord) -> None:
        async with self._write_lock:
            await self._w.execute(
                "INSERT OR REPLACE INTO product_images "
                "(url, media_id, width, height, error, attempted_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    image.url,
                    image.media_id,
                    image.width,
                    image.height,
                    image.error,
                    image.attempted_at,
                ),
            )

    async def is_product_media(self: Connections, media_id: str) -> bool:
        rows = await self._r.execute_fetchall(
            "SELECT 1 FROM product_images WHERE media_id = ? LIMIT 1", (media_id,)
        )
        return bool(list(rows))

    async def products_at(self: Connections, paths: Sequence[str]) -> dict[str, str]:
        unique = list(dict.fromkeys(paths))
        found: dict[str, str] = {}
        for start in range(0, len(unique), _PATHS_AT_ONCE):
            chunk = unique[start : start + _PATHS_AT_ONCE]
            rows = await self._r.execute_fetchall(
                "SELECT link_path, min(group_id) FROM products "
                f"WHERE link_path IN ({_slots(chunk)}) AND removed_at IS NULL "
                "GROUP BY link_path HAVING count(DISTINCT group_id) = 1",
                chunk,
            )
            found.update((path, group) for path, group in rows)
        return found

    async def create_import(self: Connections, record: ImportRecord) -> bool:
        async with self._immediate() as db:
            busy = await db.execute_fetchall(
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

    async def take_over_import(
        self: Connections, now: float, lease_until: float
    ) -> ImportRecord | None:
        async with self._immediate() as db:
            rows = list(
                await db.execute_fetchall(
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

    async def renew_import(self: Connections, import_id: str, lease_until: float) -> None:
        async with self._write_lock:
            await self._w.execute(
                "UPDATE catalogue_imports SET lease_until = ? WHERE id = ? AND state = 'running'",
                (lease_until, import_id),
            )

    async def import_record(self: Connections, import_id: str) -> ImportRecord | None:
        rows = list(
            await self._r.execute_fetchall(
                f"SELECT {_IMPORT_COLUMNS} FROM catalogue_imports WHERE id = ?", (import_id,)
            )
        )
        return _import(rows[0]) if rows else None

    async def recent_imports(self: Connections, limit: int) -> list[ImportRecord]:
        rows = await self._r.execute_fetchall(
            f"SELECT {_IMPORT_COLUMNS} FROM catalogue_imports "
            "ORDER BY started_at DESC, id DESC LIMIT ?",
            (limit,),
        )
        return [_import(row) for row in rows]

    async def feed_schedule(self: Connections) -> FeedScheduleRecord | None:
        rows = list(
            await self._r.execute_fetchall(
                "SELECT url, every_minutes, etag, last_modified, next_at FROM catalogue_feed"
            )
        )
        return FeedScheduleRecord(*rows[0]) if rows else None

    async def set_feed_schedule(self: Connections, schedule: FeedScheduleRecord | None) -> None:
        async with self._immediate() as db:
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


async def _upsert(db: aiosqlite.Connection, import_id: str, indexed: IndexedProduct) -> None:
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
        await db.execute_fetchall(
            f"INSERT INTO products ({columns}) VALUES ({_slots(values)}) "
            f"ON CONFLICT (id) DO UPDATE SET {updates} RETURNING rowid",
            values,
        )
    )
    rowid = rows[0][0]
    await db.execute("DELETE FROM products_fts WHERE rowid = ?", (rowid,))
    await db.execute("DELETE FROM product_codes WHERE product_rowid = ?", (rowid,))
    await db.executemany(
        "INSERT OR IGNORE INTO product_codes (code, product_rowid) VALUES (?, ?)",
        [(code, rowid) for code in indexed.codes.split()],
    )
    await db.execute(
        "INSERT INTO products_fts (rowid, words, codes) VALUES (?, ?, ?)",
        (rowid, indexed.words, indexed.codes),
    )


async def _save_import(db: aiosqlite.Connection, record: ImportRecord) -> None:
    await db.execute(
        f"INSERT OR REPLACE INTO catalogue_imports ({_IMPORT_COLUMNS}) VALUES ({_IMPORT_SLOTS})",
        _import_values(record),
    )
