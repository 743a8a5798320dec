"""Selling from a conversation over a real server: the shopper's cart beside the chat, a product
the agent sends, the outcome of the shop's add-to-cart; what a reload gets back, and what is
refused (issue 23, parts 3 and 4)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from covisor.app.http import create_app
from covisor.config import Config
from tests.catalogue.shop import Shop, running_shop
from tests.conftest import Harness, Peer, serving
from tests.team.test_replies import admin_token
from tests.visitors.test_visitors import listed, new_visitor
from tests.web.test_catalogue_api import imported, trail_feed


@pytest.fixture
async def shop() -> AsyncIterator[Shop]:
    async with running_shop() as running:
        yield running


@pytest.fixture
async def harness(config: Config, shop: Shop) -> AsyncIterator[Harness]:
    fast = config.replace(outbound_allow_insecure=True, visitor_flush=0.05)
    async with serving(await create_app(fast)) as h:
        shop.feed = trail_feed(shop)
        await imported(h, await admin_token(h), json={"url": shop.base + "/feed.xml"})
        yield h


CART: dict[str, Any] = {
    "items": [
        {
            "product_id": "zt",
            "variant_id": "ZT-ROJ-42",
            "title": "Zapatilla de trail roja 42",
            "quantity": 2,
            "price": 89.9,
        },
        {"product_id": "cap", "title": "Gorra", "quantity": 1, "price": "12,5"},
    ],
    "total": "192.30",
    "currency": "eur",
}


async def summary(harness: Harness, cid: str, token: str) -> dict[str, Any]:
    status, body = await harness.request("GET", f"/api/conversations/{cid}", token)
    assert status == 200, body
    return dict(body)


async def test_the_agent_sees_the_shoppers_cart_live_and_in_the_summary(
    harness: Harness,
) -> None:
    cid, customer, agent = await harness.session()
    refused = await customer.call("cart.set", {"conversation_id": cid, "cart": CART})
    assert refused["error"]["code"] == "bad_request" and "price" in refused["error"]["message"]
    cart = {**CART, "items": [CART["items"][0], {**CART["items"][1], "price": "12.50"}]}
    await customer.ok("cart.set", {"conversation_id": cid, "cart": cart})
    await agent.wait_for(lambda p: bool(p.of_type("cart.updated")))
    told = agent.of_type("cart.updated")[-1]["data"]["cart"]
    assert told["currency"] == "EUR" and told["total"] == "192.30"
    assert [(i["variant_id"], i["quantity"], i["price"]) for i in told["items"]] == [
        ("ZT-ROJ-42", 2, "89.90"),
        (None, 1, "12.50"),
    ]
    again = await customer.ok("cart.set", {"conversation_id": cid, "cart": cart})
    assert "event" not in again
    agent_token = agent.token
    assert (await summary(harness, cid, agent_token))["cart"] == told
    forged = await agent.call("cart.set", {"conversation_id": cid, "cart": cart})
    assert forged["error"]["code"] == "forbidden"
    too_many = {**cart, "items": [cart["items"][0]] * 101}
    refused = await customer.call("cart.set", {"conversation_id": cid, "cart": too_many})
    assert refused["error"]["code"] == "bad_request"
    joined = await agent.ok("join", {"conversation_id": cid})
    assert joined["snapshot"]["cart"] == told


@pytest.mark.parametrize("title", ["   ", "\t", "\u3000"])
async def test_a_cart_item_of_a_blank_title_is_refused(harness: Harness, title: str) -> None:
    cid, customer, _ = await harness.session()
    item = {"product_id": "cap", "title": title, "quantity": 1, "price": "12.50"}
    cart = {"items": [item], "total": "12.50", "currency": "EUR"}
    refused = await customer.call("cart.set", {"conversation_id": cid, "cart": cart})
    assert refused["error"]["code"] == "bad_request", refused


@pytest.mark.parametrize("amount", ["١٢", " 12.50", "12.50\n", "1_2.50", "+12.50", "1e1"])
async def test_a_cart_amount_is_read_in_its_one_form_only(harness: Harness, amount: str) -> None:
    cid, customer, _ = await harness.session()
    item = {"product_id": "cap", "title": "Gorra", "quantity": 1, "price": "12.50"}
    for cart in (
        {"items": [item], "total": amount, "currency": "EUR"},
        {"items": [{**item, "price": amount}], "total": "12.50", "currency": "EUR"},
    ):
        refused = await customer.call("cart.set", {"conversation_id": cid, "cart": cart})
        assert refused["error"]["code"] == "bad_request", (cart, refused)


async def test_a_sent_product_and_an_add_to_cart_reach_both_sides_and_a_reload(
    harness: Harness,
) -> None:
    cid, customer, agent = await harness.session()
    await agent.ok("product.send", {"conversation_id": cid, "product_id": "zt"})
    await customer.wait_for(lambda p: bool(p.of_type("product.sent")))
    sent = customer.of_type("product.sent")[-1]["data"]
    assert sent["product"]["title"] == "Zapatilla de trail"
    assert sent["variant_id"] == "ZT-AZU-42"
    assert sent["product"]["pictures"][0]["thumb"].startswith("/api/catalogue/pictures/")
    refused = await customer.call("product.send", {"conversation_id": cid, "product_id": "zt"})
    assert refused["error"]["code"] == "forbidden"

    add = {"conversation_id": cid, "product_id": "zt", "variant_id": "ZT-ROJ-42", "quantity": 1}
    await customer.ok("cart.add", {**add, "added": True})
    failed = {**add, "variant_id": "ZT-AZU-42", "added": False, "error": "Sin existencias"}
    await customer.ok("cart.add", failed)
    await agent.wait_for(lambda p: len(p.of_type("cart.added")) == 2)
    outcomes = [e["data"] for e in agent.of_type("cart.added")]
    assert [(o["variant_id"], o["added"], o.get("error")) for o in outcomes] == [
        ("ZT-ROJ-42", True, None),
        ("ZT-AZU-42", False, "Sin existencias"),
    ]
    assert outcomes[0]["title"] == "Zapatilla de trail"
    forged = await agent.call("cart.add", {**add, "added": True})
    assert forged["error"]["code"] == "forbidden"
    unknown = await customer.call("cart.add", {**add, "variant_id": "ZT-XXX", "added": True})
    assert unknown["error"]["code"] == "not_found"
    missing = await customer.call("cart.add", {**add, "product_id": "nope", "added": True})
    assert missing["error"]["code"] == "not_found"
    zero = await customer.call("cart.add", {**add, "quantity": 0, "added": True})
    assert zero["error"]["code"] == "bad_request"

    joined = await customer.ok("join", {"conversation_id": cid})
    kept = joined["snapshot"]["commerce"]
    assert [e["type"] for e in kept] == ["product.sent", "cart.added", "cart.added"]
    assert kept[0]["data"]["product"]["pictures"][0]["src"].endswith("/display_webp")


async def test_a_variants_id_as_product_id_means_that_variant_for_show_send_and_add(
    harness: Harness,
) -> None:
    """What a shop's page tells (`covisor.setProduct("ZT-ROJ-42")`) is a variant's id: showing
    it, sending it and adding it mean that variant, not the first in stock (blue)."""
    cid, customer, agent = await harness.session()
    shown = await agent.ok("viewer.show", {"conversation_id": cid, "product_id": "ZT-ROJ-42"})
    assert shown["event"]["data"]["media"]["variant_id"] == "ZT-ROJ-42"
    default = await agent.ok("viewer.show", {"conversation_id": cid, "product_id": "zt"})
    assert default["event"]["data"]["media"]["variant_id"] == "ZT-AZU-42"
    sent = await agent.ok("product.send", {"conversation_id": cid, "product_id": "ZT-ROJ-42"})
    assert sent["event"]["data"]["variant_id"] == "ZT-ROJ-42"
    line = {"conversation_id": cid, "quantity": 1, "added": True}
    named = await customer.ok("cart.add", {**line, "product_id": "ZT-ROJ-42"})
    assert named["event"]["data"]["variant_id"] == "ZT-ROJ-42"
    unnamed = await customer.ok("cart.add", {**line, "product_id": "zt"})
    assert unnamed["event"]["data"]["variant_id"] is None


async def test_the_visitors_list_shows_the_product_looked_at_and_the_carts_value(
    harness: Harness,
) -> None:
    agent = await harness.agent_token()
    visitor = await new_visitor(harness)
    try:
        await visitor.open_page("https://senda.example/p/ZT-ROJ-42/", "Zapatilla roja 42")
        found = await listed(harness, agent, visitor.id, "Zapatilla roja 42")
        assert found["product_id"] == "zt" and found["cart"] is None
        told = await visitor.call("visitor.shop", {"product_id": "cap", "cart": CART})
        assert told["error"]["code"] == "bad_request"
        cart = {**CART, "items": [CART["items"][0], {**CART["items"][1], "price": "12.50"}]}
        assert (await visitor.call("visitor.shop", {"product_id": "cap", "cart": cart}))["ok"]
        for _ in range(100):
            found = await listed(harness, agent, visitor.id)
            if found["product_id"] == "cap":
                break
            await asyncio.sleep(0.05)
        assert found["cart"] == {"value": "192.30", "currency": "EUR", "items": 3}
        await visitor.open_page("https://senda.example/ayuda", "Ayuda")
        found = await listed(harness, agent, visitor.id, "Ayuda")
        assert found["product_id"] is None and found["cart"]["value"] == "192.30"
        assert (await visitor.call("visitor.shop", {"product_id": None}))["ok"]
        cid, customer, _ = await harness.session()
        refused = await customer.call("visitor.shop", {"product_id": "zt"})
        assert refused["error"]["code"] == "forbidden"
    finally:
        await visitor.close()


@pytest.mark.parametrize("blank", ["   ", "\t", "\u3000"])
async def test_a_product_id_of_blanks_is_refused_wherever_one_is_named(
    harness: Harness, blank: str
) -> None:
    """No feed item has an id of blanks: a cart line, an add to the cart, a product sent or
    shown, the product a page tells and an order's item naming one are refused (`400`), never
    kept in a cart, the visitors list or a report."""
    cid, customer, agent = await harness.session()
    item = {"product_id": "cap", "title": "Gorra", "quantity": 1, "price": "12.50"}
    add = {"quantity": 1, "added": True}
    sent: list[tuple[Peer, str, dict[str, Any]]] = [
        (customer, "cart.set", {"cart": {**CART, "items": [{**item, "product_id": blank}]}}),
        (customer, "cart.set", {"cart": {**CART, "items": [{**item, "variant_id": blank}]}}),
        (customer, "cart.add", {**add, "product_id": blank}),
        (customer, "cart.add", {**add, "product_id": "zt", "variant_id": blank}),
        (agent, "product.send", {"product_id": blank}),
        (agent, "product.send", {"product_id": "zt", "variant_id": blank}),
        (agent, "viewer.show", {"product_id": blank}),
        (agent, "viewer.show", {"product_id": "zt", "variant_id": blank}),
    ]
    for sender, event, payload in sent:
        answer = await sender.call(event, {"conversation_id": cid, **payload})
        assert answer["ok"] is False, (event, payload)
        assert answer["error"]["code"] == "bad_request", (event, payload, answer)
    assert (await summary(harness, cid, agent.token))["cart"] is None
    visitor = await new_visitor(harness)
    try:
        await visitor.open_page("https://senda.example/ayuda", "Ayuda")
        told = await visitor.call("visitor.shop", {"product_id": blank})
        assert told["error"]["code"] == "bad_request", told
        order = {"value": "12.50", "currency": "EUR", "order_id": "B-1"}
        for line in ({**item, "product_id": blank}, {**item, "variant_id": blank}):
            del line["title"]
            status, answer = await harness.request(
                "POST", "/api/conversions", visitor.token, json={**order, "items": [line]}
            )
            assert (status, answer["error"]["code"]) == (400, "bad_request"), (line, answer)
    finally:
        await visitor.close()
