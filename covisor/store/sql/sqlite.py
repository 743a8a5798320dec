"""`Db` on one SQLite file in WAL mode, shared safely by several processes.

Two connections per process: a writer, whose transactions are serialised by a lock (and across
processes by SQLite's own write lock, `BEGIN IMMEDIATE`), and a reader that never sees a
half-done transaction. `synchronous=FULL`, so an acknowledged event survives a power cut, not only
a killed process; group commit (see journal.py) amortises the fsync over many events.

A journal round and a batch each make one trip to the writer's thread (`_round_sync`,
`_batch_sync`): each statement otherwise hands CPython's lock to that thread and back, and
behind a busy event loop every hand-back waits out a switch interval (executemany of a round's
hundred events took 100 ms that way, one statement 10 ms; bench/relay.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from covisor.store.sql import migrations
from covisor.store.sql.db import SQLITE, Args, Conflict, Dialect, RoundRows, Row


class SQLiteTx:
    """A `Tx` on the writer inside `BEGIN IMMEDIATE`."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def fetch(self, sql: str, args: Args = ()) -> list[Row]:
        return list(await self._db.execute_fetchall(sql, args))

    async def execute(self, sql: str, args: Args = ()) -> int:
        try:
            cursor = await self._db.execute(sql, args)
        except sqlite3.IntegrityError as exc:
            raise Conflict(str(exc)) from exc
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Sequence[Args]) -> None:
        await self._db.executemany(sql, rows)


class SQLiteDb:
    """The `Db` of the file at `path`; `open` brings its schema to this version."""

    dialect: Dialect = SQLITE

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._commit_lock: int | None = None

    async def open(self) -> None:
        """Connect and bring the schema to this version (migrations.py); on failure (a
        `SchemaTooNew` among them), close what was opened (its threads would otherwise keep the
        process alive)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._writer = await self._connect()
            await self._writer.execute_fetchall("PRAGMA journal_mode=WAL")
            async with self.transaction() as tx:
                await migrations.migrate(tx, str(self.path), migrations.SQLITE_MIGRATIONS)
            self._reader = await self._connect()
            lock = self.path.with_name(self.path.name + ".commit-lock")
            self._commit_lock = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except BaseException:
            await self.close()
            raise

    async def _connect(self) -> aiosqlite.Connection:
        db = await aiosqlite.connect(self.path, isolation_level=None)
        await db.execute("PRAGMA busy_timeout=10000")
        await db.execute("PRAGMA synchronous=FULL")
        await db.execute("PRAGMA foreign_keys=ON")
        await db.create_function("covisor_lower", 1, _lower, deterministic=True)
        return db

    async def close(self) -> None:
        for db in (self._reader, self._writer):
            if db is not None:
                await db.close()
        self._reader = self._writer = None
        if self._commit_lock is not None:
            os.close(self._commit_lock)
            self._commit_lock = None

    @property
    def _r(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise RuntimeError("store is not open")
        return self._reader

    @property
    def _w(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise RuntimeError("store is not open")
        return self._writer

    async def fetch(self, sql: str, args: Args = ()) -> list[Row]:
        return list(await self._r.execute_fetchall(sql, args))

    async def execute(self, sql: str, args: Args = ()) -> int:
        async with self._write_lock:
            return await SQLiteTx(self._w).execute(sql, args)

    async def executemany(self, sql: str, rows: Sequence[Args]) -> None:
        async with self._write_lock:
            await self._w.executemany(sql, rows)

    async def returning(self, sql: str, args: Args = ()) -> list[Row]:
        async with self._write_lock:
            return list(await self._w.execute_fetchall(sql, args))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SQLiteTx]:
        """A write transaction that holds SQLite's write lock from its first statement.

        A task cancelled while it waits for `BEGIN` still has it run on the connection's
        thread, so the rollback covers that wait too (else the next transaction on the
        connection would find this one open)."""
        async with self._write_lock:
            db = self._w
            try:
                await db.execute("BEGIN IMMEDIATE")
                yield SQLiteTx(db)
            except BaseException:
                with contextlib.suppress(sqlite3.OperationalError):
                    await db.execute("ROLLBACK")
                raise
            await db.execute("COMMIT")

    async def commit_round(self, rounds: Sequence[RoundRows]) -> set[str]:
        async with self._write_lock:
            stale: set[str] = await self._w._execute(  # type: ignore[no-untyped-call]
                _round_sync, self._w._conn, rounds, self._commit_lock
            )
        return stale

    async def batch(self, steps: Sequence[tuple[str, Sequence[Args]]]) -> None:
        """Each statement over its rows (`executemany`), in order, in one transaction and one
        trip to the writer's thread."""
        async with self._write_lock:
            await self._w._execute(_batch_sync, self._w._conn, steps)  # type: ignore[no-untyped-call]

    async def backup(self, destination: Path) -> None:
        """A consistent copy of the database at `destination`, taken with SQLite's online
        backup API while the server keeps writing (a temp name, then renamed)."""
        await asyncio.to_thread(_backup, self.path, destination)


