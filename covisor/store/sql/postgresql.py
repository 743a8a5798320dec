"""`Db` on a PostgreSQL server (15 or later), through a pool of psycopg 3 connections.

Several Covisor processes on several machines share the database. Reads and single write
statements run on any pooled connection in autocommit. `transaction()` takes a transaction-level
advisory lock first, so such transactions run one at a time across every process, as SQLite's
`BEGIN IMMEDIATE` makes them: the slices' read-then-write steps (a PIN's uniqueness, the last
admin, an import's lease) keep the meaning they have on SQLite. The journal's round does not
take it: `commit_round` is one statement, whose `UPDATE … WHERE seq = expected` locks each
conversation's row and re-checks the seq after any concurrent writer commits, so a round from
another node either came first (this one is stale) or waits (it is).

The slices write `?` and `:name`; psycopg wants `%s` and `%(name)s` (and `%%` for `%`):
`_translate` rewrites a statement once and remembers it.
"""

from __future__ import annotations

import functools
import re
import urllib.parse
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import psycopg
import psycopg.errors
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from covisor.store.records import StoreError
from covisor.store.sql import migrations
from covisor.store.sql.db import POSTGRESQL, Args, Conflict, Dialect, RoundRows, Row

_TRANSACTIONS = 0x636F7669
"""The advisory lock `transaction()` holds (any number: only Covisor takes it)."""
_DEADLOCK_RETRIES = 5
CONNECT_TIMEOUT = 10.0
"""Seconds `open` waits for a first connection before giving up (a wrong host or password)."""
_TOKEN = re.compile(r"'(?:[^']|'')*'|::|\?|:([A-Za-z_]\w*)|%")


@functools.lru_cache(maxsize=1024)
def _translate(sql: str) -> str:
    """`sql` with psycopg's placeholders: `?` → `%s`, `:name` → `%(name)s`, `%` → `%%`
    (inside string literals too, where only the `%` changes)."""

    def token(match: re.Match[str]) -> str:
        text = match.group(0)
        if text.startswith("'"):
            return text.replace("%", "%%")
        if text == "?":
            return "%s"
        if text == "%":
            return "%%"
        if match.group(1) is not None:
            return f"%({match.group(1)})s"
        return text

    return _TOKEN.sub(token, sql)


