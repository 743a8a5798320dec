"""docs/openapi.yaml against a live server: schemathesis fuzzes every operation it describes.

A `covisor serve` child process (schemathesis is synchronous: it cannot call a server running
on the test's own event loop) is given a small world first: two agents, conversations in each
state with their shoppers, a caller, a chat message, a processed upload with its signed URLs, a
catalogue item, unused phone PINs, and the products of a feed imported from a shop on loopback
(tests/catalogue/shop.py, its event loop in a thread), with their pictures. Each generated case
then keeps what schemathesis drew or, as Hypothesis chooses, takes a *persona*: a real token
with the real ids, signed URL, PIN or picture that go with it, so the fuzzing reaches past `401`
and `404` into the answers that carry data. Coverage-phase cases (schemathesis's deterministic
boundary and negative cases) take the personas in turn, leaving alone the part each case is
about. A feed URL the server would fetch is pointed at the shop before it is sent (`keep_home`):
fuzzing never makes the server fetch from anywhere else.

Every answer must be no server error and conform to the document: a declared status, a
declared content type, a body that matches its schema, the declared headers; and a method an
operation's path does not declare must be answered `405`. A server bug found here and not fixed
yet is a `KnownBug`: only the failures it explains are let through, and a strict xfail test
reproduces it, so fixing it fails that test until both are removed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import pytest
import requests
import schemathesis
import socketio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from PIL import Image
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import CoveragePhaseData
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from covisor.kernel.errors import CovisorError
from covisor.outbox.outbound import check_url
from tests.catalogue.shop import Shop, item, rss, running_shop
from tests.conftest import agent_token_for
from tests.mailbox import smtp_server

pytestmark = pytest.mark.process  # fuzzes a `covisor serve` child process

SPEC = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    unsupported_method,
]

MAX_EXAMPLES = 30
"""Fuzzed cases per operation, on top of the examples and coverage phases."""

schema = schemathesis.openapi.from_path(SPEC)


def push_subscription(endpoint: str = "https://push.example.net/wpush/v2/covisor-test") -> Patch:
    """A browser's `PushSubscription.toJSON()`, with real keys."""
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    p256dh = key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return {
        "endpoint": endpoint,
        "expirationTime": None,
        "keys": {
            "p256dh": base64.urlsafe_b64encode(p256dh).rstrip(b"=").decode(),
            "auth": base64.urlsafe_b64encode(b"0123456789abcdef").rstrip(b"=").decode(),
        },
    }


PUSH_SUBSCRIPTION = push_subscription()


