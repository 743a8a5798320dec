"""Conversions: the shop's page reports an order (`covisor.trackConversion`), once per order id.

A conversion names the visitor (its widget's credential), the order's value and currency, and
whether the visitor had chatted before (`assisted`, with the conversation): what the reports
compare, by device. It may list the order's items (product ids, quantities, unit prices), which
tell the reports whether a product shown in the chat was bought. Reporting the same `order_id`
again counts nothing more, and its items are not read again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import msgspec

from covisor.kernel.clock import Clock
from covisor.kernel.commands import NOT_BLANK, Amount, Currency, ProductRef, Quantity
from covisor.kernel.errors import CovisorError
from covisor.kernel.identity import Identity
from covisor.kernel.money import decimal_text
from covisor.store import Store
from covisor.store.records import ConversionItem, ConversionRecord

Emit = Callable[[str, dict[str, Any]], None]


MAX_ITEMS = 100
"""The most items one conversion may list."""


class ItemBody(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One line of the order: `price` is the unit price, in the order's currency."""

    product_id: ProductRef
    quantity: Quantity
    price: Amount
    variant_id: ProductRef | None = None


class ConversionBody(msgspec.Struct, forbid_unknown_fields=True):
    value: Amount
    currency: Currency
    order_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128, pattern=NOT_BLANK)]
    items: Annotated[tuple[ItemBody, ...], msgspec.Meta(max_length=MAX_ITEMS)] = ()


def _items(body: ConversionBody) -> tuple[ConversionItem, ...]:
    return tuple(
        ConversionItem(
            item.product_id,
            item.variant_id,
            item.quantity,
            decimal_text(item.price, f"items[{n}].price"),
        )
        for n, item in enumerate(body.items)
    )


def conversion_wire(conversion: ConversionRecord) -> dict[str, Any]:
    return {
        "order_id": conversion.order_id,
        "value": conversion.value,
        "currency": conversion.currency,
        "device": conversion.device,
        "assisted": conversion.assisted,
        "conversation_id": conversion.conversation_id,
        "at": conversion.at,
        "items": [
            {
                "product_id": item.product_id,
                "variant_id": item.variant_id,
                "quantity": item.quantity,
                "price": item.price,
            }
            for item in conversion.items
        ],
    }


class Conversions:
    def __init__(self, store: Store, clock: Clock, emit: Emit) -> None:
        """`emit(event, data)` hands a `conversion.tracked` to the webhooks, without waiting."""
        self._store = store
        self._clock = clock
        self._emit = emit

    async def track(self, visitor: Identity, body: ConversionBody) -> tuple[bool, dict[str, Any]]:
        """Record the order for `visitor`; `(new, conversion)`, `new` False for a known
        order id (then the first report stands)."""
        if visitor.role != "visitor":
            raise CovisorError("forbidden", "conversions come from the shop's page")
        value, items = decimal_text(body.value), _items(body)
        known = await self._store.visitor(visitor.id)
        now = self._clock()
        assisted = known is not None and known.assisted_at is not None and known.assisted_at <= now
        conversion = ConversionRecord(
            body.order_id,
            visitor.id,
            value,
            body.currency.upper(),
            known.device if known is not None else "desktop",
            assisted,
            now,
            known.conversation_id if assisted and known is not None else None,
            items,
        )
        if not await self._store.add_conversion(conversion):
            return False, {"order_id": body.order_id}
        wire = conversion_wire(conversion)
        self._emit("conversion.tracked", wire)
        return True, wire
