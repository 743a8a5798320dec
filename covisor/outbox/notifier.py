"""Web Push for agents whose console is closed: a new chat in the queue, a shopper's message.

An open console alerts its agent itself (a sound, a desktop notification while hidden); a
closed one cannot, so the server pushes through the agent's subscriptions (push.py):
- a new conversation in the queue, to every agent who has not chosen `offline` and has no
  console connected on any process;
- a shopper's or caller's message, to the conversation's agent when it has no console
  connected.

The journal's publisher hands committed events over without waiting (`published`); the few
that can cause a push are looked at in this module's own task, which reads who is on duty from
the store. A push carries translation keys, the shopper's name and at most `PREVIEW_CHARS` of
the message: the service worker words it in the agent's language.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from covisor.conversations.journal import Published
from covisor.kernel.background import Background
from covisor.kernel.clock import Clock
from covisor.kernel.events import Event
from covisor.outbox.push import Push
from covisor.store import Store

log = logging.getLogger(__name__)

PREVIEW_CHARS = 100
SHOPPERS = ("customer", "caller")


def alerting(event: Event) -> bool:
    """Whether `event` may cause a push (cheap: on the publisher's path)."""
    if event.type == "conversation.opened":
        return not event.data.get("by_phone")
    return event.type == "chat.message" and event.actor.get("role") in SHOPPERS


class Notifier:
    def __init__(self, store: Store, push: Push, clock: Clock, *, heartbeat: float) -> None:
        self._store = store
        self._push = push
        self._clock = clock
        self._heartbeat = heartbeat
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=10_000)
        self._background = Background()

    def start(self) -> None:
        self._background.spawn(self._run(), "covisor-notifier")

    async def stop(self) -> None:
        await self._background.stop()

    def published(self, published: list[Published]) -> None:
        """Take the events of a committed round that may alert someone; never waits."""
        for event, _ in published:
            if alerting(event):
                try:
                    self._queue.put_nowait(event)
                except asyncio.QueueFull:
                    log.warning("push alerts are behind; one was dropped")

    async def _run(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await self.alert(event)
            except Exception:
                log.exception("a push alert failed")

    async def alert(self, event: Event) -> None:
        """Push what `event` means to the agents who cannot see it in a console."""
        presence = await self._store.presence(self._clock() - 3000.0 * self._heartbeat)
        cid = event.conversation_id
        payload: dict[str, Any] = {"tag": f"conversation-{cid}", "url": "/agent"}
        if event.type == "conversation.opened":
            agents = [a for a in await self._store.agents() if not a.disabled]
            targets = [
                a.id
                for a in agents
                if (standing := presence.get(a.id)) is None
                or (standing.consoles == 0 and standing.status != "offline")
            ]
            name = event.data.get("name") or ""
            payload |= {
                "title_key": "alerts.new_chat.title",
                "body_key": "alerts.new_chat.body",
                "params": {"name": name},
            }
        else:
            record = await self._store.summary(cid)
            agent_id = record.summary.get("agent_id") if record is not None else None
            standing = presence.get(agent_id) if agent_id else None
            if agent_id is None or (standing is not None and standing.consoles > 0):
                return
            targets = [agent_id]
            payload |= {
                "title_key": "alerts.new_message.title",
                "params": {"name": event.actor.get("name", "")},
                "body": str(event.data.get("text", ""))[:PREVIEW_CHARS],
            }
        if targets:
            self._push.notify_in_background(targets, payload)
