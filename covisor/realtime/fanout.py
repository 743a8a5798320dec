"""What leaves the journal for sockets: committed events to their rooms, the queue to agents.

The journal relays each round and publishes it after its commit; `Fanout` turns that into
emits through the client manager (broadcast.py), which reaches other processes when there are.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import socketio

from covisor.conversations.journal import Published, Relayed
from covisor.conversations.queue import Queue
from covisor.kernel import logs
from covisor.kernel.events import INTERNAL_TYPES, Event, Points, redacted, to_wire
from covisor.media.links import MediaLinks
from covisor.realtime.rooms import AGENTS_ROOM, agent_room, agents_room_of, room_of, rooms_of

log = logging.getLogger(__name__)

NOTABLE_EVENTS = frozenset(
    {
        "conversation.opened",
        "conversation.accepted",
        "conversation.closed",
        "member.joined",
        "media.ready",
        "media.failed",
    }
)
"""Committed events that get a log line (strokes and chat would drown the log)."""
QUEUE_EVENTS = frozenset(
    {
        "conversation.opened",
        "conversation.accepted",
        "conversation.closed",
        "conversation.transferred",
    }
)


def _changes_queue(event: Event) -> bool:
    """Opened, taken and closed conversations change the queue, and so may a shopper's message
    (the first one puts a conversation opened for a phone PIN in it)."""
    return event.type in QUEUE_EVENTS or (
        event.type == "chat.message" and event.actor.get("role") == "customer"
    )


class Fanout:
    """Sends committed events to their conversation's room, and the queue to agents.

    The journal calls `publish` with each committed round, in commit order. `sio.emit` goes
    through the client manager (broadcast.py), which reaches other processes when there are.
    """

    def __init__(
        self,
        sio: socketio.AsyncServer,
        links: MediaLinks,
        queue: Queue,
        queue_changed: Callable[[], None],
    ) -> None:
        """`queue_changed` is called after publishing events that changed the queue."""
        self._sio = sio
        self._links = links
        self._queue = queue
        self._queue_changed = queue_changed
        self._queue_stale = False
        self._queue_push: asyncio.Task[None] | None = None
        self._retracted: dict[str, int] = {}

    async def relay(self, relayed: list[Relayed]) -> None:
        """Send events and stroke points to their rooms, except to the socket that sent each
        (its ack carries the event). The journal relays a round before its commit when this
        process is alone on its store, after it otherwise; points as soon as they follow
        every event before them."""
        for event, origin in relayed:
            cid = event.conversation_id
            if isinstance(event, Points):
                await self._sio.emit("points", event.to_wire(), room=rooms_of(cid), skip_sid=origin)
            elif event.type in INTERNAL_TYPES:
                wire = to_wire(event)
                await self._sio.emit("event", wire, room=agents_room_of(cid), skip_sid=origin)
                await self._sio.emit("event", to_wire(redacted(event)), room=room_of(cid))
            else:
                wire = self._links.event(event)
                await self._sio.emit("event", wire, room=rooms_of(cid), skip_sid=origin)

    async def publish(self, published: list[Published]) -> None:
        """What committed events change beyond their rooms: a conversation that changed hands,
        the queue to agents, a log line for the notable ones."""
        for event, _ in published:
            if event.type in NOTABLE_EVENTS:
                logs.conversation_id.set(event.conversation_id)
                log.info("%s at seq %d", event.type, event.seq)
            if event.type in ("conversation.transferred", "conversation.accepted"):
                await self._hand_over(event)
        if any(_changes_queue(event) for event, _ in published):
            self._queue_stale = True
            if self._queue_push is None or self._queue_push.done():
                self._queue_push = asyncio.create_task(self._push_stale_queue())

    async def retract(self, retracted: dict[str, int]) -> None:
        """Take back events relayed before a commit that then failed, given as each
        conversation's first such seq: its sockets are disconnected, and a rejoin whose
        `last_seq` reaches that seq gets a snapshot (`replays_after`), as it may hold events the
        store never had."""
        for cid, seq in retracted.items():
            self._retracted[cid] = min(seq, self._retracted.get(cid, seq))
            for room in rooms_of(cid):
                for sid, _ in list(self._sio.manager.get_participants("/", room)):
                    await self._sio.disconnect(sid)

    def replays_after(self, conversation_id: str, last_seq: int) -> bool:
        """Whether a client that has the events up to `last_seq` has only committed ones."""
        return last_seq < self._retracted.get(conversation_id, last_seq + 1)

    async def _push_stale_queue(self) -> None:
        """The queue to agents, read again while events keep changing it: beside the journal,
        whose rounds the store read would hold up, and once for a burst of changes."""
        while self._queue_stale:
            self._queue_stale = False
            try:
                await self.push_queue()
            except Exception:
                log.exception("pushing the queue to agents failed")
            self._queue_changed()

    async def stop(self) -> None:
        """Let a queue push under way end (a stopping process's last events are pushed)."""
        if self._queue_push is not None:
            await self._queue_push

    async def _hand_over(self, event: Event) -> None:
        """A conversation changed hands: the sockets of the agent before leave its room on
        every process (they got this event first), and the new agent's consoles are told."""
        cid = event.conversation_id
        if event.type == "conversation.transferred":
            await self._sio.close_room(agents_room_of(cid))
            to = event.data["to"]
        else:
            to = event.data["agent"]
        if to is None:
            return
        record = await self._queue.summary(cid)
        if record is not None:
            await self._sio.emit("assigned", record.to_wire(), room=agent_room(to["id"]))

    async def push_visitors(self, visitors: list[dict[str, Any]]) -> None:
        """Visitors whose page changed, to agents (on every process)."""
        if visitors:
            await self._sio.emit("visitors", {"visitors": visitors}, room=AGENTS_ROOM)

    async def push_queue(self, to: str = AGENTS_ROOM) -> None:
        queued = [r.to_wire() for r in await self._queue.waiting()]
        await self._sio.emit("queue", {"conversations": queued}, room=to)
