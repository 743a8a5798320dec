"""What a conversation sells: the shopper's cart, products the agent sends in the chat, and
what the shopper added to the cart from the viewer.

The shop's page tells the cart (`cart.set`, from `covisor.setCart`); the conversation keeps the
latest as `cart.updated`, so the agent sees it live and the summary carries it. `product.sent`
(the agent's suggestion, with the product's card) and `cart.added` (the outcome of the shop's
own add-to-cart, run by the shopper's page) are chat items both sides see. Products are named by
the feed's ids; the adapter looked the card up before the command reaches `decide`.
"""

from __future__ import annotations

from typing import Any

from covisor.kernel import commands as c
from covisor.kernel.errors import CovisorError
from covisor.kernel.events import Draft, Existing
from covisor.kernel.identity import Identity
from covisor.kernel.money import decimal_text


def cart_data(cart: c.Cart) -> dict[str, Any]:
    """The cart as stored and sent: amounts as decimal strings, the currency in capitals."""
    items = [
        {
            "product_id": item.product_id,
            "variant_id": item.variant_id,
            "title": item.title,
            "quantity": item.quantity,
            "price": decimal_text(item.price, "price"),
        }
        for item in cart.items
    ]
    return {
        "items": items,
        "total": decimal_text(cart.total, "total"),
        "currency": cart.currency.upper(),
    }


def decide(
    actor: Identity, command: c.Command, cart: dict[str, Any] | None, seq: int
) -> Draft | Existing:
    """The event of a commerce command in an open conversation at `seq` whose cart is `cart`
    (the same cart again changes nothing)."""
    match command:
        case c.CartSet(cart=given):
            _require_shopper(actor, "the shopper's page tells the cart")
            data = cart_data(given)
            return Existing(seq) if data == cart else Draft("cart.updated", {"cart": data})
        case c.CartAdded():
            _require_shopper(actor, "the shopper adds to their cart")
            added: dict[str, Any] = {
                "product_id": command.product_id,
                "variant_id": command.variant_id,
                "quantity": command.quantity,
                "added": command.added,
                "title": command.title,
            }
            if not command.added and command.error:
                added["error"] = command.error
            return Draft("cart.added", added)
        case c.SendProduct(product=product, variant_id=variant_id):
            if not actor.is_agent:
                raise CovisorError("forbidden", "the agent sends products")
            return Draft("product.sent", {"product": product, "variant_id": variant_id})
    raise CovisorError("bad_request", f"{type(command).__name__} is not a commerce command")


def _require_shopper(actor: Identity, why: str) -> None:
    if actor.role != "customer":
        raise CovisorError("forbidden", why)
