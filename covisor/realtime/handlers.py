"""The Socket.IO adapter: authenticate connections, validate events, call the domain, emit.

Nothing here decides what a command means; that is conversation.py's job through the journal.
Every event is answered with an ack (`{"ok": true, ...}` or the error shape), every exception
becomes an error ack, and a refused event changes nothing and leaves the connection open.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import socketio

from covisor.catalogue.products import chosen_variant
from covisor.catalogue.service import ProductCatalogue
from covisor.conversations.conversation import is_member
from covisor.conversations.gallery import is_upload
from covisor.conversations.journal import Journal
from covisor.conversations.service import ConversationService
from covisor.conversations.shopper import device_class, language_of
from covisor.kernel import commands as c
from covisor.kernel import logs
from covisor.kernel.clock import Clock
from covisor.kernel.errors import INTERNAL, CovisorError
from covisor.kernel.events import for_reader, to_wire
from covisor.kernel.identity import Identity
from covisor.kernel.metrics import Metrics
from covisor.kernel.ratelimit import EventLimiter
from covisor.media.catalogue import CatalogueService
from covisor.media.links import MediaLinks, parse_source
from covisor.realtime.fanout import Fanout
from covisor.realtime.rooms import (
    AGENTS_ROOM,
    agent_room,
    member_room,
    rooms_of,
)
from covisor.realtime.visitors import VisitorEvents
from covisor.realtime.wire import Server
from covisor.team.authentication import Authenticator
from covisor.team.roster import Roster
from covisor.translation.translator import Translator

log = logging.getLogger(__name__)

SHED_EVENTS = frozenset(
    event for event, kind in c.BY_EVENT.items() if issubclass(kind, c.SHEDDABLE)
)
"""Events refused first when the server runs late (commands.SHEDDABLE)."""
VISITOR_EVENTS = frozenset(
    {"visitor.page", "visitor.ping", "visitor.shop", "visitor.trigger", "visitor.invite"}
)
KNOWN_EVENTS = frozenset({*c.BY_EVENT, *VISITOR_EVENTS, "time"})
"""Event names counted under their own label; any other counts as `other` (labels stay few)."""


@dataclass
class Connection:
    identity: Identity
    limiter: EventLimiter
    joined: set[str] = field(default_factory=set)
    reading: set[str] = field(default_factory=set)
    """Those of `joined` it only reads (a closed conversation the agent was no member of): it
    is announced to nobody and sends the others nothing, not even a typing sign."""


Handler = Callable[[str, Connection, Any], Awaitable[dict[str, Any]]]


def _log_level(identity: Identity) -> int:
    """Connections and disconnections are logged at INFO, but a visitor's at DEBUG: a visitor
    connects once a page view, and those two lines were most of a busy shop's log and a tenth
    of the server's CPU per page view (bench/visitors.py)."""
    return logging.DEBUG if identity.role == "visitor" else logging.INFO


