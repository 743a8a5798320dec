"""The report's `products` section through the real server: conversations opened, accepted and
ordered from through REST and Socket.IO, their product events (`viewer.show` of a feed product,
`product.sent`, `cart.added`) appended through the store, the catalogue written through it as
an import does; then `GET /api/reports` and its CSV. Also the items of `POST /api/conversions`:
what is kept, and what is refused."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from covisor.app.http import create_app
from covisor.config import Config
from covisor.history.reports import Reports, csv_text
from covisor.kernel.events import Event
from covisor.store import Append
from covisor.store.sql import SQLStore
from tests.conftest import ManualClock, serving
from tests.history.test_reports import DESKTOP, OPENAPI, PHONE, Shop, utc
from tests.store.test_products_contract import product, write

DAY = "/api/reports?from=2026-03-28&to=2026-03-28&tz=UTC"
AGENT = {"id": "", "role": "agent", "name": ""}


async def append(s: Shop, cid: str, *steps: tuple[str, dict[str, Any]]) -> None:
    """Events after the conversation's last one, at the clock's time, as its agent or shopper
    would send them (the commands that make them are not this test's)."""
    store = s.h.services.store
    stored = await store.conversation(cid)
    assert stored is not None
    events = [
        Event(cid, stored.seq + n, type_, s.clock.now, AGENT, data)
        for n, (type_, data) in enumerate(steps, start=1)
    ]
    assert not await store.commit([Append(cid, stored.seq, events, None)])


def shown(group_id: str, variant_id: str) -> tuple[str, dict[str, Any]]:
    card = {"id": group_id, "title": "on the card", "variants": []}
    media = {"source": "product", "id": "f" * 64, "product": card, "variant_id": variant_id}
    return "viewer.show", {"media": media}


def sent(group_id: str) -> tuple[str, dict[str, Any]]:
    return "product.sent", {"product": {"id": group_id, "title": "x"}, "variant_id": group_id}


def added(group_id: str, done: bool) -> tuple[str, dict[str, Any]]:
    data = {"product_id": group_id, "variant_id": None, "quantity": 1, "added": done, "title": ""}
    return "cart.added", data


@pytest.fixture
async def shop(config: Config) -> AsyncIterator[tuple[Shop, str, str]]:
    """Ann's phone shopper who was shown the trail shoe, bought a variant of it and socks; Bob's
    desktop shopper who was sent the boot and bought it in USD; a visitor who never chatted and
    bought five shoes. The admin's token and the phone shopper's visitor token."""
    clock = ManualClock(utc("2026-03-28T09:00:00"))
    async with serving(await create_app(config, clock=clock)) as h:
        s = Shop(h, clock)
        store = h.services.store
        assert isinstance(store, SQLStore)
        await write(
            store,
            "i1",
            product("ZT-R42", group_id="ZT", title="Zapatilla de trail roja 42"),
            product("ZT-A42", group_id="ZT", title="Zapatilla de trail azul 42"),
            product("BOTA", title="Bota de montaña"),
        )
        agents = h.services.agents
        _, admin = await agents.add("Boss", role="admin")
        _, ann = await agents.add("Ann")
        _, bob = await agents.add("Bob")

        _, phone = await s.visitor(PHONE)
        a = await s.open(PHONE, visitor_token=phone)
        await s.ok("POST", f"/api/conversations/{a['id']}/accept", ann)
        s.at("2026-03-28T09:05:00")
        await append(
            s,
            a["id"],
            shown("ZT", "ZT-R42"),
            shown("ZT", "ZT-A42"),
            sent("BOTA"),
            added("ZT", True),
            added("BOTA", False),
        )
        s.at("2026-03-28T09:10:00")
        items = [
            {"product_id": "ZT-A42", "quantity": 1, "price": "69"},
            {"product_id": "SOCKS", "variant_id": "SOCKS-M", "quantity": 2, "price": 6},
        ]
        order: dict[str, Any] = {
            "value": "81",
            "currency": "EUR",
            "order_id": "A-1",
            "items": items,
        }
        made = await s.ok("POST", "/api/conversions", phone, json=order)
        assert made["assisted"] is True and made["items"] == [
            {"product_id": "ZT-A42", "variant_id": None, "quantity": 1, "price": "69.00"},
            {"product_id": "SOCKS", "variant_id": "SOCKS-M", "quantity": 2, "price": "6.00"},
        ]

        s.at("2026-03-28T11:00:00")
        _, desk = await s.visitor(DESKTOP)
        b = await s.open(DESKTOP, visitor_token=desk)
        await s.ok("POST", f"/api/conversations/{b['id']}/accept", bob)
        await append(s, b["id"], sent("BOTA"))
        boot = [{"product_id": "BOTA", "quantity": 1, "price": 120}]
        order = {"value": 120, "currency": "USD", "order_id": "B-1", "items": boot}
        await s.ok("POST", "/api/conversions", desk, json=order)

        _, alone = await s.visitor(PHONE)
        five = [{"product_id": "ZT-R42", "quantity": 5, "price": "69.00"}]
        order = {"value": "345", "currency": "EUR", "order_id": "C-1", "items": five}
        assert (await s.ok("POST", "/api/conversions", alone, json=order))["assisted"] is False
        s.at("2026-03-29T08:00:00")
        yield s, admin, phone


def figures(
    shown: int, sent: int, added: int, orders: int, value: list[tuple[str, int, str]]
) -> dict[str, Any]:
    return {
        "shown": shown,
        "sent": sent,
        "added_to_cart": added,
        "orders_with_shown": orders,
        "orders_value": [
            {"currency": c, "orders": n, "total": total, "average": total} for c, n, total in value
        ],
    }


async def test_the_products_of_the_day_s_conversations(shop: tuple[Shop, str, str]) -> None:
    s, admin, _ = shop
    status, report = await s.h.request("GET", DAY, admin)
    assert status == 200, report
    products = report["products"]
    eur, usd = ("EUR", 1, "81.00"), ("USD", 1, "120.00")
    ann = next(a for a in report["agents"] if a["name"] == "Ann")["id"]
    bob = next(a for a in report["agents"] if a["name"] == "Bob")["id"]
    assert products == {
        **figures(2, 2, 1, 2, [eur, usd]),
        "agents": [
            {"id": ann, "name": "Ann", **figures(2, 1, 1, 1, [eur])},
            {"id": bob, "name": "Bob", **figures(0, 1, 0, 1, [usd])},
        ],
        "devices": [
            {"device": "desktop", **figures(0, 1, 0, 1, [usd])},
            {"device": "phone", **figures(2, 1, 1, 1, [eur])},
        ],
        "most_shown": [{"product_id": "ZT", "title": "Zapatilla de trail", "shown": 2}],
        "most_sold_after_chat": [
            {"product_id": "SOCKS", "title": None, "quantity": 2, "orders": 1},
            {"product_id": "BOTA", "title": "Bota de montaña", "quantity": 1, "orders": 1},
            {"product_id": "ZT", "title": "Zapatilla de trail", "quantity": 1, "orders": 1},
        ],
    }
    Draft202012Validator({"$ref": "#/components/schemas/Report", **OPENAPI}).validate(report)
    status, later = await s.h.request(
        "GET", "/api/reports?from=2026-03-29&to=2026-03-29&tz=UTC", admin
    )
    assert later["products"] == {
        **figures(0, 0, 0, 0, []),
        "agents": [],
        "devices": [],
        "most_shown": [],
        "most_sold_after_chat": [],
    }
    Draft202012Validator({"$ref": "#/components/schemas/Report", **OPENAPI}).validate(later)


async def test_the_csv_has_the_products_sections(shop: tuple[Shop, str, str]) -> None:
    s, admin, _ = shop
    async with s.h.http.get(
        s.h.url + DAY.replace("/api/reports", "/api/reports.csv"),
        headers={"Authorization": f"Bearer {admin}"},
    ) as response:
        assert response.status == 200
        text = await response.text()
    sections: dict[str, list[list[str]]] = {}
    for row in csv.reader(io.StringIO(text)):
        if row and row[0].startswith("# "):
            current = sections.setdefault(row[0][2:], [])
        elif row:
            current.append(row)
    names = list(sections)
    assert names[names.index("orders") + 1 : names.index("per_day")] == [
        "products",
        "products_orders",
        "most_shown",
        "most_sold_after_chat",
    ]
    products = sections["products"]
    assert products[0] == [
        "scope",
        "id",
        "name",
        "shown",
        "sent",
        "added_to_cart",
        "orders_with_shown",
    ]
    assert products[1] == ["all", "", "", "2", "2", "1", "2"]
    assert [row[0] for row in products[1:]] == ["all", "agent", "agent", "device", "device"]
    assert products[2][2:] == ["Ann", "2", "1", "1", "1"]
    assert sections["products_orders"][1:3] == [
        ["all", "", "EUR", "1", "81.00", "81.00"],
        ["all", "", "USD", "1", "120.00", "120.00"],
    ]
    assert sections["most_shown"][1:] == [["ZT", "Zapatilla de trail", "2"]]
    assert sections["most_sold_after_chat"][1] == ["SOCKS", "", "2", "1"]


async def test_without_a_product_catalogue_the_section_is_null(
    shop: tuple[Shop, str, str],
) -> None:
    """As on MongoDB, whose store has no commerce slice."""
    s, _, _ = shop
    report = await Reports(s.h.services.store, lambda: "UTC").report(
        "2026-03-28", "2026-03-28", None
    )
    assert report["products"] is None
    assert report["conversions"], "the rest of the report is there"
    Draft202012Validator({"$ref": "#/components/schemas/Report", **OPENAPI}).validate(report)
    assert "# products" not in csv_text(report) and "# per_day" in csv_text(report)


@pytest.mark.parametrize(
    ("items", "complaint"),
    [
        ([{"product_id": "P", "quantity": 1, "price": "x"}], "items[0].price"),
        ([{"product_id": "P", "quantity": 1, "price": -1}], "items[0].price"),
        ([{"product_id": "P", "quantity": 1, "price": "1e12"}], "items[0].price"),
        ([{"product_id": "P", "quantity": 1, "price": 1}] * 101, "$.items"),
        ([{"product_id": "P", "quantity": 0, "price": 1}], "$.items[0].quantity"),
        ([{"product_id": "P", "quantity": 10_000, "price": 1}], "$.items[0].quantity"),
        ([{"product_id": "P", "quantity": 1.5, "price": 1}], "$.items[0].quantity"),
        ([{"product_id": "", "quantity": 1, "price": 1}], "$.items[0].product_id"),
        ([{"product_id": "P" * 51, "quantity": 1, "price": 1}], "$.items[0].product_id"),
        ([{"product_id": "P", "variant_id": "", "quantity": 1, "price": 1}], "variant_id"),
        ([{"product_id": "P", "quantity": 1, "price": 1, "sku": "x"}], "sku"),
        ([{"product_id": "P", "quantity": 1}], "price"),
        ({"product_id": "P"}, "$.items"),
    ],
)
async def test_bad_items_are_refused_and_nothing_is_kept(
    shop: tuple[Shop, str, str], items: Any, complaint: str
) -> None:
    s, _, phone = shop
    order = {"value": "1", "currency": "EUR", "order_id": "bad-1", "items": items}
    status, body = await s.h.request("POST", "/api/conversions", phone, json=order)
    assert status == 400, body
    assert body["ok"] is False and body["error"]["code"] == "bad_request"
    assert complaint in body["error"]["message"], body
    del order["items"]
    status, body = await s.h.request("POST", "/api/conversions", phone, json=order)
    assert status == 201 and body["items"] == [], "the refused order was not kept"
