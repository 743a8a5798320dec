"""Webhooks: what happens in conversations, POSTed to the shop's own back end, signed.

An admin registers a URL and the events it wants (`EVENTS`); each such event then becomes a
*delivery* queued in the store (`webhook_deliveries`), so it survives a restart, and a worker in
every process claims due deliveries with a lease (the store hands each to one claimer; a lease
of a process that died runs out and another takes it), POSTs them and records the outcome.
A 2xx answer is delivered; anything else, a timeout or a refused connection is retried after
`first_retry` seconds, doubling up to `max_retry`, until `retry_for` seconds after the event,
then the delivery is `failed`.

A delivery's body is `{"id", "event", "created_at", "data"}` (the same bytes on every attempt),
with `X-Covisor-Event`, `X-Covisor-Delivery`, `X-Covisor-Timestamp` (unix seconds, of this
attempt) and `X-Covisor-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` under the
hook's secret. URLs are `https:` on public hosts, and connections go to public addresses only
(push.py's checks and resolver), so an admin cannot point the server's POSTs into its network.

The journal's publisher hands committed events over without waiting (`published`), as does
`emit` for events of other services; this module's own task maps them to payloads (reading the
conversation's committed summary) and queues them in the store. Payloads carry ids, the
visitor's name, e-mail, customer id (when the shop signed it), device, page and agent, message
texts; never a token, and never an internal note.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import hmac
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, get_args

import aiohttp
import msgspec
from yarl import URL

from covisor.conversations.journal import Published
from covisor.kernel.background import Background
from covisor.kernel.clock import Clock, TokenSource, system_clock, system_tokens
from covisor.kernel.errors import CovisorError
from covisor.kernel.events import Event
from covisor.kernel.metrics import Metrics
from covisor.outbox.outbound import OutboundHttp, check_url
from covisor.store import Store, WebhookDeliveryRecord, WebhookRecord

log = logging.getLogger(__name__)

WebhookEvent = Literal[
    "conversation.opened",
    "conversation.closed",
    "conversation.rated",
    "message.created",
    "message.translated",
    "conversion.tracked",
    "offline_message.created",
]
EVENTS: tuple[str, ...] = get_args(WebhookEvent)
PING = "ping"
"""The event of a test delivery (`test`), sent whatever a hook subscribed to."""
MAX_HOOKS = 20
RECENT = 50
"""Deliveries of a hook listed, and summed up in the list of hooks."""
SECRET_PREFIX = "whsec_"
VISITOR_FIELDS = ("name", "email", "customer_id", "verified", "device", "language")
_QUEUE = 10_000
_BATCH = 100
_CLAIM = 16
_MIN_WAIT = 0.05


@dataclass(frozen=True)
class WebhookOptions:
    """Delivery settings (from `Config`'s `webhook*` fields); times in seconds."""

    enabled: bool
    """Off: deliveries are queued, never sent."""
    allow_insecure: bool
    timeout: float
    retry_for: float
    first_retry: float
    max_retry: float
    retention_days: float
    poll: float = 5.0
    """Seconds between two looks at the queue when nothing wakes the worker (deliveries other
    processes queued or failed are found so)."""


def backoff(attempts: int, first: float, cap: float) -> float:
    """Seconds to wait after `attempts` (≥ 1) failed attempts: `first`, doubling, at most `cap`."""
    return float(min(cap, first * 2 ** min(attempts - 1, 40)))


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`X-Covisor-Signature`: `sha256=` and the hex HMAC-SHA256 of `<timestamp>.<body>`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def journal_event(event: Event) -> str | None:
    """The webhook event a committed journal event is, if any (cheap: on the publisher's path)."""
    match event.type:
        case "conversation.opened":
            return "offline_message.created" if event.data.get("offline") else event.type
        case "conversation.closed" | "conversation.rated":
            return event.type
        case "chat.message":
            return "message.created"
        case "chat.translated" if "text" in event.data:
            return "message.translated"
    return None


def conversation_view(conversation_id: str, summary: dict[str, Any] | None) -> dict[str, Any]:
    """What a shop's back end learns of a conversation: its committed summary, without
    anything internal (unread counts, uploads under way) and never a token."""
    s = summary or {}
    visitor = s.get("visitor") or {}
    agent_id = s.get("agent_id")
    return {
        "id": conversation_id,
        "status": s.get("status"),
        "offline": bool(s.get("offline")),
        "page": s.get("page"),
        "visitor": {
            **{key: visitor.get(key) for key in VISITOR_FIELDS},
            "name": visitor.get("name") or s.get("name"),
            "verified": bool(visitor.get("verified")),
        },
        "agent": {"id": agent_id, "name": s.get("agent_name")} if agent_id else None,
        "rating": s.get("rating"),
    }


def event_data(name: str, event: Event, summary: dict[str, Any] | None) -> dict[str, Any]:
    """The `data` of webhook event `name` for journal `event`, given the conversation's
    committed summary (None if it is gone)."""
    cid = event.conversation_id
    data: dict[str, Any] = {"conversation_id": cid, "conversation": conversation_view(cid, summary)}
    if name == "conversation.rated":
        data |= {"score": event.data.get("score"), "comment": event.data.get("comment")}
    elif name == "message.created":
        role = event.actor.get("role")
        author: dict[str, Any] = {"role": role, "name": event.actor.get("name")}
        if role == "agent":
            author["id"] = event.actor.get("id")
        data["message"] = {
            "seq": event.seq,
            "at": event.at,
            "text": event.data.get("text", ""),
            "author": author,
        }
    elif name == "message.translated":
        data["message"] = {
            "seq": event.data["seq"],
            "language": event.data["source"],
            "translation": {"language": event.data["target"], "text": event.data["text"]},
        }
    elif name in ("conversation.opened", "offline_message.created"):
        data["by_phone"] = bool(event.data.get("by_phone"))
    return data


def delivery_view(delivery: WebhookDeliveryRecord) -> dict[str, Any]:
    """A delivery as the admin's API shows it (no body)."""
    return {
        "id": delivery.id,
        "event": delivery.event,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "last_status": delivery.last_status,
        "last_error": delivery.last_error,
        "created_at": delivery.created_at,
        "next_attempt_at": delivery.next_attempt_at if delivery.state == "pending" else None,
        "delivered_at": delivery.delivered_at,
    }


def hook_view(hook: WebhookRecord, recent: list[WebhookDeliveryRecord]) -> dict[str, Any]:
    """A webhook as the admin's API lists it, with its `recent` deliveries summed up; never
    its secret."""
    counts = {"pending": 0, "delivered": 0, "failed": 0}
    for delivery in recent:
        counts[delivery.state] = counts.get(delivery.state, 0) + 1
    return {
        "id": hook.id,
        "url": hook.url,
        "events": list(hook.events),
        "created_at": hook.created_at,
        "enabled": hook.enabled,
        "deliveries": counts,
        "last_delivery": delivery_view(recent[0]) if recent else None,
    }


_Item = Event | tuple[str, dict[str, Any], float]
"""What waits to be queued: a committed journal event, or an emitted (event, data, at)."""


class Webhooks:
    """Webhooks of the shop, the queue of their deliveries and this process's sender;
    `start` runs its two tasks, `stop` ends them."""

    def __init__(
        self,
        store: Store,
        options: WebhookOptions,
        *,
        clock: Clock = system_clock,
        tokens: TokenSource = system_tokens,
        metrics: Metrics | None = None,
    ) -> None:
        self._store = store
        self._options = options
        self._clock = clock
        self._tokens = tokens
        self._metrics = metrics
        self._claimer = tokens(12)
        self._queue: asyncio.Queue[_Item] = asyncio.Queue(maxsize=_QUEUE)
        self._wake = asyncio.Event()
        self._background = Background()
        self._outbound = OutboundHttp(allow_insecure=self._options.allow_insecure, connections=16)

    # The admin's side.

    async def create(
        self, url: str, events: Iterable[str], created_by: str | None
    ) -> WebhookRecord:
        """A new webhook of `url` for `events` (`bad_request` for a URL it may not POST to or
        an unknown event; `conflict` beyond `MAX_HOOKS`); its secret is in the record."""
        wanted = tuple(dict.fromkeys(events))
        if not wanted or any(e not in EVENTS for e in wanted):
            raise CovisorError("bad_request", f"events must be some of {', '.join(EVENTS)}")
        checked = check_url(url, "url", self._options.allow_insecure)
        if len(await self._store.webhooks()) >= MAX_HOOKS:
            raise CovisorError("conflict", f"at most {MAX_HOOKS} webhooks")
        hook = WebhookRecord(
            id="wh_" + self._tokens(9),
            url=checked,
            events=wanted,
            secret=SECRET_PREFIX + self._tokens(32),
            created_at=self._clock(),
            created_by=created_by,
        )
        await self._store.add_webhook(hook)
        return hook

    async def hooks(self) -> list[dict[str, Any]]:
        """Every webhook with a summary of its latest deliveries, oldest first."""
        return [
            hook_view(hook, await self._store.webhook_deliveries(hook.id, RECENT))
            for hook in await self._store.webhooks()
        ]

    async def delete(self, hook_id: str) -> None:
        """Drop the webhook and its deliveries (`not_found` if there is none)."""
        if not await self._store.delete_webhook(hook_id):
            raise CovisorError("not_found", "no such webhook")

    async def deliveries(self, hook_id: str) -> list[dict[str, Any]]:
        """The webhook's latest `RECENT` deliveries, newest first (`not_found`)."""
        if await self._store.webhook(hook_id) is None:
            raise CovisorError("not_found", "no such webhook")
        return [delivery_view(d) for d in await self._store.webhook_deliveries(hook_id, RECENT)]

    async def test(self, hook_id: str) -> dict[str, Any]:
        """Queue a `ping` delivery to the webhook (`not_found`); it is sent soon."""
        hook = await self._store.webhook(hook_id)
        if hook is None:
            raise CovisorError("not_found", "no such webhook")
        now = self._clock()
        delivery = self._delivery(hook, PING, {"webhook_id": hook.id}, now)
        await self._store.add_webhook_deliveries([delivery])
        self._wake.set()
        return delivery_view(delivery)

    async def sweep(self) -> int:
        """Drop the records of deliveries finished over `retention_days` ago; how many."""
        before = self._clock() - self._options.retention_days * 86_400_000
        return await self._store.drop_webhook_deliveries(before)

    # What happens: taken without waiting, queued in this module's task.

    def published(self, published: list[Published]) -> None:
        """Take the events of a committed round that webhooks may want; never waits."""
        for event, _ in published:
            if journal_event(event) is not None:
                self._put(event)

    def emit(self, event: str, data: dict[str, Any]) -> None:
        """Deliver `event` (one of `EVENTS`) with `data` (JSON) to the webhooks that want it;
        never waits: it is queued in the store by this module's own task."""
        if event not in EVENTS:
            raise ValueError(f"{event} is not a webhook event")
        self._put((event, data, self._clock()))

    def _put(self, item: _Item) -> None:
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            log.warning("webhook deliveries are behind; an event was dropped")

    def wake(self) -> None:
        """Look at the queue in the store now (tests, after moving their clock)."""
        self._wake.set()

    def start(self) -> None:
        self._background.spawn(self._intake(), "covisor-webhooks-in")
        if self._options.enabled:
            self._background.spawn(self._sender(), "covisor-webhooks")

    async def stop(self) -> None:
        await self._background.stop()
        left = []
        while not self._queue.empty():
            left.append(self._queue.get_nowait())
        if left:
            try:
                await self._enqueue(left)
            except Exception:
                log.exception("queuing the last webhook deliveries failed")
        await self._outbound.close()

    async def _intake(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty() and len(batch) < _BATCH:
                batch.append(self._queue.get_nowait())
            try:
                await self._enqueue(batch)
            except Exception:
                log.exception("queuing webhook deliveries failed")

    async def _enqueue(self, items: list[_Item]) -> None:
        """Queue in the store a delivery of each item to each enabled hook that wants it."""
        hooks = [h for h in await self._store.webhooks() if h.enabled]
        deliveries: list[WebhookDeliveryRecord] = []
        for item in items:
            try:
                deliveries += await self._deliveries_of(item, hooks)
            except Exception:
                # One event whose data cannot be sent (not JSON) must not lose the others.
                log.exception("an event could not be made into webhook deliveries")
        if deliveries:
            await self._store.add_webhook_deliveries(deliveries)
            self._wake.set()

    async def _deliveries_of(
        self, item: _Item, hooks: list[WebhookRecord]
    ) -> list[WebhookDeliveryRecord]:
        if isinstance(item, Event):
            name = journal_event(item)
            wanting = [h for h in hooks if name in h.events]
            if name is None or not wanting:
                return []
            record = await self._store.summary(item.conversation_id)
            data = event_data(name, item, record.summary if record else None)
            at = item.at
        else:
            name, data, at = item
            wanting = [h for h in hooks if name in h.events]
        return [self._delivery(hook, name, data, at) for hook in wanting]

    def _delivery(
        self, hook: WebhookRecord, event: str, data: dict[str, Any], at: float
    ) -> WebhookDeliveryRecord:
        delivery_id = "whd_" + self._tokens(12)
        body = msgspec.json.encode(
            {"id": delivery_id, "event": event, "created_at": at, "data": data}
        )
        return WebhookDeliveryRecord(
            id=delivery_id,
            hook_id=hook.id,
            event=event,
            body=body,
            created_at=self._clock(),
            next_attempt_at=self._clock(),
        )

    # Sending.

    async def _sender(self) -> None:
        while True:
            self._wake.clear()
            try:
                sent = await self.send_due()
            except Exception:
                log.exception("sending webhook deliveries failed")
                sent = 0
            if sent:
                continue
            delay = self._options.poll
            with contextlib.suppress(Exception):
                soonest = await self._store.next_webhook_attempt()
                if soonest is not None:
                    # Not below a floor: what is due may be leased by another process (or
                    # its clock may differ a little), and this loop must not spin meanwhile.
                    wait = (soonest - self._clock()) / 1000.0
                    delay = min(delay, max(_MIN_WAIT, wait))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def send_due(self) -> int:
        """Claim the deliveries due now and attempt each; how many were claimed."""
        now = self._clock()
        lease = (self._options.timeout + 60.0) * 1000.0
        claimed = await self._store.claim_webhook_deliveries(
            now, now + lease, self._claimer, _CLAIM
        )
        if not claimed:
            return 0
        hooks = {hook.id: hook for hook in await self._store.webhooks()}
        await asyncio.gather(*(self._attempt(d, hooks.get(d.hook_id)) for d in claimed))
        return len(claimed)

    async def _attempt(self, delivery: WebhookDeliveryRecord, hook: WebhookRecord | None) -> None:
        if hook is None:
            return  # removed with its deliveries since the claim
        status: int | None = None
        error: str | None = None
        timestamp = int(self._clock() // 1000)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Covisor-Webhooks/1",
            "X-Covisor-Event": delivery.event,
            "X-Covisor-Delivery": delivery.id,
            "X-Covisor-Timestamp": str(timestamp),
            "X-Covisor-Signature": signature(hook.secret, timestamp, delivery.body),
        }
        try:
            async with self._http().post(
                hook.url,
                data=delivery.body,
                headers=headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=self._options.timeout),
            ) as response:
                status = response.status
        except TimeoutError:
            error = "timeout"
        except Exception as exc:
            error = type(exc).__name__
        now = self._clock()
        attempts = delivery.attempts + 1
        if status is not None and 200 <= status < 300:
            settled = dataclasses.replace(
                delivery,
                state="delivered",
                attempts=attempts,
                last_status=status,
                last_error=None,
                delivered_at=now,
                finished_at=now,
            )
        else:
            wait = backoff(attempts, self._options.first_retry, self._options.max_retry) * 1000
            settled = dataclasses.replace(
                delivery, attempts=attempts, last_status=status, last_error=error
            )
            if now + wait > delivery.created_at + self._options.retry_for * 1000:
                settled = dataclasses.replace(settled, state="failed", finished_at=now)
            else:
                settled = dataclasses.replace(settled, next_attempt_at=now + wait)
        if not await self._store.settle_webhook_delivery(settled, self._claimer):
            log.warning("webhook delivery %s was taken over before it was settled", delivery.id)
        outcome = {"delivered": "delivered", "failed": "failed"}.get(settled.state, "retry")
        if outcome != "delivered":
            log.info(
                "webhook delivery %s to %s: %s", delivery.id, _origin(hook.url), status or error
            )
        if self._metrics is not None:
            self._metrics.webhook_deliveries.labels(outcome).inc()

    def _http(self) -> aiohttp.ClientSession:
        return self._outbound.session()


def _origin(url: str) -> str:
    """What logs may say of a URL: scheme, host and port (its path may be a capability)."""
    try:
        return str(URL(url).origin())
    except ValueError:
        return "an unreadable URL"
