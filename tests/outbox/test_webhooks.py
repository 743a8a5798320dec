"""Webhooks end to end: a real server, a shop's receiver on a loopback port.

The receiver checks every delivery as docs/PROTOCOL.md tells shops to (`verify`: the HMAC of
`<timestamp>.<body>` under the hook's secret, and the timestamp's age), answers what the test
scripts (`500` twice, then `200`) and records what arrived. Backoff is checked exactly with a
manual clock and the sender driven by the test (`send_due`); restarts and two processes run the
background workers on a real clock with a short first retry.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict

from covisor.app.http import create_app
from covisor.config import Config
from covisor.kernel.errors import CovisorError
from covisor.outbox.outbound import check_url
from covisor.outbox.webhooks import backoff
from tests.conftest import Harness, ManualClock, free_port, serving
from tests.outbox.test_push import HIDDEN_ADDRESSES, NOT_URLS
from tests.translation_engines import LibreTranslateDouble

WRONG_URLS = [u.replace("push.example.com", "hooks.shop.example") for u in NOT_URLS]
WRONG_URLS += HIDDEN_ADDRESSES

WAIT = 5.0
TOLERANCE = 300
"""Seconds a receiver accepts a signature's timestamp away from its own clock."""


def verify(secret: str, headers: CIMultiDict[str], body: bytes, now: float) -> dict[str, Any]:
    """What a shop's receiver does with a delivery (the snippet of docs/PROTOCOL.md)."""
    timestamp = headers["X-Covisor-Timestamp"]
    signed = timestamp.encode() + b"." + body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, headers["X-Covisor-Signature"]):
        raise ValueError("bad signature")
    if abs(now - int(timestamp)) > TOLERANCE:
        raise ValueError("stale timestamp")
    payload: dict[str, Any] = json.loads(body)
    return payload


