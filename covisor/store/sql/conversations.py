"""`ConversationStore` in SQL: conversations and their events, and group commit.

`commit` hands a whole round of appends to the engine's `commit_round`, which writes it in one
transaction and one trip: group commit amortises the fsync over many events.
"""

from __future__ import annotations

from typing import Any

import msgspec

from covisor.kernel.events import Event, decode, encode
from covisor.store.records import (
    Append,
    ClosedQuery,
    ConversationRecord,
    SummaryRecord,
    with_seq,
)
from covisor.store.sql.db import HasDb, RoundRows
from covisor.store.sql.schema import INDEXED_EVENTS

_CONVERSATION_COLUMNS = "id, created_at, seq, summary, snapshot, snapshot_seq"
_SUMMARY_COLUMNS = "id, created_at, seq, summary"


class SQLConversations:
    """Mixed into `SQLStore` (each method's `self` is one: see `HasDb`)."""

    async def create_conversation(self: HasDb, conversation_id: str, created_at: float) -> None:
        await self._db.execute(
            "INSERT INTO conversations (id, created_at) VALUES (?, ?)",
            (conversation_id, created_at),
        )

    async def conversation(self: HasDb, conversation_id: str) -> ConversationRecord | None:
        rows = list(
            await self._db.fetch(
                f"SELECT {_CONVERSATION_COLUMNS} FROM conversations WHERE id = ?",
                (conversation_id,),
            )
        )
        return _record(rows[0]) if rows else None

    async def summary(self: HasDb, conversation_id: str) -> SummaryRecord | None:
        rows = list(
            await self._db.fetch(
                f"SELECT {_SUMMARY_COLUMNS} FROM conversations WHERE id = ?", (conversation_id,)
            )
        )
        return _summary(rows[0]) if rows else None

    async def conversations(
        self: HasDb,
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
            where.append(f"{self._db.dialect.json('summary', '$.visitor.customer_id')} = ?")
            args.append(customer_id)
        rows = await self._db.fetch(
            f"SELECT {_SUMMARY_COLUMNS} FROM conversations WHERE {' AND '.join(where)} "
            "ORDER BY created_at DESC LIMIT ?",
            (*args, limit),
        )
        return [_summary(row) for row in rows]

    async def closed_conversations(self: HasDb, query: ClosedQuery) -> list[SummaryRecord]:
        d = self._db.dialect
        where, args = ["c.status = 'closed'", "c.seq > 0"], list[object]()
        for term, value in (
            ("c.created_at >= ?", query.since),
            ("c.created_at < ?", query.until),
            ("c.agent_id = ?", query.agent_id),
            (f"{d.json_number('c.summary', '$.rating.score')} = ?", query.rating),
        ):
            if value is not None:
                where.append(term)
                args.append(value)
        if query.text:
            like = " LIKE ? ESCAPE '\\'"
            fields = [
                d.lower(d.json("c.summary", path)) + like
                for path in ("$.name", "$.visitor.name", "$.visitor.email")
            ]
            message = d.lower(d.json(d.text("e.body"), "$.data.text"))
            fields.append(
                "EXISTS (SELECT 1 FROM events e WHERE e.conversation_id = c.id "
                f"AND e.type = 'chat.message' AND {INDEXED_EVENTS} AND {message}{like})"
            )
            where.append("(" + " OR ".join(fields) + ")")
            args += [_contains(query.text)] * len(fields)
        rows = await self._db.fetch(
            f"SELECT {_SUMMARY_COLUMNS} FROM conversations c WHERE {' AND '.join(where)} "
            "ORDER BY c.created_at DESC, c.id DESC LIMIT ? OFFSET ?",
            (*args, query.limit, query.offset),
        )
        return [_summary(row) for row in rows]

    async def commit(self: HasDb, appends: list[Append]) -> set[str]:
        if not appends:
            return set()
        return await self._db.commit_round([_round(a) for a in appends])

    async def open_counts(self: HasDb) -> dict[str, int]:
        rows = await self._db.fetch(
            "SELECT agent_id, count(*) FROM conversations "
            "WHERE status = 'active' AND agent_id IS NOT NULL GROUP BY agent_id"
        )
        return {agent_id: count for agent_id, count in rows}

    async def with_pending_uploads(self: HasDb, limit: int = 1000) -> list[str]:
        rows = await self._db.fetch(
            "SELECT id FROM conversations "
            f"WHERE {self._db.dialect.json_number('summary', '$.uploads_pending')} > 0 LIMIT ?",
            (limit,),
        )
        return [row[0] for row in rows]

    async def events_after(
        self: HasDb, conversation_id: str, after_seq: int, limit: int
    ) -> list[Event]:
        rows = await self._db.fetch(
            "SELECT body FROM events WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (conversation_id, after_seq, limit),
        )
        return [decode(row[0]) for row in rows]

    async def events_of_type(
        self: HasDb, conversation_id: str, type_: str, before_seq: int | None, limit: int
    ) -> list[Event]:
        rows = await self._db.fetch(
            f"SELECT body FROM events WHERE conversation_id = ? AND type = ? AND seq < ? "
            f"AND {INDEXED_EVENTS} ORDER BY seq DESC LIMIT ?",
            (conversation_id, type_, 2**62 if before_seq is None else before_seq, limit),
        )
        return [decode(row[0]) for row in reversed(list(rows))]

    async def events_of_type_after(
        self: HasDb, conversation_id: str, type_: str, after_seq: int, limit: int
    ) -> list[Event]:
        rows = await self._db.fetch(
            f"SELECT body FROM events WHERE conversation_id = ? AND type = ? AND seq > ? "
            f"AND {INDEXED_EVENTS} ORDER BY seq LIMIT ?",
            (conversation_id, type_, after_seq, limit),
        )
        return [decode(row[0]) for row in rows]

    async def erase_conversation(self: HasDb, conversation_id: str) -> bool:
        async with self._db.transaction() as db:
            await db.execute("DELETE FROM events WHERE conversation_id = ?", (conversation_id,))
            await db.execute("DELETE FROM pins WHERE conversation_id = ?", (conversation_id,))
            await db.execute(
                "DELETE FROM counters WHERE key IN (?, ?, ?)",
                tuple(
                    f"{kind}:{conversation_id}"
                    for kind in ("uploads", "upload-bytes", "conversation")
                ),
            )
            changed = await db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            return changed > 0

    async def media_in_use(self: HasDb, media_ids: list[str]) -> set[str]:
        if not media_ids:
            return set()
        marks = ",".join("?" * len(media_ids))
        d = self._db.dialect
        rows = await self._db.fetch(
            "SELECT media_id FROM ("
            f"  SELECT {d.json(d.text('body'), '$.data.media_id')} AS media_id"
            "  FROM events WHERE type = 'media.processing'"
            "  UNION SELECT media_id FROM catalogue"
            "  UNION SELECT media_id FROM product_images"
            f") AS used WHERE media_id IN ({marks})",
            media_ids,
        )
        return {row[0] for row in rows}

    async def closed_before(self: HasDb, before: float, limit: int = 500) -> list[str]:
        d = self._db.dialect
        rows = await self._db.fetch(
            "SELECT c.id FROM conversations c WHERE c.status = 'closed' AND ("
            f"  SELECT {d.json_number(d.text('e.body'), '$.at')} FROM events e"
            "  WHERE e.conversation_id = c.id AND e.seq = c.seq) < ? LIMIT ?",
            (before, limit),
        )
        return [row[0] for row in rows]


def _record(row: Any) -> ConversationRecord:
    id_, created_at, seq, summary, snapshot, snapshot_seq = row
    return ConversationRecord(
        id_, created_at, seq, with_seq(msgspec.json.decode(summary), seq), snapshot, snapshot_seq
    )


def _summary(row: Any) -> SummaryRecord:
    id_, created_at, seq, summary = row
    return SummaryRecord(id_, created_at, seq, with_seq(msgspec.json.decode(summary), seq))


def _round(a: Append) -> RoundRows:
    events = [(e.conversation_id, e.seq, e.type, encode(e)) for e in a.events]
    seq = a.events[-1].seq if a.events else a.expected_seq
    summary = None
    if a.summary is not None:
        status, agent_id = a.summary.get("status", "waiting"), a.summary.get("agent_id")
        summary = (status, agent_id, msgspec.json.encode(a.summary))
    return RoundRows(a.conversation_id, a.expected_seq, events, seq, summary, a.snapshot)


def _contains(text: str) -> str:
    """A LIKE pattern (escape `\\`) for values holding `text`, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
