"""`VisitStore` on SQLite: the methods `SQLiteStore` takes from this mixin.

A conversion's items are rows of `conversion_items` (order id, position), written in the
transaction that adds the conversion, and only when it is new.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from typing import Any

import msgspec

from covisor.store.records import (
    CartValue,
    ConversionRecord,
    InvitationRecord,
    Outcome,
    PageView,
    RuleRecord,
    ShopContext,
    VisitedPage,
    VisitorRecord,
)
from covisor.store.sql.db import Args, Dialect, HasDb

_PAGE_COLUMNS = (
    "id, first_seen, last_seen, visit_started, visits, pages, device, language, url, title, "
    "referrer, page_at, conversation_id, assisted_at"
)
_VISITOR_COLUMNS = (
    f"{_PAGE_COLUMNS}, coalesce(product_id, page_product_id), cart_value, cart_currency, cart_items"
)
_INVITATION_COLUMNS = (
    "id, visitor_id, message, created_at, agent_id, agent_name, rule_id, outcome, decided_at, "
    "conversation_id"
)


def _view_sql(d: Dialect) -> str:
    """A page view: a new visitor, or the next page of a visit, or the first of a new visit
    (more than `gap` seconds after the last)."""
    new_visit = "excluded.last_seen - visitors.last_seen > :gap"
    return f"""
INSERT INTO visitors ({_PAGE_COLUMNS}, page_product_id)
VALUES (:id, :at, :at, :at, 1, 1, :device, :language, :url, :title, :referrer, :at,
        NULL, NULL, :product_id)
ON CONFLICT (id) DO UPDATE SET
    visits = visitors.visits + CASE WHEN {new_visit} THEN 1 ELSE 0 END,
    visit_started = CASE WHEN {new_visit} THEN excluded.last_seen ELSE visitors.visit_started END,
    pages = CASE WHEN {new_visit} THEN 1 ELSE visitors.pages + 1 END,
    last_seen = {d.greatest("visitors.last_seen", "excluded.last_seen")},
    device = excluded.device, language = excluded.language, url = excluded.url,
    title = excluded.title, page_at = excluded.page_at,
    page_product_id = excluded.page_product_id, product_id = NULL,
    referrer = CASE WHEN {new_visit} THEN excluded.referrer ELSE visitors.referrer END
"""


def _told_sql(d: Dialect) -> str:
    """What the shop's page told: the product looked at, and the cart when it told one."""
    return (
        f"UPDATE visitors SET last_seen = {d.greatest('last_seen', ':at')}, "
        "product_id = :product_id, cart_value = coalesce(:value, cart_value), "
        "cart_currency = CASE WHEN :value IS NULL THEN cart_currency ELSE :currency END, "
        "cart_items = CASE WHEN :value IS NULL THEN cart_items ELSE :items END WHERE id = :id"
    )


