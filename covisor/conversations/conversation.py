"""One conversation's state: who is in it, the chat, read marks, its media and the shared viewer.

`decide(state, actor, command, now, limits)` is a pure function: it authorises the command for the
actor's role, validates it against the state and returns the `Draft` of the event it causes, an
`Existing` for a repeated command, or raises `CovisorError`. `ConversationState.apply(event)` is
the only way state changes. Together they make a conversation an event-sourced value that any
process can rebuild from the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from covisor.conversations.commerce import decide as decide_commerce
from covisor.conversations.gallery import Gallery
from covisor.conversations.viewer import NO_SKETCH, Viewer, ViewerLimits
from covisor.kernel import commands as c
from covisor.kernel.errors import CovisorError
from covisor.kernel.events import Draft, Event, Existing, to_wire
from covisor.kernel.identity import Identity

Status = Literal["waiting", "active", "closed"]

PREVIEW_CHARS = 140
"""Characters of the last message a summary carries."""


@dataclass(frozen=True)
class Limits:
    """A conversation's bounds; the composition root fills them from the config."""

    max_message_chars: int
    recent_messages: int
    remembered_client_ids: int
    max_media_items: int
    viewer: ViewerLimits


def is_member(who: Identity, conversation_id: str, agent_id: str | None) -> bool:
    """The one membership rule: shoppers and callers by their grant, which names exactly one
    conversation; agents once they are its agent (accepted it, or linked by PIN)."""
    if who.is_agent:
        return agent_id == who.id
    return who.conversation_id == conversation_id


def may_read(who: Identity, conversation_id: str, agent_id: str | None, status: str) -> bool:
    """The one reading rule: members, and every agent once the conversation is closed (the
    console's history: a shop's past conversations are its team's, read-only; the journal
    still refuses a non-member's every write)."""
    return is_member(who, conversation_id, agent_id) or (who.is_agent and status == "closed")


@dataclass
class ConversationState:
    id: str
    seq: int = 0
    status: Status = "waiting"
    page: dict[str, str] | None = None
    name: str = "Shopper"
    customer_id: str | None = None
    by_phone: bool = False
    offline: bool = False
    accepted_at: float | None = None
    agent: dict[str, Any] | None = None
    callers: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: list[Event] = field(default_factory=list)
    reads: dict[str, int] = field(default_factory=dict)
    client_ids: dict[str, int] = field(default_factory=dict)
    viewer: Viewer = field(default_factory=Viewer)
    gallery: Gallery = field(default_factory=Gallery)
    visitor: dict[str, Any] = field(default_factory=dict)
    notes: list[Event] = field(default_factory=list)
    rating: dict[str, Any] | None = None
    last_message: dict[str, Any] | None = None
    cart: dict[str, Any] | None = None
    commerce: list[Event] = field(default_factory=list)
    translations: dict[int, dict[str, Any]] = field(default_factory=dict)
    """Message seq → its latest `chat.translated` data, for the recent messages kept."""

    def is_member(self, who: Identity) -> bool:
        return is_member(who, self.id, self.agent["id"] if self.agent else None)

    def may_read(self, who: Identity) -> bool:
        return may_read(who, self.id, self.agent["id"] if self.agent else None, self.status)

    def apply(self, event: Event, limits: Limits) -> None:
        """Advance the state by one committed event (the event's `seq` must be the next one)."""
        if event.seq != self.seq + 1:
            raise ValueError(f"event {event.seq} does not follow {self.seq} in {self.id}")
        self.seq = event.seq
        data = event.data
        match event.type:
            case "conversation.opened":
                self.page = data.get("page")
                self.name = data.get("name", self.name)
                self.by_phone = bool(data.get("by_phone"))
                self.offline = bool(data.get("offline"))
                self.customer_id = event.actor["id"]
                self.visitor = data.get("visitor") or {}
            case "visitor.identified":
                self.visitor = data["visitor"]
                self.name = self.visitor.get("name") or self.name
            case "conversation.accepted":
                self.agent = {**data["agent"], "seq": event.seq}
                self.status = "active"
                self.accepted_at = event.at
            case "conversation.closed":
                self.status = "closed"
            case "conversation.transferred":
                to = data["to"]
                self.agent = {**to, "seq": event.seq} if to else None
                self.status = "active" if to else "waiting"
            case "conversation.rated":
                self.rating = {"score": data["score"], "comment": data.get("comment")}
            case "note.added":
                self.notes.append(event)
                del self.notes[: -limits.recent_messages]
            case "member.joined":
                member = data["member"]
                self.callers[member["id"]] = {
                    "id": member["id"],
                    "name": member["name"],
                    "seq": event.seq,
                }
            case "chat.message":
                self.messages.append(event)
                del self.messages[: -limits.recent_messages]
                first = self.messages[0].seq
                for seq in [s for s in self.translations if s < first]:
                    del self.translations[seq]
                self.last_message = {
                    "seq": event.seq,
                    "at": event.at,
                    "text": data["text"][:PREVIEW_CHARS],
                    "author": event.actor,
                }
                if data.get("client_id"):
                    self.client_ids[_client_key(event.actor["id"], data["client_id"])] = event.seq
                    while len(self.client_ids) > limits.remembered_client_ids:
                        del self.client_ids[next(iter(self.client_ids))]
            case "chat.translated":
                if self.messages and data["seq"] >= self.messages[0].seq:
                    self.translations[data["seq"]] = data
            case "chat.read":
                self.reads[event.actor["id"]] = data["seq"]
            case "cart.updated":
                self.cart = data["cart"]
            case "product.sent" | "cart.added":
                self.commerce.append(event)
                del self.commerce[: -limits.recent_messages]
            case "media.processing" | "media.ready" | "media.updated" | "media.failed":
                self.gallery.apply(event.type, data, event.seq)
            case _:
                self.viewer.apply(event.type, data)

    def snapshot(
        self, *, for_agent: bool = True, sketch: Mapping[str, list[c.Point]] = NO_SKETCH
    ) -> dict[str, Any]:
        """What a joining client needs to draw the conversation as it is now, open strokes as
        far as `sketch` has them; internal notes only `for_agent`."""
        internal = {"notes": [to_wire(n) for n in self.notes]} if for_agent else {}
        return {
            "conversation_id": self.id,
            "seq": self.seq,
            "status": self.status,
            "page": self.page,
            "name": self.name,
            "agent": self.agent,
            "callers": list(self.callers.values()),
            "messages": [to_wire(m) for m in self.messages],
            "translations": list(self.translations.values()),
            "reads": dict(self.reads),
            **self.viewer.snapshot(sketch),
            **self.gallery.snapshot(),
            "visitor": self.visitor,
            "rating": self.rating,
            "cart": self.cart,
            "commerce": [to_wire(e) for e in self.commerce],
            **internal,
        }

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "page": self.page,
            "name": self.name,
            "agent_id": self.agent["id"] if self.agent else None,
            "agent_name": self.agent["name"] if self.agent else None,
            "uploads_pending": len(self.gallery.pending),
            "queued": self.status == "waiting" and not (self.by_phone and not self.messages),
            "accepted_at": self.accepted_at,
            "visitor": self.visitor,
            "last_message": self.last_message,
            "unread": self.unread(),
            "rating": self.rating,
            "offline": self.offline,
            "cart": self.cart,
        }

    def unread(self) -> int:
        """Messages its agent has not read (by anyone else: the shopper, a caller, an agent
        before a transfer), counted over the recent messages kept; with no agent, every
        message since the last agent left."""
        reader = self.agent["id"] if self.agent else None
        since = self.reads.get(reader, 0) if reader else 0
        return sum(1 for m in self.messages if m.seq > since and m.actor["id"] != reader)


