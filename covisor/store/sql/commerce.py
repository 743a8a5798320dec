"""`CommerceStore` in SQL: the methods `SQLStore` takes from this mixin.

The events of products are found through `events_by_kind` (conversation, type, seq) for the
conversations in question: those opened in the range, or those the range's assisted orders
name. An item's product is `coalesce(products.group_id, item.product_id)`: the catalogue's
product of the id when the `products` table has a row of that id, else the id itself.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from covisor.store.commerce import ProductMoment, ProductSales, ShownOrder
from covisor.store.sql.db import Dialect, HasDb
from covisor.store.sql.reports import CENTS, first_event
from covisor.store.sql.schema import INDEXED_EVENTS

_ACT = "CASE type WHEN 'viewer.show' THEN 'shown' WHEN 'product.sent' THEN 'sent' ELSE 'added' END"


def _product(d: Dialect) -> str:
    return f"""CASE type
    WHEN 'viewer.show' THEN {d.json("body", "$.data.media.product.id")}
    WHEN 'product.sent' THEN {d.json("body", "$.data.product.id")}
    ELSE {d.json("body", "$.data.product_id")} END"""


def _counts(d: Dialect) -> str:
    """Which events of those types count: a `viewer.show` of a feed product (not of an
    upload or a catalogue picture), a `cart.added` that did add (not the shop's refusal)."""
    return f"""CASE type
    WHEN 'viewer.show' THEN {d.json("body", "$.data.media.source")} = 'product'
    WHEN 'cart.added' THEN {d.json_flag("body", "$.data.added")} = 1
    ELSE 1 = 1 END"""


def _acts(d: Dialect, conversations: str, types: str) -> str:
    """The events of `types` (an SQL list) of the `conversations` (a query of ids, `cid`), as
    `(cid, type, body)` rows, `body` as JSON text. CROSS JOIN keeps the conversations the
    outer loop: SQLite's planner, without statistics, would rather scan the events' index."""
    return f"""
    SELECT e.conversation_id AS cid, e.type AS type, {d.text("e.body")} AS body
    FROM ({conversations}) AS chosen
    CROSS JOIN events e {d.indexed_by("events_by_kind")}
    WHERE e.conversation_id = chosen.cid AND e.type IN ({types}) AND e.{INDEXED_EVENTS}"""


@functools.cache
def _moments(d: Dialect) -> str:
    opened = _acts(
        d,
        "SELECT id AS cid FROM conversations "
        "WHERE seq > 0 AND created_at >= :start AND created_at < :end",
        "'viewer.show', 'product.sent', 'cart.added'",
    )
    return f"""
WITH acts AS ({opened})
SELECT cid, act, product, count(*) FROM (
    SELECT cid, {_ACT} AS act, {_product(d)} AS product FROM acts WHERE {_counts(d)}
) AS moments
WHERE product IS NOT NULL
GROUP BY cid, act, product ORDER BY cid, act, product
"""


_ASSISTED = """
assisted AS (
    SELECT order_id, conversation_id, device, currency, value FROM conversions
    WHERE at >= :start AND at < :end AND conversation_id IS NOT NULL
),
items AS (
    SELECT k.order_id, k.conversation_id, coalesce(p.group_id, i.product_id) AS product,
        i.quantity
    FROM assisted k
    JOIN conversion_items i ON i.order_id = k.order_id
    LEFT JOIN products p ON p.id = i.product_id
)"""


@functools.cache
def _shown_orders(d: Dialect) -> str:
    ordered = _acts(
        d, "SELECT DISTINCT conversation_id AS cid FROM assisted", "'viewer.show', 'product.sent'"
    )
    return f"""
WITH {_ASSISTED},
acts AS ({ordered}),
shown AS (SELECT DISTINCT cid, {_product(d)} AS product FROM acts WHERE {_counts(d)}),
bought AS (
    SELECT DISTINCT items.order_id FROM items
    JOIN shown ON shown.cid = items.conversation_id AND shown.product = items.product
)
SELECT order_id, device, currency, cents,
    {d.json("accepted", "$.data.agent.id")}, {d.json("accepted", "$.data.agent.name")}
FROM (
    SELECT c.order_id, c.device, c.currency, {CENTS.format(value="c.value")} AS cents,
        {first_event(d, "conversation.accepted")} AS accepted
    FROM (
        SELECT *, conversation_id AS id FROM assisted
        WHERE order_id IN (SELECT order_id FROM bought)
    ) AS c
) AS orders
ORDER BY order_id
"""


_SOLD = f"""
WITH {_ASSISTED}
SELECT product, CAST(sum(quantity) AS BIGINT), count(DISTINCT order_id) FROM items
GROUP BY product ORDER BY 2 DESC, 3 DESC, product LIMIT :limit
"""


def _titles(count: int) -> str:
    return f"""
SELECT group_id, title FROM products p
WHERE group_id IN ({", ".join("?" * count)})
    AND (removed_at IS NULL OR NOT EXISTS (
        SELECT 1 FROM products q WHERE q.group_id = p.group_id AND q.removed_at IS NULL))
ORDER BY group_id, id
"""


class SQLCommerce:
    """Mixed into `SQLStore` (each method's `self` is one: see `HasDb`)."""

    async def product_moments(self: HasDb, start: float, end: float) -> list[ProductMoment]:
        rows = await self._db.fetch(_moments(self._db.dialect), {"start": start, "end": end})
        return [ProductMoment(row[0], row[1], row[2], row[3]) for row in rows]

    async def orders_with_shown(self: HasDb, start: float, end: float) -> list[ShownOrder]:
        rows = await self._db.fetch(_shown_orders(self._db.dialect), {"start": start, "end": end})
        return [ShownOrder(*row) for row in rows]

    async def sold_after_chat(
        self: HasDb, start: float, end: float, limit: int
    ) -> list[ProductSales]:
        rows = await self._db.fetch(_SOLD, {"start": start, "end": end, "limit": limit})
        return [ProductSales(row[0], row[1], row[2]) for row in rows]

    async def product_titles(self: HasDb, product_ids: Sequence[str]) -> dict[str, list[str]]:
        titles: dict[str, list[str]] = {}
        ids = list(dict.fromkeys(product_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for group_id, title in await self._db.fetch(_titles(len(chunk)), chunk):
                titles.setdefault(group_id, []).append(title)
        return titles
