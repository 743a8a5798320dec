"""Live visitors, invitations (by agents, rules and the shop's JS) and conversions."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from covisor.app.http import create_app
from covisor.config import Config
from tests.conftest import WAIT, Harness, Peer, agent_token_for, serving, spawn_pair

PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/130 Mobile Safari/537"


class Visitor:
    """A widget on a shop page: a visitor credential and one socket per page."""

    def __init__(self, url: str, token: str, visitor_id: str) -> None:
        self.url, self.token, self.id = url, token, visitor_id
        self.sio = socketio.AsyncClient(reconnection=False)
        self.invitations: list[dict[str, Any]] = []
        self.invited = asyncio.Event()
        self.sio.on("invitation", self._on_invitation)

    async def _on_invitation(self, invitation: dict[str, Any]) -> None:
        self.invitations.append(invitation)
        self.invited.set()

    async def arrive(self, url: str, title: str = "", **extra: Any) -> None:
        """Open a page as the widget does: a new socket with the page in its `auth`."""
        await self._connect({"token": self.token, "page": {"url": url, "title": title, **extra}})

    async def open_page(self, url: str, title: str = "", **extra: Any) -> dict[str, Any]:
        """Open a page as older widgets do: a new socket, then `visitor.page`; its answer."""
        await self._connect({"token": self.token})
        answer: dict[str, Any] = await self.sio.call(
            "visitor.page", {"url": url, "title": title, **extra}, timeout=WAIT
        )
        return answer

    async def _connect(self, auth: dict[str, Any]) -> None:
        if self.sio.connected:
            await self.sio.disconnect()
            self.sio = socketio.AsyncClient(reconnection=False)
            self.sio.on("invitation", self._on_invitation)
        await self.sio.connect(
            self.url,
            auth=auth,
            transports=["websocket"],
            headers={"User-Agent": PHONE, "Accept-Language": "es-ES,es;q=0.9"},
        )

    async def call(self, event: str, payload: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = await self.sio.call(event, payload, timeout=WAIT)
        return answer

    async def close(self) -> None:
        await self.sio.disconnect()


async def new_visitor(h: Harness) -> Visitor:
    status, body = await h.request("POST", "/api/visitors", json={})
    assert status == 201, body
    visitor = Visitor(h.url, body["token"], body["id"])
    return visitor


@pytest.fixture
async def site(config: Config) -> AsyncIterator[Harness]:
    """A server that writes page views every 50 ms and nags nobody twice a day."""
    app = await create_app(config.replace(visitor_flush=0.05))
    async with serving(app) as h:
        yield h


async def listed(
    h: Harness, token: str, visitor_id: str, title: str | None = None
) -> dict[str, Any]:
    """The visitor as agents list it, once listed (on the page titled `title`, if given)."""
    for _ in range(100):
        status, body = await h.request("GET", "/api/visitors", token)
        assert status == 200, body
        found: list[dict[str, Any]] = [v for v in body["visitors"] if v["id"] == visitor_id]
        if found and title in (None, found[0]["page"]["title"]):
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"{visitor_id} is not listed")


async def home_then_boots_seen(site: Harness, agent: Peer, visitor: Visitor) -> dict[str, Any]:
    """After the visitor's pages "Home" (from duck.example) then "Trail boots": the list, the
    agents' push, a heartbeat and the visit's history agree. The visitor as listed."""
    found = await listed(site, agent.token, visitor.id, "Trail boots")
    assert found["page"] == {"url": "https://shop.example/boots", "title": "Trail boots"}
    assert found["pages"] == 2 and found["device"] == "phone"
    assert found["referrer"] == "https://duck.example/"
    await agent.wait_for(
        lambda p: any(
            v["page"]["title"] == "Trail boots"
            for name, push in p.pushes
            if name == "visitors"
            for v in push["visitors"]
        )
    )
    assert (await visitor.call("visitor.ping", {}))["ok"] is True
    _, detail = await site.request("GET", f"/api/visitors/{visitor.id}", agent.token)
    assert [p["title"] for p in detail["history"]] == ["Home", "Trail boots"]
    return found


async def test_a_visitor_keeps_its_id_and_a_forged_token_gets_a_new_one(site: Harness) -> None:
    status, first = await site.request("POST", "/api/visitors", json={})
    status, again = await site.request("POST", "/api/visitors", json={"token": first["token"]})
    assert status == 201 and again["id"] == first["id"] and again["token"]
    status, other = await site.request("POST", "/api/visitors", json={"token": "g.forged.x"})
    assert other["id"] != first["id"]
    status, body = await site.request("POST", "/api/visitors", json={"token": 5})
    assert status == 400


async def test_agents_see_visitors_browse_live(site: Harness) -> None:
    agent = await site.peer(await site.agent_token())
    visitor = await new_visitor(site)
    try:
        await visitor.open_page("https://shop.example/", "Home", referrer="https://duck.example/")
        await visitor.open_page("https://shop.example/boots", "Trail boots")
        found = await home_then_boots_seen(site, agent, visitor)
        assert found["language"] == "es-ES" and found["returning"] is False
        status, _ = await site.request("GET", "/api/visitors", visitor.token)
        assert status == 403
    finally:
        await visitor.close()


async def test_visitors_leave_the_list_after_the_idle_time(config: Config) -> None:
    from tests.conftest import ManualClock

    clock = ManualClock()
    app = await create_app(config.replace(visitor_flush=0.05, visitor_idle=60), clock=clock)
    async with serving(app) as h:
        token = await h.agent_token()
        visitor = await new_visitor(h)
        try:
            await visitor.open_page("https://shop.example/", "Home")
            await listed(h, token, visitor.id)
            clock.advance(61)
            _, body = await h.request("GET", "/api/visitors", token)
            assert body["visitors"] == []
        finally:
            await visitor.close()


async def test_an_agents_invitation_accepted_opens_the_agents_conversation(site: Harness) -> None:
    agent_id, agent_token = await site.services.agents.add("Ann")
    agent = await site.peer(agent_token)
    visitor = await new_visitor(site)
    try:
        await visitor.open_page("https://shop.example/boots", "Trail boots")
        await listed(site, agent_token, visitor.id)
        status, invitation = await site.request(
            "POST",
            f"/api/visitors/{visitor.id}/invite",
            agent_token,
            json={"message": "Hola, ¿te ayudo con la talla?"},
        )
        assert status == 201, invitation
        await asyncio.wait_for(visitor.invited.wait(), WAIT)
        (shown,) = visitor.invitations
        assert shown["agent"] == {"id": agent_id, "name": "Ann"}
        assert shown["message"] == "Hola, ¿te ayudo con la talla?"

        status, opened = await site.request(
            "POST",
            f"/api/invitations/{shown['id']}/accept",
            visitor.token,
            json={"page": {"url": "https://shop.example/boots"}},
        )
        assert status == 201, opened
        status, summary = await site.request(
            "GET", f"/api/conversations/{opened['id']}", agent_token
        )
        assert status == 200 and summary["agent_id"] == agent_id and summary["status"] == "active"
        assert summary["last_message"]["text"] == "Hola, ¿te ayudo con la talla?"
        await agent.wait_for(
            lambda p: any(n == "assigned" and d["id"] == opened["id"] for n, d in p.pushes)
        )
        status, again = await site.request(
            "POST", f"/api/invitations/{shown['id']}/accept", visitor.token, json={}
        )
        assert status == 409
        found = await listed(site, agent_token, visitor.id)
        assert found["conversation_id"] == opened["id"]
        assert found["in_chat"] is True, found
    finally:
        await visitor.close()


async def test_an_agent_at_capacity_invites_only_when_saying_so(site: Harness) -> None:
    """Issue 24, 7: an invitation is one more conversation; a visitor who accepts once the
    agent is full meanwhile waits in the queue."""
    agent_id, agent_token = await site.services.agents.add("Ann", capacity=1)
    visitor = await new_visitor(site)
    try:
        await visitor.open_page("https://shop.example/", "Home")
        await listed(site, agent_token, visitor.id)
        invite = f"/api/visitors/{visitor.id}/invite"
        status, invitation = await site.request("POST", invite, agent_token, json={"message": "Hi"})
        assert status == 201, invitation
        await site.accepted((await site.open_conversation())["id"], agent_token)
        status, body = await site.request("POST", invite, agent_token, json={"message": "Hi"})
        assert status == 409 and body["error"]["code"] == "at_capacity", body
        status, body = await site.request(
            "POST", invite, agent_token, json={"message": "Hi", "override": True}
        )
        assert status == 201, body
        status, opened = await site.request(
            "POST", f"/api/invitations/{invitation['id']}/accept", visitor.token, json={}
        )
        assert status == 201, opened
        _, queue = await site.request("GET", "/api/conversations?status=waiting", agent_token)
        assert [c["id"] for c in queue["conversations"]] == [opened["id"]], "in the queue"
    finally:
        await visitor.close()


async def test_a_declined_invitation_is_recorded_once(site: Harness) -> None:
    agent_token = await site.agent_token()
    await site.peer(agent_token)
    visitor = await new_visitor(site)
    stranger = await new_visitor(site)
    try:
        await visitor.open_page("https://shop.example/", "Home")
        await listed(site, agent_token, visitor.id)
        status, invitation = await site.request(
            "POST", f"/api/visitors/{visitor.id}/invite", agent_token, json={"message": "Hi!"}
        )
        path = f"/api/invitations/{invitation['id']}/decline"
        status, body = await site.request("POST", path, stranger.token)
        assert status == 404, "another visitor's invitation does not exist for them"
        status, body = await site.request("POST", path, visitor.token)
        assert status == 200 and body["outcome"] == "declined"
        status, body = await site.request("POST", path, visitor.token)
        assert status == 409
        status, body = await site.request(
            "POST", "/api/visitors/v_nobody/invite", agent_token, json={"message": "Hi"}
        )
        assert status == 404
    finally:
        await visitor.close()


async def admin(h: Harness) -> str:
    _, token = await h.services.agents.add("Admin", role="admin")
    return token


async def test_a_rule_invites_once_when_an_agent_has_room(site: Harness) -> None:
    boss = await admin(site)
    rule = {
        "name": "Boots, phone, a second",
        "conditions": {"url": "*/boots*", "seconds": 1, "devices": ["phone"]},
        "messages": {"en": "Need a size?", "es": "¿Necesitas una talla?"},
    }
    status, created = await site.request("POST", "/api/invitation-rules", boss, json=rule)
    assert status == 201, created
    status, _ = await site.request(
        "POST", "/api/invitation-rules", await site.agent_token(), json=rule
    )
    assert status == 403
    visitor = await new_visitor(site)
    try:
        answer = await visitor.open_page("https://shop.example/boots/trail", "Trail boots")
        await asyncio.sleep(1.3)
        assert visitor.invitations == [], "no agent is online: nobody is invited"

        _, agent_token = await site.services.agents.add("Bea")
        await site.peer(agent_token)
        answer = await visitor.open_page("https://shop.example/", "Home")
        await asyncio.sleep(1.3)
        assert answer["invitation"] is None and visitor.invitations == [], "not on that page"

        await visitor.open_page("https://shop.example/boots/trail", "Trail boots")
        await asyncio.wait_for(visitor.invited.wait(), WAIT)
        (invitation,) = visitor.invitations
        assert invitation["message"] == "¿Necesitas una talla?", "in the visitor's language"
        assert invitation["agent"]["name"] == "Bea"

        await visitor.open_page("https://shop.example/boots/other", "Other boots")
        await asyncio.sleep(1.3)
        assert len(visitor.invitations) == 1, "nobody is invited twice"
    finally:
        await visitor.close()


async def test_a_page_comes_with_its_connection_and_agents_see_it_live(site: Harness) -> None:
    agent = await site.peer(await site.agent_token())
    visitor = await new_visitor(site)
    try:
        await visitor.arrive("https://shop.example/", "Home", referrer="https://duck.example/")
        await visitor.arrive("https://shop.example/boots", "Trail boots")
        await home_then_boots_seen(site, agent, visitor)
        await visitor.call("visitor.page", {"url": "https://shop.example/cart", "title": "Cart"})
        assert (await listed(site, agent.token, visitor.id, "Cart"))["pages"] == 3
    finally:
        await visitor.close()


async def test_rules_invite_a_page_that_came_with_its_connection(site: Harness) -> None:
    """At once, or after its seconds on the page: pushed, the connection answered first."""
    boss = await admin(site)
    for conditions in ({"url": "*/sale*"}, {"url": "*/boots*", "seconds": 1}):
        rule = {"name": conditions["url"], "conditions": conditions, "messages": {"en": "Hi"}}
        status, created = await site.request("POST", "/api/invitation-rules", boss, json=rule)
        assert status == 201, created
    await site.peer(await site.agent_token())
    ws = await site.http.ws_connect(f"{site.url}/socket.io/?EIO=4&transport=websocket")
    assert (await ws.receive_str(timeout=WAIT)).startswith("0{")
    page = {"url": "https://shop.example/sale", "title": "Sale"}
    await ws.send_str("40" + json.dumps({"token": (await new_visitor(site)).token, "page": page}))
    assert (await ws.receive_str(timeout=WAIT)).startswith("40{")
    name, invitation = json.loads((await ws.receive_str(timeout=WAIT))[2:])
    assert name == "invitation" and invitation["message"] == "Hi"
    await ws.close()

    visitor = await new_visitor(site)
    try:
        await visitor.arrive("https://shop.example/boots/trail", "Trail boots")
        assert visitor.invitations == [], "the rule waits a second on the page"
        await asyncio.wait_for(visitor.invited.wait(), WAIT)
        assert [i["message"] for i in visitor.invitations] == ["Hi"]
    finally:
        await visitor.close()


async def test_a_page_that_visitor_page_would_refuse_refuses_the_connection(
    site: Harness,
) -> None:
    visitor = await new_visitor(site)
    customer = (await site.open_conversation())["token"]
    for token, page, answer in [
        (visitor.token, {"url": "javascript:alert(1)"}, "44"),
        (visitor.token, "https://shop.example/", "44"),
        (visitor.token, {"url": "https://shop.example/", "price": 5}, "44"),
        (customer, {"url": 5}, "40"),
    ]:
        ws = await site.http.ws_connect(f"{site.url}/socket.io/?EIO=4&transport=websocket")
        await ws.receive_str(timeout=WAIT)
        await ws.send_str("40" + json.dumps({"token": token, "page": page}))
        frame = await ws.receive_str(timeout=WAIT)
        assert frame[:2] == answer, (page, frame)
        if answer == "44":
            assert json.loads(frame[2:])["data"]["code"] == "bad_request"
        await ws.close()
    agent_token = await site.agent_token()
    _, body = await site.request("GET", "/api/visitors", agent_token)
    assert body["visitors"] == [], "a refused page is not taken"


async def test_trigger_rules_and_the_shops_own_invitation(site: Harness) -> None:
    boss = await admin(site)
    rule = {
        "name": "Cart trouble",
        "conditions": {"trigger": "coupon-failed"},
        "messages": {"en": "Coupon trouble? We can help."},
    }
    await site.request("POST", "/api/invitation-rules", boss, json=rule)
    await site.peer(await site.agent_token())
    visitor = await new_visitor(site)
    other = await new_visitor(site)
    try:
        answer = await visitor.open_page("https://shop.example/cart", "Cart")
        assert answer["invitation"] is None, "a trigger rule waits for its trigger"
        answer = await visitor.call("visitor.trigger", {"name": "coupon-failed"})
        assert answer["invitation"]["message"] == "Coupon trouble? We can help."
        await other.open_page("https://shop.example/", "Home")
        answer = await other.call("visitor.invite", {"message": "Free shipping today!"})
        assert answer["invitation"]["message"] == "Free shipping today!"
        bad = await other.call("visitor.trigger", {"name": "bad name!"})
        assert bad["error"]["code"] == "bad_request"
        status, listing = await site.request("GET", "/api/invitation-rules", boss)
        assert [r["name"] for r in listing["rules"]] == ["Cart trouble"]
        rule_id = listing["rules"][0]["id"]
        status, _ = await site.request(
            "PUT", f"/api/invitation-rules/{rule_id}", boss, json={**rule, "enabled": False}
        )
        assert status == 200
        status, _ = await site.request("DELETE", f"/api/invitation-rules/{rule_id}", boss)
        assert status == 204
        status, _ = await site.request("DELETE", f"/api/invitation-rules/{rule_id}", boss)
        assert status == 404
    finally:
        await visitor.close()
        await other.close()


async def test_roles_keep_to_their_events(site: Harness) -> None:
    cid, customer, agent = await site.session()
    refused = await customer.call("visitor.page", {"url": "https://shop.example/"})
    assert refused["error"]["code"] == "forbidden"
    visitor = await new_visitor(site)
    try:
        await visitor.open_page("https://shop.example/", "Home")
        joined = await visitor.call("join", {"conversation_id": cid})
        assert joined["error"]["code"] == "forbidden"
        bad = await visitor.call("visitor.page", {"url": 5})
        assert bad["error"]["code"] == "bad_request"
        status, _ = await site.request("GET", f"/api/conversations/{cid}", visitor.token)
        assert status == 403
    finally:
        await visitor.close()


async def test_a_conversion_counts_once_and_knows_whether_the_visitor_chatted(
    site: Harness,
) -> None:
    chatted = await new_visitor(site)
    browsed = await new_visitor(site)
    try:
        await chatted.open_page("https://shop.example/", "Home")
        await browsed.open_page("https://shop.example/", "Home")
        await site.services.tracking.flush()
        status, opened = await site.request(
            "POST", "/api/conversations", json={"visitor_token": chatted.token}
        )
        assert status == 201
        order = {"value": "89.9", "currency": "eur", "order_id": "A-1001"}
        status, body = await site.request("POST", "/api/conversions", chatted.token, json=order)
        assert status == 201, body
        assert body["value"] == "89.90" and body["currency"] == "EUR"
        assert body["assisted"] is True and body["conversation_id"] == opened["id"]
        assert body["device"] == "phone"
        status, body = await site.request("POST", "/api/conversions", chatted.token, json=order)
        assert status == 200, "the same order again counts once"
        status, body = await site.request(
            "POST",
            "/api/conversions",
            browsed.token,
            json={"value": 12, "currency": "PLN", "order_id": "B-7"},
        )
        assert status == 201 and body["assisted"] is False and body["value"] == "12.00"
        for wrong in (
            {**order, "currency": "EURO"},
            {**order, "value": "-1"},
            {**order, "value": "x"},
            {**order, "order_id": "   "},
            {**order, "order_id": "\t"},
        ):
            status, body = await site.request("POST", "/api/conversions", browsed.token, json=wrong)
            assert status == 400, wrong
        status, _ = await site.request(
            "POST", "/api/conversions", await site.agent_token(), json=order
        )
        assert status == 403
        status, untied = await site.request(
            "POST", "/api/conversations", json={"visitor_token": opened["token"]}
        )
        assert status == 201, "a shopper who writes is never refused for a bad credential"
        untouched = await site.services.store.visitor(browsed.id)
        assert untouched is not None and untouched.conversation_id is None
    finally:
        await chatted.close()
        await browsed.close()


@pytest.mark.redis
async def test_a_chat_opened_right_after_the_first_page_is_tied_to_its_visitor(
    config: Config,
) -> None:
    """A shop may open the chat as its page loads: the page view is still queued then (written
    every minute here), and the conversation must still make the visitor assisted."""
    async with serving(await create_app(config.replace(visitor_flush=60))) as h:
        visitor = await new_visitor(h)
        try:
            await visitor.open_page("https://shop.example/", "Home")
            status, opened = await h.request(
                "POST", "/api/conversations", json={"visitor_token": visitor.token}
            )
            assert status == 201, opened
            order = {"value": "5", "currency": "EUR", "order_id": "early-1"}
            status, body = await h.request("POST", "/api/conversions", visitor.token, json=order)
            assert status == 201, body
            assert body["assisted"] is True and body["conversation_id"] == opened["id"]
        finally:
            await visitor.close()


async def test_the_live_list_is_right_across_processes(
    spawn: Any, redis: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    token = await agent_token_for(data)
    first, second = await spawn_pair(spawn, redis, data, COVISOR_VISITOR_FLUSH="0.05")
    agent = await Peer(second.url, token).connect()
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{first.url}/api/visitors", json={}) as response:
            credential = await response.json()
        visitor = Visitor(first.url, credential["token"], credential["id"])
        try:
            await visitor.open_page("https://shop.example/sale", "Sale")
            await agent.wait_for(
                lambda p: any(
                    v["id"] == visitor.id
                    for name, push in p.pushes
                    if name == "visitors"
                    for v in push["visitors"]
                )
            )
            async with http.get(
                f"{second.url}/api/visitors", headers={"Authorization": f"Bearer {token}"}
            ) as response:
                listed_there = await response.json()
            assert [v["page"]["title"] for v in listed_there["visitors"]] == ["Sale"]
        finally:
            await visitor.close()
            await agent.close()


BLANKS = ["   ", "\t", " \t\n ", "\u3000", "\u00a0"]


@pytest.mark.parametrize("blank", BLANKS)
async def test_a_rule_of_a_blank_name_or_message_is_refused(site: Harness, blank: str) -> None:
    """A name (or message, or URL pattern) of blanks would be stored as nothing after
    trimming: refused, on creating and on replacing."""
    boss = await admin(site)
    rule = {"name": "Boots", "messages": {"en": "Need a size?"}}
    status, created = await site.request("POST", "/api/invitation-rules", boss, json=rule)
    assert status == 201, created
    for bad in (
        {**rule, "name": blank},
        {**rule, "messages": {"en": blank}},
        {**rule, "conditions": {"url": blank}},
    ):
        status, answer = await site.request("POST", "/api/invitation-rules", boss, json=bad)
        assert (status, answer["error"]["code"]) == (400, "bad_request"), (bad, answer)
        status, answer = await site.request(
            "PUT", f"/api/invitation-rules/{created['id']}", boss, json=bad
        )
        assert (status, answer["error"]["code"]) == (400, "bad_request"), (bad, answer)
    status, listing = await site.request("GET", "/api/invitation-rules", boss)
    assert [r["name"] for r in listing["rules"]] == ["Boots"]


LENIENT_NUMBERS = [
    "١٢", "12.٥", "１２", " 1", "1 ", "1\n", "\t1", "1_000", "+1", "-0", "1e3", "NaN",
    "Infinity", ".5", "5.", "1,5", "0x10", "",
]  # fmt: skip


@pytest.mark.parametrize("value", LENIENT_NUMBERS)
async def test_an_amount_is_read_in_its_one_form_only(site: Harness, value: str) -> None:
    """`Decimal()` and `int()` take Unicode digits, blanks, `_`, signs and exponents; an
    amount takes ASCII digits with an optional point and decimals, nothing else."""
    visitor = await new_visitor(site)
    try:
        await visitor.open_page("https://shop.example/", "Home")
        order = {"value": value, "currency": "EUR", "order_id": "A-1"}
        item = {"product_id": "P-1", "quantity": 1, "price": value}
        for body in (order, {**order, "value": "1", "items": [item]}):
            status, answer = await site.request(
                "POST", "/api/conversions", visitor.token, json=body
            )
            assert (status, answer["error"]["code"]) == (400, "bad_request"), (body, answer)
        good = {**order, "value": "12.5", "items": [{**item, "price": 1e-7}]}
        status, answer = await site.request("POST", "/api/conversions", visitor.token, json=good)
        assert status == 201 and answer["value"] == "12.50", answer
        assert answer["items"][0]["price"] == "0.00"
    finally:
        await visitor.close()


NOT_PAGE_URLS = [
    "https://shop.example/x\n",
    "https://shop.example/x\r\nX-Injected: 1",
    "https://shop.example/a b",
    " https://shop.example/",
    "https://shop.example/\t",
    "https://shop.example/\u0000",
    "https://shop.example/\u00e9",
    'https://shop.example/"><b>',
    "javascript:alert(1)",
    "data:text/html,hi",
    "ftp://shop.example/",
    "shop.example/x",
    "/boots",
    "https:///boots",
    "https://",
    "",
]
"""Strings that are no page a browser is on, which the server once stored and listed as given."""

BROWSER_URLS = [
    "https://shop.example/search?q={red}|boots^2`",
    "http://localhost:8000/products/1",
    "HTTPS://Shop.Example/p/%E2%82",
]
"""Page URLs as browsers write them (`{}|^` and a backtick left in a query; the widget may cut
a URL inside a `%xx`): taken."""


async def test_a_page_url_that_is_no_browsers_url_is_refused(site: Harness) -> None:
    """`visitor.page`'s URL and referrer are absolute http(s) URLs of visible characters, or
    the event is refused with the error ack and nothing of it is listed; a referrer `""` is
    none, as `document.referrer` says it."""
    agent_token = await site.agent_token()
    visitor = await new_visitor(site)
    try:
        await visitor.open_page("https://shop.example/", "Home", referrer="")
        answer = await visitor.call(
            "visitor.page", {"url": "https://shop.example/", "referrer": BROWSER_URLS[0]}
        )
        assert answer["ok"] is True, answer
        for bad in NOT_PAGE_URLS:
            for page in ({"url": bad}, {"url": "https://shop.example/", "referrer": bad}):
                if page.get("referrer") == "":
                    continue
                answer = await visitor.call("visitor.page", {**page, "title": "Bad"})
                assert answer["ok"] is False, page
                assert answer["error"]["code"] == "bad_request", answer
        for good in BROWSER_URLS:
            answer = await visitor.call("visitor.page", {"url": good, "title": good})
            assert answer["ok"] is True, (good, answer)
        found = await listed(site, agent_token, visitor.id, title=BROWSER_URLS[-1])
        assert found["page"]["url"] == BROWSER_URLS[-1]
        assert found["referrer"] is None, "the visit came from nowhere: its referrer was empty"
        status, detail = await site.request("GET", f"/api/visitors/{visitor.id}", agent_token)
        assert status == 200, detail
        assert [p["url"] for p in detail["history"]] == ["https://shop.example/"] * 2 + BROWSER_URLS
    finally:
        await visitor.close()


async def test_a_conversations_page_url_is_a_browsers_url_or_refused(site: Harness) -> None:
    """The page a conversation opens from, by the widget or by accepting an invitation, takes
    the same rule as `visitor.page`'s: `400` for what is no page URL, nothing opened."""
    agent_token = await site.agent_token()
    visitor = await new_visitor(site)
    try:
        await visitor.open_page("https://shop.example/", "Home")
        await listed(site, agent_token, visitor.id)
        status, invitation = await site.request(
            "POST", f"/api/visitors/{visitor.id}/invite", agent_token, json={"message": "Hi"}
        )
        assert status == 201, invitation
        accept = f"/api/invitations/{invitation['id']}/accept"
        stranger = await new_visitor(site)
        status, answer = await site.request("POST", accept, stranger.token, json={"page": 5})
        assert (status, answer["error"]["code"]) == (404, "not_found"), "not theirs: no such one"
        for bad in NOT_PAGE_URLS:
            page = {"url": bad, "title": "Boots"}
            status, answer = await site.request("POST", "/api/conversations", json={"page": page})
            assert (status, answer["error"]["code"]) == (400, "bad_request"), (bad, answer)
            status, answer = await site.request("POST", accept, visitor.token, json={"page": page})
            assert (status, answer["error"]["code"]) == (400, "bad_request"), (bad, answer)
        status, waiting = await site.request("GET", "/api/conversations", agent_token)
        assert waiting["conversations"] == [], "nothing opened"
        for good in BROWSER_URLS:
            opened = await site.open_conversation(page={"url": good})
            status, summary = await site.request(
                "GET", f"/api/conversations/{opened['id']}", opened["token"]
            )
            assert summary["page"] == {"url": good}, summary
        status, opened = await site.request(
            "POST", accept, visitor.token, json={"page": {"url": BROWSER_URLS[0]}}
        )
        assert status == 201, opened
    finally:
        await visitor.close()
