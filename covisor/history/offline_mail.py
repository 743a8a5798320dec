"""E-mail for offline messages: an agent's answer to a message left while the shop was away.

A subscriber of committed events, like notifier.py: the journal's publisher hands each round
over without waiting (`published`); an agent's `chat.message` notes its conversation in the
store, due `delay` seconds later (a later line moves the due time, so a burst of lines makes
one e-mail). Every process polls for due bursts and claims them under a lease (store slice
offline_mail.py): a burst noted by a process that died is e-mailed by another, once its lease,
if it had claimed it, runs out. A due burst is e-mailed if the conversation was opened
`offline`, the shopper left an e-mail address (`visitor.email`), e-mail is set up, and no
shopper socket of the conversation is joined on the claiming process (the shopper reads it in
the widget then).

Limits: only the claiming process's sockets count as "connected" — a shopper joined on another
process of a cluster may get the e-mail too; a process that dies after sending and before
finishing lets another send it again when the lease ends (at least once, never lost).
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
from covisor.history.transcripts import plain_lines, translation_html, zone_label
from covisor.history.words import language, words
from covisor.kernel.clock import Clock
from covisor.kernel.events import Event
from covisor.outbox.mailer import Mailer
from covisor.store import Store
from covisor.translation.languages import base

log = logging.getLogger(__name__)

READ_LIMIT = 5000
"""Events after the first line of a burst read to collect it."""


LEASE = 120.0
"""Seconds a claimed burst is this process's to e-mail before another may take it over."""
CLAIMS = 20
"""Bursts claimed at a time."""


_TRANSLATED = 'style="white-space:pre-wrap"'
_MUTED = 'style="color:#5a6573"'