class Realtime:
    """The Socket.IO event handlers; `attach` registers them on the server."""

    def __init__(
        self,
        sio: Server,
        *,
        journal: Journal,
        conversations: ConversationService,
        catalogue: CatalogueService,
        products: ProductCatalogue | None,
        auth: Authenticator,
        links: MediaLinks,
        fanout: Fanout,
        new_limiter: Callable[[], EventLimiter],
        replay_limit: int,
        roster: Roster,
        team_changed: Callable[[], None],
        visitors: VisitorEvents,
        behind: Callable[[], float],
        shed_after: float,
        clock: Clock,
        metrics: Metrics,
        translator: Translator | None = None,
    ) -> None:
        """`behind()`: seconds the server runs late (the journal's backlog, the loop's lag, the
        broadcasts waiting for Redis); past `shed_after`, `SHED_EVENTS` are refused before any
        work."""
        self._behind = behind
        self._shed_after = shed_after
        """`team_changed` is called when an agent's first console connects."""
        self._roster = roster
        self._team_changed = team_changed
        self._visitors = visitors
        self._sio = sio
        self._journal = journal
        self._conversations = conversations
        self._catalogue = catalogue
        self._products = products
        self._auth = auth
        self._links = links
        self._fanout = fanout
        self._new_limiter = new_limiter
        self._replay_limit = replay_limit
        self._clock = clock
        self._metrics = metrics
        self._translator = translator
        self._connections: dict[str, Connection] = {}
        self._special: dict[str, Handler] = {
            "time": self._time,
            "join": self._join,
            "leave": self._leave,
            "chat.typing": self._typing,
            "viewer.view": self._view,
            "chat.history": self._history,
            "chat.translate": self._translate,
        }

    def attach(self) -> None:
        self._sio.on("connect", self._connect)
        self._sio.on("disconnect", self._disconnect)
        self._sio.on_connected(self._connected)
        self._sio.on_event(self._dispatch)

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        auth = auth if isinstance(auth, dict) else {}
        try:
            identity = await self._auth.identify(auth.get("token"))
            page = self._visitors.arriving(auth) if identity.role == "visitor" else None
        except CovisorError as refusal:
            raise socketio.exceptions.ConnectionRefusedError(
                refusal.message, {"code": refusal.code}
            ) from None
        self._connections[sid] = Connection(identity, self._new_limiter())
        self._metrics.connections_of(identity.role).inc()
        logs.sid.set(sid)
        log.log(_log_level(identity), "%s connected", identity.role)
        if identity.role == "visitor":
            device = device_class(environ.get("HTTP_USER_AGENT"))
            language = language_of(None, environ.get("HTTP_ACCEPT_LANGUAGE"))
            await self._visitors.connected(sid, identity, device, language, page)
        if identity.is_agent:
            await self._sio.enter_room(sid, AGENTS_ROOM)
            await self._sio.enter_room(sid, agent_room(identity.id))
            await self._roster.console_opened(identity.id)
            self._team_changed()
            await self._fanout.push_queue(to=sid)

    async def _connected(self, sid: str) -> None:
        """The client was told it is connected: a visitor's page is taken now."""
        conn = self._connections.get(sid)
        if conn is None or conn.identity.role != "visitor":
            return
        logs.sid.set(sid)
        try:
            await self._visitors.opened(sid, conn.identity)
        except Exception:
            log.exception("taking the page a visitor connected with failed")

    async def _disconnect(self, sid: str, reason: Any = None) -> None:
        conn = self._connections.pop(sid, None)
        if conn is None:
            return
        self._metrics.connections_of(conn.identity.role).dec()
        self._visitors.disconnected(sid)
        if conn.identity.is_agent:
            await self._roster.console_closed(conn.identity.id)
        logs.sid.set(sid)
        log.log(_log_level(conn.identity), "%s disconnected", conn.identity.role)
        for cid in conn.joined - conn.reading:
            await self._presence(sid, conn, cid, online=False)

    async def _dispatch(self, event: str, sid: str, args: list[Any]) -> dict[str, Any]:
        logs.sid.set(sid)
        payload = args[0] if len(args) == 1 and isinstance(args[0], dict) else {}
        cid = payload.get("conversation_id")
        logs.conversation_id.set(cid[:64] if isinstance(cid, str) else None)
        answer = await self._answer(event, sid, args)
        outcome = "ok" if answer["ok"] else answer["error"]["code"]
        self._metrics.event_answered(event if event in KNOWN_EVENTS else "other", outcome)
        return answer

    async def _answer(self, event: str, sid: str, args: list[Any]) -> dict[str, Any]:
        try:
            conn = self._connections.get(sid)
            if conn is None:
                raise CovisorError("unavailable", "this connection is closing; reconnect")
            conn.limiter.check(event)
            if event in SHED_EVENTS and self._behind() > self._shed_after:
                raise CovisorError(
                    "rate_limited", "the server is behind; send later", retry_after=self._shed_after
                )
            if len(args) != 1:
                raise CovisorError("bad_request", f"{event[:64]} takes exactly one JSON object")
            if conn.identity.role == "visitor" or event in VISITOR_EVENTS:
                if conn.identity.role != "visitor" or event not in VISITOR_EVENTS:
                    raise CovisorError(
                        "forbidden", f"{event[:64]} is not for {conn.identity.role}s"
                    )
                return await self._visitors.handle(event, sid, conn.identity, args[0])
            special = self._special.get(event)
            if special is not None:
                return await special(sid, conn, args[0])
            command = c.parse(event, args[0])
            if isinstance(command, c.StrokePoints):
                await self._journal.draw(conn.identity, command, sid)
                return {"ok": True}
            if isinstance(command, c.ViewerShow):
                command = await self._resolve_show(command)
            elif isinstance(command, c.CartAdd | c.ProductSend):
                command = await self._resolve_product(command)
            outcome = await self._journal.submit(conn.identity, command, sid)
            if outcome.event is None:
                return {"ok": True, "seq": outcome.seq}
            return {"ok": True, "seq": outcome.seq, "event": self._links.event(outcome.event)}
        except CovisorError as refusal:
            return refusal.to_dict()
        except Exception:
            log.exception("event %r failed", event[:64])
            return INTERNAL.to_dict()

    async def _time(self, sid: str, conn: Connection, payload: Any) -> dict[str, Any]:
        return {"ok": True, "now": self._clock()}

    async def _join(self, sid: str, conn: Connection, payload: Any) -> dict[str, Any]:
        command = c.parse("join", payload)
        assert isinstance(command, c.Join)
        cid = command.conversation_id
        record = await self._conversations.summary(conn.identity, cid)
        reading = not is_member(conn.identity, cid, record.summary.get("agent_id"))
        room = member_room(conn.identity, cid)
        await self._sio.enter_room(sid, room)
        try:
            view = await self._journal.view(conn.identity, cid)
        except BaseException:
            if cid not in conn.joined:
                await self._sio.leave_room(sid, room)
            raise
        if cid not in conn.joined:
            conn.joined.add(cid)
            if reading:
                conn.reading.add(cid)
            else:
                await self._presence(sid, conn, cid, online=True)
        answer: dict[str, Any] = {
            "ok": True,
            "seq": view.seq,
            "now": self._clock(),
            "online": self._online(cid, but=sid),
        }
        last = command.last_seq
        if (
            last is not None
            and not view.drawing
            and last <= view.seq
            and view.seq - last <= self._replay_limit
            and self._fanout.replays_after(cid, last)
        ):
            events = await self._conversations.events_after(cid, last, view.seq - last)
            agent = conn.identity.is_agent
            replay = [self._links.event(for_reader(e, agent)) for e in events]
            return {**answer, "mode": "replay", "events": replay}
        snapshot = self._links.snapshot(view.snapshot, conn.identity)
        return {**answer, "mode": "snapshot", "snapshot": snapshot}

    def _online(self, conversation_id: str, *, but: str) -> list[dict[str, str]]:
        """Members joined to the conversation on this process, other than socket `but`."""
        found: dict[str, dict[str, str]] = {}
        for sid, conn in self._connections.items():
            reading = conversation_id in conn.reading
            if sid != but and not reading and self._in_conversation(sid, conn, conversation_id):
                found.setdefault(conn.identity.id, conn.identity.public())
        return list(found.values())

    async def _leave(self, sid: str, conn: Connection, payload: Any) -> dict[str, Any]:
        cid = c.parse("leave", payload).conversation_id
        self._require_joined(sid, conn, cid)
        conn.joined.discard(cid)
        await self._sio.leave_room(sid, member_room(conn.identity, cid))
        if cid in conn.reading:
            conn.reading.discard(cid)
        else:
            await self._presence(sid, conn, cid, online=False)
        return {"ok": True}

    async def _typing(self, sid: str, conn: Connection, payload: Any) -> dict[str, Any]:
        command = c.parse("chat.typing", payload)
        assert isinstance(command, c.ChatTyping)
        return await self._to_others(
            sid, conn, "typing", command.conversation_id, typing=command.typing
        )

    async def _view(self, sid: str, conn: Connection, payload: Any) -> dict[str, Any]:
        """The part of the media this member sees, for the others' outline of it."""
        command = c.parse("viewer.view", payload)
        assert isinstance(command, c.ViewerView)
        return await self._to_others(
            sid,
            conn,
            "view",
            command.conversation_id,
            cx=command.cx,
            cy=command.cy,
            w=command.w,
            h=command.h,
        )

    async def _to_others(
        self, sid: str, conn: Connection, push: str, conversation_id: str, **fields: Any
    ) -> dict[str, Any]:
        """An ephemeral push (not sequenced, not stored) from a joined member to the other
        sockets of the conversation; a reader's is refused (`forbidden`)."""
        self._require_joined(sid, conn, conversation_id)
        if conversation_id in conn.reading:
            raise CovisorError("forbidden", "you may only read this conversation")
        message = {"conversation_id": conversation_id, "actor": conn.identity.public(), **fields}
        await self._sio.emit(push, message, room=rooms_of(conversation_id), skip_sid=sid)
        return {"ok": True}

    async def _history(self, sid: str, conn: Connection, payload: Any) -> dict[str, Any]:
        command = c.parse("chat.history", payload)
        assert isinstance(command, c.ChatHistory)
        self._require_joined(sid, conn, command.conversation_id)
        messages, translations, has_more = await self._conversations.history(
            command.conversation_id, command.before_seq, command.limit
        )
        return {
            "ok": True,
            "messages": [to_wire(m) for m in messages],
            "translations": translations,
            "has_more": has_more,
        }

    async def _translate(self, sid: str, conn: Connection, payload: Any) -> dict[str, Any]:
        """An agent asks again for a message's translation (one marked untranslated); the
        answer carries the new `chat.translated` event, which the others get too."""
        command = c.parse("chat.translate", payload)
        assert isinstance(command, c.ChatTranslate)
        if not conn.identity.is_agent:
            raise CovisorError("forbidden", "agents ask for translations")
        self._require_joined(sid, conn, command.conversation_id)
        if command.conversation_id in conn.reading:
            raise CovisorError("forbidden", "only the conversation's agent asks for translations")
        if self._translator is None:
            raise CovisorError("unavailable", "translation is off on this server")
        event = await self._translator.retry(conn.identity, command.conversation_id, command.seq)
        if event is None:
            return {"ok": True, "event": None}
        return {"ok": True, "seq": event.seq, "event": to_wire(event)}

    async def _resolve_show(self, command: c.ViewerShow) -> c.Command:
        """`viewer.show` by ids: an upload stays for the domain to find in the gallery, a
        catalogue item becomes `ShowProduct` with its entry; the 1.0 form is read for its ids."""
        if command.product_id is not None:
            return await self._show_product(command)
        media_id, variant = command.media_id, command.variant
        if command.media is not None:
            if media_id is not None:
                raise CovisorError("bad_request", "viewer.show takes media_id or media, not both")
            found = parse_source(command.media.src)
            if found is None:
                raise CovisorError("bad_request", "viewer.show: src names no media of this server")
            if found.conversation_id not in (None, command.conversation_id):
                raise CovisorError("forbidden", "that media belongs to another conversation")
            media_id, variant = found.media_id, found.variant
        if media_id is None:
            raise CovisorError("bad_request", "viewer.show: name the media_id to show")
        cid = command.conversation_id
        if is_upload(media_id):
            return c.ViewerShow(conversation_id=cid, media_id=media_id, variant=variant)
        media = await self._catalogue.viewer_media(media_id, variant)
        return c.ShowProduct(conversation_id=cid, media=media)

    async def _show_product(self, command: c.ViewerShow) -> c.Command:
        if command.media_id is not None or command.media is not None:
            raise CovisorError("bad_request", "viewer.show takes product_id or media_id, not both")
        if self._products is None or command.product_id is None:
            raise CovisorError("not_found", "this server has no product catalogue")
        media = await self._products.viewer_entry(
            command.product_id, command.variant_id, command.image
        )
        return c.ShowProduct(conversation_id=command.conversation_id, media=media)

    async def _resolve_product(self, command: c.CartAdd | c.ProductSend) -> c.Command:
        """`cart.add` and `product.send` with the product's card looked up (its variant must be
        one of the product's)."""
        if self._products is None:
            raise CovisorError("not_found", "this server has no product catalogue")
        card = await self._products.card(command.product_id)
        variant = chosen_variant(card, command.product_id, command.variant_id)
        if variant is None:
            raise CovisorError("not_found", "this product has no such variant")
        cid = command.conversation_id
        if isinstance(command, c.ProductSend):
            return c.SendProduct(conversation_id=cid, product=card, variant_id=variant["id"])
        named = variant["id"] in (command.variant_id, command.product_id)
        return c.CartAdded(
            conversation_id=cid,
            product_id=card["id"],
            variant_id=variant["id"] if named else None,
            quantity=command.quantity,
            added=command.added,
            error=command.error,
            title=card["title"],
        )

    def _require_joined(self, sid: str, conn: Connection, conversation_id: str) -> None:
        """The socket joined the conversation and is still in its room (a transfer takes the
        agent before out of it, on whichever process the transfer happened)."""
        if not self._in_conversation(sid, conn, conversation_id):
            conn.joined.discard(conversation_id)
            conn.reading.discard(conversation_id)
            raise CovisorError("forbidden", "join the conversation first")

    def _in_conversation(self, sid: str, conn: Connection, conversation_id: str) -> bool:
        room = member_room(conn.identity, conversation_id)
        rooms: dict[str, Any] = self._sio.manager.rooms.get("/", {})
        return conversation_id in conn.joined and sid in rooms.get(room, {})

    async def _presence(self, sid: str, conn: Connection, cid: str, *, online: bool) -> None:
        message = {"conversation_id": cid, "actor": conn.identity.public(), "online": online}
        await self._sio.emit("presence", message, room=rooms_of(cid), skip_sid=sid)
