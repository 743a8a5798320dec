"""The Socket.IO events of the `visitor` role: the page a visitor is on, heartbeats, the shop's
triggers, and the invitations sent to it.

`Realtime` hands these events here. A visitor socket lives as long as its page: each page view
opens one, with the page in its `auth` (taken once the socket is connected: no event of its own,
whose round trip was a tenth of a page view's CPU), and `visitor.ping`s every `VISITOR_HEARTBEAT`
seconds; `visitor.page` reports a page on a socket already open (a single-page app's navigation,
or an older widget). Rules waiting for seconds on the page are timers of the socket, cancelled
when it leaves the page. Invitations go to the room `v:<visitor id>`, every socket of the
visitor on any process.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Annotated, Any

import msgspec
import socketio

from covisor.conversations.commerce import cart_data
from covisor.kernel.clock import Clock
from covisor.kernel.commands import Cart, PageUrl, ProductRef, Referrer
from covisor.kernel.errors import CovisorError
from covisor.kernel.identity import Identity
from covisor.realtime.rooms import agent_room
from covisor.store.records import (
    CartValue,
    InvitationRecord,
    PageView,
    RuleRecord,
    ShopContext,
    VisitorRecord,
)
from covisor.visitors.invitations import Invitations, Message, OnPage, invitation_wire
from covisor.visitors.tracking import Tracking

log = logging.getLogger(__name__)

Title = Annotated[str, msgspec.Meta(max_length=500)]


class _Page(msgspec.Struct, forbid_unknown_fields=True):
    url: PageUrl
    title: Title | None = None
    referrer: Referrer | None = None


class _Trigger(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.:-]{1,64}\Z")]


class _Invite(msgspec.Struct, forbid_unknown_fields=True):
    message: Message


class _Nothing(msgspec.Struct, forbid_unknown_fields=True):
    pass


class _Shop(msgspec.Struct, forbid_unknown_fields=True):
    """What the shop's page tells of its visitor (`covisor.setProduct`, `covisor.setCart`)."""

    product_id: ProductRef | None = None
    cart: Cart | None = None


def cart_value(cart: Cart) -> CartValue:
    """The cart as the live visitors list shows it: its total and how many units (checked
    as the conversation checks it)."""
    checked = cart_data(cart)
    units = sum(item["quantity"] for item in checked["items"])
    return CartValue(checked["total"], checked["currency"], units)


def visitor_room(visitor_id: str) -> str:
    return f"v:{visitor_id}"


def projected(known: VisitorRecord | None, view: PageView, gap_ms: float) -> VisitorRecord:
    """The visitor as it will be once `view` is written (rules look before the next write)."""
    if known is None:
        return VisitorRecord(
            view.visitor_id, view.at, view.at, view.at, 1, 1, view.device, view.language,
            view.url, view.title, view.referrer, view.at,
        )  # fmt: skip
    new_visit = view.at - known.last_seen > gap_ms
    return dataclasses.replace(
        known,
        last_seen=view.at,
        visit_started=view.at if new_visit else known.visit_started,
        visits=known.visits + 1 if new_visit else known.visits,
        pages=1 if new_visit else known.pages + 1,
        url=view.url,
        title=view.title,
        page_at=view.at,
    )


@dataclass
class Visit:
    """What one visitor socket knows of its page."""

    device: str
    language: str | None
    arrived: _Page | None = None
    """The page the socket came with, until it is taken (`opened`)."""
    view: PageView | None = None
    timers: list[asyncio.TimerHandle] = field(default_factory=list)

    def leave_page(self) -> None:
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()


def _parse(kind: type[msgspec.Struct], event: str, payload: Any) -> Any:
    try:
        return msgspec.convert(payload, type=kind, strict=True)
    except msgspec.ValidationError as exc:
        raise CovisorError("bad_request", f"{event}: {exc}") from None