class OfflineMail:
    def __init__(
        self,
        store: Store,
        mailer: Mailer,
        clock: Clock,
        *,
        claimer: str,
        shopper_here: Callable[[str], bool],
        delay: float,
        shop: str,
        tz: Callable[[], ZoneInfo],
    ) -> None:
        self._store = store
        self._mailer = mailer
        self._clock = clock
        self._claimer = claimer
        self._shopper_here = shopper_here
        self._delay = delay
        self._poll = max(0.05, min(delay / 2, 5.0))
        self._shop = shop
        self._tz = tz
        self._noting: set[asyncio.Task[None]] = set()
        self._poller: asyncio.Task[None] | None = None
        self._waiting: set[str] = set()

    def published(self, published: list[Published]) -> None:
        """Note each agent's line in the store, due `delay` seconds from now; never waits."""
        due = self._clock() + self._delay * 1000.0
        for event, _ in published:
            if answered_by_agent(event):
                self._waiting.add(event.conversation_id)
                task = asyncio.create_task(
                    self._note(event.conversation_id, event.seq, due), name="covisor-offline-note"
                )
                self._noting.add(task)
                task.add_done_callback(self._noting.discard)

    async def _note(self, cid: str, seq: int, due: float) -> None:
        try:
            await self._store.schedule_offline_mail(cid, seq, due)
        except Exception:
            log.exception("could not note an offline answer to e-mail")

    def start(self) -> None:
        self._poller = asyncio.create_task(self._poll_forever(), name="covisor-offline-mail")

    async def stop(self) -> None:
        tasks = [*self._noting, *([self._poller] if self._poller else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._poller = None

    async def settled(self) -> None:
        """Wait until the bursts this process noted are handled here (tests)."""
        while self._waiting:
            await asyncio.sleep(self._poll / 2)

    async def _poll_forever(self) -> None:
        while True:
            try:
                await self.run_due()
            except Exception:
                log.exception("e-mailing offline answers failed")
            await asyncio.sleep(self._poll)

    async def run_due(self) -> int:
        """Claim the bursts due now and e-mail each; how many were handled."""
        now = self._clock()
        claimed = await self._store.claim_offline_mail(
            now, now + LEASE * 1000.0, self._claimer, CLAIMS
        )
        for burst in claimed:
            next_seq = await self.deliver(burst.conversation_id, burst.first_seq)
            await self._store.finish_offline_mail(burst, self._claimer, next_seq)
            self._waiting.discard(burst.conversation_id)
        return len(claimed)

    async def deliver(self, cid: str, first: int) -> int:
        """E-mail the agent's lines from seq `first` on, if they are for an absent shopper
        who left an address; the seq after the last event read (where a later burst
        starts)."""
        if self._shopper_here(cid):
            return first
        record = await self._store.summary(cid)
        if record is None or not record.summary.get("offline"):
            return first
        visitor: dict[str, Any] = record.summary.get("visitor") or {}
        address = visitor.get("email")
        if not address:
            return first
        if not self._mailer.enabled:
            log.info("an offline answer is not e-mailed: e-mail is not set up")
            return first
        events = await self._store.events_after(cid, first - 1, READ_LIMIT)
        reads = base(visitor.get("language"))
        translations = {
            e.data["seq"]: {"language": e.data["target"], "text": e.data["text"]}
            for e in events
            if e.type == "chat.translated" and "text" in e.data and e.data["target"] == reads
        }
        lines = [
            {"type": "message", "at": e.at, "author": e.actor, "text": e.data["text"]}
            | ({"translation": translations[e.seq]} if e.seq in translations else {})
            for e in events
            if answered_by_agent(e)
        ]
        if not lines:
            return first
        subject, text, html = self.compose(visitor, lines)
        await self._mailer.send(address, subject, text, html)
        return events[-1].seq + 1

    def compose(self, visitor: dict[str, Any], lines: list[dict[str, Any]]) -> tuple[str, str, str]:
        """`(subject, text, html)` of the e-mail carrying `lines` to the shopper."""
        tag = visitor.get("language")
        said = words(tag)
        name = visitor.get("name")
        greeting = said["greeting"].format(name=name) if name else said["greeting_anonymous"]
        intro = said["offline_intro"].format(shop=self._shop)
        outro = said["offline_outro"]
        why = said["why"].format(shop=self._shop)
        body = plain_lines(lines, self._tz(), said)
        text = f"{greeting}\n\n{intro}\n\n{body}\n\n{outro}\n\n-- \n{why}\n"
        quoted = "".join(
            f"<p><strong>{escape(str(line['author'].get('name', '')))}</strong> "
            f'<span style="color:#5a6573">{escape(self._when(line["at"]))}</span><br>'
            f'<span style="white-space:pre-wrap">{escape(line["text"])}</span>'
            f"{translation_html(line, said, block=_TRANSLATED, label=_MUTED)}</p>"
            for line in lines
        )
        html = (
            f'<!doctype html><html lang="{language(tag)}"><head><meta charset="utf-8">'
            f"<title>{escape(self._shop)}</title></head>"
            '<body style="font-family:system-ui,sans-serif;color:#1d232b;max-width:40rem">'
            f"<p>{escape(greeting)}</p><p>{escape(intro)}</p>"
            f'<p style="color:#5a6573">{escape(zone_label(said, self._tz(), lines[0]["at"]))}</p>'
            f'<blockquote style="border-left:3px solid #c9d1da;margin:0;padding:0 1rem">'
            f"{quoted}</blockquote><p>{escape(outro)}</p>"
            f'<p style="color:#5a6573;font-size:.85em">{escape(why)}</p></body></html>'
        )
        subject = said["offline_subject"].format(shop=self._shop)
        return subject, text, html

    def _when(self, at: float) -> str:
        moment = datetime.fromtimestamp(at / 1000.0, UTC).astimezone(self._tz())
        return moment.strftime("%Y-%m-%d %H:%M")


def answered_by_agent(event: Event) -> bool:
    """Whether `event` is an agent's chat line (what may be e-mailed)."""
    return event.type == "chat.message" and event.actor.get("role") == "agent"
