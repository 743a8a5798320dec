"""`ConversationStore` on SQLite: conversations and their events, and group commit.

`commit` writes a whole round of appends in one IMMEDIATE transaction, on one trip to the
writer's thread (`_commit_sync`): group commit amortises the fsync over many events.
"""

from __future__ import annotations

import dataclasses
import fcntl
import sqlite3
from typing import Any, Protocol

import msgspec

from covisor.kernel.events import Event, decode, encode
from covisor.store.records import Append, ConversationRecord, SummaryRecord, with_seq
from covisor.store.sqlite.base import Connections
from covisor.store.sqlite.schema import INDEXED_EVENTS

_CONVERSATION_COLUMNS = "id, created_at, seq, summary, snapshot, snapshot_seq"
_SUMMARY_COLUMNS = "id, created_at, seq, summary"


class _Committer(Connections, Protocol):
    """What `commit` needs besides: the file lock that processes sharing the database take
    turns on (None before `open`)."""

    @property
    def _commit_lock(self) -> int | None: ...


class SQLiteConversations:
    """Mixed into `SQLiteStore` (each method's `self` is one: see `Connections`, and
    `_Committer` for `commit`)."""

    async def create_conversation(
        self: Connections, conversation_id: str, created_at: float
    ) -> None:
        async with self._write_lock:
            await self._w.execute(
                "INSERT INTO conversations (id, created_at) VALUES (?, ?)",
                (conversation_id, created_at),
            )

    async def conversation(self: Connections, conversation_id: str) -> ConversationRecord | None:
        rows = list(
            await self._r.execute_fetchall(
                f"SELECT {_CONVERSATION_COLUMNS} FROM conversations WHERE id = ?",
                (conversation_id,),
            )
        )
        return _record(rows[0]) if rows else None

    async def summary(self: Connections, conversation_id: str) -> SummaryRecord | None:
        rows = list(
            await self._r.execute_fetchall(
                f"SELECT {_SUMMARY_COLUMNS} FROM conversations WHERE id = ?", (conversation_id,)
            )
        )
        return _summary(rows[0]) if rows else None

    async def conversations(
        self: Connections,
        *,
        status: str | None = None,
        agent_id: str | None = None,
        customer_id: str | None = None,
        limit: int = 200,
    ) -> list[SummaryRecord]:
        where, args = ["seq > 0"], []
        if status is not None:
            where.append("status = ?")
            args.append(status)
        if agent_id is not None:
            where.append("agent_id = ?")
            args.append(agent_id)
        if customer_id is not None:
            where.append("json_extract(summary, '$.visitor.customer_id') = ?")
            args.append(customer_id)
        rows = await self._r.execute_fetchall(
            f"SELECT {_SUMMARY_COLUMNS} FROM conversations WHERE {' AND '.join(where)} "
            "ORDER BY created_at DESC LIMIT ?",
            (*args, limit),
        )
        return [_summary(row) for row in rows]

    async def commit(self: _Committer, appends: list[Append]) -> set[str]:
        if not appends:
            return set()
        rows = [_rows(a) for a in appends]
        async with self._write_lock:
            # The whole transaction is one trip to the connection's thread, in a few statements:
            # each statement hands CPython's lock to that thread and back, and behind a busy
            # event loop every hand-back waits out a switch interval (executemany of a round's
            # hundred events took 100 ms that way, one statement 10 ms; bench/relay.py).
            stale: set[str] = await self._w._execute(  # type: ignore[no-untyped-call]
                _commit_sync, self._w._conn, rows, self._commit_lock
            )
        return stale

    async def open_counts(self: Connections) -> dict[str, int]:
        rows = await self._r.execute_fetchall(
            "SELECT agent_id, count(*) FROM conversations "
            "WHERE status = 'active' AND agent_id IS NOT NULL GROUP BY agent_id"
        )
        return {agent_id: count for agent_id, count in rows}

    async def with_pending_uploads(self: Connections, limit: int = 1000) -> list[str]:
        rows = await self._r.execute_fetchall(
            "SELECT id FROM conversations "
            "WHERE json_extract(summary, '$.uploads_pending') > 0 LIMIT ?",
            (limit,),
        )
        return [row[0] for row in rows]

    async def events_after(
        self: Connections, conversation_id: str, after_seq: int, limit: int
    ) -> list[Event]:
        rows = await self._r.execute_fetchall(
            "SELECT body FROM events WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (conversation_id, after_seq, limit),
        )
        return [decode(row[0]) for row in rows]

    async def events_of_type(
        self: Connections, conversation_id: str, type_: str, before_seq: int | None, limit: int
    ) -> list[Event]:
        rows = await self._r.execute_fetchall(
            f"SELECT body FROM events WHERE conversation_id = ? AND type = ? AND seq < ? "
            f"AND {INDEXED_EVENTS} ORDER BY seq DESC LIMIT ?",
            (conversation_id, type_, 2**62 if before_seq is None else before_seq, limit),
        )
        return [decode(row[0]) for row in reversed(list(rows))]

    async def erase_conversation(self: Connections, conversation_id: str) -> bool:
        async with self._immediate() as db:
            await db.execute("DELETE FROM events WHERE conversation_id = ?", (conversation_id,))
            await db.execute("DELETE FROM pins WHERE conversation_id = ?", (conversation_id,))
            await db.execute(
                "DELETE FROM counters WHERE key IN (?, ?, ?)",
                tuple(
                    f"{kind}:{conversation_id}"
                    for kind in ("uploads", "upload-bytes", "conversation")
                ),
            )
            cursor = await db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            return cursor.rowcount > 0

    async def media_in_use(self: Connections, media_ids: list[str]) -> set[str]:
        if not media_ids:
            return set()
        marks = ",".join("?" * len(media_ids))
        rows = await self._r.execute_fetchall(
            "SELECT media_id FROM ("
            "  SELECT json_extract(CAST(body AS TEXT), '$.data.media_id') AS media_id"
            "  FROM events WHERE type = 'media.processing'"
            "  UNION SELECT media_id FROM catalogue"
            "  UNION SELECT media_id FROM product_images"
            f") WHERE media_id IN ({marks})",
            media_ids,
        )
        return {row[0] for row in rows}

    async def closed_before(self: Connections, before: float, limit: int = 500) -> list[str]:
        rows = await self._r.execute_fetchall(
            "SELECT c.id FROM conversations c WHERE c.status = 'closed' AND ("
            "  SELECT json_extract(CAST(e.body AS TEXT), '$.at') FROM events e"
            "  WHERE e.conversation_id = c.id AND e.seq = c.seq) < ? LIMIT ?",
            (before, limit),
        )
        return [row[0] for row in rows]