class VisitorEvents:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        tracking: Tracking,
        invitations: Invitations,
        clock: Clock,
        *,
        gap: float,
    ) -> None:
        self._sio = sio
        self._tracking = tracking
        self._invitations = invitations
        self._clock = clock
        self._gap_ms = gap * 1000.0
        self._visits: dict[str, Visit] = {}

    @staticmethod
    def arriving(auth: dict[str, Any]) -> _Page | None:
        """The page a connection's `auth` brings (`{"token", "page"?}`), or None; a page that
        `visitor.page` would refuse raises its `bad_request`, refusing the connection."""
        page = auth.get("page")
        return None if page is None else _parse(_Page, "auth.page", page)

    async def connected(
        self,
        sid: str,
        visitor: Identity,
        device: str,
        language: str | None,
        page: _Page | None = None,
    ) -> None:
        """A visitor socket is in (`page`: what `arriving` found, taken by `opened`)."""
        self._visits[sid] = Visit(device, language, arrived=page)
        await self._sio.enter_room(sid, visitor_room(visitor.id))

    async def opened(self, sid: str, visitor: Identity) -> None:
        """The client knows it is connected: take the page it came with, as `visitor.page`
        would, so that an invitation its rules send now reaches a connected socket (as a push:
        there is no answer to carry it)."""
        visit = self._visits.get(sid)
        if visit is None or visit.arrived is None:
            return
        page, visit.arrived = visit.arrived, None
        await self._page(sid, visitor, visit, page)

    def disconnected(self, sid: str) -> None:
        visit = self._visits.pop(sid, None)
        if visit is not None:
            visit.leave_page()

    async def handle(self, event: str, sid: str, visitor: Identity, payload: Any) -> dict[str, Any]:
        """Answer one visitor event (the caller checked the role)."""
        visit = self._visits.get(sid)
        if visit is None:
            raise CovisorError("unavailable", "this connection is closing; reconnect")
        match event:
            case "visitor.page":
                return await self._page(sid, visitor, visit, _parse(_Page, event, payload))
            case "visitor.ping":
                _parse(_Nothing, event, payload)
                self._tracking.seen(PageView(visitor.id, self._clock()))
                return {"ok": True}
            case "visitor.shop":
                told = _parse(_Shop, event, payload)
                cart = cart_value(told.cart) if told.cart is not None else None
                self._tracking.seen(ShopContext(visitor.id, self._clock(), told.product_id, cart))
                return {"ok": True}
            case "visitor.trigger":
                name = _parse(_Trigger, event, payload).name
                return await self._trigger(visitor, visit, name)
            case "visitor.invite":
                message = _parse(_Invite, event, payload).message
                invitation = await self._invitations.by_shop(visitor.id, message)
                return await self._answer(invitation)
        raise CovisorError("unknown_event", f"unknown event {event[:64]!r}")

    async def send(self, invitation: InvitationRecord) -> None:
        """Show an invitation on every page the visitor has open."""
        await self._sio.emit(
            "invitation", invitation_wire(invitation), room=visitor_room(invitation.visitor_id)
        )

    async def answered(self, invitation: InvitationRecord) -> None:
        """Tell the inviting agent's consoles how the visitor answered (accepted, declined)."""
        if invitation.agent_id is not None:
            await self._sio.emit(
                "invitation", invitation_wire(invitation), room=agent_room(invitation.agent_id)
            )

    async def _answer(self, invitation: InvitationRecord | None) -> dict[str, Any]:
        if invitation is not None:
            await self.send(invitation)
        return {"ok": True, "invitation": invitation_wire(invitation) if invitation else None}

    async def _page(self, sid: str, visitor: Identity, visit: Visit, page: _Page) -> dict[str, Any]:
        """Take the page view (written with the next batch); the rules are looked at now
        and after each delay they wait for."""
        now = self._clock()
        referrer = page.referrer or None  # "" is none, as browsers write it
        view = PageView(
            visitor.id, now, page.url, page.title, referrer, visit.device, visit.language
        )
        self._tracking.seen(view)
        visit.leave_page()
        visit.view = view
        rules = await self._enabled_rules()
        if not rules:
            return {"ok": True, "invitation": None}
        seen = await self._on_page(view)
        invitation = await self._invitations.by_rules(seen, rules)
        if invitation is not None:
            return await self._answer(invitation)
        loop = asyncio.get_running_loop()
        for delay in sorted({r.conditions.get("seconds") or 0 for r in rules} - {0}):
            timer = loop.call_later(delay, self._waited, sid, visitor, view, seen, float(delay))
            visit.timers.append(timer)
        return {"ok": True, "invitation": None}

    async def _enabled_rules(self) -> list[RuleRecord]:
        return [rule for rule in await self._invitations.rules() if rule.enabled]

    async def _on_page(
        self, view: PageView, seconds: float = 0.0, trigger: str | None = None
    ) -> OnPage:
        """The visitor on `view`'s page as rules look at it. Read from the store only when
        there are rules: a shop without them pays nothing per page view for invitations."""
        record = projected(await self._tracking.stored(view.visitor_id), view, self._gap_ms)
        return OnPage(record, view.url or "", record.pages, seconds, trigger)

    def _waited(
        self, sid: str, visitor: Identity, view: PageView, seen: OnPage, seconds: float
    ) -> None:
        """A rule's delay passed with the visitor still on the page."""
        visit = self._visits.get(sid)
        if visit is None or visit.view is not view:
            return
        task = asyncio.get_running_loop().create_task(
            self._fire(dataclasses.replace(seen, seconds=seconds))
        )
        task.add_done_callback(_log_failure)

    async def _fire(self, seen: OnPage) -> None:
        rules = await self._enabled_rules()
        invitation = await self._invitations.by_rules(seen, rules)
        if invitation is not None:
            await self.send(invitation)

    async def _trigger(self, visitor: Identity, visit: Visit, name: str) -> dict[str, Any]:
        if visit.view is None:
            raise CovisorError("bad_request", "report the page first (visitor.page)")
        rules = await self._enabled_rules()
        if not rules:
            return {"ok": True, "invitation": None}
        seconds = (self._clock() - visit.view.at) / 1000.0
        seen = await self._on_page(visit.view, seconds, name)
        return await self._answer(await self._invitations.by_rules(seen, rules))


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("an invitation rule failed", exc_info=task.exception())