def png(colour: tuple[int, int, int], size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


Case = schemathesis.Case[Any]

Patch = dict[str, Any]
"""Real values for a case: `path` and `query` parameters merged in, `body` replacing (sent as
`media_type` when given: an operation may take several)."""

Persona = tuple[str | None, Patch | None]
"""Whose token a case sends (`None`: the drawn one; "anonymous": none) and what it patches."""


@dataclass
class World:
    """What the server holds before fuzzing starts: tokens and ids by role."""

    url: str
    http: requests.Session
    tokens: dict[str, str] = field(default_factory=dict)
    conversations: dict[str, str] = field(default_factory=dict)
    media_id: str = ""
    signed: list[Patch] = field(default_factory=list)
    replies: dict[str, str] = field(default_factory=dict)
    """Saved reply ids by key, and the catalogue item one of them shows."""
    catalogue_files: list[Patch] = field(default_factory=list)
    caller_pins: list[str] = field(default_factory=list)
    team: dict[str, str] = field(default_factory=dict)
    webhooks: dict[str, str] = field(default_factory=dict)
    """Webhook ids by key: one kept, some only for deleting."""
    """Agent ids by key, and the login persona's e-mail and password."""
    shopper_pins: list[str] = field(default_factory=list)
    shop: str = ""
    """The loopback shop's base URL; its feed is at `feed_url`, the bytes of it `feed`."""
    feed: bytes = b""
    products: dict[str, str] = field(default_factory=dict)
    """The imported catalogue: a product and its variant, the import, a product picture."""
    settings: dict[str, Any] = field(default_factory=dict)
    """The shop's settings as the server starts with them (a persona saves them unchanged)."""
    turns: Counter[str] = field(default_factory=Counter)
    answered: dict[str, Counter[int]] = field(default_factory=dict)

    def call(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.http.request(method, self.url + path, headers=headers, timeout=30, **kw)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json()

    def open_conversation(self, key: str, accepted_by: str | None = None) -> str:
        """A conversation with its customer's token, both under `key`."""
        opened = self.call("POST", "/api/conversations", json={"page": {"url": "https://s/p"}})
        cid = str(opened["id"])
        self.conversations[key] = cid
        self.tokens[key] = opened["token"]
        if accepted_by is not None:
            # One agent holds them all, past its capacity: said so.
            path = f"/api/conversations/{cid}/accept"
            self.call("POST", path, self.tokens[accepted_by], json={"override": True})
        return cid

    def at(self, key: str, **path: str) -> Patch:
        return {"path": {"conversation_id": self.conversations[key], **path}}

    @property
    def feed_url(self) -> str:
        return self.shop + "/feed.xml"


WORLD: World | None = None
"""The world the case hooks draw from, set by the `world` fixture for this module's tests."""


class Server:
    """`covisor serve` in a child process; its output is kept, and copied to a log file."""

    def __init__(self, data_dir: Path, log: Path, smtp_port: int) -> None:
        env = {
            **os.environ,
            "COVISOR_SEED_DEMO": "0",
            "COVISOR_MEDIA_WORKERS": "1",
            # Enough PIN attempts that fuzzing keeps reaching the PIN check, not the lockout.
            "COVISOR_PIN_ATTEMPTS_PER_ADDRESS": "10000",
            "COVISOR_PIN_ATTEMPTS_PER_CONVERSATION": "10000",
            # And logins, so fuzzing reaches the password check.
            "COVISOR_LOGIN_ATTEMPTS_PER_ADDRESS": "10000",
            "COVISOR_LOGIN_ATTEMPTS_PER_ACCOUNT": "10000",
            # And conversations opened from one address (invitations accepted open them too).
            "COVISOR_CONVERSATIONS_PER_ADDRESS": "100000",
            # Subscriptions to made-up endpoints are kept, and never contacted.
            "COVISOR_PUSH_ENABLED": "0",
            # And webhooks: made-up URLs get deliveries queued, never sent.
            "COVISOR_WEBHOOKS_ENABLED": "0",
            # Feeds and product pictures are fetched from the test's shop on loopback; a fetch
            # that hangs gives up soon (none should: every URL fetched is the shop's).
            "COVISOR_OUTBOUND_ALLOW_INSECURE": "1",
            "COVISOR_CATALOGUE_FEED_TIMEOUT": "5",
            "COVISOR_CATALOGUE_PICTURE_TIMEOUT": "5",
            # E-mail goes to an SMTP server of the test's own on loopback.
            "COVISOR_SMTP_HOST": "127.0.0.1",
            "COVISOR_SMTP_PORT": str(smtp_port),
            "COVISOR_SMTP_TLS": "none",
            "COVISOR_MAIL_FROM": "shop@shop.test",
        }
        self.lines: list[str] = []
        self._ended = False
        self._changed = threading.Condition()
        self._log: IO[str] = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "covisor", "serve", "--port", "0", "--data-dir", str(data_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            text=True,
            errors="replace",
        )
        self._drain = threading.Thread(target=self._copy, daemon=True)
        self._drain.start()
        self.url = ""
        if not self.wait_for("Covisor listening on ", timeout=30):
            self.stop()
            raise RuntimeError("covisor serve did not start:\n" + "".join(self.lines[-30:]))
        self.url = next(line for line in self.lines if "listening on" in line).split()[-1]

    def _copy(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._log.write(line)
            self._log.flush()
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def wait_for(self, text: str, timeout: float) -> bool:
        """Whether the server's output comes to hold `text` within `timeout` seconds, before it
        ends."""
        with self._changed:
            self._changed.wait_for(lambda: self._ended or text in "".join(self.lines), timeout)
            return text in "".join(self.lines)

    def stop(self) -> None:
        """SIGINT, as Ctrl-C: the server closes its app and its media workers."""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._drain.join(10)
        assert self.process.stdout is not None
        self.process.stdout.close()
        self._log.close()


async def say(url: str, token: str, conversation_id: str, *events: tuple[str, Any]) -> None:
    """Join over Socket.IO and send `events` (name, payload without the conversation id), so
    transcripts have messages and the viewer shows something to annotate."""
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(url, auth={"token": token}, transports=["websocket"])
    try:
        for event, payload in (("join", {}), *events):
            answer = await sio.call(
                event, {"conversation_id": conversation_id, **payload}, timeout=10
            )
            assert answer["ok"] is True, answer
    finally:
        await sio.disconnect()


async def visit(url: str, token: str, page: str) -> None:
    """A widget reports a page, so the visitor exists for agents."""
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(url, auth={"token": token}, transports=["websocket"])
    try:
        answer = await sio.call("visitor.page", {"url": page, "title": "Boots"}, timeout=10)
        assert answer["ok"] is True, answer
    finally:
        await sio.disconnect()


class ShopThread:
    """tests/catalogue/shop.py's shop on a loopback port, on an event loop in a thread of its
    own (this module's code is synchronous)."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._stack = contextlib.AsyncExitStack()
        self.shop: Shop = self._run(self._stack.enter_async_context(running_shop()))

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(30)

    def stop(self) -> None:
        self._run(self._stack.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


def shop_feed(shop: Shop) -> bytes:
    """A product in two colours and a product of one variant, with real JPEG pictures."""
    red = shop.add_picture("red.jpg", (200, 30, 30))
    blue = shop.add_picture("blue.jpg", (30, 30, 200))
    boot = {"item_group_id": "boot", "brand": "Monte", "product_type": "Calzado > Montaña"}
    return rss(
        [
            item(
                "BOOT-RED-42",
                shop.base,
                **boot,
                title="Bota de montaña roja 42",
                color="Roja",
                size="42",
                gtin="4006381333931",
                image_link=red,
                additional_image_link=blue,
            ),
            item(
                "BOOT-BLU-41",
                shop.base,
                **boot,
                title="Bota de montaña azul 41",
                color="Azul",
                size="41",
                image_link=blue,
                sale_price="79,00 EUR",
                availability="out_of_stock",
            ),
            item("cap", shop.base, title="Gorra", brand="Sol", image_link=red),
        ]
    )


def import_feed(w: World) -> None:
    """Import the shop's feed (pictures included) and keep the ids fuzzing needs."""
    started = w.call("POST", "/api/catalogue/imports", w.tokens["admin"], json={"url": w.feed_url})
    deadline = time.monotonic() + 60
    record = started
    while record["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.05)
        record = w.call("GET", f"/api/catalogue/imports/{started['id']}", w.tokens["admin"])
    assert (record["state"], record["added"], record["failed"]) == ("done", 3, 0), record
    card = w.call("GET", "/api/catalogue/products/boot", w.tokens["agent"])
    assert len(card["pictures"]) == 2, card
    w.products.update(
        product="boot",
        variant="BOOT-RED-42",
        import_id=started["id"],
        picture=card["pictures"][0]["id"],
    )


def keep_home(case: Case, w: World) -> None:
    """A feed URL the server would fetch (`check_url` as the server applies it) is pointed at
    the shop, at a path it answers `404`, unless it is the shop's feed: fuzzing never sends
    the server to another host, nor another loopback port."""
    if case.operation.label not in OUTBOUND or not isinstance(case.body, dict):
        return
    url = case.body.get("url")
    if not isinstance(url, str) or url == w.feed_url:
        return
    try:
        check_url(url, "url", allow_insecure=True, plain_http=True)
    except CovisorError:
        return  # refused before anything is fetched
    case.body = {**case.body, "url": w.shop + "/elsewhere.xml"}


def build_world(w: World) -> None:
    active = w.open_conversation("customer", accepted_by="agent")
    w.open_conversation("waiting_customer")
    w.open_conversation("queued_customer")  # for accept alone
    w.open_conversation("closing_customer", accepted_by="agent")  # for close alone
    w.open_conversation("transfer_customer", accepted_by="agent")  # for transfer alone
    w.open_conversation("erase_customer", accepted_by="agent")  # for erasure alone
    closed = w.open_conversation("closed_customer", accepted_by="agent")
    w.call("POST", f"/api/conversations/{closed}/close", w.tokens["agent"])
    w.conversations.update(
        active=active,
        waiting=w.conversations["waiting_customer"],
        queued=w.conversations["queued_customer"],
        to_close=w.conversations["closing_customer"],
        to_transfer=w.conversations["transfer_customer"],
        to_erase=w.conversations["erase_customer"],
        closed=closed,
    )
    asyncio.run(say(w.url, w.tokens["customer"], active, ("chat.send", {"text": "In blue?"})))

    call = w.call("POST", "/api/pins", w.tokens["agent"], json={"name": "Caller", "override": True})
    w.tokens["caller"] = w.call("POST", "/api/pins/redeem", json={"pin": call["pin"]})["token"]
    w.conversations["call"] = call["conversation_id"]
    # Unused PINs: agents' for callers to redeem, shoppers' (of conversations no persona asks
    # a PIN for, which would revoke them) for agents to redeem.
    for n in range(2):
        issued = w.call("POST", "/api/pins", w.tokens["agent"], json={"override": True})
        w.caller_pins.append(issued["pin"])
        cid = w.open_conversation(f"pin_shopper_{n}")
        issued = w.call("POST", f"/api/conversations/{cid}/pins", w.tokens[f"pin_shopper_{n}"])
        w.shopper_pins.append(issued["pin"])

    item = w.call(
        "POST",
        f"/api/conversations/{active}/media",
        w.tokens["customer"],
        files={"file": ("red.png", png((200, 30, 30)), "image/png")},
    )
    w.media_id = item["id"]
    stroke = {"stroke_id": "s1", "color": "#00ff00", "width": 0.02, "points": [[0.1, 0.1]]}
    asyncio.run(say(w.url, w.tokens["agent"], active, ("viewer.show", {"media_id": w.media_id})))
    asyncio.run(say(w.url, w.tokens["customer"], active, ("stroke.begin", stroke)))
    seen = w.call("GET", f"/api/conversations/{active}/media/{w.media_id}", w.tokens["agent"])
    for variant, described in seen["variants"].items():
        query = described["url"].partition("?")[2]
        w.signed.append(
            {
                "path": {"conversation_id": active, "media_id": w.media_id, "variant": variant},
                "query": dict(part.split("=", 1) for part in query.split("&")),
            }
        )
    product = w.call(
        "POST",
        "/api/catalogue",
        w.tokens["agent"],
        files={"file": ("blue.png", png((30, 30, 200)), "image/png")},
        data={"title": "Blue"},
    )
    for variant in ("display_webp", "display_jpeg", "thumb_webp", "thumb_jpeg"):
        w.catalogue_files.append({"path": {"item_id": product["id"], "variant": variant}})

    # Saved replies: the agent's own and a shared one to change (never deleted by a persona),
    # and some of the agent's only for deleting.
    w.replies["product"] = product["id"]
    agent = w.tokens["agent"]
    mine = {"shortcut": "mine", "text": "Hi {name}", "catalogue_id": product["id"]}
    w.replies["mine"] = w.call("POST", "/api/replies", agent, json=mine)["id"]
    team = {"shortcut": "team", "text": "We open at 9.", "shared": True}
    w.replies["shared"] = w.call("POST", "/api/replies", w.tokens["admin"], json=team)["id"]
    for n in range(3):
        doomed = {"shortcut": f"doomed-{n}", "text": "Bye"}
        w.replies[f"doomed_{n}"] = w.call("POST", "/api/replies", agent, json=doomed)["id"]

    # The team: a member who logs in (never changed by a persona), and a victim the admin's
    # fuzzed changes and password resets land on. No persona names the admin's own id, so
    # fuzzing never demotes it.
    admin = w.tokens["admin"]
    member = w.call("POST", "/api/team", admin, json={"name": "Member", "email": "m@shop.test"})
    victim = w.call("POST", "/api/team", admin, json={"name": "Victim", "email": "v@shop.test"})
    w.team.update(
        victim=victim["agent"]["id"], member_email="m@shop.test", password=member["password"]
    )
    session = w.call(
        "POST", "/api/auth/login", json={"email": "m@shop.test", "password": member["password"]}
    )
    w.tokens["session"] = session["token"]

    hook = {"url": "https://shop.example/covisor", "events": ["conversation.opened"]}
    for key in ("kept", "doomed_0", "doomed_1"):
        w.webhooks[key] = w.call("POST", "/api/webhooks", admin, json=hook)["id"]

    # A visitor on a page, two invitations for it (one to accept, one to decline), a rule.
    visitor = w.call("POST", "/api/visitors", json={})
    w.tokens["visitor"] = visitor["token"]
    asyncio.run(visit(w.url, visitor["token"], "https://shop.test/boots"))
    w.team["visitor_id"] = visitor["id"]
    for _ in range(100):  # page views are written every `visitor_flush` (1 s)
        answer = w.http.get(
            f"{w.url}/api/visitors/{visitor['id']}",
            headers={"Authorization": f"Bearer {agent}"},
            timeout=30,
        )
        if answer.status_code == 200:
            break
        time.sleep(0.05)
    for key in ("invitation_id", "declined_id"):
        invited = w.call(
            "POST",
            f"/api/visitors/{visitor['id']}/invite",
            agent,
            json={"message": "Hi", "override": True},
        )
        w.team[key] = invited["id"]
    rule = {"name": "Boots", "messages": {"en": "Sizes?"}, "conditions": {"url": "*/boots*"}}
    w.team["rule_id"] = w.call("POST", "/api/invitation-rules", admin, json=rule)["id"]
    w.team["doomed_rule_id"] = w.call("POST", "/api/invitation-rules", admin, json=rule)["id"]
    w.settings = w.call("GET", "/api/settings", admin)

    import_feed(w)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    global WORLD
    root = tmp_path_factory.mktemp("openapi")
    # Agents are added before the server starts: `covisor agents add` next to a running server
    # has failed with "database table is locked" (SQLiteStore.open's executescript) and then
    # never exited, its SQLite connection's thread left open.
    tokens = {
        key: asyncio.run(agent_token_for(root / "data", name))
        for key, name in (("agent", "Agent"), ("other_agent", "Other agent"))
    }
    tokens["admin"] = asyncio.run(agent_token_for(root / "data", "Admin", "--admin"))
    mail = smtp_server()
    _, smtp_port = mail.__enter__()
    shop = ShopThread()
    feed = shop_feed(shop.shop)
    shop.shop.feed = feed
    server = Server(root / "data", root / "server.log", smtp_port)
    http = requests.Session()
    try:
        w = World(server.url, http, tokens=tokens, shop=shop.shop.base, feed=feed)
        build_world(w)
        WORLD = w
        yield w
    finally:
        WORLD = None
        http.close()
        server.stop()
        shop.stop()
        mail.__exit__(None, None, None)


TOKENS = [
    "agent",
    "customer",
    "caller",
    "other_agent",
    "waiting_customer",
    "anonymous",
    "admin",
    "visitor",
]
JSON = "application/json"
OUTBOUND = {"POST /api/catalogue/imports", "PUT /api/catalogue/feed"}
"""The operations whose body names a URL the server fetches."""
PUBLIC = {
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
    "GET /api/config",
    "GET /api/wait",
    "GET /api/availability",
    "GET /api/openapi.yaml",
    "POST /api/conversations",
    "GET /api/conversations/{conversation_id}/media/{media_id}/{variant}",
    "GET /api/catalogue/{item_id}/{variant}",
    "GET /api/catalogue/pictures/{media_id}/{variant}",
    "POST /api/auth/login",
    "POST /api/visitors",
}


_TODAY = datetime.now(UTC).date()
WEEK = {"from": str(_TODAY - timedelta(days=6)), "to": str(_TODAY), "tz": "UTC"}
"""A reports range: the last 7 days, with the world made today in it."""


def personas(w: World, label: str) -> list[Persona]:
    """The coherent ways to call `label` with real values, the likeliest answers first."""
    media = {"media_id": w.media_id}
    item = w.replies["product"]

    def reply_path(key: str) -> Patch:
        return {"path": {"reply_id": w.replies[key]}}

    mine, shared = reply_path("mine"), reply_path("shared")

    def hook_path(key: str) -> Patch:
        return {"path": {"hook_id": w.webhooks[key]}}

    victim = {"agent_id": w.team["victim"]}
    upload = {"file": png((10, 200, 10))}

    def picture(variant: str) -> Patch:
        return {"path": {"media_id": w.products["picture"], "variant": variant}}

    readers: list[Persona] = [
        ("customer", w.at("active")),
        ("agent", w.at("active")),
        ("caller", w.at("call")),
        ("agent", w.at("call")),
        ("other_agent", w.at("active")),
        ("waiting_customer", w.at("active")),
        ("agent", w.at("waiting")),
        ("agent", w.at("closed")),
    ]
    found: dict[str, list[Persona]] = {
        "GET /api/conversations": [("agent", None), ("other_agent", None), ("customer", None)],
        "GET /api/conversations/{conversation_id}": readers,
        "GET /api/conversations/{conversation_id}/transcript": readers,
        "GET /api/conversations/{conversation_id}/transcript.html": readers,
        "POST /api/conversations/{conversation_id}/transcript/email": [
            ("customer", {**w.at("active"), "body": {"email": "ana@shop.test"}}),
            ("caller", {**w.at("call"), "body": {"email": "caller@shop.test"}}),
            ("agent", {**w.at("active"), "body": {"email": "ana@shop.test"}}),
            ("waiting_customer", {**w.at("active"), "body": {"email": "ana@shop.test"}}),
        ],
        "POST /api/conversations/{conversation_id}/accept": [
            ("agent", w.at("queued")),
            ("other_agent", w.at("queued")),
            ("agent", w.at("active")),
            ("agent", w.at("closed")),
            ("customer", w.at("active")),
        ],
        # Never with "active": closing it would leave later operations only closed ones.
        "POST /api/conversations/{conversation_id}/close": [
            ("agent", w.at("to_close")),
            ("other_agent", w.at("to_close")),
            ("agent", w.at("closed")),
            ("agent", w.at("queued")),
        ],
        "GET /api/me": [(token, None) for token in TOKENS],
        "POST /api/conversations/{conversation_id}/pins": [
            ("agent", w.at("active")),
            ("waiting_customer", w.at("waiting")),
            ("customer", w.at("active")),
            ("caller", w.at("call")),
            ("agent", w.at("closed")),
        ],
        "POST /api/pins": [("agent", None), ("customer", None)],
        "POST /api/pins/redeem": [
            ("anonymous", {"body": {"pin": w.caller_pins[0], "name": "Caller"}}),
            ("agent", {"body": {"pin": w.shopper_pins[0]}}),
            ("anonymous", {"body": {"pin": w.caller_pins[1]}}),
            ("other_agent", {"body": {"pin": w.shopper_pins[1]}}),
            ("anonymous", {"body": {"pin": w.shopper_pins[0]}}),
            ("customer", {"body": {"pin": w.caller_pins[0]}}),
        ],
        "POST /api/conversations/{conversation_id}/media": [
            ("customer", {**w.at("active"), "body": upload}),
            ("agent", {**w.at("active"), "body": upload}),
            ("caller", {**w.at("call"), "body": upload}),
            ("customer", w.at("active")),
            ("agent", w.at("active")),
            ("agent", {**w.at("closed"), "body": upload}),
            ("other_agent", {**w.at("active"), "body": upload}),
        ],
        "GET /api/conversations/{conversation_id}/media/{media_id}": [
            ("agent", w.at("active", **media)),
            ("customer", w.at("active", **media)),
            ("caller", w.at("call", **media)),
            ("customer", w.at("active")),
            ("other_agent", w.at("active", **media)),
        ],
        "GET /api/conversations/{conversation_id}/media/{media_id}/{variant}": [
            (None, signed) for signed in w.signed
        ],
        "POST /api/conversations/{conversation_id}/annotated": [
            ("customer", w.at("active")),
            ("agent", w.at("active")),
            ("caller", w.at("call")),
            ("other_agent", w.at("active")),
        ],
        "POST /api/me/token": [("customer", None), ("caller", None), ("agent", None)],
        "GET /api/catalogue": [("agent", None), ("customer", None)],
        "POST /api/catalogue": [
            ("agent", {"body": {"file": png((200, 200, 10)), "title": "Yellow"}}),
            ("agent", None),
            ("customer", {"body": {"file": png((200, 200, 10))}}),
        ],
        "GET /api/catalogue/{item_id}/{variant}": [(None, path) for path in w.catalogue_files],
        # The same feed again, by URL or uploaded: it changes nothing, so the products stay.
        "POST /api/catalogue/imports": [
            ("admin", {"body": {"url": w.feed_url}, "media_type": JSON}),
            ("admin", {"body": {"file": w.feed}, "media_type": "multipart/form-data"}),
            ("admin", {"body": {"url": "http://10.0.0.1/feed.xml"}, "media_type": JSON}),
            ("agent", {"body": {"url": w.feed_url}, "media_type": JSON}),
        ],
        "GET /api/catalogue/imports": [("admin", None), ("agent", None)],
        "GET /api/catalogue/imports/{import_id}": [
            ("admin", {"path": {"import_id": w.products["import_id"]}}),
            ("admin", {"path": {"import_id": "imp_nobody"}}),
            ("agent", {"path": {"import_id": w.products["import_id"]}}),
        ],
        "GET /api/catalogue/feed": [("admin", None), ("agent", None)],
        "PUT /api/catalogue/feed": [
            ("admin", {"body": {"url": w.feed_url, "every_minutes": 60}}),
            ("admin", {"body": {"url": w.feed_url, "every_minutes": 5}}),
            ("agent", {"body": {"url": w.feed_url, "every_minutes": 60}}),
        ],
        "DELETE /api/catalogue/feed": [("admin", None), ("agent", None)],
        "GET /api/catalogue/products": [
            ("agent", {"query": {"q": "bota MONTANA"}}),
            ("agent", {"query": {"q": "4006381333931"}}),
            ("agent", {"query": {"brand": "Monte", "type": "Calzado", "in_stock": "1"}}),
            ("agent", None),
            ("customer", None),
        ],
        "GET /api/catalogue/products/{product_id}": [
            ("agent", {"path": {"product_id": w.products["product"]}}),
            ("agent", {"path": {"product_id": w.products["variant"]}}),
            ("agent", {"path": {"product_id": "nothing"}}),
            ("customer", {"path": {"product_id": w.products["product"]}}),
        ],
        "GET /api/catalogue/brands": [("agent", None), ("customer", None)],
        "GET /api/catalogue/pictures/{media_id}/{variant}": [
            *[(None, picture(variant)) for variant in ("display_webp", "thumb_webp")],
            *[(None, picture(variant)) for variant in ("display_jpeg", "thumb_jpeg", "video")],
            (None, {"path": {"media_id": w.media_id, "variant": "display_webp"}}),
        ],
        "GET /api/replies": [("agent", None), ("admin", None), ("customer", None)],
        "POST /api/replies": [
            ("agent", {"body": {"shortcut": "fuzz", "text": "Hi {name}"}}),
            ("admin", {"body": {"shortcut": "fuzz-team", "text": "Hello", "shared": True}}),
            ("agent", {"body": {"shortcut": "fuzz-p", "text": "Look", "catalogue_id": item}}),
            ("agent", {"body": {"shortcut": "fuzz-no", "text": "x", "shared": True}}),
            ("agent", {"body": {"shortcut": "fuzz-no", "text": "x", "catalogue_id": "nope"}}),
            ("customer", {"body": {"shortcut": "fuzz-no", "text": "x"}}),
        ],
        "PUT /api/replies/{reply_id}": [
            ("agent", {**mine, "body": {"shortcut": "mine", "text": "Hi", "catalogue_id": item}}),
            ("admin", {**shared, "body": {"shortcut": "team", "text": "At 8.", "shared": True}}),
            ("other_agent", {**mine, "body": {"shortcut": "mine", "text": "Mine now"}}),
            ("agent", {**shared, "body": {"shortcut": "team", "text": "x", "shared": True}}),
            ("agent", {**mine, "body": {"shortcut": "doomed-0", "text": "Taken?"}}),
            ("customer", {**mine, "body": {"shortcut": "mine", "text": "x"}}),
        ],
        "DELETE /api/replies/{reply_id}": [
            *[("agent", reply_path(f"doomed_{n}")) for n in range(3)],
            ("other_agent", mine),
            ("agent", shared),
            ("customer", mine),
        ],
        "POST /api/auth/login": [
            (None, {"body": {"email": w.team["member_email"], "password": w.team["password"]}}),
            (None, {"body": {"email": w.team["member_email"], "password": "wrong-password"}}),
            (None, {"body": {"email": "nobody@shop.test", "password": "wrong-password"}}),
        ],
        "POST /api/auth/logout": [("session", None), ("agent", None), ("customer", None)],
        "GET /api/team": [("admin", None), ("agent", None), ("customer", None)],
        "POST /api/team": [
            ("admin", {"body": {"name": "Invited", "email": "invited@shop.test"}}),
            ("admin", {"body": {"name": "Again", "email": w.team["member_email"]}}),
            ("agent", {"body": {"name": "Nope", "email": "nope@shop.test"}}),
        ],
        "PATCH /api/team/{agent_id}": [
            ("admin", {"path": victim, "body": {"capacity": 4}}),
            ("admin", {"path": victim}),
            ("admin", {"path": {"agent_id": "a_nobody"}}),
            ("agent", {"path": victim, "body": {"disabled": True}}),
        ],
        "GET /api/push/key": [("agent", None), ("admin", None), ("customer", None)],
        "POST /api/push/subscriptions": [
            ("agent", {"body": PUSH_SUBSCRIPTION}),
            ("admin", {"body": PUSH_SUBSCRIPTION}),
            ("agent", {"body": push_subscription("http://127.0.0.1:9/push")}),
            ("customer", {"body": PUSH_SUBSCRIPTION}),
        ],
        "GET /api/settings": [("admin", None), ("agent", None)],
        "PUT /api/settings": [
            ("admin", {"body": w.settings}),
            ("admin", {"body": {**w.settings, "business_hours": "mon 18:00-09:00"}}),
            ("admin", None),
            ("agent", {"body": w.settings}),
        ],
        "GET /api/reports": [
            ("admin", {"query": WEEK}),
            ("admin", {"query": {**WEEK, "tz": "Europe/Warsaw"}}),
            ("admin", {"query": {"from": "2026-03-29", "to": "2026-03-01"}}),
            ("agent", {"query": WEEK}),
        ],
        "GET /api/reports.csv": [
            ("admin", {"query": WEEK}),
            ("admin", {"query": {**WEEK, "tz": "Mars/Olympus"}}),
            ("agent", {"query": WEEK}),
        ],
        "GET /api/webhooks": [("admin", None), ("agent", None), ("customer", None)],
        "POST /api/webhooks": [
            ("admin", {"body": {"url": "https://shop.example/h", "events": ["message.created"]}}),
            ("admin", {"body": {"url": "https://10.0.0.1/h", "events": ["message.created"]}}),
            ("agent", {"body": {"url": "https://shop.example/h", "events": ["message.created"]}}),
        ],
        "DELETE /api/webhooks/{hook_id}": [
            ("admin", hook_path("doomed_0")),
            ("admin", hook_path("doomed_1")),
            ("admin", {"path": {"hook_id": "wh_nobody"}}),
            ("agent", hook_path("kept")),
        ],
        "GET /api/webhooks/{hook_id}/deliveries": [
            ("admin", hook_path("kept")),
            ("agent", hook_path("kept")),
            ("admin", {"path": {"hook_id": "wh_nobody"}}),
        ],
        "POST /api/webhooks/{hook_id}/test": [
            ("admin", hook_path("kept")),
            ("agent", hook_path("kept")),
            ("admin", {"path": {"hook_id": "wh_nobody"}}),
        ],
        "DELETE /api/push/subscriptions": [
            ("agent", {"body": {"endpoint": PUSH_SUBSCRIPTION["endpoint"]}}),
            ("customer", {"body": {"endpoint": PUSH_SUBSCRIPTION["endpoint"]}}),
        ],
        "PUT /api/conversations/{conversation_id}/visitor": [
            ("customer", {**w.at("active"), "body": {"name": "Ana", "email": "ana@shop.test"}}),
            ("waiting_customer", {**w.at("waiting"), "body": {"customer_id": "c1"}}),
            ("agent", {**w.at("active"), "body": {"name": "Ana"}}),
            ("customer", {**w.at("closed"), "body": {}}),
        ],
        # Never with "active": the agent would lose it for later operations.
        "POST /api/conversations/{conversation_id}/transfer": [
            ("agent", {**w.at("to_transfer"), "body": {"to": None, "note": "Back to you all"}}),
            ("agent", {**w.at("to_transfer"), "body": {"to": "a_nobody"}}),
            ("customer", {**w.at("to_transfer"), "body": {"to": None}}),
            ("agent", {**w.at("closed"), "body": {"to": None}}),
        ],
        "POST /api/conversations/{conversation_id}/notes": [
            ("agent", {**w.at("active"), "body": {"text": "Sizes run small"}}),
            ("customer", {**w.at("active"), "body": {"text": "Let me see"}}),
            ("other_agent", {**w.at("active"), "body": {"text": "Not mine"}}),
        ],
        "POST /api/conversations/{conversation_id}/rating": [
            ("closed_customer", {**w.at("closed"), "body": {"score": 5, "comment": "Great"}}),
            ("customer", {**w.at("active"), "body": {"score": 4}}),
            ("agent", {**w.at("closed"), "body": {"score": 1}}),
        ],
        "GET /api/conversations/{conversation_id}/earlier": [
            ("agent", w.at("active")),
            ("agent", w.at("waiting")),
            ("other_agent", w.at("active")),
            ("customer", w.at("active")),
        ],
        "GET /api/conversations/{conversation_id}/queue": [
            ("waiting_customer", w.at("waiting")),
            ("customer", w.at("active")),
            ("customer", w.at("waiting")),
            ("agent", w.at("waiting")),
        ],
        # Never with "active": erasing it would leave later operations nothing to read.
        "DELETE /api/conversations/{conversation_id}": [
            ("admin", w.at("to_erase")),
            ("agent", w.at("to_erase")),
            ("customer", w.at("to_erase")),
        ],
        "GET /api/conversations/{conversation_id}/export": [
            ("admin", w.at("active")),
            ("agent", w.at("active")),
            ("admin", w.at("waiting")),
        ],
        "DELETE /api/customers/{customer_id}": [
            ("admin", {"path": {"customer_id": "cus-nobody"}}),
            ("agent", {"path": {"customer_id": "cus-nobody"}}),
        ],
        "POST /api/visitors": [("anonymous", {"body": {}}), ("anonymous", None)],
        "GET /api/visitors": [("agent", None), ("customer", None)],
        "GET /api/visitors/{visitor_id}": [
            ("agent", {"path": {"visitor_id": w.team["visitor_id"]}}),
            ("agent", {"path": {"visitor_id": "v_nobody"}}),
        ],
        "POST /api/visitors/{visitor_id}/invite": [
            ("agent", {"path": {"visitor_id": w.team["visitor_id"]}, "body": {"message": "Hi"}}),
            ("customer", {"path": {"visitor_id": w.team["visitor_id"]}, "body": {"message": "Hi"}}),
        ],
        "POST /api/invitations/{invitation_id}/accept": [
            ("visitor", {"path": {"invitation_id": w.team["invitation_id"]}, "body": {}}),
            ("visitor", {"path": {"invitation_id": "i_nobody"}, "body": {}}),
            ("customer", {"path": {"invitation_id": w.team["invitation_id"]}, "body": {}}),
        ],
        "POST /api/invitations/{invitation_id}/decline": [
            ("visitor", {"path": {"invitation_id": w.team["declined_id"]}}),
            ("visitor", {"path": {"invitation_id": "i_nobody"}}),
        ],
        "GET /api/invitation-rules": [("admin", None), ("agent", None)],
        "POST /api/invitation-rules": [
            ("admin", {"body": {"name": "Boots", "messages": {"en": "Hi"}}}),
            ("agent", {"body": {"name": "Boots", "messages": {"en": "Hi"}}}),
        ],
        "PUT /api/invitation-rules/{rule_id}": [
            (
                "admin",
                {
                    "path": {"rule_id": w.team["rule_id"]},
                    "body": {"name": "Cart", "messages": {"es": "Hola"}},
                },
            ),
            (
                "admin",
                {"path": {"rule_id": "r_nobody"}, "body": {"name": "X", "messages": {"en": "Y"}}},
            ),
        ],
        "DELETE /api/invitation-rules/{rule_id}": [
            ("admin", {"path": {"rule_id": w.team["doomed_rule_id"]}}),
            ("admin", {"path": {"rule_id": "r_nobody"}}),
            ("agent", {"path": {"rule_id": w.team["rule_id"]}}),
        ],
        "POST /api/conversions": [
            ("visitor", {"body": {"value": "10.50", "currency": "EUR", "order_id": "o-1"}}),
            ("visitor", {"body": {"value": 3, "currency": "PLN", "order_id": "o-1"}}),
            (
                "visitor",
                {
                    "body": {
                        "value": "81",
                        "currency": "EUR",
                        "order_id": "o-3",
                        "items": [{"product_id": "P-1", "quantity": 2, "price": "40.50"}],
                    }
                },
            ),
            ("customer", {"body": {"value": 1, "currency": "EUR", "order_id": "o-2"}}),
        ],
        "GET /api/agents": [("agent", None), ("admin", None), ("customer", None)],
        "PUT /api/me/status": [
            ("agent", {"body": {"status": "away"}}),
            ("agent", {"body": {"status": "online"}}),
            ("customer", {"body": {"status": "online"}}),
        ],
        "POST /api/team/{agent_id}/password": [
            ("admin", {"path": victim}),
            ("admin", {"path": {"agent_id": "a_nobody"}}),
            ("agent", {"path": victim}),
        ],
    }
    return found.get(label, [])


def patches(w: World, label: str) -> list[Patch | None]:
    """Every real value `label` can take, to mix with any token."""
    return [patch for _, patch in personas(w, label)] + [None]


def apply(case: Case, w: World, persona: Persona, keep: str = "") -> Any:
    """`case` with the persona's token and values, except the parameter named `keep`."""
    auth, patch = persona
    if keep != "Authorization":
        if auth == "anonymous":
            case.headers.pop("Authorization", None)
        elif auth is not None:
            case.headers["Authorization"] = f"Bearer {w.tokens[auth]}"
    if patch is not None:
        if "path" in patch:
            path = {k: v for k, v in patch["path"].items() if k != keep}
            case.path_parameters = {**case.path_parameters, **path}
        if "query" in patch:
            query = {k: v for k, v in patch["query"].items() if k != keep}
            case.query = {**(case.query or {}), **query}
        if "body" in patch and keep != "body":
            case.body = patch["body"]
            if "media_type" in patch:
                case.media_type = patch["media_type"]
    return case


@schema.hook
def flatmap_case(context: schemathesis.HookContext, case: Case) -> Any:
    """A drawn case, with a persona or with any token and any real values mixed."""
    w = WORLD
    label = case.operation.label
    if w is None:
        return st.just(case)
    tokens: list[str | None] = [None] if label in PUBLIC else [*TOKENS, None]
    choice = st.one_of(
        st.sampled_from([*personas(w, label), (None, None)]),
        st.tuples(st.sampled_from(tokens), st.sampled_from(patches(w, label))),
    )
    return choice.map(lambda persona: apply(case, w, persona))


@dataclass(frozen=True)
class KnownBug:
    """A server bug this test found that is not fixed yet: `explains` picks out its failures
    and no others. Each has a strict xfail test below, which fails once the bug is fixed:
    then remove the test and the bug from `KNOWN_BUGS`."""

    name: str
    explains: Callable[[Failure, Case, schemathesis.Response], bool]


KNOWN_BUGS: list[KnownBug] = []


@schema.hook
def filter_failure(
    context: schemathesis.HookContext,
    failure: Failure,
    case: Case,
    response: schemathesis.Response,
) -> bool:
    """Every failure counts but those a known bug explains."""
    return not any(bug.explains(failure, case, response) for bug in KNOWN_BUGS)


@schema.hook
def after_call(
    context: schemathesis.HookContext, case: Case, response: schemathesis.Response
) -> None:
    w = WORLD
    if w is not None:
        w.answered.setdefault(case.operation.label, Counter())[response.status_code] += 1


def take_turn(case: Case, w: World) -> None:
    """A coverage case (made when the tests are collected, before the world exists) takes the
    next persona of its operation, leaving alone the parameter the case is about."""
    meta = case.meta
    if meta is None or not isinstance(meta.phase.data, CoveragePhaseData):
        return
    label = case.operation.label
    options: list[Persona] = [*personas(w, label), (None, None)]
    persona = options[w.turns[label] % len(options)]
    w.turns[label] += 1
    about = meta.phase.data
    keep = "body" if about.parameter_location == ParameterLocation.BODY else about.parameter or ""
    apply(case, w, persona, keep)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_openapi(case: Case, world: World) -> None:
    take_turn(case, world)
    keep_home(case, world)
    case.call_and_validate(base_url=world.url, session=world.http, checks=CHECKS, timeout=30)


def test_serves_this_document(world: World) -> None:
    """The server serves docs/openapi.yaml itself, as YAML."""
    response = world.http.get(world.url + "/api/openapi.yaml", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == "application/yaml"
    assert response.content == SPEC.read_bytes()


def test_fuzzing_reached_every_success(world: World) -> None:
    """Each fuzzed operation got at least one 2xx: the personas still lead somewhere."""
    if not world.answered:
        pytest.skip("no operation was fuzzed in this run")
    missed = {
        label: dict(statuses)
        for label, statuses in world.answered.items()
        if not any(200 <= status < 300 for status in statuses)
    }
    assert not missed, missed


def test_405_names_the_methods_allowed(world: World) -> None:
    response = world.http.request("DELETE", world.url + "/api/catalogue", timeout=30)
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "bad_request"
    allowed = {method.strip() for method in response.headers.get("Allow", "").split(",")}
    assert {"GET", "POST"} <= allowed
