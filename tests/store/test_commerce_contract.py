"""The commerce slice (`CommerceStore`, the SQL store's, on each engine): products shown, sent
and added in the range's conversations, assisted orders holding one of them, what sold after a
chat, and the titles of the catalogue's products; over real events, conversions and an imported
catalogue."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from covisor.store.commerce import ProductMoment, ProductSales, ShownOrder
from covisor.store.records import ConversionItem, ConversionRecord
from covisor.store.sql import SQLStore
from tests.store.test_products_contract import product, running, write
from tests.store.test_reports_contract import ANN, BOB, END, SHOPPER, START, conversation

Step = tuple[str, float, dict[str, str], dict[str, Any]]


@pytest.fixture
async def commerce(sql_store: SQLStore) -> SQLStore:
    return sql_store


def card(group_id: str, title: str) -> dict[str, Any]:
    return {"id": group_id, "title": title, "variants": []}


def shown(at: float, group_id: str, variant_id: str) -> Step:
    media = {
        "source": "product",
        "id": "f" * 64,
        "kind": "image",
        "product": card(group_id, "as the card says"),
        "variant_id": variant_id,
    }
    return ("viewer.show", at, ANN, {"media": media})


def sent(at: float, group_id: str, agent: dict[str, str] = ANN) -> Step:
    return ("product.sent", at, agent, {"product": card(group_id, "x"), "variant_id": group_id})


def added(at: float, group_id: str, done: bool = True) -> Step:
    data: dict[str, Any] = {
        "product_id": group_id,
        "variant_id": None,
        "quantity": 1,
        "added": done,
        "title": "x",
    }
    if not done:
        data["error"] = "out of stock"
    return ("cart.added", at, SHOPPER, data)


def accepted(at: float, agent: dict[str, str]) -> Step:
    return (
        "conversation.accepted",
        at,
        agent,
        {"agent": {"id": agent["id"], "name": agent["name"]}},
    )


def order(
    order_id: str,
    conversation_id: str | None,
    at: float,
    items: list[tuple[str, int]],
    value: str = "10.00",
    currency: str = "EUR",
    device: str = "phone",
) -> ConversionRecord:
    return ConversionRecord(
        order_id,
        "v1",
        value,
        currency,
        device,
        conversation_id is not None,
        at,
        conversation_id,
        tuple(ConversionItem(pid, None, quantity, "1.00") for pid, quantity in items),
    )


async def catalogue(store: SQLStore) -> None:
    """ZT: two live variants and a removed one; BOTA: one product; GR: variants none of which
    has the group's id; OLD: removed."""
    await write(
        store,
        "i1",
        product("ZT-R42", group_id="ZT", title="Zapatilla de trail roja 42"),
        product("ZT-A42", group_id="ZT", title="Zapatilla de trail azul 42"),
        product("ZT-V40", group_id="ZT", title="Zapatilla vieja 40"),
        product("BOTA", title="Bota de montaña"),
        product("GR-1", group_id="GR", title="Gorra roja"),
        product("GR-2", group_id="GR", title="Gorra verde"),
        product("OLD", title="Gorro viejo"),
    )
    kept = ["ZT-R42", "ZT-A42", "BOTA", "GR-1", "GR-2"]
    await store.write_products("i2", [], kept, running("i2"))
    done = dataclasses.replace(running("i2"), state="done", finished_at=2.0)
    assert await store.finish_import(done, remove_unlisted=True) == 2


