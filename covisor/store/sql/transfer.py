"""Moving a deployment from SQLite onto PostgreSQL: `covisor migrate-store --to postgresql://…`.

The SQLite database is first copied with SQLite's online backup (a consistent snapshot, taken
while the server keeps writing), then every table of PostgreSQL's schema is filled from the
copy's table of that name, column by column, in one PostgreSQL transaction: a failure leaves the
target as empty as it was. Values are adapted to PostgreSQL's column types (SQLite keeps some
JSON as BLOB where PostgreSQL has text, and the other way round). Products keep their rowid
(the product codes point at it) and their search vectors are built from the FTS5 index's words.
The target must be empty: a second run, or a database in use, is refused before anything is
written. Media files stay where they are (the data directory).
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from covisor.store.records import StoreError
from covisor.store.sql.db import Tx
from covisor.store.sql.postgresql import PostgresDb, redacted
from covisor.store.sql.sqlite import SQLiteDb

_BATCH = 1000
_SKIPPED = frozenset({"schema_migrations"})
_GENERATED = {"products": frozenset({"search"})}


class TargetNotEmpty(StoreError):
    """The PostgreSQL database already holds data."""


async def copy_sqlite_to_postgresql(source: Path, url: str) -> dict[str, int]:
    """Copy the SQLite database at `source` into the empty PostgreSQL database at `url`
    (whose schema is made or upgraded first); return the rows copied per table."""
    sqlite = SQLiteDb(source)
    await sqlite.open()  # brings an older file to this version first
    await sqlite.close()
    target = PostgresDb(url, pool_size=2)
    await target.open()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            snapshot = Path(scratch) / "snapshot.sqlite3"
            await sqlite.backup(snapshot)
            async with target.transaction() as tx:
                return await _copy(snapshot, tx, redacted(url))
    finally:
        await target.close()


async def _copy(snapshot: Path, tx: Tx, where: str) -> dict[str, int]:
    tables = [
        row[0]
        for row in await tx.fetch(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' "
            "ORDER BY table_name"
        )
        if row[0] not in _SKIPPED
    ]
    for table in tables:
        if await tx.fetch(f"SELECT 1 FROM {table} LIMIT 1"):
            raise TargetNotEmpty(f"the database at {where} is not empty ({table} has rows)")
    copied: dict[str, int] = {}
    source = sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True)
    try:
        for table in tables:
            copied[table] = await _copy_table(source, tx, table)
        await _index_products(source, tx)
    finally:
        source.close()
    return copied


async def _copy_table(source: sqlite3.Connection, tx: Tx, table: str) -> int:
    types = {
        name: kind
        for name, kind in await tx.fetch(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            (table,),
        )
        if name not in _GENERATED.get(table, frozenset())
    }
    names = list(types)
    overriding = " OVERRIDING SYSTEM VALUE" if table == "products" else ""
    insert = (
        f"INSERT INTO {table} ({', '.join(names)}){overriding} "
        f"VALUES ({', '.join('?' * len(names))})"
    )
    cursor = source.execute(f"SELECT {', '.join(names)} FROM {table}")
    count = 0
    while rows := cursor.fetchmany(_BATCH):
        await tx.executemany(insert, [_adapted(row, names, types) for row in rows])
        count += len(rows)
    if table == "products" and count:
        await tx.execute(
            "SELECT setval(pg_get_serial_sequence('products', 'rowid'), "
            "(SELECT max(rowid) FROM products))"
        )
    return count


def _adapted(row: tuple[Any, ...], names: list[str], types: dict[str, str]) -> tuple[Any, ...]:
    values = []
    for name, value in zip(names, row, strict=True):
        kind = types[name]
        if isinstance(value, bytes) and kind == "text":
            value = value.decode()
        elif isinstance(value, str) and kind == "bytea":
            value = value.encode()
        values.append(value)
    return tuple(values)


async def _index_products(source: sqlite3.Connection, tx: Tx) -> None:
    rows = source.execute("SELECT rowid, words, codes FROM products_fts").fetchall()
    for start in range(0, len(rows), _BATCH):
        await tx.executemany(
            "UPDATE products SET search = to_tsvector('simple', ?) WHERE rowid = ?",
            [(f"{words} {codes}", rowid) for rowid, words, codes in rows[start : start + _BATCH]],
        )