class Receiver:
    """A shop's webhook receiver: answers `statuses` in turn (then 200), records deliveries."""

    def __init__(self, port: int | None = None, delay: float = 0.0) -> None:
        self.statuses: list[int] = []
        self.delay = delay
        self.received: list[tuple[str, CIMultiDict[str], bytes]] = []
        self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_post("/hooks/{name}", self._receive)
        self.server = TestServer(app, host="127.0.0.1", port=port)

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.delay:
            await asyncio.sleep(self.delay)
        async with self._changed:
            self.received.append((request.match_info["name"], CIMultiDict(request.headers), body))
            self._changed.notify_all()
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)

    def url(self, name: str = "shop") -> str:
        return str(self.server.make_url(f"/hooks/{name}"))

    async def wait_for(self, count: int, name: str | None = None) -> None:
        def enough() -> bool:
            return len(self.of(name)) >= count

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(enough), WAIT)

    def of(self, name: str | None = None) -> list[tuple[str, CIMultiDict[str], bytes]]:
        return [r for r in self.received if name is None or r[0] == name]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.server.start_server()
    try:
        yield r
    finally:
        await r.server.close()


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = WAIT) -> Any:
    """`check()`'s first truthy answer, asking again until `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        found = await check()
        if found or time.monotonic() > deadline:
            assert found, "the condition was never met"
            return found
        await asyncio.sleep(0.02)


async def admin_of(h: Harness) -> str:
    _, token = await h.services.agents.add("Admin", role="admin")
    return token


async def create_hook(h: Harness, token: str, url: str, *events: str) -> dict[str, Any]:
    status, body = await h.request(
        "POST", "/api/webhooks", token, json={"url": url, "events": list(events)}
    )
    assert status == 201, body
    return dict(body)


async def deliveries(h: Harness, token: str, hook_id: str) -> list[dict[str, Any]]:
    status, body = await h.request("GET", f"/api/webhooks/{hook_id}/deliveries", token)
    assert status == 200, body
    return list(body["deliveries"])


async def test_a_failing_receiver_gets_the_signed_delivery_again_after_backoff(
    config: Config, receiver: Receiver
) -> None:
    clock = ManualClock()
    # The background sender is off: the test sends what is due itself, at its own times.
    app = await create_app(
        config.replace(webhooks_allow_insecure=True, webhooks_enabled=False), clock=clock
    )
    async with serving(app) as h:
        webhooks = h.services.webhooks
        admin = await admin_of(h)
        hook = await create_hook(h, admin, receiver.url(), "conversation.opened")
        assert hook["secret"].startswith("whsec_") and len(hook["secret"]) > 40
        assert hook["events"] == ["conversation.opened"] and hook["enabled"] is True
        status, listed = await h.request("GET", "/api/webhooks", admin)
        assert status == 200 and "secret" not in json.dumps(listed)
        assert [w["id"] for w in listed["webhooks"]] == [hook["id"]]

        receiver.statuses = [500, 500]
        opened = await h.open_conversation(page={"url": "https://shop.test/p/1"}, name="Ana")
        assert await eventually(webhooks.send_due) == 1
        [(_, headers, body)] = receiver.received
        payload = verify(hook["secret"], headers, body, clock() / 1000)
        assert headers["X-Covisor-Event"] == "conversation.opened"
        assert headers["X-Covisor-Delivery"] == payload["id"]
        assert headers["X-Covisor-Timestamp"] == str(int(clock() // 1000))
        assert headers["Content-Type"] == "application/json"
        assert payload["event"] == "conversation.opened"
        data = payload["data"]
        assert data["conversation_id"] == opened["id"]
        assert data["conversation"]["page"]["url"] == "https://shop.test/p/1"
        assert data["conversation"]["visitor"]["name"] == "Ana"
        assert data["conversation"]["visitor"]["verified"] is False
        assert opened["token"] not in body.decode()

        [first] = await deliveries(h, admin, hook["id"])
        assert first["state"] == "pending" and first["attempts"] == 1
        assert first["last_status"] == 500
        assert first["next_attempt_at"] == clock() + 30_000

        clock.advance(29)
        assert await webhooks.send_due() == 0
        clock.advance(1)
        assert await webhooks.send_due() == 1
        [second] = await deliveries(h, admin, hook["id"])
        assert second["attempts"] == 2 and second["next_attempt_at"] == clock() + 60_000
        clock.advance(60)
        assert await webhooks.send_due() == 1
        [done] = await deliveries(h, admin, hook["id"])
        assert done["state"] == "delivered" and done["attempts"] == 3
        assert done["last_status"] == 200 and done["delivered_at"] == clock()
        assert done["next_attempt_at"] is None
        # The same delivery, the same bytes, signed anew at each attempt.
        bodies = {b for _, _, b in receiver.received}
        assert len(receiver.received) == 3 and bodies == {body}
        for _, headers, sent in receiver.received:
            verify(hook["secret"], headers, sent, clock() / 1000)

        _, listed = await h.request("GET", "/api/webhooks", admin)
        [summary] = listed["webhooks"]
        assert summary["deliveries"] == {"pending": 0, "delivered": 1, "failed": 0}
        assert summary["last_delivery"]["id"] == done["id"]
        text = h.services.metrics.exposition().decode()
        assert 'covisor_webhook_deliveries_total{outcome="retry"} 2.0' in text
        assert 'covisor_webhook_deliveries_total{outcome="delivered"} 1.0' in text


async def test_a_delivery_failing_for_longer_than_retry_for_is_given_up(
    config: Config, receiver: Receiver
) -> None:
    clock = ManualClock()
    app = await create_app(
        config.replace(
            webhooks_allow_insecure=True, webhooks_enabled=False, webhook_retry_for=600.0
        ),
        clock=clock,
    )
    async with serving(app) as h:
        admin = await admin_of(h)
        hook = await create_hook(h, admin, receiver.url(), "conversation.opened")
        receiver.statuses = [503] * 10
        status, _ = await h.request("POST", f"/api/webhooks/{hook['id']}/test", admin)
        assert status == 202
        waits = []
        while True:
            assert await h.services.webhooks.send_due() == 1
            [state] = await deliveries(h, admin, hook["id"])
            if state["state"] != "pending":
                break
            waits.append((state["next_attempt_at"] - clock()) / 1000)
            clock.advance(waits[-1])
        assert waits == [30, 60, 120, 240]
        assert state["state"] == "failed" and state["attempts"] == 5
        assert state["last_status"] == 503 and state["delivered_at"] is None


def test_backoff_doubles_from_the_first_wait_up_to_the_cap() -> None:
    assert [backoff(n, 30, 3600) for n in range(1, 10)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]
    assert backoff(10_000, 30, 3600) == 3600


@pytest.mark.parametrize(
    "url",
    [
        "http://shop.example/hooks",
        "https://127.0.0.1/hooks",
        "https://localhost/hooks",
        "https://10.1.2.3/hooks",
        "https://192.168.0.7/hooks",
        "https://[::1]/hooks",
        "https://169.254.169.254/latest",
        "https://user:pw@shop.example/hooks",
        "/hooks",
        "https://shop.example/" + "x" * 2048,
        "ftp://shop.example/hooks",
        *NOT_URLS,
        *HIDDEN_ADDRESSES,
    ],
)
def test_urls_must_be_https_on_public_hosts(url: str) -> None:
    with pytest.raises(CovisorError) as refused:
        check_url(url, "url")
    assert refused.value.code == "bad_request"


def test_loopback_http_is_taken_only_when_insecure_urls_are_allowed() -> None:
    assert check_url("https://shop.example/hooks?x=1", "url") == "https://shop.example/hooks?x=1"
    assert check_url("http://127.0.0.1:9/hooks", "url", allow_insecure=True)
    with pytest.raises(CovisorError):
        check_url("http://shop.example/hooks", "url", allow_insecure=True)


async def test_webhooks_are_for_admins_and_urls_and_events_are_checked(
    harness: Harness,
) -> None:
    h = harness
    admin = await admin_of(h)
    agent = await h.agent_token()
    hook = await create_hook(h, admin, "https://shop.example/hooks", "message.created")
    for method, path in (
        ("GET", "/api/webhooks"),
        ("POST", "/api/webhooks"),
        ("DELETE", f"/api/webhooks/{hook['id']}"),
        ("GET", f"/api/webhooks/{hook['id']}/deliveries"),
        ("POST", f"/api/webhooks/{hook['id']}/test"),
    ):
        status, body = await h.request(
            method, path, agent, json={"url": "https://a.example", "events": ["ping"]}
        )
        assert (status, body["error"]["code"]) == (403, "forbidden"), (method, path)
        status, _ = await h.request(method, path)
        assert status == 401
    for bad in (
        {"url": "http://127.0.0.1:9/hooks", "events": ["message.created"]},
        {"url": "https://10.0.0.1/hooks", "events": ["message.created"]},
        {"url": "https://shop.example/hooks", "events": ["ping"]},
        {"url": "https://shop.example/hooks", "events": []},
        {"url": "https://shop.example/hooks"},
        *({"url": url, "events": ["message.created"]} for url in WRONG_URLS),
    ):
        status, body = await h.request("POST", "/api/webhooks", admin, json=bad)
        assert (status, body["error"]["code"]) == (400, "bad_request"), bad
    status, _ = await h.request("DELETE", f"/api/webhooks/{hook['id']}", admin)
    assert status == 204
    for method, path in (
        ("DELETE", f"/api/webhooks/{hook['id']}"),
        ("GET", f"/api/webhooks/{hook['id']}/deliveries"),
        ("POST", f"/api/webhooks/{hook['id']}/test"),
    ):
        status, body = await h.request(method, path, admin)
        assert (status, body["error"]["code"]) == (404, "not_found"), (method, path)


async def test_each_hook_gets_its_events_and_messages_never_carry_notes(
    config: Config, receiver: Receiver
) -> None:
    app = await create_app(config.replace(webhooks_allow_insecure=True))
    async with serving(app) as h:
        admin = await admin_of(h)
        messages = await create_hook(h, admin, receiver.url("messages"), "message.created")
        ends = await create_hook(
            h, admin, receiver.url("ends"), "conversation.closed", "conversation.rated"
        )
        cid, customer, agent = await h.session()
        await customer.ok("chat.send", {"conversation_id": cid, "text": "Is it waterproof?"})
        status, _ = await h.request(
            "POST", f"/api/conversations/{cid}/notes", agent.token, json={"text": "VIP buyer"}
        )
        assert status == 201
        await agent.ok("chat.send", {"conversation_id": cid, "text": "Yes, it is."})
        status, _ = await h.request("POST", f"/api/conversations/{cid}/close", agent.token)
        assert status == 200
        status, _ = await h.request(
            "POST", f"/api/conversations/{cid}/rating", customer.token, json={"score": 5}
        )
        assert status == 201

        await receiver.wait_for(2, "messages")
        await receiver.wait_for(2, "ends")
        now = time.time()
        sent = [verify(messages["secret"], hd, b, now) for _, hd, b in receiver.of("messages")]
        assert sorted(p["data"]["message"]["text"] for p in sent) == [
            "Is it waterproof?",
            "Yes, it is.",
        ]
        authors = {p["data"]["message"]["text"]: p["data"]["message"]["author"] for p in sent}
        assert authors["Is it waterproof?"]["role"] == "customer"
        assert authors["Yes, it is."]["role"] == "agent"
        assert authors["Yes, it is."]["name"] == "Agent"
        assert all(p["event"] == "message.created" for p in sent)
        assert all(p["data"]["conversation"]["agent"]["name"] == "Agent" for p in sent)
        ended = [verify(ends["secret"], hd, b, now) for _, hd, b in receiver.of("ends")]
        by_event = {p["event"]: p["data"] for p in ended}
        assert set(by_event) == {"conversation.closed", "conversation.rated"}
        assert by_event["conversation.rated"]["score"] == 5
        assert by_event["conversation.closed"]["conversation"]["status"] == "closed"
        everything = b"".join(b for _, _, b in receiver.received)
        assert b"VIP buyer" not in everything and customer.token.encode() not in everything

        # Every event is queued in order by one task: the rating was the last one, so each
        # hook's deliveries are all there.
        found = await deliveries(h, admin, messages["id"])
        assert sorted(d["event"] for d in found) == ["message.created"] * 2
        assert len(await deliveries(h, admin, ends["id"])) == 2

        status, ping = await h.request("POST", f"/api/webhooks/{messages['id']}/test", admin)
        assert status == 202 and ping["event"] == "ping"
        await receiver.wait_for(3, "messages")
        _, headers, body = receiver.of("messages")[-1]
        assert headers["X-Covisor-Event"] == "ping"
        assert verify(messages["secret"], headers, body, time.time())["id"] == ping["id"]


async def test_emitted_events_reach_the_hooks_that_want_them(
    config: Config, receiver: Receiver
) -> None:
    app = await create_app(config.replace(webhooks_allow_insecure=True))
    async with serving(app) as h:
        admin = await admin_of(h)
        hook = await create_hook(h, admin, receiver.url(), "conversion.tracked")
        h.services.webhooks.emit("message.created", {"ignored": True})
        # Data that is not JSON is logged and dropped, never the events around it.
        h.services.webhooks.emit("conversion.tracked", {"order": object()})
        h.services.webhooks.emit("conversion.tracked", {"order_id": "o-1", "value": "18.50"})
        await receiver.wait_for(1)
        [(_, headers, body)] = receiver.received
        payload = verify(hook["secret"], headers, body, time.time())
        assert payload["event"] == "conversion.tracked"
        assert payload["data"] == {"order_id": "o-1", "value": "18.50"}
        with pytest.raises(ValueError):
            h.services.webhooks.emit("order.shipped", {})


async def test_a_message_left_offline_is_its_own_event(config: Config, receiver: Receiver) -> None:
    app = await create_app(config.replace(webhooks_allow_insecure=True))
    async with serving(app) as h:
        admin = await admin_of(h)
        opened = await create_hook(h, admin, receiver.url("opened"), "conversation.opened")
        offline = await create_hook(h, admin, receiver.url("offline"), "offline_message.created")
        live = await h.open_conversation(name="Live")
        left = await h.open_conversation(
            name="Later", offline=True, visitor={"email": "later@example.com"}
        )
        await receiver.wait_for(1, "opened")
        await receiver.wait_for(1, "offline")
        [(_, headers, body)] = receiver.of("offline")
        payload = verify(offline["secret"], headers, body, time.time())
        assert payload["event"] == "offline_message.created"
        assert payload["data"]["conversation_id"] == left["id"]
        assert payload["data"]["conversation"]["offline"] is True
        assert payload["data"]["conversation"]["visitor"]["email"] == "later@example.com"
        [(_, headers, body)] = receiver.of("opened")
        payload = verify(opened["secret"], headers, body, time.time())
        assert payload["data"]["conversation_id"] == live["id"]


async def test_a_delivery_queued_while_the_receiver_is_down_arrives_after_a_restart(
    config: Config,
) -> None:
    port = free_port()
    settings = config.replace(webhooks_allow_insecure=True, webhook_first_retry=0.3)
    receiver = Receiver(port=port)
    async with serving(await create_app(settings)) as h:
        admin = await admin_of(h)
        down = f"http://127.0.0.1:{port}/hooks/shop"
        hook = await create_hook(h, admin, down, "conversation.opened")
        opened = await h.open_conversation(name="Ben")

        async def refused() -> list[dict[str, Any]]:
            found = await deliveries(h, admin, hook["id"])
            return found if found and found[0]["attempts"] == 1 else []

        [first] = await eventually(refused)
        assert first["state"] == "pending" and first["last_status"] is None
        assert first["last_error"]
    # Stopped; the receiver comes up, then a new process on the same data dir.
    await receiver.server.start_server()
    try:
        async with serving(await create_app(settings)) as h:
            await receiver.wait_for(1)
            [(_, headers, body)] = receiver.received
            payload = verify(hook["secret"], headers, body, time.time())
            assert payload["id"] == first["id"]
            assert payload["data"]["conversation_id"] == opened["id"]

            async def delivered() -> bool:
                [state] = await deliveries(h, admin, hook["id"])
                return bool(state["state"] == "delivered" and state["attempts"] == 2)

            await eventually(delivered)
    finally:
        await receiver.server.close()


async def test_two_processes_on_one_store_never_send_a_delivery_twice(
    config: Config, tmp_path: Path
) -> None:
    receiver = Receiver(delay=0.02)
    await receiver.server.start_server()
    settings = config.replace(webhooks_allow_insecure=True)
    try:
        async with (
            serving(await create_app(settings)) as one,
            serving(await create_app(settings)) as two,
        ):
            admin = await admin_of(one)
            hook = await create_hook(one, admin, receiver.url(), "conversation.opened")
            for h in (one, two):
                for _ in range(15):
                    await h.open_conversation()
            for _ in range(10):
                await one.services.webhooks.test(hook["id"])
                two.services.webhooks.wake()
            await receiver.wait_for(40)
            ids = [
                verify(hook["secret"], hd, b, time.time())["id"] for _, hd, b in receiver.received
            ]
            assert len(ids) == len(set(ids)) == 40

            async def all_delivered() -> bool:
                found = await deliveries(one, admin, hook["id"])
                return len(found) == 40 and all(d["state"] == "delivered" for d in found)

            await eventually(all_delivered)
            assert all(d["attempts"] == 1 for d in await deliveries(one, admin, hook["id"]))
            # Nothing more comes: every delivery was settled once.
            await asyncio.gather(one.services.webhooks.send_due(), two.services.webhooks.send_due())
            assert len(receiver.received) == 40
            # Each process counts what it delivered itself: together, each delivery once.
            sent = [
                h.services.metrics.registry.get_sample_value(
                    "covisor_webhook_deliveries_total", {"outcome": "delivered"}
                )
                or 0
                for h in (one, two)
            ]
            assert sum(sent) == 40
    finally:
        await receiver.server.close()


async def test_a_translation_is_its_own_event_naming_both_languages(
    config: Config, receiver: Receiver, libretranslate: LibreTranslateDouble
) -> None:
    app = await create_app(
        config.replace(
            webhooks_allow_insecure=True,
            translate_url=libretranslate.url,
            translate_api="libretranslate",
        )
    )
    async with serving(app) as h:
        admin = await admin_of(h)
        hook = await create_hook(h, admin, receiver.url(), "message.translated")
        await h.request("PUT", "/api/me/language", admin, json={"language": "en"})
        opened = await h.open_conversation(locale="es")
        await h.accepted(opened["id"], admin)
        shopper = await h.peer(opened["token"])
        await shopper.ok("join", {"conversation_id": opened["id"]})
        said = await shopper.ok("chat.send", {"conversation_id": opened["id"], "text": "hola"})
        await receiver.wait_for(1)
        [(_, headers, body)] = receiver.received
        payload = verify(hook["secret"], headers, body, time.time())
        assert payload["event"] == "message.translated"
        assert payload["data"]["message"] == {
            "seq": said["seq"],
            "language": "es",
            "translation": {"language": "en", "text": "hello"},
        }
