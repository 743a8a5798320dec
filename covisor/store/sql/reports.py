"""`ReportStore` in SQL: the methods `SQLStore` takes from this mixin.

Event bodies are the encoded JSON of each event (bytes): the dialect's `json(text(body), …)`
reads them. Each per-conversation figure is a correlated subquery over the
`events_by_kind` index (conversation, type, seq), so a conversation costs a few index probes.
"""

from __future__ import annotations

import functools

from covisor.store.records import AgentPart, ConversationFacts, OrderGroup, VisitorGroup
from covisor.store.sql.db import Dialect, HasDb
from covisor.store.sql.schema import INDEXED_EVENTS


def first_event(d: Dialect, type_: str) -> str:
    """The body (JSON text) of the first event of `type_` of the conversation whose id is
    `c.id` in the enclosing query."""
    return (
        f"(SELECT {d.text('e.body')} FROM events e {d.indexed_by('events_by_kind')} "
        f"WHERE e.conversation_id = c.id AND e.type = '{type_}' AND e.{INDEXED_EVENTS} "
        "ORDER BY e.seq LIMIT 1)"
    )


def _count(type_: str) -> str:
    return (
        "(SELECT count(*) FROM events e WHERE e.conversation_id = c.id "
        f"AND e.type = '{type_}' AND e.{INDEXED_EVENTS})"
    )


@functools.cache
def _facts(d: Dialect) -> str:
    body = d.text("e.body")
    return f"""
WITH picked AS (
    SELECT c.id, c.created_at, c.status, c.summary,
        {first_event(d, "conversation.opened")} AS opened,
        {first_event(d, "conversation.accepted")} AS accepted,
        {first_event(d, "conversation.closed")} AS closed,
        {first_event(d, "conversation.rated")} AS rated,
        (SELECT min({d.json_number(body, "$.at")})
         FROM events e {d.indexed_by("events_by_kind")}
         WHERE e.conversation_id = c.id AND e.type = 'chat.message' AND e.{INDEXED_EVENTS}
           AND {d.json(body, "$.actor.role")} = 'agent') AS answered_at,
        {_count("media.ready")} AS uploads,
        {_count("member.joined")} AS pin_joins
    FROM conversations c
    WHERE c.seq > 0 AND c.created_at >= :start AND c.created_at < :end
)
SELECT id, created_at,
    CASE WHEN {d.json_flag("opened", "$.data.by_phone")} = 1 THEN 'call'
         ELSE coalesce({d.json("summary", "$.visitor.device")}, 'unknown') END,
    coalesce({d.json_flag("summary", "$.offline")}, 0),
    status,
    {d.json("accepted", "$.data.agent.id")},
    {d.json("accepted", "$.data.agent.name")},
    {d.json_number("accepted", "$.at")},
    answered_at,
    {d.json_number("closed", "$.at")},
    {d.json_number("rated", "$.data.score")},
    uploads, pin_joins,
    {d.json("closed", "$.actor.id")},
    {d.json("closed", "$.actor.name")}
FROM picked ORDER BY created_at, id
"""


@functools.cache
def _parts(d: Dialect) -> str:
    """Per conversation of the range and agent: a name, when it first became theirs, how many
    messages they wrote and when the first."""
    body = d.text("e.body")
    return f"""
WITH picked AS (
    SELECT c.id FROM conversations c
    WHERE c.seq > 0 AND c.created_at >= :start AND c.created_at < :end
), acts AS (
    SELECT e.conversation_id AS cid,
        coalesce({d.json(body, "$.data.agent.id")}, {d.json(body, "$.data.to.id")}) AS aid,
        coalesce({d.json(body, "$.data.agent.name")}, {d.json(body, "$.data.to.name")}) AS aname,
        {d.json_number(body, "$.at")} AS at, 0 AS said
    FROM picked JOIN events e ON e.conversation_id = picked.id
    WHERE e.type IN ('conversation.accepted', 'conversation.transferred') AND e.{INDEXED_EVENTS}
    UNION ALL
    SELECT e.conversation_id, {d.json(body, "$.actor.id")}, {d.json(body, "$.actor.name")},
        {d.json_number(body, "$.at")}, 1
    FROM picked JOIN events e ON e.conversation_id = picked.id
    WHERE e.type = 'chat.message' AND e.{INDEXED_EVENTS}
      AND {d.json(body, "$.actor.role")} = 'agent'
)
SELECT cid, aid, max(aname), min(CASE WHEN said = 0 THEN at END), sum(said),
    min(CASE WHEN said = 1 THEN at END)
FROM acts WHERE aid IS NOT NULL
GROUP BY cid, aid
ORDER BY cid, coalesce(min(CASE WHEN said = 0 THEN at END), min(CASE WHEN said = 1 THEN at END)),
    aid
"""


_VISITORS = """
SELECT v.device,
    CASE WHEN v.assisted_at IS NOT NULL AND v.assisted_at < :end THEN 1 ELSE 0 END AS assisted,
    count(*),
    count(*) FILTER (WHERE EXISTS (SELECT 1 FROM conversions k WHERE k.visitor_id = v.id
                                   AND k.at >= :start AND k.at < :end))
FROM visitors v
WHERE v.first_seen < :end AND v.last_seen >= :start
GROUP BY 1, 2 ORDER BY 1, 2
"""

CENTS = "CAST(round(CAST({value} AS DOUBLE PRECISION) * 100) AS BIGINT)"
"""The cents of a stored amount (`.format(value=…)`): values are stored quantised to 0.01 and
below 10^12, so value * 100 is exact once rounded."""
_ORDERS = f"""
SELECT device, assisted, currency, count(*),
    CAST(sum({CENTS.format(value="value")}) AS BIGINT)
FROM conversions WHERE at >= :start AND at < :end
GROUP BY device, assisted, currency ORDER BY device, assisted, currency
"""


class SQLReports:
    """Mixed into `SQLStore` (each method's `self` is one: see `HasDb`)."""

    async def conversation_facts(self: HasDb, start: float, end: float) -> list[ConversationFacts]:
        bounds = {"start": start, "end": end}
        rows = await self._db.fetch(_facts(self._db.dialect), bounds)
        parts: dict[str, list[AgentPart]] = {}
        for row in await self._db.fetch(_parts(self._db.dialect), bounds):
            parts.setdefault(row[0], []).append(
                AgentPart(row[1], row[2] or "", row[3], int(row[4]), row[5])
            )
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
                closed_by=row[13],
                closed_by_name=row[14],
                parts=tuple(parts.get(row[0], ())),
            )
            for row in rows
        ]

    async def invitation_counts(self: HasDb, start: float, end: float) -> tuple[int, int]:
        rows = list(
            await self._db.fetch(
                "SELECT count(*), count(*) FILTER (WHERE outcome = 'accepted') FROM invitations "
                "WHERE created_at >= ? AND created_at < ?",
                (start, end),
            )
        )
        return int(rows[0][0]), int(rows[0][1])

    async def visitor_groups(self: HasDb, start: float, end: float) -> list[VisitorGroup]:
        rows = await self._db.fetch(_VISITORS, {"start": start, "end": end})
        return [VisitorGroup(row[0], bool(row[1]), row[2], row[3]) for row in rows]

    async def order_groups(self: HasDb, start: float, end: float) -> list[OrderGroup]:
        rows = await self._db.fetch(_ORDERS, {"start": start, "end": end})
        return [OrderGroup(row[0], bool(row[1]), row[2], row[3], row[4]) for row in rows]
