"""Web Push to agents' browsers: VAPID keys, subscriptions, encrypted deliveries.

An agent's console subscribes its browser (`PushManager.subscribe` with `public_key`) and hands
the subscription to `subscribe`; `notify` then POSTs a payload to every subscription of the
agents named, encrypted for each browser (RFC 8291, `aes128gcm`) with pywebpush's aiohttp path
(no blocking call on the event loop) and signed with the server's VAPID key (RFC 8292), so the
push service knows who sends. The VAPID key pair is made on the first start and kept in the
store as a secret, so every process sharing the store signs with the same key and the browsers'
subscriptions stay valid across processes and restarts.

What this module stores and sends: endpoint URLs and their keys per agent, until the agent
unsubscribes or the push service answers 404/410 (the browser dropped it); payloads are what the
caller passes, which must stay small and carry no more than a short preview (a push service
sees its size and timing, never its text). Outcomes are counted in
`covisor_push_deliveries_total{outcome}`; logs name the push service's origin only, never an
endpoint's path (a capability) or a key.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pywebpush import WebPusher
from yarl import URL

from covisor.kernel.clock import Clock, system_clock
from covisor.kernel.errors import CovisorError
from covisor.kernel.metrics import Metrics
from covisor.outbox.outbound import MAX_URL, OutboundHttp, check_url
from covisor.store import PushSubscriptionRecord, Store

log = logging.getLogger(__name__)

MAX_ENDPOINT = MAX_URL
"""Characters of an endpoint URL; push services' are a few hundred."""
MAX_PAYLOAD = 3072
"""Bytes of a payload's JSON: push services take 4096 encrypted, less the record overhead."""
VAPID_SECRET = "vapid"
"""The store's secret name of the VAPID private key (PKCS#8 DER)."""
_VAPID_LIFETIME = 12 * 3600
"""Seconds a signed VAPID token is valid (RFC 8292 allows up to 24 hours)."""
_GONE = frozenset({404, 410})
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}\Z")
Urgency = Literal["very-low", "low", "normal", "high"]
Outcome = Literal["sent", "gone", "refused", "failed"]


def new_vapid_key() -> bytes:
    """A fresh P-256 private key, PKCS#8 DER: the candidate for the store's `vapid` secret."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def b64url(data: bytes) -> str:
    """Base64url without padding, the encoding of Web Push keys."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class PushOptions:
    """Delivery settings (from `Config`'s `push_*` fields)."""

    enabled: bool
    """Off: subscriptions are kept, `notify` sends nothing."""
    contact: str
    ttl: int
    timeout: float
    per_agent: int
    allow_insecure_endpoints: bool


def check_endpoint(endpoint: str, allow_insecure: bool = False) -> str:
    """`endpoint` if a push service may live there, else `bad_request` (outbound.py's rules)."""
    return check_url(endpoint, "endpoint", allow_insecure)


def check_key(text: str, size: int, name: str) -> str:
    """`text` as unpadded base64url if it decodes to `size` bytes, else `bad_request`."""
    try:
        if not _BASE64URL.match(text):
            raise ValueError(text)
        raw = _unb64url(text.rstrip("="))
    except (binascii.Error, ValueError):
        raise CovisorError("bad_request", f"keys.{name} is not base64url") from None
    if len(raw) != size:
        raise CovisorError("bad_request", f"keys.{name} must be {size} bytes")
    return b64url(raw)


def check_p256dh(text: str) -> str:
    """A browser's P-256 public key: 65 bytes, an uncompressed point on the curve."""
    key = check_key(text, 65, "p256dh")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64url(key))
    except ValueError:
        raise CovisorError("bad_request", "keys.p256dh is not a P-256 public key") from None
    return key


def _origin(endpoint: str) -> str:
    """What logs and the VAPID `aud` may say of an endpoint: scheme, host and port."""
    url = URL(endpoint)
    return str(url.origin())


