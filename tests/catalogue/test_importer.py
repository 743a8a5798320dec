"""Imports of a real feed from a shop on loopback into SQLite, with real pictures."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from covisor.catalogue.importer import Busy
from tests.catalogue.conftest import Catalogue
from tests.catalogue.shop import Shop, item, rss

MakeCatalogue = Callable[..., Awaitable[Catalogue]]


def stock(shop: Shop, count: int, **fields: Any) -> list[dict[str, Any]]:
    """`count` products, each with its own picture."""
    items = []
    for n in range(count):
        shop.add_picture(f"p{n}.jpg", (n * 7 % 256, 80, 160))
        items.append(item(f"p{n}", shop.base, **fields))
    return items


async def test_a_feed_is_imported_with_its_pictures_and_found(
    shop: Shop, make_catalogue: MakeCatalogue
) -> None:
    catalogue = await make_catalogue()
    items = stock(shop, 3)
    items[0]["title"] = "Zapatilla de trail roja 42"
    shop.feed = rss(items)
    done = await catalogue.run(await catalogue.imports.from_url(shop.base + "/feed.xml"))
    assert (done.state, done.added, done.updated, done.failed) == ("done", 3, 0, 0), done
    hits = await catalogue.products.search("ZAPATÍLLA roja 42")
    assert [hit["id"] for hit in hits] == ["p0"]
    assert hits[0]["picture"]["width"] == 64
    card = await catalogue.products.card("p0")
    assert card["variants"][0]["price"] == "10.00" and card["currency"] == "EUR"
    served = await catalogue.products.picture(card["pictures"][0]["id"], "display_webp")
    assert served.path.exists()


async def test_an_unchanged_feed_costs_nothing_and_a_changed_item_is_updated(
    shop: Shop, make_catalogue: MakeCatalogue
) -> None:
    catalogue = await make_catalogue()
    items = stock(shop, 4)
    shop.feed = rss(items)
    await catalogue.run(await catalogue.imports.from_url(shop.base + "/feed.xml"))
    fetched = sum(n for path, n in shop.hits.items() if path.startswith("/img/"))
    again = await catalogue.run(await catalogue.imports.from_url(shop.base + "/feed.xml"))
    assert (again.added, again.updated, again.unchanged, again.removed) == (0, 0, 4, 0)
    assert sum(n for path, n in shop.hits.items() if path.startswith("/img/")) == fetched
    items[1]["price"] = "12,50 EUR"
    shop.feed = rss(items)
    third = await catalogue.run(await catalogue.imports.from_url(shop.base + "/feed.xml"))
    assert (third.updated, third.unchanged) == (1, 3)
    assert (await catalogue.products.card("p1"))["price"] == "12.50"


async def test_a_product_the_feed_drops_is_no_longer_found_or_shown(
    shop: Shop, make_catalogue: MakeCatalogue
) -> None:
    catalogue = await make_catalogue()
    items = stock(shop, 3)
    shop.feed = rss(items)
    await catalogue.run(await catalogue.imports.from_url(shop.base + "/feed.xml"))
    shop.feed = rss(items[:2])
    done = await catalogue.run(await catalogue.imports.from_url(shop.base + "/feed.xml"))
    assert done.removed == 1
    assert [hit["id"] for hit in await catalogue.products.search("product")] == ["p0", "p1"]
    record = await catalogue.store.product("p2")
    assert record is not None and record.removed_at is not None
    shop.feed = rss(items)
    back = await catalogue.run(await catalogue.imports.from_url(shop.base + "/feed.xml"))
    assert (back.added, back.unchanged) == (1, 2)


async def test_a_broken_feed_fails_and_removes_nothing(
    shop: Shop, make_catalogue: MakeCatalogue
) -> None:
    catalogue = await make_catalogue()
    shop.feed = rss(stock(shop, 2))
    await catalogue.run(await catalogue.imports.from_url(shop.base + "/feed.xml"))
    shop.feed = shop.feed[: len(shop.feed) // 2]
    failed = await catalogue.run(await catalogue.imports.from_url(shop.base + "/feed.xml"))
    assert failed.state == "failed" and failed.reason, failed
    assert failed.removed == 0
    assert len(await catalogue.products.search("")) == 2


async def test_pictures_that_fail_are_reported_on_their_products(
    shop: Shop, make_catalogue: MakeCatalogue
) -> None:
    catalogue = await make_catalogue(picture_timeout=1.0)
    good = shop.add_picture("good.jpg", (1, 2, 3))
    shop.pictures["/img/page.jpg"] = b"<html>not a picture</html>"
    shop.add_picture("slow.jpg", (4, 5, 6))
    shop.slow.add("/img/slow.jpg")
    shop.redirects["/img/sneaky.jpg"] = "http://169.254.169.254/latest/meta-data"
    base = shop.base
    shop.feed = rss(
        [
            item("ok", base, image_link=good),
            item("missing", base, image_link=f"{base}/img/nothing.jpg"),
            item("html", base, image_link=f"{base}/img/page.jpg"),
            item("slow", base, image_link=f"{base}/img/slow.jpg"),
            item("sneaky", base, image_link=f"{base}/img/sneaky.jpg"),
        ]
    )
    done = await catalogue.run(await catalogue.imports.from_url(base + "/feed.xml"))
    assert done.state == "done" and done.added == 5
    reasons = {error["id"]: error["reason"] for error in done.errors}
    assert set(reasons) == {"missing", "html", "slow", "sneaky"}, reasons
    assert "404" in reasons["missing"]
    assert "within" in reasons["slow"]
    assert "public host" in reasons["sneaky"]
    assert shop.hits["/img/sneaky.jpg"] == 1
    assert (await catalogue.products.card("ok"))["pictures"]


async def test_pictures_are_fetched_once_per_url_and_stored_once_per_content(
    shop: Shop, make_catalogue: MakeCatalogue
) -> None:
    catalogue = await make_catalogue()
    same = shop.add_picture("a.jpg", (9, 9, 9))
    shop.pictures["/img/copy.jpg"] = shop.pictures["/img/a.jpg"]
    shop.feed = rss(
        [
            item("v1", shop.base, image_link=same, item_group_id="g"),
            item("v2", shop.base, image_link=same, item_group_id="g"),
            item("v3", shop.base, image_link=f"{shop.base}/img/copy.jpg", item_group_id="g"),
        ]
    )
    done = await catalogue.run(await catalogue.imports.from_url(shop.base + "/feed.xml"))
    assert done.added == 3
    assert shop.hits["/img/a.jpg"] == 1
    card = await catalogue.products.card("g")
    assert len(card["pictures"]) == 1
    assert [v["id"] for v in card["variants"]] == ["v1", "v2", "v3"]


async def test_one_import_runs_at_a_time(shop: Shop, make_catalogue: MakeCatalogue) -> None:
    catalogue = await make_catalogue()
    shop.feed = rss(stock(shop, 1))
    shop.slow.add("/img/p0.jpg")
    shop.delay = 1.0
    first = await catalogue.imports.from_url(shop.base + "/feed.xml")
    try:
        await catalogue.imports.from_url(shop.base + "/feed.xml")
    except Busy as refused:
        assert refused.code == "conflict"
    else:
        raise AssertionError("a second import started beside the first")
    assert (await catalogue.run(first)).state == "done"


async def test_an_import_a_dead_process_left_is_taken_over_and_finished(
    shop: Shop, make_catalogue: MakeCatalogue
) -> None:
    dying = await make_catalogue(lease=300.0, batch_size=2)
    items = stock(shop, 7)
    shop.feed = rss(items)
    for n in range(3, 7):
        shop.slow.add(f"/img/p{n}.jpg")
    shop.delay = 30.0
    started = await dying.imports.from_url(shop.base + "/feed.xml")
    while (await dying.imports.status(started.id)).processed < 4:
        await asyncio.sleep(0.02)
    await dying.imports.close()  # as if killed: the lease is not given back
    left = await dying.imports.status(started.id)
    assert left.state == "running" and left.added >= 4
    shop.slow.clear()
    await asyncio.sleep(0.4)
    restarted = await make_catalogue(lease=300.0, batch_size=2)
    assert await restarted.imports.resume() == 1
    done = await restarted.run(started)
    assert (done.state, done.added, done.updated, done.unchanged) == ("done", 7, 0, 0), done
    assert not done.errors, done.errors
    for n in range(7):
        assert (await restarted.products.card(f"p{n}"))["pictures"], n