class SQLVisits:
    """Mixed into `SQLStore` (each method's `self` is one: see `HasDb`)."""

    async def record_visits(
        self: HasDb, views: Sequence[PageView | ShopContext], gap: float
    ) -> None:
        if not views:
            return
        await self._db.batch(_visit_steps(self._db.dialect, views, gap))

    async def visitor(self: HasDb, visitor_id: str) -> VisitorRecord | None:
        rows = list(
            await self._db.fetch(
                f"SELECT {_VISITOR_COLUMNS} FROM visitors WHERE id = ?", (visitor_id,)
            )
        )
        return _visitor(rows[0]) if rows else None

    async def live_visitors(
        self: HasDb, seen_after: float, limit: int = 500
    ) -> list[VisitorRecord]:
        rows = await self._db.fetch(
            f"SELECT {_VISITOR_COLUMNS} FROM visitors WHERE last_seen > ? "
            "ORDER BY last_seen DESC LIMIT ?",
            (seen_after, limit),
        )
        return [_visitor(row) for row in rows]

    async def visit_pages(
        self: HasDb, visitor_id: str, since: float, limit: int = 50
    ) -> list[VisitedPage]:
        rows = await self._db.fetch(
            "SELECT url, title, at FROM page_views WHERE visitor_id = ? AND at >= ? "
            "ORDER BY at DESC LIMIT ?",
            (visitor_id, since, limit),
        )
        return [VisitedPage(*row) for row in reversed(list(rows))]

    async def link_conversation(
        self: HasDb, visitor_id: str, conversation_id: str, at: float
    ) -> None:
        await self._db.execute(
            "UPDATE visitors SET conversation_id = ?, "
            "assisted_at = coalesce(assisted_at, ?) WHERE id = ?",
            (conversation_id, at, visitor_id),
        )

    async def add_invitation(self: HasDb, invitation: InvitationRecord) -> None:
        i = invitation
        await self._db.execute(
            f"INSERT INTO invitations ({_INVITATION_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                i.id,
                i.visitor_id,
                i.message,
                i.created_at,
                i.agent_id,
                i.agent_name,
                i.rule_id,
                i.outcome,
                i.decided_at,
                i.conversation_id,
            ),
        )

    async def invitation(self: HasDb, invitation_id: str) -> InvitationRecord | None:
        rows = list(
            await self._db.fetch(
                f"SELECT {_INVITATION_COLUMNS} FROM invitations WHERE id = ?", (invitation_id,)
            )
        )
        return InvitationRecord(*rows[0]) if rows else None

    async def decide_invitation(
        self: HasDb,
        invitation_id: str,
        outcome: Outcome,
        at: float,
        conversation_id: str | None,
    ) -> InvitationRecord | None:
        rows = list(
            await self._db.returning(
                "UPDATE invitations SET outcome = ?, decided_at = ?, conversation_id = ? "
                f"WHERE id = ? AND outcome = 'pending' RETURNING {_INVITATION_COLUMNS}",
                (outcome, at, conversation_id, invitation_id),
            )
        )
        return InvitationRecord(*rows[0]) if rows else None

    async def invitation_rules(self: HasDb) -> list[RuleRecord]:
        rows = await self._db.fetch(
            "SELECT id, name, enabled, conditions, messages, created_at, updated_at "
            "FROM invitation_rules ORDER BY created_at, id"
        )
        return [
            RuleRecord(
                row[0],
                row[1],
                bool(row[2]),
                msgspec.json.decode(row[3]),
                msgspec.json.decode(row[4]),
                row[5],
                row[6],
            )
            for row in rows
        ]

    async def put_invitation_rule(self: HasDb, rule: RuleRecord) -> None:
        await self._db.execute(
            "INSERT INTO invitation_rules VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
            "enabled = excluded.enabled, conditions = excluded.conditions, "
            "messages = excluded.messages, updated_at = excluded.updated_at",
            (
                rule.id,
                rule.name,
                int(rule.enabled),
                msgspec.json.encode(rule.conditions).decode(),
                msgspec.json.encode(rule.messages).decode(),
                rule.created_at,
                rule.updated_at,
            ),
        )

    async def delete_invitation_rule(self: HasDb, rule_id: str) -> bool:
        changed = await self._db.execute("DELETE FROM invitation_rules WHERE id = ?", (rule_id,))
        return changed == 1

    async def add_conversion(self: HasDb, conversion: ConversionRecord) -> bool:
        c = conversion
        async with self._db.transaction() as db:
            changed = await db.execute(
                "INSERT INTO conversions VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (
                    c.order_id,
                    c.visitor_id,
                    c.value,
                    c.currency,
                    c.device,
                    int(c.assisted),
                    c.at,
                    c.conversation_id,
                ),
            )
            new = changed == 1
            if new and c.items:
                await db.executemany(
                    "INSERT INTO conversion_items VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (c.order_id, n, i.product_id, i.variant_id, i.quantity, i.price)
                        for n, i in enumerate(c.items)
                    ],
                )
        return new

    async def forget_visitors(self: HasDb, seen_before: float) -> int:
        async with self._db.transaction() as db:
            gone = list(
                await db.fetch(
                    "DELETE FROM visitors WHERE last_seen < ? RETURNING id", (seen_before,)
                )
            )
            await db.execute("DELETE FROM page_views WHERE at < ?", (seen_before,))
            await db.execute("DELETE FROM invitations WHERE created_at < ?", (seen_before,))
        return len(gone)


def _visitor(row: Sequence[Any]) -> VisitorRecord:
    product_id, value, currency, items = row[14:18]
    cart = CartValue(value, currency, items) if value is not None else None
    return dataclasses.replace(VisitorRecord(*row[:14]), product_id=product_id, cart=cart)


def _told(context: ShopContext) -> dict[str, Any]:
    cart = context.cart
    return {
        "id": context.visitor_id,
        "at": context.at,
        "product_id": context.product_id,
        "value": cart.value if cart else None,
        "currency": cart.currency if cart else None,
        "items": cart.items if cart else None,
    }


def _visit_steps(
    d: Dialect, views: Sequence[PageView | ShopContext], gap: float
) -> list[tuple[str, Sequence[Args]]]:
    """`record_visits` as statements over rows, for one batch: each run of page views and
    heartbeats, then each told context, in the order they came."""
    steps: list[tuple[str, Sequence[Args]]] = []
    for told, run in itertools.groupby(views, lambda v: isinstance(v, ShopContext)):
        if told:
            steps.append((_told_sql(d), [_told(c) for c in run if isinstance(c, ShopContext)]))
            continue
        pages = [v for v in run if isinstance(v, PageView)]
        viewed = [v for v in pages if v.url is not None]
        steps += [
            (_view_sql(d), [_view(v, gap) for v in viewed]),
            (
                "INSERT INTO page_views VALUES (?, ?, ?, ?)",
                [(v.visitor_id, v.at, v.url, v.title) for v in viewed],
            ),
            (
                f"UPDATE visitors SET last_seen = {d.greatest('last_seen', '?')} WHERE id = ?",
                [(v.at, v.visitor_id) for v in pages if v.url is None],
            ),
        ]
    return [(sql, rows) for sql, rows in steps if rows]


def _view(view: PageView, gap: float) -> dict[str, Any]:
    return {
        "id": view.visitor_id,
        "at": view.at,
        "device": view.device,
        "language": view.language,
        "url": view.url,
        "title": view.title,
        "referrer": view.referrer,
        "product_id": view.product_id,
        "gap": gap,
    }