class Push:
    """Subscriptions per agent and deliveries to them; `close` ends deliveries under way."""

    def __init__(
        self,
        store: Store,
        vapid_key: bytes,
        options: PushOptions,
        *,
        clock: Clock = system_clock,
        metrics: Metrics | None = None,
    ) -> None:
        private = serialization.load_der_private_key(vapid_key, password=None)
        if not isinstance(private, ec.EllipticCurvePrivateKey):
            raise ValueError("the VAPID key is not an elliptic-curve key")
        self._store = store
        self._vapid = Vapid02(private)
        self._options = options
        self._clock = clock
        self._metrics = metrics
        self._outbound = OutboundHttp(
            allow_insecure=self._options.allow_insecure_endpoints, connections=32
        )
        self._signed: dict[str, tuple[float, dict[str, str]]] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self.public_key = b64url(
            private.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )
        """The VAPID public key, base64url: a browser's `applicationServerKey`."""

    async def subscribe(self, agent_id: str, endpoint: str, p256dh: str, auth: str) -> None:
        """Keep the subscription of a browser of `agent_id`, after checking it (`bad_request`);
        beyond `per_agent` subscriptions the agent's oldest is dropped."""
        record = PushSubscriptionRecord(
            endpoint=check_endpoint(endpoint, self._options.allow_insecure_endpoints),
            p256dh=check_p256dh(p256dh),
            auth=check_key(auth, 16, "auth"),
            agent_id=agent_id,
            created_at=self._clock(),
        )
        await self._store.add_push_subscription(record, self._options.per_agent)

    async def unsubscribe(self, agent_id: str, endpoint: str) -> bool:
        """Drop the agent's subscription of `endpoint`; False if it had none."""
        return await self._store.remove_push_subscription(endpoint, agent_id)

    async def notify(
        self,
        agent_ids: list[str],
        payload: Mapping[str, Any],
        *,
        urgency: Urgency = "high",
        ttl: int | None = None,
    ) -> dict[Outcome, int]:
        """Deliver `payload` (JSON, at most `MAX_PAYLOAD` bytes) to every subscription of
        `agent_ids`, all at once; return how many deliveries had each outcome (none when
        push is off). Subscriptions the push service says are gone (404, 410) are dropped.
        Never raises for a delivery."""
        data = msgspec.json.encode(payload)
        if len(data) > MAX_PAYLOAD:
            raise ValueError(f"push payload of {len(data)} bytes is over {MAX_PAYLOAD}")
        if not self._options.enabled:
            return {}
        subscriptions = await self._store.push_subscriptions(sorted(set(agent_ids)))
        outcomes = await asyncio.gather(
            *(self._deliver(s, data, urgency, ttl) for s in subscriptions)
        )
        counts: dict[Outcome, int] = {}
        for outcome in outcomes:
            counts[outcome] = counts.get(outcome, 0) + 1
        return counts

    def notify_in_background(
        self,
        agent_ids: list[str],
        payload: Mapping[str, Any],
        *,
        urgency: Urgency = "high",
        ttl: int | None = None,
    ) -> None:
        """`notify` without waiting for it (from a handler or the publisher, which must not
        wait on push services); `close` cancels what is still under way."""
        task = asyncio.create_task(
            self.notify(agent_ids, payload, urgency=urgency, ttl=ttl), name="covisor-push"
        )
        self._background.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("push notification failed", exc_info=task.exception())

    async def _deliver(
        self, subscription: PushSubscriptionRecord, data: bytes, urgency: Urgency, ttl: int | None
    ) -> Outcome:
        origin = "an unreadable endpoint"
        outcome: Outcome
        try:
            origin = _origin(subscription.endpoint)
            pusher = WebPusher(
                {
                    "endpoint": subscription.endpoint,
                    "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
                },
                aiohttp_session=self._http(),
            )
            headers = {**self._vapid_headers(origin), "Urgency": urgency}
            response = await pusher.send_async(
                data,
                headers,
                ttl=self._options.ttl if ttl is None else ttl,
                content_encoding="aes128gcm",
                timeout=aiohttp.ClientTimeout(total=self._options.timeout),
            )
            status = int(response.status)
        except Exception as exc:
            log.warning("push to %s failed: %s", origin, type(exc).__name__)
            outcome = "failed"
        else:
            if status < 300:
                outcome = "sent"
            elif status in _GONE:
                await self._store.remove_push_subscription(subscription.endpoint)
                log.info("push service %s dropped a subscription (%d)", origin, status)
                outcome = "gone"
            else:
                log.warning("push service %s refused a delivery (%d)", origin, status)
                outcome = "refused"
        if self._metrics is not None:
            self._metrics.push_deliveries.labels(outcome).inc()
        return outcome

    def _vapid_headers(self, origin: str) -> dict[str, str]:
        """The `Authorization: vapid t=…,k=…` header for `origin`, signed again an hour before
        its token expires."""
        now = self._clock() / 1000.0
        cached = self._signed.get(origin)
        if cached is not None and cached[0] - 3600 > now:
            return cached[1]
        expires = int(now) + _VAPID_LIFETIME
        claims = {"aud": origin, "exp": expires, "sub": self._options.contact}
        headers: dict[str, str] = dict(self._vapid.sign(claims))
        self._signed[origin] = (expires, headers)
        return headers

    def _http(self) -> aiohttp.ClientSession:
        return self._outbound.session()

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self._outbound.close()


async def open_push(
    store: Store,
    options: PushOptions,
    *,
    clock: Clock = system_clock,
    metrics: Metrics | None = None,
) -> Push:
    """A `Push` with the store's VAPID key, made and stored first if there is none yet."""
    key = await store.secret(VAPID_SECRET, new_vapid_key())
    return Push(store, key, options, clock=clock, metrics=metrics)
