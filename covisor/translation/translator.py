"""Chat messages translated between the shopper's language and their agent's, after the fact.

A message is committed and relayed untouched; the journal's publisher then hands it over
(`published`, never waits) and one of this module's tasks asks the engine, then commits the
outcome as the conversation's own event, `chat.translated`: the translation (`text`), or why
there is none (`error`, engine.py's `Reason`), which the consoles show as a marker the agent may
retry (`retry`). So a slow or dead engine delays no message and loses none, and both texts stay
in the conversation (the message's own, and its translation's).

Who reads what: a shopper's (or caller's) message goes into the language of the conversation's
agent (`PUT /api/me/language`), an agent's into the shopper's (the widget's locale, else the
browser's first `Accept-Language`); nothing is translated while either is unknown or both are
the same. Messages written while a conversation waits are translated for the agent who takes
it. Internal notes never reach the engine: only `chat.message` events are looked at.

Each engine is asked at most `concurrency` times at once, `timeout` seconds each; the last
`cache` translations are kept (the same greeting, a saved reply) and the engine's pairs for
`PAIRS_TTL` seconds. A process translates the messages it committed; one that dies before
leaves them untranslated, for an agent to retry.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from covisor.conversations.journal import Journal, Published
from covisor.kernel import commands as c
from covisor.kernel.background import Background
from covisor.kernel.errors import CovisorError
from covisor.kernel.events import Event
from covisor.kernel.identity import Identity
from covisor.store import Store
from covisor.translation.engine import Engine, Pair, TranslationFailed
from covisor.translation.languages import base

log = logging.getLogger(__name__)

PAIRS_TTL = 60.0
"""Seconds the engine's pairs are used before they are asked again."""
PAIRS_RETRY = 10.0
"""Seconds an engine whose pairs could not be asked is taken as down before it is asked again
(so a hung engine costs a message one timeout, not two)."""
CATCH_UP = 20
"""The latest messages of a conversation translated for the agent who takes it."""
_QUEUE = 10_000


@dataclass(frozen=True)
class TranslationOptions:
    timeout: float
    concurrency: int
    cache: int


