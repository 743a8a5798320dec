"""A shop on a loopback port for the catalogue tests: its Google product feed (RSS 2.0) and its
product pictures (real JPEGs drawn here), counting every request it answers."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web
from PIL import Image

G = "http://base.google.com/ns/1.0"


def picture(rgb: tuple[int, int, int], size: int = 64) -> bytes:
    """A real JPEG of one colour (different colours: different bytes)."""
    out = io.BytesIO()
    Image.new("RGB", (size, size), rgb).save(out, "JPEG", quality=90)
    return out.getvalue()


def item(product_id: str, base: str, **fields: Any) -> dict[str, Any]:
    """A feed item with every required attribute; `fields` add or replace attributes
    (a list value repeats the attribute, None leaves it out)."""
    values: dict[str, Any] = {
        "id": product_id,
        "title": f"Product {product_id}",
        "description": f"About {product_id}",
        "link": f"{base}/p/{product_id}",
        "image_link": f"{base}/img/{product_id}.jpg",
        "price": "10.00 EUR",
        "availability": "in_stock",
    }
    values.update(fields)
    return {name: value for name, value in values.items() if value is not None}


def rss(items: list[dict[str, Any]]) -> bytes:
    entries = []
    for entry in items:
        lines = []
        for name, value in entry.items():
            for one in value if isinstance(value, list) else [value]:
                lines.append(f"<g:{name}>{escape(str(one))}</g:{name}>")
        entries.append("<item>" + "".join(lines) + "</item>")
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:g="{G}">'
        f"<channel><title>Shop</title>{''.join(entries)}</channel></rss>"
    ).encode()


@dataclass
class Shop:
    """What the shop serves: `feed` at /feed.xml (with an ETag), `pictures` by path; `hits`
    counts requests by path; `slow` paths answer after `delay` seconds."""

    base: str = ""
    feed: bytes = b""
    pictures: dict[str, bytes] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    slow: set[str] = field(default_factory=set)
    delay: float = 5.0
    redirects: dict[str, str] = field(default_factory=dict)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the shop closes: slow answers stop waiting."""

    def add_picture(self, name: str, rgb: tuple[int, int, int]) -> str:
        self.pictures[f"/img/{name}"] = picture(rgb)
        return f"{self.base}/img/{name}"


@asynccontextmanager
async def running_shop() -> AsyncIterator[Shop]:
    shop = Shop()

    async def feed(request: web.Request) -> web.StreamResponse:
        shop.hits[request.path] += 1
        etag = f'"{hash(shop.feed) & 0xFFFFFFFF:x}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=shop.feed, content_type="application/xml", headers={"ETag": etag})

    async def image(request: web.Request) -> web.StreamResponse:
        shop.hits[request.path] += 1
        if request.path in shop.redirects:
            raise web.HTTPFound(shop.redirects[request.path])
        if request.path in shop.slow:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(shop.released.wait(), shop.delay)
        body = shop.pictures.get(request.path)
        if body is None:
            raise web.HTTPNotFound()
        kind = "text/html" if not body.startswith(b"\xff\xd8") else "image/jpeg"
        return web.Response(body=body, content_type=kind)

    app = web.Application()
    app.router.add_get("/feed.xml", feed)
    app.router.add_get("/img/{name}", image)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    shop.base = f"http://127.0.0.1:{port}"
    try:
        yield shop
    finally:
        shop.released.set()
        await runner.cleanup()
