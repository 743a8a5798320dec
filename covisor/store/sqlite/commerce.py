"""`CommerceStore` on SQLite: the methods `SQLiteStore` takes from this mixin.

The events of products are found through `events_by_kind` (conversation, type, seq) for the
conversations in question: those opened in the range, or those the range's assisted orders
name. An item's product is `coalesce(products.group_id, item.product_id)`: the catalogue's
product of the id when the `products` table has a row of that id, else the id itself.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from covisor.store.commerce import ProductMoment, ProductSales, ShownOrder
from covisor.store.sqlite.base import Connections
from covisor.store.sqlite.reports import FIRST_EVENT
from covisor.store.sqlite.schema import INDEXED_EVENTS

_ACT = "CASE type WHEN 'viewer.show' THEN 'shown' WHEN 'product.sent' THEN 'sent' ELSE 'added' END"
_PRODUCT = """CASE type
    WHEN 'viewer.show' THEN json_extract(body, '$.data.media.product.id')
    WHEN 'product.sent' THEN json_extract(body, '$.data.product.id')
    ELSE json_extract(body, '$.data.product_id') END"""
# Which events of those types count: a `viewer.show` of a feed product (not of an upload or a
# catalogue picture), a `cart.added` that did add (not the shop's refusal).
_COUNTS = """CASE type
    WHEN 'viewer.show' THEN json_extract(body, '$.data.media.source') = 'product'
    WHEN 'cart.added' THEN json_extract(body, '$.data.added') = 1
    ELSE 1 END"""


def _acts(conversations: str, types: str) -> str:
    """The events of `types` (an SQL list) of the `conversations` (a query of ids, `cid`), as
    `(cid, type, body)` rows, `body` as JSON text. CROSS JOIN keeps the conversations the
    outer loop: the planner, without statistics, would rather scan the events' index."""
    return f"""
    SELECT e.conversation_id AS cid, e.type AS type, CAST(e.body AS TEXT) AS body
    FROM ({conversations}) AS chosen
    CROSS JOIN events e INDEXED BY events_by_kind ON e.conversation_id = chosen.cid
    WHERE e.type IN ({types}) AND e.{INDEXED_EVENTS}"""


_OPENED_ACTS = _acts(
    "SELECT id AS cid FROM conversations "
    "WHERE seq > 0 AND created_at >= :start AND created_at < :end",
    "'viewer.show', 'product.sent', 'cart.added'",
)
_MOMENTS = f"""
WITH acts AS ({_OPENED_ACTS})
SELECT cid, act, product, count(*) FROM (
    SELECT cid, {_ACT} AS act, {_PRODUCT} AS product FROM acts WHERE {_COUNTS}
)
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

_ORDERED_ACTS = _acts(
    "SELECT DISTINCT conversation_id AS cid FROM assisted", "'viewer.show', 'product.sent'"
)
# Values are stored quantised to 0.01 and below 10^12, so value * 100 is exact once rounded.
_SHOWN_ORDERS = f"""
WITH {_ASSISTED},
acts AS ({_ORDERED_ACTS}),
shown AS (SELECT DISTINCT cid, {_PRODUCT} AS product FROM acts WHERE {_COUNTS}),
bought AS (
    SELECT DISTINCT items.order_id FROM items
    JOIN shown ON shown.cid = items.conversation_id AND shown.product = items.product
)
SELECT order_id, device, currency, cents,
    json_extract(accepted, '$.data.agent.id'), json_extract(accepted, '$.data.agent.name')
FROM (
    SELECT c.order_id, c.device, c.currency,
        CAST(round(CAST(c.value AS REAL) * 100) AS INTEGER) AS cents,
        {FIRST_EVENT.format(type="conversation.accepted")} AS accepted
    FROM (
        SELECT *, conversation_id AS id FROM assisted
        WHERE order_id IN (SELECT order_id FROM bought)
    ) AS c
)
ORDER BY order_id
"""

_SOLD = f"""
WITH {_ASSISTED}
SELECT product, sum(quantity), count(DISTINCT order_id) FROM items
GROUP BY product ORDER BY 2 DESC, 3 DESC, product LIMIT :limit
"""

_TITLES = """
SELECT group_id, title FROM products p
WHERE group_id IN (SELECT value FROM json_each(:ids))
    AND (removed_at IS NULL OR NOT EXISTS (
        SELECT 1 FROM products q WHERE q.group_id = p.group_id AND q.removed_at IS NULL))
ORDER BY group_id, id
"""


class SQLiteCommerce:
    """Mixed into `SQLiteStore` (each method's `self` is one: see `Connections`)."""

    async def product_moments(self: Connections, start: float, end: float) -> list[ProductMoment]:
        rows = await self._r.execute_fetchall(_MOMENTS, {"start": start, "end": end})
        return [ProductMoment(row[0], row[1], row[2], row[3]) for row in rows]

    async def orders_with_shown(self: Connections, start: float, end: float) -> list[ShownOrder]:
        rows = await self._r.execute_fetchall(_SHOWN_ORDERS, {"start": start, "end": end})
        return [ShownOrder(*row) for row in rows]

    async def sold_after_chat(
        self: Connections, start: float, end: float, limit: int
    ) -> list[ProductSales]:
        rows = await self._r.execute_fetchall(_SOLD, {"start": start, "end": end, "limit": limit})
        return [ProductSales(row[0], row[1], row[2]) for row in rows]

    async def product_titles(self: Connections, product_ids: Sequence[str]) -> dict[str, list[str]]:
        rows = await self._r.execute_fetchall(_TITLES, {"ids": json.dumps(list(product_ids))})
        titles: dict[str, list[str]] = {}
        for group_id, title in rows:
            titles.setdefault(group_id, []).append(title)
        return titles
