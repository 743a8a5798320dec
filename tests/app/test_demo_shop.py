"""A fresh install's demo shop: its product feed goes through the importer like a shop's own,
with its pictures read from media/shop/, once."""

from __future__ import annotations

from covisor.app.demo import shop_origin
from covisor.app.http import create_app
from covisor.config import Config
from tests.conftest import serving

# In tests/app (the process tier): 265 pictures to process take seconds.


async def test_the_demo_shop_is_imported_once_and_found(config: Config) -> None:
    demo = config.replace(seed_demo=True, demo_shop=True, port=8123)
    async with serving(await create_app(demo)) as h:
        seeding = h.services.demo_shop
        assert seeding is not None and seeding.task is not None
        assert await seeding.task == 1
        feed = h.services.feed_catalogue
        assert feed is not None
        await feed.imports.idle()
        [record] = await feed.imports.recent()
        assert (record.state, record.added, record.failed) == ("done", 209, 0), record.errors[:3]
        hits = await feed.products.search("ZAPATILLA roja 42")
        assert (hits[0]["id"], hits[0]["variant_id"]) == ("ZT", "ZT-ROJ-42")
        card = await feed.products.card("ZT")
        assert card["link"] == "http://localhost:8123/demo/shop/products/ZT"
        assert len(card["pictures"]) >= 2
    async with serving(await create_app(demo)) as h:
        again = h.services.demo_shop
        assert again is not None and again.task is not None
        assert await again.task == 0


def test_the_demo_shop_links_to_where_the_server_is() -> None:
    assert shop_origin("0.0.0.0", 0) == "http://localhost:8080"
    assert shop_origin("127.0.0.1", 9000) == "http://localhost:9000"
    assert shop_origin("shop.example", 80) == "http://shop.example:80"
    assert shop_origin("2001:db8::1", 8080) == "http://[2001:db8::1]:8080"
