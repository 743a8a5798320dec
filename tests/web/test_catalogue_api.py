"""The product catalogue over HTTP and Socket.IO: a real server imports a real feed from a
shop on loopback, agents search it and show a product, the shopper switches its variant."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from covisor.app.http import create_app
from covisor.config import Config
from tests.catalogue.shop import Shop, item, rss, running_shop
from tests.conftest import Harness, serving
from tests.team.test_replies import admin_token


@pytest.fixture
async def shop() -> AsyncIterator[Shop]:
    async with running_shop() as running:
        yield running


@pytest.fixture
async def harness(config: Config) -> AsyncIterator[Harness]:
    async with serving(await create_app(config.replace(outbound_allow_insecure=True))) as h:
        yield h


def trail_feed(shop: Shop) -> bytes:
    red = shop.add_picture("red.jpg", (200, 20, 20))
    blue = shop.add_picture("blue.jpg", (20, 20, 200))
    return rss(
        [
            item(
                "ZT-ROJ-42",
                shop.base,
                title="Zapatilla de trail roja 42",
                color="Roja",
                size="42",
                item_group_id="zt",
                image_link=red,
                brand="Monte",
            ),
            item(
                "ZT-AZU-42",
                shop.base,
                title="Zapatilla de trail azul 42",
                color="Azul",
                size="42",
                item_group_id="zt",
                image_link=blue,
                brand="Monte",
                sale_price="79,00 EUR",
            ),
            item("cap", shop.base, title="Gorra", image_link=red, brand="Sol"),
        ]
    )


async def imported(harness: Harness, admin: str, **body: Any) -> dict[str, Any]:
    status, started = await harness.request("POST", "/api/catalogue/imports", admin, **body)
    assert status == 202, started
    while True:
        status, record = await harness.request(
            "GET", f"/api/catalogue/imports/{started['id']}", admin
        )
        assert status == 200
        if record["state"] != "running":
            return dict(record)
        await asyncio.sleep(0.05)


async def test_an_admin_imports_a_feed_and_an_agent_finds_and_opens_products(
    harness: Harness, shop: Shop
) -> None:
    shop.feed = trail_feed(shop)
    admin = await admin_token(harness)
    record = await imported(harness, admin, json={"url": shop.base + "/feed.xml"})
    assert (record["state"], record["added"], record["failed"]) == ("done", 3, 0), record
    agent = await harness.agent_token()
    status, found = await harness.request(
        "GET", "/api/catalogue/products?q=ZAPATILLA+roja+42", agent
    )
    assert status == 200
    assert [(p["id"], p["variant_id"]) for p in found["products"]] == [("zt", "ZT-ROJ-42")]
    status, card = await harness.request("GET", "/api/catalogue/products/zt", agent)
    assert status == 200 and card["title"] == "Zapatilla de trail"
    assert card["options"] == {"color": ["Azul", "Roja"], "size": ["42"]}
    assert [v["sale_price"] for v in card["variants"]] == ["79.00", None]
    status, brands = await harness.request("GET", "/api/catalogue/brands", agent)
    assert brands["brands"] == [{"brand": "Monte", "products": 1}, {"brand": "Sol", "products": 1}]
    picture = card["variants"][0]["pictures"][0]
    async with harness.http.get(f"{harness.url}/api/catalogue/pictures/{picture}/thumb_webp") as r:
        assert r.status == 200 and r.headers["Content-Type"] == "image/webp"
    status, listed = await harness.request("GET", "/api/catalogue/imports", admin)
    assert listed["imports"][0]["id"] == record["id"]


async def test_an_uploaded_feed_is_imported_too(harness: Harness, shop: Shop) -> None:
    admin = await admin_token(harness)
    form = aiohttp.FormData()
    form.add_field("file", trail_feed(shop), filename="feed.xml", content_type="text/xml")
    record = await imported(harness, admin, data=form)
    assert (record["state"], record["source"], record["added"]) == ("done", "file", 3)


async def test_imports_and_the_feed_are_for_admins_and_checked(
    harness: Harness, shop: Shop
) -> None:
    admin = await admin_token(harness)
    agent = await harness.agent_token()
    path = "/api/catalogue/imports"
    assert (await harness.request("POST", path, agent, json={"url": shop.base}))[0] == 403
    assert (await harness.request("POST", path, None, json={"url": shop.base}))[0] == 401
    assert (await harness.request("GET", "/api/catalogue/products", None))[0] == 401
    for url in (
        "file:///etc/passwd",
        "http://10.0.0.1/feed.xml",
        "https://169.254.169.254/latest",
        "not a url",
    ):
        status, body = await harness.request("POST", path, admin, json={"url": url})
        assert status == 400, (url, body)
        assert body["error"]["code"] == "bad_request"
    status, body = await harness.request(
        "PUT",
        "/api/catalogue/feed",
        admin,
        json={"url": shop.base + "/feed.xml", "every_minutes": 5},
    )
    assert status == 400
    status, body = await harness.request(
        "PUT",
        "/api/catalogue/feed",
        admin,
        json={"url": shop.base + "/feed.xml", "every_minutes": 60},
    )
    assert status == 200 and body["feed"]["every_minutes"] == 60
    status, body = await harness.request("GET", "/api/catalogue/imports/imp_nothing", admin)
    assert status == 404
    status, body = await harness.request("GET", "/api/catalogue/products/nothing", agent)
    assert status == 404
    status, body = await harness.request("GET", "/api/catalogue/products?limit=900", agent)
    assert status == 400
    fake = "0" * 64
    async with harness.http.get(f"{harness.url}/api/catalogue/pictures/{fake}/display_webp") as r:
        assert r.status == 404


async def test_an_agent_shows_a_product_and_the_shopper_switches_its_colour(
    harness: Harness, shop: Shop
) -> None:
    shop.feed = trail_feed(shop)
    await imported(harness, await admin_token(harness), json={"url": shop.base + "/feed.xml"})
    cid, customer, agent = await harness.session()
    await agent.ok("viewer.show", {"conversation_id": cid, "product_id": "zt"})
    await customer.wait_for(lambda p: bool(p.of_type("viewer.show")))
    shown = customer.of_type("viewer.show")[-1]["data"]["media"]
    assert shown["source"] == "product" and shown["variant_id"] == "ZT-AZU-42"
    assert shown["src"].startswith("/api/catalogue/pictures/")
    assert shown["product"]["pictures"][0]["thumb"].endswith("/thumb_webp")
    await customer.ok(
        "viewer.show", {"conversation_id": cid, "product_id": "zt", "variant_id": "ZT-ROJ-42"}
    )
    await agent.wait_for(lambda p: len(p.of_type("viewer.show")) >= 2)
    switched = agent.of_type("viewer.show")[-1]["data"]["media"]
    assert switched["variant_id"] == "ZT-ROJ-42" and switched["src"] != shown["src"]
    refused = await customer.call("viewer.show", {"conversation_id": cid, "product_id": "cap"})
    assert refused["error"]["code"] == "forbidden"
    missing = await agent.call(
        "viewer.show", {"conversation_id": cid, "product_id": "zt", "variant_id": "nope"}
    )
    assert missing["error"]["code"] == "not_found"


async def test_erasing_a_conversation_keeps_the_product_picture_a_shopper_uploaded_too(
    harness: Harness, shop: Shop
) -> None:
    """A shopper who uploads the shop's own picture of a product (saved from its page) makes
    the same media as the feed's picture: erasing the conversation leaves the product's."""
    shop.feed = trail_feed(shop)
    admin = await admin_token(harness)
    await imported(harness, admin, json={"url": shop.base + "/feed.xml"})
    agent = await harness.agent_token()
    status, card = await harness.request("GET", "/api/catalogue/products/cap", agent)
    picture = card["pictures"][0]["id"]
    opened = await harness.open_conversation()
    form = aiohttp.FormData()
    form.add_field("file", shop.pictures["/img/red.jpg"], filename="cap.jpg")
    status, item = await harness.request(
        "POST", f"/api/conversations/{opened['id']}/media", opened["token"], data=form
    )
    assert status == 201 and item["id"] == picture, item
    status, _ = await harness.request("DELETE", f"/api/conversations/{opened['id']}", admin)
    assert status == 204
    url = f"{harness.url}/api/catalogue/pictures/{picture}/thumb_webp"
    async with harness.http.get(url) as r:
        assert r.status == 200


async def test_a_shown_product_is_annotated_and_its_transcript_thumbnail_opens(
    harness: Harness, shop: Shop
) -> None:
    shop.feed = trail_feed(shop)
    await imported(harness, await admin_token(harness), json={"url": shop.base + "/feed.xml"})
    cid, customer, agent = await harness.session()
    shown = await agent.ok("viewer.show", {"conversation_id": cid, "product_id": "cap"})
    picture = shown["event"]["data"]["media"]["id"]
    status, item = await harness.request(
        "POST", f"/api/conversations/{cid}/annotated", customer.token
    )
    assert status == 201 and item["name"] == "Gorra (annotated).png", item
    status, transcript = await harness.request(
        "GET", f"/api/conversations/{cid}/transcript", customer.token
    )
    [entry] = [e for e in transcript["timeline"] if e["type"] == "shown"]
    assert entry["thumb"] == f"/api/catalogue/pictures/{picture}/thumb_webp"
    async with harness.http.get(harness.url + entry["thumb"]) as r:
        assert r.status == 200
