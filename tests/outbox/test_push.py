"""Web Push end to end: a real server, browser keys made here, a push service on a loopback port.

The test plays the browser (a P-256 key pair and a 16-byte auth secret, as `PushManager`
makes them) and subscribes through the REST API; `Push.notify` then POSTs to the local push
service, which decrypts the body with the browser's private key and checks the VAPID
signature, as a real push service and browser would between them.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import http_ece
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from multidict import CIMultiDict
from PIL import Image

from covisor.app.http import create_app
from covisor.app.options import push_options
from covisor.config import Config, ConfigError
from covisor.outbox.push import open_push
from covisor.store import PushSubscriptionRecord
from covisor.store.sql import SQLiteStore
from tests.conftest import Harness, free_port, serving


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """A browser's side of a subscription: its key pair and auth secret."""

    endpoint: str
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self) -> dict[str, Any]:
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)},
        }

    def decrypt(self, body: bytes) -> Any:
        plain = http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plain)


class PushService:
    """A push service on a loopback port: records each delivery, answers `status`."""

    def __init__(self) -> None:
        self.received: list[tuple[str, CIMultiDict[str], bytes]] = []
        self.status = 201
        self.arrived = asyncio.Event()
        app = web.Application()
        app.router.add_post("/push/{id}", self._receive)
        self.server = TestServer(app, host="127.0.0.1")

    async def _receive(self, request: web.Request) -> web.Response:
        self.received.append(
            (request.match_info["id"], CIMultiDict(request.headers), await request.read())
        )
        self.arrived.set()
        return web.Response(status=self.status)

    @property
    def origin(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    def endpoint(self, name: str) -> str:
        return f"{self.origin}/push/{name}"


@pytest.fixture
async def push_service() -> AsyncIterator[PushService]:
    service = PushService()
    await service.server.start_server()
    try:
        yield service
    finally:
        await service.server.close()


@pytest.fixture
async def server(config: Config) -> AsyncIterator[Harness]:
    """A server that takes http endpoints on loopback hosts (the local push service)."""
    app = await create_app(config.replace(push_allow_insecure_endpoints=True))
    async with serving(app) as h:
        yield h


def verify_vapid(authorization: str, public_key: str) -> dict[str, Any]:
    """The claims of a `vapid t=<JWT>,k=<key>` header, after checking its ES256 signature."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid"
    parts = dict(p.split("=", 1) for p in params.split(","))
    assert parts["k"] == public_key
    header, claims, signature = parts["t"].split(".")
    assert json.loads(unb64url(header)) == {"typ": "JWT", "alg": "ES256"}
    raw = unb64url(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key))
    key.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    decoded: dict[str, Any] = json.loads(unb64url(claims))
    return decoded


async def subscribe(h: Harness, token: str, browser: Browser) -> None:
    status, body = await h.request(
        "POST", "/api/push/subscriptions", token, json=browser.subscription()
    )
    assert status == 201, body


async def test_a_subscribed_browser_gets_the_payload_encrypted_and_signed(
    server: Harness, push_service: PushService
) -> None:
    token = await server.agent_token("Ann")
    status, key = await server.request("GET", "/api/push/key", token)
    assert status == 200
    assert len(unb64url(key["public_key"])) == 65
    browser = Browser(push_service.endpoint("ann"))
    await subscribe(server, token, browser)
    assert push_service.received == []  # subscribing sends nothing

    agent = (await server.request("GET", "/api/me", token))[1]["id"]
    payload = {"title": "New chat", "body": "Hello…", "tag": "c_1", "url": "/agent#c_1"}
    assert await server.services.push.notify([agent, "a_nobody"], payload) == {"sent": 1}

    ((name, headers, body),) = push_service.received
    assert name == "ann"
    assert browser.decrypt(body) == payload
    assert headers["Content-Encoding"] == "aes128gcm"
    assert headers["TTL"] == str(server.services.config.push_ttl)
    assert headers["Urgency"] == "high"
    claims = verify_vapid(headers["Authorization"], key["public_key"])
    assert claims["aud"] == push_service.origin
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    assert claims["sub"] == server.services.config.push_contact
    metrics = server.services.metrics.exposition().decode()
    assert 'covisor_push_deliveries_total{outcome="sent"} 1.0' in metrics


async def test_every_browser_of_the_agents_named_gets_one_delivery(
    server: Harness, push_service: PushService
) -> None:
    ann, bob, eve = [await server.agent_token(n) for n in ("Ann", "Bob", "Eve")]
    browsers = {n: Browser(push_service.endpoint(n)) for n in ("ann1", "ann2", "bob", "eve")}
    for name, token in (("ann1", ann), ("ann2", ann), ("bob", bob), ("eve", eve)):
        await subscribe(server, token, browsers[name])
    ids = [(await server.request("GET", "/api/me", t))[1]["id"] for t in (ann, bob)]
    assert await server.services.push.notify(ids, {"n": 1}, ttl=30) == {"sent": 3}
    got = {name: browsers[name].decrypt(body) for name, _, body in push_service.received}
    assert got == {"ann1": {"n": 1}, "ann2": {"n": 1}, "bob": {"n": 1}}
    assert {h["TTL"] for _, h, _ in push_service.received} == {"30"}


async def test_a_subscription_the_push_service_says_is_gone_is_dropped(
    server: Harness, push_service: PushService
) -> None:
    token = await server.agent_token()
    agent_id = (await server.request("GET", "/api/me", token))[1]["id"]
    await subscribe(server, token, Browser(push_service.endpoint("old")))
    push_service.status = 500
    assert await server.services.push.notify([agent_id], {"n": 1}) == {"refused": 1}
    assert len(await server.services.store.push_subscriptions([agent_id])) == 1
    push_service.status = 410
    assert await server.services.push.notify([agent_id], {"n": 2}) == {"gone": 1}
    assert await server.services.store.push_subscriptions([agent_id]) == []
    assert await server.services.push.notify([agent_id], {"n": 3}) == {}
    assert len(push_service.received) == 2
    metrics = server.services.metrics.exposition().decode()
    assert 'covisor_push_deliveries_total{outcome="gone"} 1.0' in metrics
    assert 'covisor_push_deliveries_total{outcome="refused"} 1.0' in metrics


async def test_a_notification_in_the_background_is_delivered_without_waiting(
    server: Harness, push_service: PushService
) -> None:
    token = await server.agent_token()
    agent_id = (await server.request("GET", "/api/me", token))[1]["id"]
    browser = Browser(push_service.endpoint("later"))
    await subscribe(server, token, browser)
    server.services.push.notify_in_background([agent_id], {"n": 1}, urgency="normal")
    assert push_service.received == []
    await asyncio.wait_for(push_service.arrived.wait(), 5)
    ((_, headers, body),) = push_service.received
    assert browser.decrypt(body) == {"n": 1} and headers["Urgency"] == "normal"


async def test_an_unreachable_push_service_is_counted_and_the_subscription_kept(
    server: Harness,
) -> None:
    token = await server.agent_token()
    agent_id = (await server.request("GET", "/api/me", token))[1]["id"]
    await subscribe(server, token, Browser(f"http://127.0.0.1:{free_port()}/push/x"))
    assert await server.services.push.notify([agent_id], {"n": 1}) == {"failed": 1}
    assert len(await server.services.store.push_subscriptions([agent_id])) == 1


async def test_an_agent_unsubscribes_its_own_browser_only(
    server: Harness, push_service: PushService
) -> None:
    ann, bob = await server.agent_token("Ann"), await server.agent_token("Bob")
    ann_id = (await server.request("GET", "/api/me", ann))[1]["id"]
    endpoint = push_service.endpoint("ann")
    await subscribe(server, ann, Browser(endpoint))
    body = {"endpoint": endpoint}
    assert (
        await server.http.delete(
            f"{server.url}/api/push/subscriptions",
            json=body,
            headers={"Authorization": f"Bearer {bob}"},
        )
    ).status == 204
    assert len(await server.services.store.push_subscriptions([ann_id])) == 1
    for _ in range(2):  # idempotent
        async with server.http.delete(
            f"{server.url}/api/push/subscriptions",
            json=body,
            headers={"Authorization": f"Bearer {ann}"},
        ) as response:
            assert response.status == 204
    assert await server.services.store.push_subscriptions([ann_id]) == []


NOT_URLS = [
    "https://push.example.com/x\n",
    "https://push.example.com/x\r\nX-Injected: 1",
    "https://push.example.com/a b",
    " https://push.example.com/x",
    "https://push.example.com/x\t",
    "https://push.example.com/x\u0000",
    "https://push.example.com/\u00e9",
    "https://push.example.com/%zz",
    "https:push.example.com/x",
]
"""Strings a lenient parser reads as URLs, and the server once stored as given."""

HIDDEN_ADDRESSES = [
    "https://[64:ff9b::a9fe:a9fe]/x",
    "https://[2002:7f00:1::]/x",
    "https://[::127.0.0.1]/x",
    "https://[::ffff:127.0.0.1]/x",
    "https://[::ffff:a9fe:a9fe]/x",
    "https://224.0.0.1/x",
    "https://[ff02::1]/x",
    "https://[::]/x",
    "https://0.0.0.0/x",
    "https://255.255.255.255/x",
    "https://240.0.0.1/x",
    "https://100.64.0.1/x",
    "https://[2001::1]/x",
]
"""Loopback, link-local, private or not unicast, some of it inside an IPv6 address."""


async def test_plain_http_and_private_endpoints_are_refused_by_default(harness: Harness) -> None:
    token = await harness.agent_token()
    for endpoint in (
        "http://127.0.0.1:9/push/x",
        "https://127.0.0.1/push/x",
        "https://10.1.2.3/push/x",
        "https://localhost/push/x",
        "ftp://push.example.com/x",
        "/push/x",
        "https://user:pw@push.example.com/x",
        "https://push.example.com/" + "x" * 2100,
        *NOT_URLS,
        *HIDDEN_ADDRESSES,
    ):
        browser = Browser(endpoint)
        status, body = await harness.request(
            "POST", "/api/push/subscriptions", token, json=browser.subscription()
        )
        assert status == 400, endpoint
        assert body["ok"] is False and body["error"]["code"] == "bad_request"
    # A public https endpoint is taken; nothing is sent to it on subscribing.
    await subscribe(harness, token, Browser("https://push.example.com/send/abc"))


@pytest.mark.parametrize(
    "keys",
    [
        {"p256dh": b64url(b"\x04" + b"\x01" * 64), "auth": b64url(b"a" * 16)},  # not on P-256
        {"p256dh": "!" * 87, "auth": b64url(b"a" * 16)},
        {"auth": b64url(b"a" * 16)},
        {"p256dh": "PUBLIC", "auth": b64url(b"a" * 15)},
        {"p256dh": "PUBLIC", "auth": b64url(b"a" * 17)},
        {"p256dh": "PUBLIC", "auth": b64url(b"a" * 16), "extra": "x"},
    ],
)
async def test_subscription_keys_of_the_wrong_shape_are_refused(
    harness: Harness, keys: dict[str, str]
) -> None:
    token = await harness.agent_token()
    good = Browser("https://push.example.com/send/1").subscription()["keys"]["p256dh"]
    keys = {k: good if v == "PUBLIC" else v for k, v in keys.items()}
    status, body = await harness.request(
        "POST",
        "/api/push/subscriptions",
        token,
        json={"endpoint": "https://push.example.com/send/1", "keys": keys},
    )
    assert status == 400, body
    assert body["error"]["code"] == "bad_request"


async def test_shoppers_and_strangers_cannot_use_push(harness: Harness) -> None:
    shopper = (await harness.open_conversation())["token"]
    subscription = Browser("https://push.example.com/send/1").subscription()
    for method, body in (
        ("GET", None),
        ("POST", subscription),
        ("DELETE", {"endpoint": subscription["endpoint"]}),
    ):
        path = "/api/push/key" if method == "GET" else "/api/push/subscriptions"
        status, answer = await harness.request(method, path, shopper, json=body)
        assert status == 403 and answer["error"]["code"] == "forbidden"
        status, answer = await harness.request(method, path, json=body)
        assert status == 401 and answer["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("host", ["localhost", "[::ffff:127.0.0.1]"])
async def test_an_endpoint_inside_the_servers_own_network_is_never_contacted(
    harness: Harness, push_service: PushService, host: str
) -> None:
    """A subscription stored without the API's check (as if a public name pointed at the
    loopback address, or stored before the rule was stricter) is checked again when it is
    used: what its host name resolves to, and a literal before connecting (aiohttp never asks
    the resolver about one)."""
    token = await harness.agent_token()
    agent_id = (await harness.request("GET", "/api/me", token))[1]["id"]
    browser = Browser(f"http://{host}:{push_service.server.port}/push/inside")
    keys = browser.subscription()["keys"]
    await harness.services.store.add_push_subscription(
        PushSubscriptionRecord(browser.endpoint, keys["p256dh"], keys["auth"], agent_id, 1.0),
        keep=10,
    )
    assert await harness.services.push.notify([agent_id], {"n": 1}) == {"failed": 1}
    assert push_service.received == []


async def test_the_vapid_key_is_made_once_and_shared_through_the_store(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "push.sqlite3")
    await store.open()
    try:
        first = await open_push(store, push_options(Config()))
        second = await open_push(store, push_options(Config()))
        assert first.public_key == second.public_key
        await first.close()
        await second.close()
    finally:
        await store.close()


async def test_a_payload_too_large_for_push_services_is_a_caller_error(
    server: Harness,
) -> None:
    with pytest.raises(ValueError, match="over"):
        await server.services.push.notify(["a_1"], {"body": "x" * 4000})


async def test_the_console_is_installable_and_its_worker_may_control_it(harness: Harness) -> None:
    async with harness.http.get(harness.url + "/agent") as page:
        html = await page.text()
        policy = page.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["worker-src"] == "'self'" and directives["manifest-src"] == "'self'"
    assert '<link rel="manifest" href="/client/manifest.webmanifest" />' in html

    async with harness.http.get(harness.url + "/agent-sw.js") as worker:
        assert worker.status == 200
        assert worker.content_type == "text/javascript"
        assert worker.headers["Service-Worker-Allowed"] == "/agent"
        assert worker.headers["Cache-Control"] == "no-cache"
        assert "notificationclick" in await worker.text()

    async with harness.http.get(harness.url + "/client/manifest.webmanifest") as response:
        assert response.status == 200
        assert response.content_type == "application/manifest+json"
        manifest = json.loads(await response.read())
    assert manifest["start_url"] == "/agent" and manifest["display"] == "standalone"
    sizes = set()
    for icon in manifest["icons"]:
        async with harness.http.get(harness.url + icon["src"]) as response:
            assert response.status == 200 and response.content_type == "image/png"
            width, height = Image.open(io.BytesIO(await response.read())).size
        assert icon["sizes"] == f"{width}x{height}"
        sizes.add(width)
    assert sizes == {192, 512}


def test_the_vapid_contact_must_be_a_mailto_or_https_url() -> None:
    with pytest.raises(ConfigError, match="push_contact"):
        Config(push_contact="ops@shop.example")
    assert Config(push_contact="https://shop.example/contact").push_contact.startswith("https")
