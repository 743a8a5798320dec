"""Live visitors: who is on the shop's site now, as the widget reports it.

Every page the widget is on opens a Socket.IO connection as role `visitor` (a signed grant for a
random visitor id the widget keeps in first-party storage) that brings the page (or reports it
with `visitor.page`) and, every `VISITOR_HEARTBEAT` seconds while the page stays open, tells that
it is still there.
Nothing personal: URL, title, referrer, device class, language.

Page views are cheap to take: `seen` queues them in memory and one task writes them every
`flush_every` seconds in one store transaction, then tells the agents' consoles what changed
(`publish`, a `visitors` push to the agents' room, which reaches every process). The live list
is read from the store, so it is right whichever process a visitor or an agent is on; a visitor
leaves it `idle` seconds after its last report.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from covisor.kernel.background import Background
from covisor.kernel.clock import Clock, TokenSource
from covisor.kernel.errors import CovisorError
from covisor.kernel.events import Event
from covisor.kernel.identity import GrantSigner, Identity
from covisor.store import Store, SummaryRecord
from covisor.store.records import PageView, ShopContext, VisitorRecord

log = logging.getLogger(__name__)

MAX_QUEUED = 100_000
"""Page views held for the next write at most; beyond, the newest are dropped (and logged)."""

Publish = Callable[[list[dict[str, Any]]], Awaitable[None]]
MatchProducts = Callable[[list[str]], Awaitable[dict[str, str]]]
"""Page URLs → the product each is the page of (catalogue.service `products_at`)."""


OPEN = ("waiting", "active")
"""A conversation's statuses while the visitor is in it."""
CHAT_CHANGES = frozenset(
    {"conversation.opened", "conversation.accepted", "conversation.closed", "member.joined"}
    | {"visitor.identified"}
)
"""Events after which a visitor in that conversation looks different in the live list."""


def visitor_wire(record: VisitorRecord, chat: SummaryRecord | None = None) -> dict[str, Any]:
    """A visitor as agents see it in the live list (docs/PROTOCOL.md, *Live visitors*), with
    what its conversation (`chat`, if any) says now: open or not, and the name given there."""
    summary = chat.summary if chat is not None else {}
    return {
        "id": record.id,
        "page": {"url": record.url, "title": record.title},
        "pages": record.pages,
        "device": record.device,
        "language": record.language,
        "referrer": record.referrer,
        "since": record.visit_started,
        "page_at": record.page_at,
        "last_seen": record.last_seen,
        "returning": record.returning,
        "conversation_id": record.conversation_id,
        "in_chat": summary.get("status") in OPEN,
        "name": (summary.get("visitor") or {}).get("name"),
        "product_id": record.product_id,
        "cart": dataclasses.asdict(record.cart) if record.cart else None,
    }