def redacted(url: str) -> str:
    """`url` without its password, for messages."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


class PostgresTx:
    """A `Tx` on one connection inside a transaction."""

    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._conn = conn

    async def fetch(self, sql: str, args: Args = ()) -> list[Row]:
        cursor = await _run(self._conn, sql, args)
        return list(await cursor.fetchall())

    async def execute(self, sql: str, args: Args = ()) -> int:
        cursor = await _run(self._conn, sql, args)
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Sequence[Args]) -> None:
        if rows:
            async with self._conn.cursor() as cursor:
                await cursor.executemany(_translate(sql), rows)


async def _run(
    conn: psycopg.AsyncConnection[Any], sql: str, args: Args
) -> psycopg.AsyncCursor[Any]:
    try:
        return await conn.execute(_translate(sql), args)
    except psycopg.errors.UniqueViolation as exc:
        raise Conflict(str(exc.diag.message_primary)) from exc


class PostgresDb:
    """The `Db` of the database at `url`; `open` brings its schema to this version."""

    dialect: Dialect = POSTGRESQL

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self._pool_size = pool_size
        self._pool_or_none: AsyncConnectionPool[Any] | None = None

    async def open(self) -> None:
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            self.url,
            min_size=1,
            max_size=self._pool_size,
            kwargs={"autocommit": True},
            open=False,
        )
        try:
            try:
                await pool.open(wait=True, timeout=CONNECT_TIMEOUT)
            except PoolTimeout:
                raise StoreError(f"cannot connect to PostgreSQL at {redacted(self.url)}") from None
            self._pool_or_none = pool
            async with self.transaction() as tx:
                await migrations.migrate(tx, redacted(self.url), migrations.POSTGRESQL_MIGRATIONS)
        except BaseException:
            await pool.close()
            self._pool_or_none = None
            raise

    async def close(self) -> None:
        if self._pool_or_none is not None:
            await self._pool_or_none.close()
            self._pool_or_none = None

    @property
    def _pool(self) -> AsyncConnectionPool[Any]:
        if self._pool_or_none is None:
            raise RuntimeError("store is not open")
        return self._pool_or_none

    async def fetch(self, sql: str, args: Args = ()) -> list[Row]:
        async with self._pool.connection() as conn:
            return await PostgresTx(conn).fetch(sql, args)

    async def execute(self, sql: str, args: Args = ()) -> int:
        async with self._pool.connection() as conn:
            return await PostgresTx(conn).execute(sql, args)

    async def executemany(self, sql: str, rows: Sequence[Args]) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            await PostgresTx(conn).executemany(sql, rows)

    async def returning(self, sql: str, args: Args = ()) -> list[Row]:
        return await self.fetch(sql, args)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresTx]:
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_TRANSACTIONS,))
            yield PostgresTx(conn)

    async def batch(self, steps: Sequence[tuple[str, Sequence[Args]]]) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            tx = PostgresTx(conn)
            for sql, rows in steps:
                await tx.executemany(sql, rows)

    async def commit_round(self, rounds: Sequence[RoundRows]) -> set[str]:
        """The round as one statement (`_ROUND`) over arrays: one trip, one transaction. Two
        nodes' rounds that share conversations may lock their rows in opposite orders: the
        server then aborts one, which is tried again (it changed nothing)."""
        checks = [r for r in rounds if not r.events]
        writes = [r for r in rounds if r.events]
        v = [*writes, *checks]
        args = (
            [r.conversation_id for r in v],
            [r.expected_seq for r in v],
            [r.seq for r in v],
            [r.summary is not None for r in v],
            [r.summary[0] if r.summary else None for r in v],
            [r.summary[1] if r.summary else None for r in v],
            [r.summary[2].decode() if r.summary else None for r in v],
            [r.snapshot if r.events else None for r in v],
            [e[0] for r in writes for e in r.events],
            [e[1] for r in writes for e in r.events],
            [e[2] for r in writes for e in r.events],
            [e[3] for r in writes for e in r.events],
        )
        for attempt in range(_DEADLOCK_RETRIES):
            try:
                async with self._pool.connection() as conn:
                    cursor = await conn.execute(_ROUND, args)
                    moved = {row[0] for row in await cursor.fetchall()}
                break
            except psycopg.errors.DeadlockDetected:
                if attempt == _DEADLOCK_RETRIES - 1:
                    raise
        return {r.conversation_id for r in rounds} - moved


_ROUND = """
WITH v AS (
    SELECT * FROM unnest(%s::text[], %s::bigint[], %s::bigint[], %s::boolean[], %s::text[],
                         %s::text[], %s::text[], %s::bytea[])
        AS v(id, expected, seq, whole, status, agent_id, summary, snapshot)
),
moved AS (
    UPDATE conversations c SET seq = v.seq,
        status = CASE WHEN v.whole THEN v.status ELSE c.status END,
        agent_id = CASE WHEN v.whole THEN v.agent_id ELSE c.agent_id END,
        summary = CASE WHEN v.whole THEN v.summary ELSE c.summary END,
        snapshot = coalesce(v.snapshot, c.snapshot),
        snapshot_seq = CASE WHEN v.snapshot IS NULL THEN c.snapshot_seq ELSE v.seq END
    FROM v WHERE c.id = v.id AND c.seq = v.expected
    RETURNING c.id
),
added AS (
    INSERT INTO events (conversation_id, seq, type, body)
    SELECT e.cid, e.seq, e.type, e.body
    FROM unnest(%s::text[], %s::bigint[], %s::text[], %s::bytea[]) AS e(cid, seq, type, body)
    WHERE e.cid IN (SELECT id FROM moved)
)
SELECT id FROM moved
"""
