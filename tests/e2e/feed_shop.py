"""A shop for the end-to-end tests of the feed catalogue: tests.catalogue.shop's loopback server
(an RSS feed and real JPEG pictures) on a thread of its own, stocked with a trail shoe in two
colours and sizes and three other products, and the admin's import of its feed."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw
from playwright.sync_api import APIRequestContext, Playwright

from tests.catalogue.shop import Shop, item, rss, running_shop
from tests.e2e.conftest import (
    ARTIFACTS,
    SERVER_LIMITS,
    START_TIMEOUT_S,
    CovisorServer,
    _wait_for_catalogue,
    served,
)

GROUP = "ZT-RAPIDA"
"""The trail shoe: its variants' `item_group_id`, the product's id."""
RED_42, BLUE_42 = "ZT-R42", "ZT-A42"


def shoe(body: tuple[int, int, int], sole: tuple[int, int, int] = (245, 245, 240)) -> bytes:
    """A real 800 × 600 JPEG of a trail shoe's side in colour `body` (a drawing, not a
    photograph: enough for people and tests to tell the colours apart)."""
    picture = Image.new("RGB", (800, 600), (236, 239, 244))
    draw = ImageDraw.Draw(picture)
    draw.rounded_rectangle((90, 400, 720, 470), radius=30, fill=sole, outline=(60, 60, 60), width=4)
    draw.polygon(
        [(110, 405), (130, 250), (260, 200), (360, 250), (520, 300), (690, 330), (715, 405)],
        fill=body,
        outline=(40, 40, 40),
    )
    for x in range(250, 370, 30):
        draw.line((x, 225 + (x - 250) // 3, x + 40, 260 + (x - 250) // 3), fill=sole, width=8)
    for x in range(120, 720, 40):
        draw.rectangle((x, 470, x + 20, 490), fill=(60, 60, 60))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=88)
    return out.getvalue()


def sole_picture() -> bytes:
    """The shoe's sole from below, shared by every variant."""
    picture = Image.new("RGB", (800, 600), (236, 239, 244))
    draw = ImageDraw.Draw(picture)
    draw.ellipse((120, 180, 680, 420), fill=(70, 70, 70))
    for x in range(170, 640, 36):
        draw.rectangle((x, 250, x + 18, 350), fill=(150, 150, 150))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=88)
    return out.getvalue()


def stock(shop: Shop) -> None:
    """The shop's pictures and its feed: the trail shoe in red (41, 42; on sale) and blue
    (42, 43), so blue 41 and red 43 do not exist; three other products of other brands."""
    base = shop.base
    pictures = {
        "red.jpg": shoe((214, 40, 40)),
        "blue.jpg": shoe((40, 90, 200)),
        "sole.jpg": sole_picture(),
        "shirt.jpg": shoe((60, 160, 90)),
        "boot.jpg": shoe((120, 80, 40)),
        "socks.jpg": shoe((200, 180, 60)),
    }
    shop.pictures.update({f"/img/{name}": body for name, body in pictures.items()})
    shoe_fields: dict[str, Any] = {
        "item_group_id": GROUP,
        "brand": "Montaña Viva",
        "product_type": "Calzado > Trail",
        "additional_image_link": f"{base}/img/sole.jpg",
    }

    def variant(sku: str, colour: str, size: str, **fields: Any) -> dict[str, Any]:
        word = {"Rojo": "roja", "Azul": "azul"}[colour]
        picture = {"Rojo": "red", "Azul": "blue"}[colour]
        return item(
            sku,
            base,
            title=f"Zapatilla de trail Rápida {word} {size}",
            description="Zapatilla ligera para montaña con suela de tacos.",
            color=colour,
            size=size,
            image_link=f"{base}/img/{picture}.jpg",
            link=f"{base}/p/zapatilla-rapida-{word}-{size}",
            **shoe_fields,
            **fields,
        )

    items = [
        variant("ZT-R41", "Rojo", "41", price="89.00 EUR", sale_price="69.00 EUR"),
        variant(RED_42, "Rojo", "42", price="89.00 EUR", sale_price="69.00 EUR"),
        variant(BLUE_42, "Azul", "42", price="95.00 EUR"),
        variant("ZT-A43", "Azul", "43", price="95.00 EUR", availability="backorder"),
        item(
            "CAM-1",
            base,
            title="Camiseta técnica Brisa",
            brand="Montaña Viva",
            price="29.90 EUR",
            availability="out_of_stock",
            image_link=f"{base}/img/shirt.jpg",
        ),
        item(
            "BOT-1",
            base,
            title="Bota de montaña Cumbre",
            brand="Cumbre",
            price="149.00 EUR",
            availability="preorder",
            image_link=f"{base}/img/boot.jpg",
        ),
        item(
            "CAL-1",
            base,
            title="Calcetines de lana merino",
            brand="Lanas del Norte",
            price="14.50 EUR",
            image_link=f"{base}/img/socks.jpg",
        ),
    ]
    shop.feed = rss(items)


class ShopThread:
    """`running_shop` on an event loop of its own thread, for the synchronous browser tests."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.shop: Shop | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with running_shop() as shop:
            self.shop = shop
            stock(shop)
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> Shop:
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S) or self.shop is None:
            raise RuntimeError("the test shop did not start")
        return self.shop

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(START_TIMEOUT_S)


def import_feed(api: APIRequestContext, url: str) -> dict[str, Any]:
    """`POST /api/catalogue/imports` as an admin, then wait until the import (its pictures
    included) is over; returns its last status."""
    answer = api.post("/api/catalogue/imports", data={"url": url})
    assert answer.status == 202, answer.text()
    path = f"/api/catalogue/imports/{answer.json()['id']}"
    deadline = time.monotonic() + START_TIMEOUT_S * 2
    while time.monotonic() < deadline:
        status: dict[str, Any] = api.get(path).json()
        if status["state"] != "running":
            return status
        time.sleep(0.2)
    raise AssertionError(f"the import did not end: {status}")


@contextmanager
def catalogue_server(
    playwright: Playwright, data_dir: Path, name: str
) -> Iterator[tuple[CovisorServer, Shop]]:
    """`covisor serve` (its log in tests/artifacts/server-`name`.log) allowed to fetch from
    loopback, with this shop's feed imported by the demo agent, an admin."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with ShopThread() as shop:
        with served(
            data_dir, ARTIFACTS / f"server-{name}.log", {"COVISOR_OUTBOUND_ALLOW_INSECURE": "1"}
        ) as url:
            token = (data_dir / "demo-agent.txt").read_text().strip().splitlines()[-1]
            admin = playwright.request.new_context(
                base_url=url, extra_http_headers={"Authorization": f"Bearer {token}"}
            )
            try:
                done = import_feed(admin, f"{shop.base}/feed.xml")
                _wait_for_catalogue(admin, token)
            finally:
                admin.dispose()
            assert done["state"] == "done" and done["added"] == 7 and done["failed"] == 0, done
            yield CovisorServer(url, data_dir, token, dict(SERVER_LIMITS)), shop
