"""Conversations in the running server: opening them, who may read them, listing and reading.

Writes go through the journal, in order with everything else. Reads that only need what is
committed (a summary, the transcript, a membership check before an upload) come from the store
and never queue behind writes; only a join's snapshot is read through the journal, which serves
it from its cached state in order with the events that are being broadcast.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from covisor.conversations.conversation import Limits, may_read
from covisor.conversations.journal import Journal, load_state
from covisor.conversations.quotas import AttemptLimit, Quotas
from covisor.conversations.shopper import Claim, Device, ShopIdentity
from covisor.kernel import commands as c
from covisor.kernel.addresses import address_key
from covisor.kernel.clock import Clock, TokenSource
from covisor.kernel.errors import CovisorError
from covisor.kernel.events import Event
from covisor.kernel.identity import GrantSigner, Identity
from covisor.store import ClosedQuery, Store, SummaryRecord

TRANSCRIPT_LIMIT = 10_000
"""Chat messages a transcript lists at most."""
ESTIMATE_MS = 5000.0
"""How long a wait estimate is served again before it is computed anew."""
TRANSLATIONS_A_PAGE = 3
"""`chat.translated` events read per message of a `history` page: a translation and retries."""
SHOPPER = "Shopper"
"""The name of a shopper who gave none."""


_EVERY_UPLOAD = 1 << 20
"""More `media.ready` events than a conversation can hold (`max_media_items`)."""


class ConversationService:
    def __init__(
        self,
        store: Store,
        journal: Journal,
        signer: GrantSigner,
        limits: Limits,
        *,
        quotas: Quotas,
        shop: ShopIdentity,
        opens_per_client: AttemptLimit,
        shopper_token_ttl: float,
        link_visitor: Callable[[str, str], Awaitable[None]],
        clock: Clock,
        tokens: TokenSource,
    ) -> None:
        self._store = store
        self._journal = journal
        self._signer = signer
        self._limits = limits
        self._quotas = quotas
        self._shop = shop
        self._opens_per_client = opens_per_client
        self._estimate: tuple[float, dict[str, Any]] | None = None
        self._shopper_token_ttl = shopper_token_ttl
        self._link_visitor = link_visitor
        self._clock = clock
        self._tokens = tokens

    async def open(
        self,
        page: dict[str, str] | None,
        name: str | None,
        client: str | None,
        by_phone: bool = False,
        *,
        claim: Claim | None = None,
        device: Device = "desktop",
        language: str | None = None,
        offline: bool = False,
        visitor_id: str | None = None,
    ) -> tuple[str, str, float]:
        """Create a waiting conversation for a shopper at address `client`, who may say who
        they are (`name`, from a pre-chat form; `claim`, verified when the shop signed it);
        return `(id, shopper token, token expiry ms)`. Limited per client address. The widget's
        `visitor_id` (live visitors) ties the visitor to the conversation: it is assisted."""
        key = "open:" + address_key(client)
        await self._quotas.spend(key, self._opens_per_client, "conversations opened")
        visitor = self._shop.visitor(claim, name=name, device=device, language=language)
        display = visitor["name"] or SHOPPER
        conversation_id = await self._create()
        shopper = Identity("s_" + self._tokens(9), "customer", display, conversation_id)
        opening = c.Open(
            conversation_id=conversation_id,
            page=page,
            name=display,
            by_phone=by_phone,
            visitor=visitor,
            offline=offline,
        )
        await self._journal.submit(shopper, opening)
        if visitor_id is not None:
            await self._link_visitor(visitor_id, conversation_id)
        token, expires_at = self._signer.issue(shopper, self._shopper_token_ttl)
        return conversation_id, token, expires_at

    async def link_visitor(self, visitor_id: str, conversation_id: str) -> None:
        """The widget's visitor (live visitors) is in `conversation_id` (a caller by PIN)."""
        await self._link_visitor(visitor_id, conversation_id)

    async def renew(self, holder: Identity) -> tuple[str, float]:
        """A fresh token for a shopper's or caller's still valid one: same identity, same
        conversation, a full lifetime from now; `(token, expiry ms)`. Agents' tokens do not
        expire (they are revoked), so theirs are refused."""
        if holder.is_agent:
            raise CovisorError("bad_request", "agent tokens do not expire; nothing to renew")
        await self.summary(holder, holder.conversation_id or "")
        return self._signer.issue(holder, self._shopper_token_ttl)

    async def open_for_agent(self, agent: Identity, name: str) -> str:
        """A conversation opened by an agent for someone not connected yet (a phone caller),
        already the agent's (the caller checks `ensure_room` first)."""
        conversation_id = await self._create()
        await self._journal.submit(agent, c.Open(conversation_id=conversation_id, name=name))
        await self._journal.submit(agent, c.Accept(conversation_id=conversation_id))
        return conversation_id

    async def _create(self) -> str:
        conversation_id = "c_" + self._tokens(12)
        await self._store.create_conversation(conversation_id, self._clock())
        return conversation_id

    async def exists(self, conversation_id: str) -> bool:
        return await self._store.summary(conversation_id) is not None

    async def summary(self, reader: Identity, conversation_id: str) -> SummaryRecord:
        """The committed summary of a conversation `reader` may read (a member of it, or any
        agent once it is closed: `may_read`); the refusal otherwise: `forbidden` for a
        shopper's other conversations (existing or not: a grant tells nothing about others),
        `not_found` for an agent's unknown one, `forbidden` for one the agent does not have
        while it is open. The one reading check outside the journal; writes are the journal's
        to refuse, which holds a non-member agent to reading."""
        if not reader.is_agent and reader.conversation_id != conversation_id:
            raise CovisorError("forbidden", "you are not a member of this conversation")
        record = await self._store.summary(conversation_id)
        if record is None or record.seq == 0:
            raise CovisorError("not_found", "no such conversation")
        agent_id, status = record.summary.get("agent_id"), record.summary.get("status", "")
        if not may_read(reader, conversation_id, agent_id, status):
            raise CovisorError("forbidden", "you are not a member of this conversation")
        return record

    async def open_summary(self, member: Identity, conversation_id: str) -> SummaryRecord:
        """`summary`, refused with `conflict` when the conversation is closed."""
        record = await self.summary(member, conversation_id)
        if record.summary["status"] == "closed":
            raise CovisorError("conflict", "this conversation is closed")
        return record

    async def listing(self, agent: Identity, status: str) -> list[SummaryRecord]:
        """The queue (`waiting`, everyone's, but those opened for a phone PIN that have no
        message yet) or the agent's own `active` ones (closed ones are searched: `closed`)."""
        mine = agent.id if status != "waiting" else None
        found = await self._store.conversations(status=status, agent_id=mine)
        if status == "waiting":
            return [record for record in found if record.summary.get("queued", True)]
        return found

    async def closed(self, query: ClosedQuery) -> tuple[list[SummaryRecord], bool]:
        """A page of the shop's closed conversations matching `query`, and whether more
        follow: the history every agent of the team may search and read (the caller checks
        that an agent asks)."""
        found = await self._store.closed_conversations(
            dataclasses.replace(query, limit=query.limit + 1)
        )
        return found[: query.limit], len(found) > query.limit

    async def wait_estimate(self, sample: int = 50) -> dict[str, Any]:
        """What a shopper may expect: how many wait in the queue, and the median seconds from
        opening to an agent taking a conversation, over the `sample` most recently taken (None
        when there is none yet). Public and asked on page loads, so kept for `ESTIMATE_MS`."""
        now = self._clock()
        if self._estimate is not None and now - self._estimate[0] < ESTIMATE_MS:
            return self._estimate[1]
        waiting = await self._store.conversations(status="waiting", limit=1000)
        taken = [
            record
            for status in ("active", "closed")
            for record in await self._store.conversations(status=status, limit=sample)
            if record.summary.get("accepted_at") is not None
        ]
        taken.sort(key=lambda r: r.summary["accepted_at"], reverse=True)
        delays = sorted((r.summary["accepted_at"] - r.created_at) / 1000.0 for r in taken[:sample])
        median = delays[len(delays) // 2] if delays else None
        estimate = {
            "waiting": sum(1 for r in waiting if r.summary.get("queued", True)),
            "reply_seconds": None if median is None else round(max(0.0, median), 1),
        }
        self._estimate = (now, estimate)
        return estimate

    async def ensure_room(self, agent: Identity, *, override: bool = False) -> None:
        """Refuse (`at_capacity`) another conversation for an agent who holds as many open ones
        as their capacity, unless the agent said to take it anyway (`override`). Auto routing
        never goes past capacity; this is the agent's own choice: accepting, a PIN, an
        invitation."""
        if override:
            return
        record = await self._store.agent(agent.id)
        held = (await self._store.open_counts()).get(agent.id, 0)
        if record is not None and held >= record.capacity:
            raise CovisorError(
                "at_capacity",
                f"you have {held} open conversations, your capacity is {record.capacity}; "
                "send override to take one more",
            )

    async def accept(
        self, agent: Identity, conversation_id: str, *, override: bool = False
    ) -> SummaryRecord:
        await self.ensure_room(agent, override=override)
        outcome = await self._journal.submit(agent, c.Accept(conversation_id=conversation_id))
        if outcome.event is not None:
            await self._store.mark_assigned(agent.id, self._clock())
        return await self.summary(agent, conversation_id)

    async def identify(
        self, shopper: Identity, conversation_id: str, claim: Claim
    ) -> SummaryRecord:
        """The shopper says who they are after opening (logged in meanwhile); the device and
        language stay as found at opening."""
        record = await self.open_summary(shopper, conversation_id)
        known = record.summary.get("visitor") or {}
        visitor = self._shop.visitor(
            claim,
            name=known.get("name"),
            device=known.get("device", "desktop"),
            language=known.get("language"),
        )
        await self._journal.submit(
            shopper, c.Identify(conversation_id=conversation_id, visitor=visitor)
        )
        return await self.summary(shopper, conversation_id)

    async def add_note(self, agent: Identity, conversation_id: str, text: str) -> Event:
        """An internal note of the conversation's agent: agents see it, shoppers never do."""
        outcome = await self._journal.submit(
            agent, c.AddNote(conversation_id=conversation_id, text=text)
        )
        assert outcome.event is not None
        return outcome.event

    async def transfer(
        self, agent: Identity, conversation_id: str, to: str | None, note: str | None
    ) -> SummaryRecord:
        """Hand a conversation to agent `to` (enabled, not the sender), or back to the queue
        when None, with an optional internal note written first. Returns the summary after."""
        await self.open_summary(agent, conversation_id)
        target = None
        if to is not None:
            found = await self._store.agent(to)
            if found is None or found.disabled:
                raise CovisorError("not_found", "no such agent")
            target = {"id": found.id, "name": found.name}
        if note is not None:
            # Refused when blank (`bad_request`), as `add_note` alone is: never dropped silently.
            await self.add_note(agent, conversation_id, note)
        await self._journal.submit(agent, c.Transfer(conversation_id=conversation_id, to=target))
        if target is not None:
            await self._store.mark_assigned(target["id"], self._clock())
        record = await self._store.summary(conversation_id)
        assert record is not None
        return record

    async def rate(
        self, shopper: Identity, conversation_id: str, score: int, comment: str | None
    ) -> Event:
        """The shopper's 1–5 rating of their closed conversation, once."""
        outcome = await self._journal.submit(
            shopper, c.Rate(conversation_id=conversation_id, score=score, comment=comment)
        )
        assert outcome.event is not None
        return outcome.event

    async def earlier(self, agent: Identity, conversation_id: str) -> list[SummaryRecord]:
        """The same verified customer's other conversations, newest first, for the agent of
        this one (or any agent while it waits in the queue)."""
        record = await self._store.summary(conversation_id)
        if record is None or record.seq == 0:
            raise CovisorError("not_found", "no such conversation")
        if record.summary["status"] != "waiting":
            await self.summary(agent, conversation_id)
        customer = (record.summary.get("visitor") or {}).get("customer_id")
        if not customer:
            return []
        found = await self._store.conversations(customer_id=customer, limit=51)
        return [r for r in found if r.id != conversation_id][:50]

    async def queue_place(self, shopper: Identity, conversation_id: str) -> dict[str, Any]:
        """Where a waiting shopper stands: their place in the queue (1 is next; None once an
        agent has the conversation, or while one opened to show a phone PIN is not queued
        yet), how many wait, and the usual wait."""
        record = await self.summary(shopper, conversation_id)
        estimate = await self.wait_estimate()
        place = None
        if record.summary["status"] == "waiting" and record.summary.get("queued", True):
            waiting = await self._store.conversations(status="waiting", limit=1000)
            ahead = [
                r
                for r in waiting
                if r.summary.get("queued", True)
                and (r.created_at, r.id) < (record.created_at, record.id)
            ]
            place = len(ahead) + 1
        return {**estimate, "place": place}

    async def close(self, agent: Identity, conversation_id: str) -> SummaryRecord:
        await self._journal.submit(agent, c.Close(conversation_id=conversation_id))
        return await self.summary(agent, conversation_id)

    async def transcript(
        self, reader: Identity, conversation_id: str
    ) -> tuple[SummaryRecord, list[Event]]:
        record = await self.summary(reader, conversation_id)
        messages = await self._store.events_of_type(
            conversation_id, "chat.message", None, TRANSCRIPT_LIMIT
        )
        return record, messages

    async def history(
        self, conversation_id: str, before_seq: int | None, limit: int
    ) -> tuple[list[Event], list[dict[str, Any]], bool]:
        """Up to `limit` chat messages before `before_seq`, oldest first, their translations
        (the latest `chat.translated` data of each, looked for among the `TRANSLATIONS_A_PAGE`
        per message committed from the first of them on), and whether there are earlier
        ones. The caller checks membership (a joined socket is a member)."""
        found = await self._store.events_of_type(
            conversation_id, "chat.message", before_seq, limit + 1
        )
        has_more = len(found) > limit
        messages = found[1:] if has_more else found
        translations: dict[int, dict[str, Any]] = {}
        if messages:
            wanted = {m.seq for m in messages}
            for event in await self._store.events_of_type_after(
                conversation_id,
                "chat.translated",
                messages[0].seq,
                TRANSLATIONS_A_PAGE * len(messages),
            ):
                if event.data["seq"] in wanted:
                    translations[event.data["seq"]] = event.data
        return messages, list(translations.values()), has_more

    async def events_after(self, conversation_id: str, after_seq: int, limit: int) -> list[Event]:
        """Committed events after `after_seq`, for a member catching up (membership checked
        by the caller)."""
        return await self._store.events_after(conversation_id, after_seq, limit)

    async def snapshot(self, reader: Identity, conversation_id: str) -> dict[str, Any]:
        """The committed state of a member's conversation, loaded from the store: for reads
        that need more than the summary but need not be ordered with the broadcast."""
        await self.summary(reader, conversation_id)
        return await self.committed_snapshot(conversation_id)

    async def committed_snapshot(self, conversation_id: str) -> dict[str, Any]:
        """`snapshot` for the server's own use: no reader, no membership check."""
        return (await load_state(self._store, conversation_id, self._limits)).snapshot()

    async def ready_upload(self, conversation_id: str, upload_id: str) -> dict[str, Any] | None:
        """The item the upload `upload_id` became (its `media.ready`), or None (for recovery
        after a crash)."""
        for event in await self._store.events_of_type(
            conversation_id, "media.ready", None, _EVERY_UPLOAD
        ):
            if event.data["upload_id"] == upload_id:
                item: dict[str, Any] = event.data["media"]
                return item
        return None

    async def with_pending_uploads(self) -> list[str]:
        """Conversations with uploads under way (for recovery after a crash)."""
        return await self._store.with_pending_uploads()