class Tracking:
    def __init__(
        self,
        store: Store,
        signer: GrantSigner,
        clock: Clock,
        tokens: TokenSource,
        *,
        idle: float,
        gap: float,
        flush_every: float,
        token_ttl: float,
        publish: Publish,
        match_products: MatchProducts | None = None,
    ) -> None:
        """`match_products`: finds the product of each page written (none without a
        catalogue)."""
        self._store = store
        self._signer = signer
        self._clock = clock
        self._tokens = tokens
        self._idle_ms = idle * 1000.0
        self._gap_ms = gap * 1000.0
        self._flush_every = flush_every
        self._token_ttl = token_ttl
        self._publish = publish
        self._match_products = match_products
        self._queue: list[PageView | ShopContext] = []
        self._chats: set[str] = set()
        self._dropped = 0
        # Batches are taken and written one at a time, in the order they were queued.
        self._writing = asyncio.Lock()
        self._background = Background()

    def start(self) -> None:
        self._background.spawn(self._run(), "covisor-tracking")

    async def stop(self) -> None:
        """Write what is queued, then stop."""
        await self._background.stop()
        await self.flush()

    def register(self, token: str | None) -> tuple[str, str, float]:
        """`(visitor id, token, expiry ms)`: the same visitor, with a fresh token, for a valid
        visitor token; a new random visitor otherwise."""
        visitor_id = None
        if token:
            try:
                known = self._signer.verify(token)
            except CovisorError:
                known = None
            if known is not None and known.role == "visitor":
                visitor_id = known.id
        visitor_id = visitor_id or "v_" + self._tokens(16)
        grant, expires_at = self._signer.issue(Identity(visitor_id, "visitor", ""), self._token_ttl)
        return visitor_id, grant, expires_at

    def seen(self, view: PageView | ShopContext) -> None:
        """Take a page view, a heartbeat or what the page told; written with the next batch
        (never waits)."""
        if len(self._queue) >= MAX_QUEUED:
            self._dropped += 1
            return
        self._queue.append(view)

    async def flush(self) -> int:
        """Write the queued page views in one transaction and push the visitors they changed
        to agents; how many were written."""
        async with self._writing:
            batch, self._queue = self._queue, []
            if self._dropped:
                log.warning("dropped %d page views: the store did not keep up", self._dropped)
                self._dropped = 0
            if not batch:
                return 0
            started = min(view.at for view in batch)
            await self._store.record_visits(await self._with_products(batch), self._gap_ms)
        changed = {view.visitor_id for view in batch}
        fresh = await self._store.live_visitors(started - 1.0, limit=len(changed) + 1000)
        await self._publish(await self._wired([r for r in fresh if r.id in changed]))
        return len(batch)

    def published(self, events: list[tuple[Event, str | None]]) -> None:
        """A committed round: a visitor whose conversation opened, closed, was taken or named
        is pushed again to agents with the next flush (never waits)."""
        for event, _ in events:
            if event.type in CHAT_CHANGES:
                self._chats.add(event.conversation_id)

    async def _push_chats(self) -> None:
        """Push the live visitors whose conversation changed since the last time."""
        chats, self._chats = self._chats, set()
        if chats:
            found = await self._store.live_visitors(self._clock() - self._idle_ms, limit=500)
            await self._publish(await self._wired([r for r in found if r.conversation_id in chats]))

    async def _wired(self, records: list[VisitorRecord]) -> list[dict[str, Any]]:
        """`visitor_wire` of each, with its conversation's committed summary."""
        chats = {
            cid: await self._store.summary(cid)
            for cid in {r.conversation_id for r in records if r.conversation_id is not None}
        }
        return [
            visitor_wire(r, chats.get(r.conversation_id) if r.conversation_id else None)
            for r in records
        ]

    async def _with_products(
        self, batch: list[PageView | ShopContext]
    ) -> list[PageView | ShopContext]:
        """The batch with each page view's product, when there is a catalogue (a failing
        lookup leaves the pages without one: tracking never stops for it)."""
        urls = [v.url for v in batch if isinstance(v, PageView) and v.url is not None]
        if self._match_products is None or not urls:
            return batch
        try:
            found = await self._match_products(urls)
        except Exception:
            log.exception("matching pages to products failed")
            return batch
        return [
            dataclasses.replace(v, product_id=found.get(v.url))
            if isinstance(v, PageView) and v.url is not None
            else v
            for v in batch
        ]

    async def live(self, limit: int = 500) -> list[dict[str, Any]]:
        """The visitors on the site now, the most recently active first."""
        found = await self._store.live_visitors(self._clock() - self._idle_ms, limit)
        return await self._wired(found)

    async def link(self, visitor_id: str, conversation_id: str) -> None:
        """The visitor is in `conversation_id` (assisted from now on); agents see it with the
        next write. The page views this process holds are written first: a chat opened right
        after the page's first view (a shop's `covisor.open()` on load) would otherwise find
        no visitor to tie to."""
        await self.flush()
        now = self._clock()
        await self._store.link_conversation(visitor_id, conversation_id, now)
        self.seen(PageView(visitor_id, now))

    def now(self) -> float:
        return self._clock()

    async def stored(self, visitor_id: str) -> VisitorRecord | None:
        """The visitor as last written (page views still queued are not in it)."""
        return await self._store.visitor(visitor_id)

    async def visitor(self, visitor_id: str) -> VisitorRecord:
        record = await self._store.visitor(visitor_id)
        if record is None:
            raise CovisorError("not_found", "no such visitor")
        return record

    async def detail(self, visitor_id: str) -> dict[str, Any]:
        """A visitor with the pages of its current visit and when it saw each."""
        record = await self.visitor(visitor_id)
        pages = await self._store.visit_pages(visitor_id, record.visit_started)
        history = [{"url": p.url, "title": p.title, "at": p.at} for p in pages]
        (wired,) = await self._wired([record])
        return {**wired, "history": history}

    async def forget(self, retention_days: float) -> int:
        """Drop visitors not seen for `retention_days` (the retention sweep)."""
        return await self._store.forget_visitors(self._clock() - retention_days * 86_400_000.0)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._flush_every)
            try:
                await self.flush()
                await self._push_chats()
            except Exception:
                log.exception("writing page views failed")