def _lower(text: object) -> object:
    """`Dialect.lower` on SQLite: text in lower case, anything else (NULL) as it is."""
    return text.lower() if isinstance(text, str) else text


def _backup(source: Path, destination: Path) -> None:
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    partial.replace(destination)


def _batch_sync(db: sqlite3.Connection, steps: Sequence[tuple[str, Sequence[Args]]]) -> None:
    db.execute("BEGIN IMMEDIATE")
    try:
        for sql, rows in steps:
            db.executemany(sql, rows)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


_CHUNK = 500
"""Rows per multi-row statement (4 or 7 parameters each: far below SQLite's 32766)."""


def _round_sync(db: sqlite3.Connection, rounds: Sequence[RoundRows], lock: int | None) -> set[str]:
    """Write the appends that are not stale in one IMMEDIATE transaction; return the stale ids.

    Processes sharing the database take turns on `lock` (a file lock beside it) first: the
    kernel hands it over the moment it is released, where SQLite's busy handler, finding its
    write lock taken, sleeps 1, 2, 5, 10… ms before trying again."""
    if lock is not None:
        fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        return _write_round(db, rounds)
    finally:
        if lock is not None:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_round(db: sqlite3.Connection, rounds: Sequence[RoundRows]) -> set[str]:
    db.execute("BEGIN IMMEDIATE")
    try:
        ids = [r.conversation_id for r in rounds]
        marks = ",".join("?" * len(ids))
        current = dict(
            db.execute(f"SELECT id, seq FROM conversations WHERE id IN ({marks})", ids).fetchall()
        )
        stale = {
            r.conversation_id for r in rounds if current.get(r.conversation_id) != r.expected_seq
        }
        fresh = [r for r in rounds if r.conversation_id not in stale and r.events]
        snapshot_seq = {r.conversation_id: r.seq if r.snapshot is not None else None for r in fresh}
        _in_chunks(
            db,
            "INSERT INTO events (conversation_id, seq, type, body) VALUES {values}",
            [row for r in fresh for row in r.events],
        )
        _in_chunks(
            db,
            "UPDATE conversations AS c SET seq = v.column2, status = v.column3, "
            "agent_id = v.column4, summary = v.column5, "
            "snapshot = coalesce(v.column6, c.snapshot), "
            "snapshot_seq = CASE WHEN v.column6 IS NULL THEN c.snapshot_seq ELSE v.column7 END "
            "FROM (VALUES {values}) AS v WHERE c.id = v.column1",
            [
                (r.conversation_id, r.seq, *r.summary, r.snapshot, snapshot_seq[r.conversation_id])
                for r in fresh
                if r.summary is not None
            ],
        )
        _in_chunks(
            db,
            "UPDATE conversations AS c SET seq = v.column2, "
            "snapshot = coalesce(v.column3, c.snapshot), "
            "snapshot_seq = CASE WHEN v.column3 IS NULL THEN c.snapshot_seq ELSE v.column4 END "
            "FROM (VALUES {values}) AS v WHERE c.id = v.column1",
            [
                (r.conversation_id, r.seq, r.snapshot, snapshot_seq[r.conversation_id])
                for r in fresh
                if r.summary is None
            ],
        )
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return stale


def _in_chunks(db: sqlite3.Connection, statement: str, rows: list[tuple[Any, ...]]) -> None:
    """Run `statement` over `rows`, `_CHUNK` of them at a time, each chunk as the multi-row
    VALUES list that stands for `{values}` in it."""
    for start in range(0, len(rows), _CHUNK):
        part = rows[start : start + _CHUNK]
        marks = "(" + ", ".join("?" * len(part[0])) + ")"
        values = ",".join([marks] * len(part))
        db.execute(statement.format(values=values), [value for row in part for value in row])
