"""The visit part of the Store contract: visitors, invitations, rules, conversions."""

from __future__ import annotations

from typing import Any

from covisor.store.records import (
    ConversionItem,
    ConversionRecord,
    InvitationRecord,
    PageView,
    RuleRecord,
    VisitedPage,
)
from covisor.store.sql import SQLStore

GAP = 30 * 60 * 1000.0
MINUTE = 60_000.0


def view(visitor: str, at: float, url: str = "https://s/p", **kw: Any) -> PageView:
    return PageView(visitor, at, url, kw.pop("title", "P"), device="phone", **kw)


async def test_page_views_make_visits_and_heartbeats_keep_them_alive(store: Any) -> None:
    await store.record_visits(
        [
            view("v1", 1000.0, "https://s/", referrer="https://search.example/"),
            view("v1", 1000.0 + MINUTE, "https://s/boots", title="$boots"),
            PageView("v1", 1000.0 + 3 * MINUTE),
        ],
        GAP,
    )
    found = await store.visitor("v1")
    assert (found.url, found.title, found.pages, found.visits) == (
        "https://s/boots",
        "$boots",
        2,
        1,
    )
    assert found.last_seen == 1000.0 + 3 * MINUTE and found.page_at == 1000.0 + MINUTE
    assert found.referrer == "https://search.example/", "where the visit came from"
    assert found.device == "phone" and not found.returning
    assert await store.visit_pages("v1", found.visit_started) == [
        VisitedPage("https://s/", "P", 1000.0),
        VisitedPage("https://s/boots", "$boots", 1000.0 + MINUTE),
    ]
    later = 1000.0 + 3 * MINUTE + GAP + 1
    await store.record_visits([view("v1", later, "https://s/cart")], GAP)
    again = await store.visitor("v1")
    assert (again.visits, again.pages, again.visit_started) == (2, 1, later)
    assert again.returning and again.first_seen == 1000.0
    assert [p.url for p in await store.visit_pages("v1", again.visit_started)] == ["https://s/cart"]
    await store.record_visits([PageView("nobody", 5.0)], GAP)
    assert await store.visitor("nobody") is None, "a heartbeat alone makes no visitor"


async def test_live_visitors_are_those_seen_lately_newest_first(store: Any) -> None:
    await store.record_visits([view("old", 1000.0), view("new", 9000.0), view("mid", 5000.0)], GAP)
    assert [v.id for v in await store.live_visitors(4000.0)] == ["new", "mid"]
    assert await store.forget_visitors(4000.0) == 1
    assert await store.visitor("old") is None
    assert await store.visit_pages("old", 0.0) == []


async def test_an_invitation_is_decided_once(store: Any) -> None:
    await store.record_visits([view("v1", 1000.0)], GAP)
    invitation = InvitationRecord("i1", "v1", "Need help?", 2000.0, "a_1", "Ann")
    await store.add_invitation(invitation)
    assert await store.invitation("i1") == invitation
    decided = await store.decide_invitation("i1", "accepted", 3000.0, "c_1")
    assert decided is not None and decided.outcome == "accepted"
    assert decided.conversation_id == "c_1" and decided.decided_at == 3000.0
    assert await store.decide_invitation("i1", "declined", 4000.0, None) is None
    assert (await store.invitation("i1")).outcome == "accepted"


async def test_a_conversation_makes_the_visitor_assisted_from_then_on(store: Any) -> None:
    await store.record_visits([view("v1", 1000.0)], GAP)
    await store.link_conversation("v1", "c_1", 2000.0)
    await store.link_conversation("v1", "c_2", 3000.0)
    found = await store.visitor("v1")
    assert (found.conversation_id, found.assisted_at) == ("c_2", 2000.0)


async def test_rules_are_added_replaced_listed_and_deleted(store: Any) -> None:
    rule = RuleRecord("r1", "Boots", True, {"url": "*/boots*"}, {"en": "Hi"}, 1.0, 1.0)
    await store.put_invitation_rule(rule)
    await store.put_invitation_rule(RuleRecord("r0", "Later", False, {}, {"es": "Hola"}, 2.0, 2.0))
    changed = RuleRecord("r1", "Boots!", False, {"seconds": 20}, {"de": "Hallo"}, 9.0, 3.0)
    await store.put_invitation_rule(changed)
    rules = await store.invitation_rules()
    assert [r.id for r in rules] == ["r1", "r0"]
    assert rules[0] == RuleRecord("r1", "Boots!", False, {"seconds": 20}, {"de": "Hallo"}, 1.0, 3.0)
    assert await store.delete_invitation_rule("r1") is True
    assert await store.delete_invitation_rule("r1") is False


async def stored_items(store: Any, order_id: str) -> list[ConversionItem]:
    """The items of a conversion as the backend keeps them: the rows of `conversion_items`
    (SQL), or the array in the conversion's document (MongoDB); nothing reads them back but
    the SQL reports (tests/store/test_commerce_contract.py)."""
    if not isinstance(store, SQLStore):
        found = await store._db.conversions.find_one({"_id": order_id})
        return [ConversionItem(**item) for item in found["items"]]
    rows = await store._db.fetch(
        "SELECT product_id, variant_id, quantity, price FROM conversion_items "
        "WHERE order_id = ? ORDER BY position",
        (order_id,),
    )
    return [ConversionItem(*row) for row in rows]


async def test_a_conversion_is_kept_once_per_order_with_its_items(store: Any) -> None:
    items = (
        ConversionItem("ZT-R42", None, 1, "69.00"),
        ConversionItem("ZT", "ZT-A42", 2, "0.50"),
        ConversionItem("ZT-R42", None, 1, "69.00"),  # the same line twice stays twice
    )
    order = ConversionRecord("o-1", "v1", "89.90", "EUR", "phone", True, 1000.0, "c_1", items)
    assert await store.add_conversion(order) is True
    again = ConversionRecord("o-1", "v2", "1.00", "USD", "desktop", False, 2000.0, None, items[:1])
    assert await store.add_conversion(again) is False
    assert await stored_items(store, "o-1") == list(items), "the first report's items stand"
    none = ConversionRecord("o-2", "v1", "5.00", "EUR", "phone", False, 3000.0)
    assert await store.add_conversion(none) is True
    assert await stored_items(store, "o-2") == []
