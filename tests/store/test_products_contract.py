"""The products slice (`ProductStore`): what the importer and the search rely on."""

from __future__ import annotations

import dataclasses

import pytest

from covisor.catalogue.search import indexed, parse_query
from covisor.store.records import FeedScheduleRecord, ImportRecord, ProductRecord
from covisor.store.sql import SQLStore


@pytest.fixture
async def products(sql_store: SQLStore) -> SQLStore:
    return sql_store


def product(product_id: str, **fields: object) -> ProductRecord:
    values: dict[str, object] = {
        "id": product_id,
        "group_id": product_id,
        "title": f"Product {product_id}",
        "description": "",
        "link": "",
        "price": "10.00",
        "currency": "EUR",
        "sale_price": None,
        "availability": "in_stock",
        "brand": "",
        "gtin": "",
        "mpn": "",
        "color": "",
        "size": "",
        "material": "",
        "product_type": "",
        "condition": "",
        "images": (f"https://shop.example/{product_id}.jpg",),
        "extra": {},
        "digest": f"d-{product_id}",
        "updated_at": 1.0,
    }
    values.update(fields)
    return ProductRecord(**values)  # type: ignore[arg-type]


def running(import_id: str, at: float = 1.0) -> ImportRecord:
    return ImportRecord(
        import_id, "url", "running", at, url="https://x.example/f", lease_until=at + 10
    )


async def write(store: SQLStore, import_id: str, *records: ProductRecord) -> None:
    await store.write_products(import_id, [indexed(r) for r in records], [], running(import_id))


async def ids(store: SQLStore, text: str, **filters: object) -> list[str]:
    hits = await store.search_products(parse_query(text, **filters))  # type: ignore[arg-type]
    return [hit.id for hit in hits]


async def test_search_ignores_case_and_accents_and_takes_prefixes(products: SQLStore) -> None:
    await write(
        products,
        "i1",
        product("a", title="Zapatílla de trail", color="Roja", size="42"),
        product("b", title="Bluza", color="żółty"),
        product("c", title="Straße Schuh"),
    )
    assert await ids(products, "zapatilla roja 42") == ["a"]
    assert await ids(products, "ZAPAT") == ["a"]
    assert await ids(products, "zolty") == ["b"]
    assert await ids(products, "strasse") == ["c"]
    assert await ids(products, "zapatilla azul") == []


async def test_an_exact_code_comes_first_and_variants_make_one_hit(products: SQLStore) -> None:
    await write(
        products,
        "i1",
        product("ZT-ROJ-42", group_id="zt", title="Zapatilla 42", gtin="8412345678905"),
        product("ZT-ROJ-43", group_id="zt", title="Zapatilla 43"),
        product("other", title="Zapatilla ZT-ROJ-42 compatible"),
    )
    hits = await products.search_products(parse_query("zt-roj-42"))
    assert [(h.group_id, h.id) for h in hits][0] == ("zt", "ZT-ROJ-42")
    assert len(hits) == 2
    assert await ids(products, "8412345678905") == ["ZT-ROJ-42"]


async def test_filters_and_removed_products(products: SQLStore) -> None:
    await write(
        products,
        "i1",
        product("a", brand="Acme", product_type="Calzado > Trail"),
        product("b", brand="Other", availability="out_of_stock", product_type="Calzado"),
    )
    assert await ids(products, "product", in_stock=True) == ["a"]
    assert await ids(products, "", brand="Other") == ["b"]
    assert await ids(products, "", product_type="Calzado") == ["a", "b"]
    await write(products, "i2", product("a", brand="Acme"))
    done = dataclasses.replace(running("i2"), state="done", finished_at=2.0)
    assert await products.finish_import(done, remove_unlisted=True) == 1
    assert await ids(products, "product") == ["a"]
    removed = await products.product("b")
    assert removed is not None and removed.removed_at == 2.0
    assert await products.product_group("b") == []
    assert (await products.import_record("i2")).removed == 1  # type: ignore[union-attr]


async def test_digests_say_what_this_import_has_listed(products: SQLStore) -> None:
    await write(products, "i1", product("a"), product("b"))
    await products.write_products("i2", [], ["a"], running("i2"))
    found = await products.product_digests(["a", "b", "zzz"], "i2")
    assert found == {"a": ("d-a", True, True), "b": ("d-b", True, False)}


async def test_one_import_runs_at_a_time_until_its_lease_lapses(products: SQLStore) -> None:
    assert await products.create_import(running("i1", at=100.0))
    assert not await products.create_import(running("i2", at=105.0))
    assert await products.take_over_import(now=105.0, lease_until=200.0) is None
    taken = await products.take_over_import(now=111.0, lease_until=200.0)
    assert taken is not None and taken.id == "i1" and taken.lease_until == 200.0
    assert not await products.create_import(running("i3", at=150.0))
    await products.renew_import("i1", 300.0)
    assert await products.take_over_import(now=250.0, lease_until=400.0) is None


async def test_the_feed_schedule_is_one_row(products: SQLStore) -> None:
    assert await products.feed_schedule() is None
    feed = FeedScheduleRecord("https://shop.example/feed.xml", 60, etag='"x"', next_at=5.0)
    await products.set_feed_schedule(feed)
    await products.set_feed_schedule(dataclasses.replace(feed, every_minutes=30))
    assert await products.feed_schedule() == dataclasses.replace(feed, every_minutes=30)
    await products.set_feed_schedule(None)
    assert await products.feed_schedule() is None
