"""The pages and files the server serves itself: the demo shop "Senda" under `/demo/shop/`
beside the older one-page demo, and only the shop's pictures from its media folder."""

from __future__ import annotations

import json

from tests.conftest import Harness

SHOP_PAGES = (
    "/demo/shop/",
    "/demo/shop/products/ZT",
    "/demo/shop/products/TZ-TER",
    "/demo/shop/cart",
    "/demo/shop/checkout",
)


async def read(h: Harness, path: str) -> tuple[int, dict[str, str], bytes]:
    async with h.http.get(h.url + path, allow_redirects=False) as response:
        return response.status, dict(response.headers), await response.read()


async def test_every_shop_route_is_the_shop_page_under_the_page_policy(harness: Harness) -> None:
    bodies = set()
    for path in SHOP_PAGES:
        status, headers, body = await read(harness, path)
        assert status == 200, path
        assert headers["Content-Type"].startswith("text/html"), path
        assert "script-src 'self'" in headers["Content-Security-Policy"], path
        bodies.add(body)
    [page] = bodies
    assert b'<html lang="es">' in page and page.count(b'src="/client/widget.js"') == 1
    assert b"<script>" not in page and b"style=" not in page
    status, _, old_demo = await read(harness, "/demo/boots")
    assert status == 200 and b"Northwind Outfitters" in old_demo


async def test_the_shop_without_its_slash_is_redirected_with_its_language(
    harness: Harness,
) -> None:
    status, headers, _ = await read(harness, "/demo/shop?lang=de")
    assert status == 302 and headers["Location"] == "/demo/shop/?lang=de"
    status, headers, _ = await read(harness, "/demo/shop")
    assert status == 302 and headers["Location"] == "/demo/shop/"
    status, headers, _ = await read(harness, "/")
    assert status == 302 and headers["Location"] == "/demo/shop/"


async def test_the_shop_serves_its_products_feed_and_pictures_and_nothing_else(
    harness: Harness,
) -> None:
    status, headers, body = await read(harness, "/demo/shop/products.json")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    products = json.loads(body)["products"]
    picture = products[0]["images"][0]
    status, headers, body = await read(harness, f"/demo/shop/images/{picture}")
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    assert body.startswith(b"\xff\xd8")
    for path in (
        "/demo/shop/images/..%2Ffeed.xml",
        "/demo/shop/images/..%2F..%2Fshop_feed.py",
        "/demo/shop/images/.hidden.jpg",
        "/demo/shop/images/ZAPATILLA.JPG",
        "/demo/shop/images/missing.jpg",
        "/demo/shop/feed.xml/x",
        "/demo/shop/products/ZT/more",
    ):
        status, headers, _ = await read(harness, path)
        assert status == 404, path
        assert headers["Content-Type"].startswith("application/json"), path


async def test_the_demo_shops_feed_points_to_where_it_was_asked_from(harness: Harness) -> None:
    """A new user points the import at `/demo/shop/feed.xml`: its links and pictures are on the
    origin the feed was fetched from, so the importer can fetch them back."""
    status, headers, body = await read(harness, "/demo/shop/feed.xml")
    assert status == 200 and headers["Content-Type"].startswith("application/rss+xml")
    assert headers["Cache-Control"] == "no-store"
    text = body.decode()
    assert "shop.covisor.invalid" not in text
    assert f"<g:link>{harness.url}/demo/shop/products/ZT</g:link>" in text
    assert f"{harness.url}/demo/shop/images/" in text
