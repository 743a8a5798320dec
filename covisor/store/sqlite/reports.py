"""`ReportStore` on SQLite: the methods `SQLiteStore` takes from this mixin.

Event bodies are the encoded JSON of each event (a BLOB): `json_extract(CAST(body AS TEXT),
…)` reads them. Each per-conversation figure is a correlated subquery over the
`events_by_kind` index (conversation, type, seq), so a conversation costs a few index probes.
"""

from __future__ import annotations

from typing import Protocol

import aiosqlite

from covisor.store.records import ConversationFacts, OrderGroup, VisitorGroup
from covisor.store.sqlite.schema import INDEXED_EVENTS

FIRST_EVENT = (
    "(SELECT CAST(e.body AS TEXT) FROM events e INDEXED BY events_by_kind "
    "WHERE e.conversation_id = c.id "
    f"AND e.type = '{{type}}' AND e.{INDEXED_EVENTS} ORDER BY e.seq LIMIT 1)"
)
"""The body (JSON text) of the first event of a type (`.format(type=…)`) of the conversation
whose id is `c.id` in the enclosing query."""
_COUNT = (
    "(SELECT count(*) FROM events e WHERE e.conversation_id = c.id AND e.type = '{type}' "
    f"AND e.{INDEXED_EVENTS})"
)

_FACTS = f"""
WITH picked AS (
    SELECT c.id, c.created_at, c.status, c.summary,
        {FIRST_EVENT.format(type="conversation.accepted")} AS accepted,
        {FIRST_EVENT.format(type="conversation.closed")} AS closed,
        {FIRST_EVENT.format(type="conversation.rated")} AS rated,
        (SELECT min(json_extract(CAST(e.body AS TEXT), '$.at'))
         FROM events e INDEXED BY events_by_kind
         WHERE e.conversation_id = c.id AND e.type = 'chat.message' AND e.{INDEXED_EVENTS}
           AND json_extract(CAST(e.body AS TEXT), '$.actor.role') = 'agent') AS answered_at,
        {_COUNT.format(type="media.ready")} AS uploads,
        {_COUNT.format(type="member.joined")} AS pin_joins
    FROM conversations c
    WHERE c.seq > 0 AND c.created_at >= :start AND c.created_at < :end
)
SELECT id, created_at,
    coalesce(json_extract(summary, '$.visitor.device'), 'unknown'),
    coalesce(json_extract(summary, '$.offline'), 0),
    status,
    json_extract(accepted, '$.data.agent.id'),
    json_extract(accepted, '$.data.agent.name'),
    json_extract(accepted, '$.at'),
    answered_at,
    json_extract(closed, '$.at'),
    json_extract(rated, '$.data.score'),
    uploads, pin_joins
FROM picked ORDER BY created_at, id
"""

_VISITORS = """
SELECT v.device,
    (v.assisted_at IS NOT NULL AND v.assisted_at < :end) AS assisted,
    count(*),
    sum(EXISTS (SELECT 1 FROM conversions k WHERE k.visitor_id = v.id
                AND k.at >= :start AND k.at < :end))
FROM visitors v
WHERE v.first_seen < :end AND v.last_seen >= :start
GROUP BY 1, 2 ORDER BY 1, 2
"""

# Values are stored quantised to 0.01 and below 10^12, so value * 100 is exact once rounded.
_ORDERS = """
SELECT device, assisted, currency, count(*),
    sum(CAST(round(CAST(value AS REAL) * 100) AS INTEGER))
FROM conversions WHERE at >= :start AND at < :end
GROUP BY device, assisted, currency ORDER BY device, assisted, currency
"""


class _Reader(Protocol):
    @property
    def _r(self) -> aiosqlite.Connection: ...


class SQLiteReports:
    """Mixed into `SQLiteStore` (each method's `self` is one: see `_Reader`)."""

    async def conversation_facts(
        self: _Reader, start: float, end: float
    ) -> list[ConversationFacts]:
        rows = await self._r.execute_fetchall(_FACTS, {"start": start, "end": end})
        return [
            ConversationFacts(
                id=row[0],
                opened_at=row[1],
                device=row[2],
                offline=bool(row[3]),
                status=row[4],
                agent_id=row[5],
                agent_name=row[6],
                accepted_at=row[7],
                first_response_at=row[8],
                closed_at=row[9],
                rating=row[10],
                uploads=row[11],
                pin_joins=row[12],
            )
            for row in rows
        ]

    async def invitation_counts(self: _Reader, start: float, end: float) -> tuple[int, int]:
        rows = list(
            await self._r.execute_fetchall(
                "SELECT count(*), coalesce(sum(outcome = 'accepted'), 0) FROM invitations "
                "WHERE created_at >= ? AND created_at < ?",
                (start, end),
            )
        )
        return int(rows[0][0]), int(rows[0][1])

    async def visitor_groups(self: _Reader, start: float, end: float) -> list[VisitorGroup]:
        rows = await self._r.execute_fetchall(_VISITORS, {"start": start, "end": end})
        return [VisitorGroup(row[0], bool(row[1]), row[2], row[3]) for row in rows]

    async def order_groups(self: _Reader, start: float, end: float) -> list[OrderGroup]:
        rows = await self._r.execute_fetchall(_ORDERS, {"start": start, "end": end})
        return [OrderGroup(row[0], bool(row[1]), row[2], row[3], row[4]) for row in rows]