class Translator:
    """Translates conversations' chat messages through `engine`; `start` runs its tasks."""

    def __init__(
        self, engine: Engine, journal: Journal, store: Store, options: TranslationOptions
    ) -> None:
        self.engine = engine
        self._journal = journal
        self._store = store
        self._options = options
        self._limit = asyncio.Semaphore(options.concurrency)
        self._cache: OrderedDict[tuple[Pair, str], str] = OrderedDict()
        self._pairs: tuple[float, frozenset[Pair]] | None = None
        self._down_until = 0.0
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=_QUEUE)
        self._background = Background()

    def start(self) -> None:
        for worker in range(self._options.concurrency):
            self._background.spawn(self._run(), f"covisor-translator-{worker}")

    async def stop(self) -> None:
        await self._background.stop()
        await self.engine.close()

    def published(self, published: list[Published]) -> None:
        """Take the messages and agent changes of a committed round; never waits."""
        for event, _ in published:
            if event.type in ("chat.message", "conversation.accepted") or (
                event.type == "conversation.transferred" and event.data.get("to")
            ):
                try:
                    self._queue.put_nowait(event)
                except asyncio.QueueFull:
                    log.warning("translations are behind; message %s stays untranslated", event.seq)

    async def pairs(self) -> frozenset[Pair]:
        """The engine's pairs, asked at most every `PAIRS_TTL` seconds; the last known ones
        while it cannot be asked, `TranslationFailed` when none are known."""
        now = time.monotonic()
        if self._pairs is not None and now - self._pairs[0] < PAIRS_TTL:
            return self._pairs[1]
        if now < self._down_until:
            raise TranslationFailed("unavailable", "the engine could not be reached lately")
        try:
            async with asyncio.timeout(self._options.timeout):
                found = await self.engine.pairs()
        except (TranslationFailed, TimeoutError) as failure:
            log.warning("the translation engine's pairs are unknown: %s", failure)
            if self._pairs is None:
                self._down_until = now + PAIRS_RETRY
                raise TranslationFailed("unavailable", "the engine cannot be reached") from None
            self._pairs = (now, self._pairs[1])
            return self._pairs[1]
        self._pairs = (now, found)
        return found

    async def offer(self) -> dict[str, Any]:
        """What the engine offers now, for the consoles: its API, whether it answers, and its
        pairs (sorted)."""
        try:
            pairs = await self.pairs()
        except TranslationFailed:
            return {"api": self.engine.name, "available": False, "pairs": []}
        listed = [{"source": s, "target": t} for s, t in sorted(pairs)]
        return {"api": self.engine.name, "available": True, "pairs": listed}

    async def retry(self, agent: Identity, conversation_id: str, seq: int) -> Event | None:
        """Translate message `seq` again for the agent of its conversation (membership
        checked by the caller); the new `chat.translated` event, or None when the message
        needs none (same language, or one unknown)."""
        summary = await self._store.summary(conversation_id)
        if summary is None or summary.summary.get("agent_id") != agent.id:
            raise CovisorError("forbidden", "only the conversation's agent asks for translations")
        if summary.summary.get("status") == "closed":
            raise CovisorError("conflict", "this conversation is closed")
        found = await self._store.events_after(conversation_id, seq - 1, 1)
        if not found or found[0].seq != seq or found[0].type != "chat.message":
            raise CovisorError("not_found", f"no message {seq} in this conversation")
        return await self.translate(found[0], forget=True, background=False)

    async def _run(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                if event.type == "chat.message":
                    await self.translate(event)
                else:
                    await self._catch_up(event)
            except CovisorError as refusal:
                log.info("translation of %s not recorded: %s", event.seq, refusal.message)
            except Exception:
                log.exception("translation of %s failed", event.seq)

    async def translate(
        self, message: Event, *, forget: bool = False, background: bool = True
    ) -> Event | None:
        """Translate `message` for whoever reads it and commit the outcome (`forget`: ask the
        engine even when a translation is cached; `background`: nobody waits for it, unlike
        an agent's retry); None when it needs no translation."""
        summary = await self._store.summary(message.conversation_id)
        if summary is None:
            return None
        pair = await self._pair_for(message, summary.summary)
        if pair is None:
            return None
        return await self._commit(message, pair, forget=forget, background=background)

    async def _commit(
        self, message: Event, pair: Pair, *, forget: bool = False, background: bool = True
    ) -> Event | None:
        """Ask the engine for `message` in `pair` and commit what it answered."""
        outcome: dict[str, Any]
        try:
            outcome = {"text": await self._translated(message.data["text"], pair, forget)}
        except TranslationFailed as failure:
            log.info("message %s not translated: %s", message.seq, failure)
            outcome = {"error": failure.reason}
        author = message.actor
        actor = Identity(author["id"], author["role"], author["name"], message.conversation_id)  # type: ignore[arg-type]
        command = c.Translated(
            conversation_id=message.conversation_id,
            seq=message.seq,
            source=pair[0],
            target=pair[1],
            **outcome,
        )
        return (await self._journal.submit(actor, command, background=background)).event

    async def _catch_up(self, event: Event) -> None:
        """Translate the waiting shopper's latest messages for the agent who took them."""
        cid = event.conversation_id
        messages = await self._store.events_of_type(cid, "chat.message", None, CATCH_UP)
        done = await self._store.events_of_type(cid, "chat.translated", None, 4 * CATCH_UP)
        translated = {(e.data["seq"], e.data["target"]) for e in done if "text" in e.data}
        summary = await self._store.summary(cid)
        shoppers = [m for m in messages if m.actor.get("role") == "customer"]
        if summary is None or not shoppers:
            return
        pair = await self._pair_for(shoppers[0], summary.summary)  # the same for every one
        if pair is None:
            return
        for message in shoppers:
            if (message.seq, pair[1]) not in translated:
                await self._commit(message, pair)

    async def _pair_for(self, message: Event, summary: dict[str, Any]) -> Pair | None:
        """(source, target) languages of `message` in a conversation of that summary, or None
        when it needs no translation: an agent's message goes from its author's language to
        the shopper's, a shopper's from theirs to the conversation's agent's."""
        role = message.actor.get("role")
        if role not in ("agent", "customer"):
            return None  # a caller talks on the phone; what they type is not translated
        shopper = base((summary.get("visitor") or {}).get("language"))
        agent_id = message.actor["id"] if role == "agent" else None
        agent = await self._store.agent(agent_id or summary.get("agent_id") or "")
        language = base(agent.language) if agent is not None else None
        if shopper is None or language is None or shopper == language:
            return None
        return (language, shopper) if agent_id else (shopper, language)

    async def _translated(self, text: str, pair: Pair, forget: bool) -> str:
        key = (pair, text)
        if not forget and key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        if pair not in await self.pairs():
            raise TranslationFailed("no_pair", f"the engine offers no {pair[0]}→{pair[1]} pair")
        try:
            async with self._limit, asyncio.timeout(self._options.timeout):
                translated = await self.engine.translate(text, pair)
        except TimeoutError:
            raise TranslationFailed("timeout", "the engine took too long") from None
        self._cache[key] = translated
        while len(self._cache) > self._options.cache:
            self._cache.popitem(last=False)
        return translated