async def world(store: SQLStore) -> None:
    await catalogue(store)
    upload = {"media": {"source": "upload", "id": "a" * 64, "kind": "image"}}
    await conversation(
        store,
        "c1",
        START + 10,
        [
            accepted(START + 11, ANN),
            shown(START + 12, "ZT", "ZT-R42"),
            shown(START + 13, "ZT", "ZT-A42"),
            ("viewer.show", START + 14, ANN, upload),
            sent(START + 15, "BOTA"),
            added(START + 16, "ZT"),
            added(START + 17, "BOTA", done=False),
        ],
        {"status": "active", "visitor": {"device": "phone"}},
    )
    await conversation(
        store,
        "c2",
        START + 20,
        [accepted(START + 21, BOB), sent(START + 22, "OLD", BOB), shown(START + 23, "GR", "GR-1")],
        {"status": "active", "visitor": {"device": "desktop"}},
    )
    await conversation(
        store,
        "c0",
        START - 1_000,  # opened before the range: its events are not the range's
        [accepted(START - 999, ANN), shown(START - 998, "BOTA", "BOTA")],
        {"status": "closed"},
    )
    await conversation(store, "c9", END, [shown(END + 1, "ZT", "ZT-R42")], {"status": "active"})
    for record in [
        order("o1", "c1", START + 100, [("ZT-A42", 1), ("SOCKS", 2)], "81.00"),
        order("o2", "c1", START + 200, [("SOCKS", 3)]),
        order("o3", "c0", START + 300, [("BOTA", 1)], "120.00", "USD", "desktop"),
        order("o4", "c2", START + 400, [("OLD", 1), ("GR", 2)], "10.50", device="desktop"),
        order("o5", None, START + 500, [("ZT-R42", 5)]),  # unassisted
        order("o6", "c1", END, [("ZT-R42", 7)]),  # after the range
    ]:
        assert await store.add_conversion(record)


async def test_products_shown_sent_and_added_in_the_range_s_conversations(
    commerce: SQLStore,
) -> None:
    await world(commerce)
    assert await commerce.product_moments(START, END) == [
        ProductMoment("c1", "added", "ZT", 1),
        ProductMoment("c1", "sent", "BOTA", 1),
        ProductMoment("c1", "shown", "ZT", 2),
        ProductMoment("c2", "sent", "OLD", 1),
        ProductMoment("c2", "shown", "GR", 1),
    ]
    assert await commerce.product_moments(START - 1_000, START) == [
        ProductMoment("c0", "shown", "BOTA", 1)
    ]
    assert await commerce.product_moments(0.0, 1.0) == []


async def test_assisted_orders_holding_a_product_of_their_conversation(
    commerce: SQLStore,
) -> None:
    await world(commerce)
    assert await commerce.orders_with_shown(START, END) == [
        ShownOrder("o1", "phone", "EUR", 8100, "a1", "Ann"),  # a variant of the shown ZT
        ShownOrder("o3", "desktop", "USD", 12000, "a1", "Ann"),  # shown before the range
        ShownOrder("o4", "desktop", "EUR", 1050, "a2", "Bob"),  # sent, and a group's own id
    ]
    assert await commerce.orders_with_shown(END, END + 1) == [
        ShownOrder("o6", "phone", "EUR", 1000, "a1", "Ann")
    ]


async def test_what_sold_after_a_chat_by_product_of_the_catalogue(commerce: SQLStore) -> None:
    await world(commerce)
    assert await commerce.sold_after_chat(START, END, 10) == [
        ProductSales("SOCKS", 5, 2),  # not in the catalogue: its own id
        ProductSales("GR", 2, 1),
        ProductSales("BOTA", 1, 1),
        ProductSales("OLD", 1, 1),
        ProductSales("ZT", 1, 1),
    ]
    assert await commerce.sold_after_chat(START, END, 2) == [
        ProductSales("SOCKS", 5, 2),
        ProductSales("GR", 2, 1),
    ]


async def test_a_known_order_keeps_its_first_items(commerce: SQLStore) -> None:
    await world(commerce)
    assert not await commerce.add_conversion(order("o2", "c1", START + 900, [("BOTA", 50)]))
    sold = await commerce.sold_after_chat(START, END, 10)
    assert ProductSales("BOTA", 1, 1) in sold and ProductSales("SOCKS", 5, 2) in sold


async def test_titles_of_the_catalogue_s_products_removed_ones_included(
    commerce: SQLStore,
) -> None:
    await catalogue(commerce)
    titles = await commerce.product_titles(["ZT", "OLD", "GR", "SOCKS"])
    assert titles == {
        "ZT": ["Zapatilla de trail azul 42", "Zapatilla de trail roja 42"],  # live ones only
        "OLD": ["Gorro viejo"],
        "GR": ["Gorra roja", "Gorra verde"],
    }
    assert await commerce.product_titles([]) == {}
