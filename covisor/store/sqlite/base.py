"""The SQLite store's connections: opening (schema included) and closing, the reader and the
writer, write transactions, and what is not a slice's (secrets, ping, backup).

Two connections per process: a writer, whose transactions are serialised by a lock (and across
processes by SQLite's own write lock, `BEGIN IMMEDIATE`), and a reader that never sees a
half-done transaction. `synchronous=FULL`, so an acknowledged event survives a power cut, not only
a killed process; group commit (see journal.py) amortises the fsync over many events.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Protocol

import aiosqlite

from covisor.store.sqlite.migrations import migrate


class Connections(Protocol):
    """What `SQLiteBase` gives the slices' mixins: its reader and writer, the lock that
    serialises the writer, and write transactions."""

    @property
    def _r(self) -> aiosqlite.Connection: ...

    @property
    def _w(self) -> aiosqlite.Connection: ...

    @property
    def _write_lock(self) -> asyncio.Lock: ...

    def _immediate(self) -> AbstractAsyncContextManager[aiosqlite.Connection]: ...


class SQLiteBase:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._commit_lock: int | None = None

    async def open(self) -> None:
        """Connect and bring the schema to this version (migrations.py); on failure (a
        `SchemaTooNew` among them), close what was opened (its threads would otherwise keep the
        process alive)."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._writer = await self._connect()
            await self._writer.execute_fetchall("PRAGMA journal_mode=WAL")
            async with self._immediate() as db:
                await migrate(db, self._path)
            self._reader = await self._connect()
            lock = self._path.with_name(self._path.name + ".commit-lock")
            self._commit_lock = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except BaseException:
            await self.close()
            raise

    async def _connect(self) -> aiosqlite.Connection:
        db = await aiosqlite.connect(self._path, isolation_level=None)
        await db.execute("PRAGMA busy_timeout=10000")
        await db.execute("PRAGMA synchronous=FULL")
        await db.execute("PRAGMA foreign_keys=ON")
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

    async def ping(self) -> None:
        await self._r.execute_fetchall("SELECT 1")

    async def secret(self, name: str, candidate: bytes) -> bytes:
        async with self._write_lock:
            await self._w.execute(
                "INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)", (name, candidate)
            )
        rows = await self._r.execute_fetchall("SELECT value FROM secrets WHERE name = ?", (name,))
        return bytes(list(rows)[0][0])

    @asynccontextmanager
    async def _immediate(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction that holds SQLite's write lock from its first statement.

        A task cancelled while it waits for `BEGIN` still has it run on the connection's
        thread, so the rollback covers that wait too (else the next transaction on the
        connection would find this one open)."""
        async with self._write_lock:
            db = self._w
            try:
                await db.execute("BEGIN IMMEDIATE")
                yield db
            except BaseException:
                with contextlib.suppress(sqlite3.OperationalError):
                    await db.execute("ROLLBACK")
                raise
            await db.execute("COMMIT")

    async def backup(self, destination: Path) -> None:
        """A consistent copy of the database at `destination`, taken with SQLite's online
        backup API while the server keeps writing (a temp name, then renamed)."""
        await asyncio.to_thread(_backup, self._path, destination)


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
