"""E-mail for offline messages: an agent's answer to a message left while the shop was away.

A subscriber of committed events, like notifier.py: the journal's publisher hands each round
over without waiting (`published`); an agent's `chat.message` starts, or restarts, a timer of
`delay` seconds for its conversation, so a burst of lines makes one e-mail. When the timer
ends, the answer is e-mailed if the conversation was opened `offline`, the shopper left an
e-mail address (`visitor.email`), e-mail is set up, and no shopper socket of the conversation
is joined on this process (the shopper reads it in the widget then).

Limits: the timer lives in the process that committed the agent's line, so a restart drops the
bursts under way (their lines still reach the widget), and only this process's sockets count as
"connected" — a shopper joined on another process of a cluster may get the e-mail too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from covisor.conversations.journal import Published
from covisor.history.transcripts import plain_lines, zone_label
from covisor.history.words import language, words
from covisor.kernel.events import Event
from covisor.outbox.mailer import Mailer
from covisor.store import Store

log = logging.getLogger(__name__)

READ_LIMIT = 5000
"""Events after the first line of a burst read to collect it."""


class OfflineMail:
    def __init__(
        self,
        store: Store,
        mailer: Mailer,
        *,
        shopper_here: Callable[[str], bool],
        delay: float,
        shop: str,
        tz: ZoneInfo,
    ) -> None:
        self._store = store
        self._mailer = mailer
        self._shopper_here = shopper_here
        self._delay = delay
        self._shop = shop
        self._tz = tz
        self._bursts: dict[str, tuple[int, asyncio.Task[None]]] = {}

    def published(self, published: list[Published]) -> None:
        """Start or restart the timer of each conversation an agent wrote in; never waits."""
        for event, _ in published:
            if answered_by_agent(event):
                self._restart(event.conversation_id, event.seq)

    def _restart(self, cid: str, seq: int) -> None:
        first = seq
        if cid in self._bursts:
            first, task = self._bursts[cid]
            task.cancel()
        task = asyncio.create_task(self._later(cid, first), name="covisor-offline-mail")
        self._bursts[cid] = (first, task)

    async def _later(self, cid: str, first: int) -> None:
        await asyncio.sleep(self._delay)
        self._bursts.pop(cid, None)
        try:
            await self.deliver(cid, first)
        except Exception:
            log.exception("e-mailing an offline answer failed")

    async def settled(self) -> None:
        """Wait until no burst is pending (tests; a stopping process)."""
        while self._bursts:
            _, task = next(iter(self._bursts.values()))
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)

    async def stop(self) -> None:
        for _, task in self._bursts.values():
            task.cancel()
        self._bursts.clear()

    async def deliver(self, cid: str, first: int) -> bool:
        """E-mail the agent's lines from seq `first` on, if they are for an absent shopper
        who left an address; whether an e-mail went out."""
        if self._shopper_here(cid):
            return False
        record = await self._store.summary(cid)
        if record is None or not record.summary.get("offline"):
            return False
        visitor: dict[str, Any] = record.summary.get("visitor") or {}
        address = visitor.get("email")
        if not address:
            return False
        if not self._mailer.enabled:
            log.info("an offline answer is not e-mailed: e-mail is not set up")
            return False
        events = await self._store.events_after(cid, first - 1, READ_LIMIT)
        lines = [
            {"type": "message", "at": e.at, "author": e.actor, "text": e.data["text"]}
            for e in events
            if answered_by_agent(e)
        ]
        if not lines:
            return False
        subject, text, html = self.compose(visitor, lines)
        await self._mailer.send(address, subject, text, html)
        return True

    def compose(self, visitor: dict[str, Any], lines: list[dict[str, Any]]) -> tuple[str, str, str]:
        """`(subject, text, html)` of the e-mail carrying `lines` to the shopper."""
        tag = visitor.get("language")
        said = words(tag)
        name = visitor.get("name")
        greeting = said["greeting"].format(name=name) if name else said["greeting_anonymous"]
        intro = said["offline_intro"].format(shop=self._shop)
        outro = said["offline_outro"]
        why = said["why"].format(shop=self._shop)
        body = plain_lines(lines, self._tz, said)
        text = f"{greeting}\n\n{intro}\n\n{body}\n\n{outro}\n\n-- \n{why}\n"
        quoted = "".join(
            f"<p><strong>{escape(str(line['author'].get('name', '')))}</strong> "
            f'<span style="color:#5a6573">{escape(self._when(line["at"]))}</span><br>'
            f'<span style="white-space:pre-wrap">{escape(line["text"])}</span></p>'
            for line in lines
        )
        html = (
            f'<!doctype html><html lang="{language(tag)}"><head><meta charset="utf-8">'
            f"<title>{escape(self._shop)}</title></head>"
            '<body style="font-family:system-ui,sans-serif;color:#1d232b;max-width:40rem">'
            f"<p>{escape(greeting)}</p><p>{escape(intro)}</p>"
            f'<p style="color:#5a6573">{escape(zone_label(said, self._tz, lines[0]["at"]))}</p>'
            f'<blockquote style="border-left:3px solid #c9d1da;margin:0;padding:0 1rem">'
            f"{quoted}</blockquote><p>{escape(outro)}</p>"
            f'<p style="color:#5a6573;font-size:.85em">{escape(why)}</p></body></html>'
        )
        subject = said["offline_subject"].format(shop=self._shop)
        return subject, text, html

    def _when(self, at: float) -> str:
        moment = datetime.fromtimestamp(at / 1000.0, UTC).astimezone(self._tz)
        return moment.strftime("%Y-%m-%d %H:%M")


def answered_by_agent(event: Event) -> bool:
    """Whether `event` is an agent's chat line (what may be e-mailed)."""
    return event.type == "chat.message" and event.actor.get("role") == "agent"