def decide(
    state: ConversationState,
    actor: Identity,
    command: c.Command,
    now: float,
    limits: Limits,
    sketch: Mapping[str, list[c.Point]] = NO_SKETCH,
) -> Draft | Existing:
    """The event `command` causes in `state`, or the refusal; never changes `state`.
    `sketch`: the points drawn on its open strokes beyond those in `state` (see `draw`). A
    closed conversation still takes the `stroke.end` of a line begun before, which makes the
    points drawn until the close durable."""
    if isinstance(command, c.Open):
        if state.seq != 0:
            raise CovisorError("conflict", "conversation already opened")
        data: dict[str, Any] = {"page": command.page, "name": command.name}
        if command.by_phone:
            data["by_phone"] = True
        if command.offline:
            data["offline"] = True
        if command.visitor is not None:
            data["visitor"] = command.visitor
        return Draft("conversation.opened", data)
    if isinstance(command, c.Accept):
        return _decide_accept(state, actor)
    if isinstance(command, c.Translated):
        return _decide_translated(state, command)
    _require_member(state, actor)
    if isinstance(command, c.Rate):
        return _decide_rate(state, actor, command)
    if isinstance(command, c.AddNote):
        if not actor.is_agent:
            raise CovisorError("forbidden", "only agents write notes")
        return Draft("note.added", {"text": _message_text(command.text, limits)})
    if isinstance(command, c.MediaReady | c.MediaUpdated | c.MediaFailed):
        return state.gallery.decide(actor, command, limits.max_media_items)
    if isinstance(command, c.StrokeEnd):
        return state.viewer.decide(actor, command, now, limits.viewer, sketch)
    _require_open(state)
    match command:
        case c.Close():
            if not actor.is_agent:
                raise CovisorError("forbidden", "only the agent closes a conversation")
            return Draft("conversation.closed", {})
        case c.Transfer(to=to):
            return _decide_transfer(state, actor, to)
        case c.Identify(visitor=visitor):
            if actor.is_agent:
                raise CovisorError("forbidden", "shoppers identify themselves")
            return Draft("visitor.identified", {"visitor": visitor})
        case c.ChatSend(text=text, client_id=client_id):
            text = _message_text(text, limits)
            if client_id is not None:
                seen = state.client_ids.get(_client_key(actor.id, client_id))
                if seen is not None:
                    return Existing(seen)
            return Draft("chat.message", {"text": text, "client_id": client_id})
        case c.ChatRead(seq=seq):
            if seq > state.seq:
                raise CovisorError("bad_request", f"seq {seq} is beyond the last event {state.seq}")
            if seq <= state.reads.get(actor.id, 0):
                return Existing(state.seq)
            return Draft("chat.read", {"seq": seq})
        case c.AdmitCaller():
            if actor.role != "caller":
                raise CovisorError("forbidden", "only callers are admitted by PIN")
            if actor.id in state.callers:
                return Existing(state.seq)
            return Draft("member.joined", {"member": actor.public()})
        case c.MediaReceived():
            return state.gallery.decide(actor, command, limits.max_media_items)
        case c.ViewerShow(media_id=media_id, variant=variant) if actor.is_agent:
            if media_id is None:
                raise CovisorError("bad_request", "viewer.show: name the media_id to show")
            media = state.gallery.viewer_media(media_id, variant)
            return state.viewer.show(actor, media)
        case c.ShowProduct(media=media):
            return state.viewer.show(actor, media)
        case c.CartSet() | c.CartAdded() | c.SendProduct():
            return decide_commerce(actor, command, state.cart, state.seq)
    return state.viewer.decide(actor, command, now, limits.viewer, sketch)