@dataclasses.dataclass(frozen=True)
class _Rows:
    """One append as the parameters of its statements, made before the trip to the thread:
    `update` sets the summary too (7 values), `moved` the seq and maybe snapshot only (4)."""

    conversation_id: str
    expected_seq: int
    events: list[tuple[Any, ...]]
    update: tuple[Any, ...] | None
    moved: tuple[Any, ...] | None


_CHUNK = 500
"""Rows per multi-row statement (4 or 7 parameters each: far below SQLite's 32766)."""


def _commit_sync(db: sqlite3.Connection, appends: list[_Rows], lock: int | None) -> set[str]:
    """Write the appends that are not stale in one IMMEDIATE transaction; return the stale ids.

    Processes sharing the database take turns on `lock` (a file lock beside it) first: the
    kernel hands it over the moment it is released, where SQLite's busy handler, finding its
    write lock taken, sleeps 1, 2, 5, 10… ms before trying again."""
    if lock is not None:
        fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        return _write(db, appends)
    finally:
        if lock is not None:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write(db: sqlite3.Connection, appends: list[_Rows]) -> set[str]:
    db.execute("BEGIN IMMEDIATE")
    try:
        ids = [a.conversation_id for a in appends]
        marks = ",".join("?" * len(ids))
        current = dict(
            db.execute(f"SELECT id, seq FROM conversations WHERE id IN ({marks})", ids).fetchall()
        )
        stale = {
            a.conversation_id for a in appends if current.get(a.conversation_id) != a.expected_seq
        }
        fresh = [a for a in appends if a.conversation_id not in stale]
        _in_chunks(
            db,
            "INSERT INTO events (conversation_id, seq, type, body) VALUES {values}",
            [row for a in fresh for row in a.events],
        )
        _in_chunks(
            db,
            "UPDATE conversations AS c SET seq = v.column2, status = v.column3, "
            "agent_id = v.column4, summary = v.column5, "
            "snapshot = coalesce(v.column6, c.snapshot), "
            "snapshot_seq = CASE WHEN v.column6 IS NULL THEN c.snapshot_seq ELSE v.column7 END "
            "FROM (VALUES {values}) AS v WHERE c.id = v.column1",
            [a.update for a in fresh if a.update is not None],
        )
        _in_chunks(
            db,
            "UPDATE conversations AS c SET seq = v.column2, "
            "snapshot = coalesce(v.column3, c.snapshot), "
            "snapshot_seq = CASE WHEN v.column3 IS NULL THEN c.snapshot_seq ELSE v.column4 END "
            "FROM (VALUES {values}) AS v WHERE c.id = v.column1",
            [a.moved for a in fresh if a.moved is not None],
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


def _record(row: Any) -> ConversationRecord:
    id_, created_at, seq, summary, snapshot, snapshot_seq = row
    return ConversationRecord(
        id_, created_at, seq, with_seq(msgspec.json.decode(summary), seq), snapshot, snapshot_seq
    )


def _summary(row: Any) -> SummaryRecord:
    id_, created_at, seq, summary = row
    return SummaryRecord(id_, created_at, seq, with_seq(msgspec.json.decode(summary), seq))


def _rows(a: Append) -> _Rows:
    if not a.events:
        return _Rows(a.conversation_id, a.expected_seq, [], None, None)
    events = [(e.conversation_id, e.seq, e.type, encode(e)) for e in a.events]
    last = a.events[-1].seq
    snapshot = (a.snapshot, last if a.snapshot is not None else None)
    if a.summary is None:
        moved = (a.conversation_id, last, *snapshot)
        return _Rows(a.conversation_id, a.expected_seq, events, None, moved)
    status, agent_id = a.summary.get("status", "waiting"), a.summary.get("agent_id")
    summary = msgspec.json.encode(a.summary)
    update = (a.conversation_id, last, status, agent_id, summary, *snapshot)
    return _Rows(a.conversation_id, a.expected_seq, events, update, None)
