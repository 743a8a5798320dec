"""The store's commerce slice: what conversations did with the shop's products, and what the
orders after them held, for the reports' `products` section.

Beside the products slice (products.py) and, like it, on the SQL store only: an order's item
names a product by the shop's id, which becomes a product of the catalogue through the
`products` table (a variant's id → its `group_id`; a removed product keeps its row). An id the
catalogue does not know stands for itself. The events read (docs/PROTOCOL.md):

- `viewer.show` of a feed product (`data.media.source == "product"`), whose product is
  `data.media.product.id`: the product was *shown*;
- `product.sent` (`data.product.id`): the agent *sent* it in the chat;
- `cart.added` with `data.added` true (`data.product_id`): the shopper *added* it to the cart
  from the viewer's card.

Bounds are ms since the epoch, `start` included, `end` excluded, as in reports.py: events count
by the opening of their conversation (as the conversation figures do), orders by their `at`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

ProductAct = Literal["shown", "sent", "added"]


@dataclass(frozen=True)
class ProductMoment:
    """`count` events of one kind (`act`) for one product in one conversation."""

    conversation_id: str
    act: ProductAct
    product_id: str
    count: int


@dataclass(frozen=True)
class ShownOrder:
    """An assisted order (its conversion names a conversation) with at least one item whose
    product was shown or sent in that conversation. `device`: as the conversion recorded it;
    `value_cents`: its value in hundredths of `currency`; `agent_id`/`agent_name`: the agent
    of the conversation's first `conversation.accepted`, None if no agent accepted it."""

    order_id: str
    device: str
    currency: str
    value_cents: int
    agent_id: str | None
    agent_name: str | None


@dataclass(frozen=True)
class ProductSales:
    """One product in the items of assisted orders: `quantity` summed, in how many `orders`."""

    product_id: str
    quantity: int
    orders: int


class CommerceStore(Protocol):
    async def product_moments(self, start: float, end: float) -> list[ProductMoment]:
        """The shown, sent and added products of every conversation opened in [start, end),
        counted per conversation, act and product; sorted by the three."""

    async def orders_with_shown(self, start: float, end: float) -> list[ShownOrder]:
        """The assisted conversions made in [start, end) whose items hold a product shown or
        sent in their conversation (whenever it was opened), by order id."""

    async def sold_after_chat(self, start: float, end: float, limit: int) -> list[ProductSales]:
        """The products in the items of assisted conversions made in [start, end): the `limit`
        with the greatest quantity (then in the most orders, then by id)."""

    async def product_titles(self, product_ids: Sequence[str]) -> dict[str, list[str]]:
        """For each product of `product_ids` the catalogue has, the titles of its variants in
        id order: the live ones, or every one when none is live."""