def draw(
    state: ConversationState, actor: Identity, command: c.StrokePoints, drawn: int, limits: Limits
) -> tuple[int, list[c.Point]]:
    """Where the points of `command` go in their stroke, which has `drawn` points in a sketch
    beyond those in `state`, and those of them it lacks; or the refusal. Points are not events:
    a sketch holds them until the stroke's `stroke.end` (viewer.py)."""
    _require_member(state, actor)
    _require_open(state)
    return state.viewer.draw(actor, command, drawn, limits.viewer)


def _require_member(state: ConversationState, actor: Identity) -> None:
    if not state.is_member(actor):
        raise CovisorError("forbidden", "you are not a member of this conversation")


def _require_open(state: ConversationState) -> None:
    if state.status == "closed":
        raise CovisorError("conflict", "this conversation is closed")


def _decide_accept(state: ConversationState, actor: Identity) -> Draft | Existing:
    if not actor.is_agent:
        raise CovisorError("forbidden", "only agents accept conversations")
    if state.agent is not None:
        if state.agent["id"] == actor.id:
            return Existing(state.seq)
        raise CovisorError("conflict", f"{state.agent['name']} already has this conversation")
    if state.status == "closed":
        raise CovisorError("conflict", "this conversation is closed")
    return Draft("conversation.accepted", {"agent": {"id": actor.id, "name": actor.name}})


def _decide_transfer(state: ConversationState, actor: Identity, to: dict[str, str] | None) -> Draft:
    if not actor.is_agent:
        raise CovisorError("forbidden", "only the agent transfers a conversation")
    if to is not None and to["id"] == actor.id:
        raise CovisorError("bad_request", "the conversation is already yours")
    return Draft("conversation.transferred", {"from": actor.public(), "to": to})


def _decide_translated(state: ConversationState, command: c.Translated) -> Draft:
    """A translation, or why there is none, of a message of this conversation. Server-internal:
    taken from whoever wrote the message, member or not any more, open or closed (a message
    written just before the close is still translated)."""
    if not 0 < command.seq <= state.seq:
        raise CovisorError("bad_request", f"no message {command.seq} in this conversation")
    if (command.text is None) == (command.error is None):
        raise CovisorError("bad_request", "a translation has a text or an error, not both")
    data: dict[str, Any] = {"seq": command.seq, "source": command.source, "target": command.target}
    if command.text is not None:
        data["text"] = command.text
    else:
        data["error"] = command.error
    return Draft("chat.translated", data)


def _decide_rate(state: ConversationState, actor: Identity, command: c.Rate) -> Draft:
    if actor.role != "customer":
        raise CovisorError("forbidden", "the shopper rates the conversation")
    if state.status != "closed":
        raise CovisorError("conflict", "a conversation is rated once it is closed")
    if state.rating is not None:
        raise CovisorError("conflict", "this conversation is rated already")
    data: dict[str, Any] = {"score": command.score}
    if command.comment:
        data["comment"] = command.comment
    return Draft("conversation.rated", data)


def _message_text(text: str, limits: Limits) -> str:
    """A chat message's or note's text, refused when blank or too long."""
    if len(text) > limits.max_message_chars:
        raise CovisorError(
            "bad_request", f"message longer than {limits.max_message_chars} characters"
        )
    if not text.strip():
        raise CovisorError("bad_request", "message is empty")
    return text


def _client_key(actor_id: str, client_id: str) -> str:
    return f"{actor_id}\x1f{client_id}"
