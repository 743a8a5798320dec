"""Where conversations, agents and secrets live: one small interface, several backends.

The server talks to a `Store` only. `SQLiteStore` (the embedded default) and `MongoStore` implement
it and pass the same contract tests (tests/store/). Events are the source of truth; a conversation
row keeps a summary for listing and a periodic state snapshot so loading does not replay forever.

Concurrency contract: `commit` writes each append whose conversation's last seq in the store is
still the `expected_seq` the writer assumed, and returns the ids of the others (stale: another
process wrote them in between), which it left untouched; the writer reloads those and decides again.
Each append is all-or-nothing; what `commit` returns from is durable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from covisor.conversations.quotas import Attempts
from covisor.kernel.events import Event
from covisor.kernel.identity import AgentRecord, AgentRole
from covisor.phone.pins import Pin, Redeemer
from covisor.store.reports import ReportStore
from covisor.store.visits import VisitStore

__all__ = [
    "AgentChanges",
    "AgentRecord",
    "Append",
    "CatalogueRecord",
    "ConversationRecord",
    "LastAdmin",
    "PresenceRecord",
    "PushSubscriptionRecord",
    "ReplyRecord",
    "Store",
    "SummaryRecord",
    "WebhookDeliveryRecord",
    "WebhookRecord",
]


@dataclass(frozen=True)
class CatalogueRecord:
    """A product an agent can show: its processed media (`media_id`) and what the shop says.

    `price` is a decimal string (`"18.50"`) in `currency`; both None for items agents added
    by upload. `duration` is set for videos; `added_by` is the agent id, None for the demo.
    """

    id: str
    title: str
    description: str
    kind: str
    media_id: str
    width: int
    height: int
    created_at: float
    price: str | None = None
    currency: str | None = None
    duration: float | None = None
    added_by: str | None = None


@dataclass(frozen=True)
class PushSubscriptionRecord:
    """A browser's Web Push subscription for an agent: where to POST (`endpoint`, the push
    service's URL, itself a capability) and the keys to encrypt for (`p256dh`, `auth`,
    base64url without padding). One row per endpoint."""

    endpoint: str
    p256dh: str
    auth: str
    agent_id: str
    created_at: float


@dataclass(frozen=True)
class PresenceRecord:
    """An agent's standing on the team: the status it set (None: never set), when, when it was
    last given a conversation (routing's "longest idle"), and how many consoles it has open
    on processes that reported lately."""

    agent_id: str
    status: str | None
    changed_at: float
    assigned_at: float
    consoles: int


@dataclass(frozen=True)
class ConversationRecord:
    """A conversation's row: its summary, last seq and latest snapshot (state at `snapshot_seq`)."""

    id: str
    created_at: float
    seq: int
    summary: dict[str, Any]
    snapshot: bytes | None
    snapshot_seq: int


@dataclass(frozen=True)
class SummaryRecord:
    """What listings and membership checks need of a conversation, without its snapshot."""

    id: str
    created_at: float
    seq: int
    summary: dict[str, Any]

    def to_wire(self) -> dict[str, Any]:
        """The summary clients see: every field of the domain's summary plus `created_at`."""
        return {**self.summary, "created_at": self.created_at}


@dataclass(frozen=True)
class Append:
    """New events for one conversation, with the summary (and maybe snapshot) they lead to.

    `summary` is None when these events left it as the last commit stored it: a stroke moves
    only the seq, and a store then writes the seq alone (no summary, status or agent, and none
    of the indexes on them). With no events at all the append writes nothing and only checks
    that the conversation is still at `expected_seq` (what a refusal was decided on)."""

    conversation_id: str
    expected_seq: int
    events: list[Event]
    summary: dict[str, Any] | None
    snapshot: bytes | None = None


def with_seq(summary: dict[str, Any], seq: int) -> dict[str, Any]:
    """A stored summary with the conversation's `last_seq`, which the store keeps in its seq
    alone, so that a new seq need not rewrite the summary; a conversation not yet opened has an
    empty summary and keeps it."""
    if summary:
        summary["last_seq"] = seq
    return summary


@dataclass(frozen=True)
class AgentChanges:
    """What `update_agent` sets; a None field is left as it is."""

    name: str | None = None
    role: AgentRole | None = None
    disabled: bool | None = None
    capacity: int | None = None
    password_hash: str | None = None


class LastAdmin(Exception):
    """The change would leave the team without an enabled admin; nothing was changed."""


def removes_enabled_admin(agent: AgentRecord, changes: AgentChanges) -> bool:
    """Whether `changes` would take `agent`, an enabled admin, out of the enabled admins."""
    return (
        agent.is_admin
        and not agent.disabled
        and (changes.role == "agent" or changes.disabled is True)
    )


@dataclass(frozen=True)
class ReplyRecord:
    """A saved reply (replies.py): `shared` ones are the team's, the others their owner's only.

    `shortcut` is unique within its scope: among the owner's personal replies, or among the
    shared ones. `owner_id` is the agent who created it; `catalogue_id` a catalogue item sent
    with it. Times are server ms.
    """

    id: str
    owner_id: str
    shortcut: str
    text: str
    shared: bool
    created_at: float
    updated_at: float
    catalogue_id: str | None = None


@dataclass(frozen=True)
class WebhookRecord:
    """A shop's URL that is POSTed the `events` it registered for (webhooks.py), signed with
    `secret` (shown to the admin once, kept to sign). Times are server ms."""

    id: str
    url: str
    events: tuple[str, ...]
    secret: str
    created_at: float
    enabled: bool = True
    created_by: str | None = None


@dataclass(frozen=True)
class WebhookDeliveryRecord:
    """One event for one webhook, queued until it is `delivered` or `failed` (state
    `pending` meanwhile): `body` is the JSON POSTed, the same bytes on every attempt;
    `attempts` made so far, the last one's HTTP status or error, when the next is due.
    Times are server ms."""

    id: str
    hook_id: str
    event: str
    body: bytes
    created_at: float
    next_attempt_at: float
    state: str = "pending"
    attempts: int = 0
    last_status: int | None = None
    last_error: str | None = None
    delivered_at: float | None = None
    finished_at: float | None = None


class Store(VisitStore, ReportStore, Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def ping(self) -> None:
        """Raise if the store cannot serve."""

    async def secret(self, name: str, candidate: bytes) -> bytes:
        """The secret stored under `name`; stores `candidate` first if there is none yet."""

    async def add_agent(self, agent: AgentRecord) -> bool:
        """Store `agent`, and its `token_digest` (if any) as an `api` token; False, storing
        nothing, if another agent has its e-mail (compared as stored: lower-cased)."""

    async def agent_by_digest(self, token_digest: str) -> AgentRecord | None:
        """The agent (disabled or not) a token digest belongs to, with `token_digest` set."""

    async def count_agents(self) -> int: ...

    async def agent(self, agent_id: str) -> AgentRecord | None:
        """The agent with this id, `token_digest` None."""

    async def agent_by_email(self, email: str) -> AgentRecord | None:
        """The agent with this (lower-cased) e-mail, `token_digest` None."""

    async def agents(self, limit: int = 1000) -> list[AgentRecord]:
        """Every agent, oldest first (ties by id), at most `limit`, `token_digest` None."""

    async def update_agent(self, agent_id: str, changes: AgentChanges) -> AgentRecord | None:
        """Apply `changes` in one step; the agent as it is now, None if there is none.

        Raises `LastAdmin`, changing nothing, when the agent is the last enabled admin and the
        change would demote or disable it.
        """

    async def add_agent_token(
        self, token_digest: str, agent_id: str, created_at: float, label: str
    ) -> None:
        """Another token of the agent: `api` (scripts) or `login` (one console session)."""

    async def revoke_agent_token(self, token_digest: str, label: str) -> bool:
        """Forget this one token if it is of `label`; False if there was no such token."""

    async def revoke_agent_tokens(self, agent_id: str, label: str) -> int:
        """Forget the agent's tokens of `label`; how many there were."""

    async def create_conversation(self, conversation_id: str, created_at: float) -> None:
        """A new, empty conversation (seq 0); its first event is appended by `commit`."""

    async def conversation(self, conversation_id: str) -> ConversationRecord | None:
        """The whole row, with the latest snapshot: what loading the state needs."""

    async def summary(self, conversation_id: str) -> SummaryRecord | None:
        """The committed summary alone (no snapshot), for reads that must not queue."""

    async def conversations(
        self,
        *,
        status: str | None = None,
        agent_id: str | None = None,
        customer_id: str | None = None,
        limit: int = 200,
    ) -> list[SummaryRecord]:
        """Opened conversations (seq > 0), newest first; `customer_id` is the verified one of
        the summary's `visitor`."""

    async def open_counts(self) -> dict[str, int]:
        """How many active conversations each agent has (agents with none are left out)."""

    async def set_agent_status(self, agent_id: str, status: str, at: float) -> None:
        """Keep the status an agent chose (online, away, offline)."""

    async def mark_assigned(self, agent_id: str, at: float) -> None:
        """Note when an agent was last given a conversation."""

    async def record_consoles(self, process_id: str, counts: dict[str, int], at: float) -> None:
        """Replace what process `process_id` reported of its agents' open consoles."""

    async def presence(self, seen_after: float) -> dict[str, PresenceRecord]:
        """Every agent with a status row or a console counted by a report newer than
        `seen_after` (older reports are of processes gone)."""

    async def with_pending_uploads(self, limit: int = 1000) -> list[str]:
        """Ids of conversations whose summary counts uploads under way (`uploads_pending`)."""

    async def commit(self, appends: list[Append]) -> set[str]:
        """Write the appends that are not stale; return the stale conversation ids."""

    async def events_after(self, conversation_id: str, after_seq: int, limit: int) -> list[Event]:
        """Events with `seq > after_seq`, ascending, at most `limit`."""

    async def events_of_type(
        self, conversation_id: str, type_: str, before_seq: int | None, limit: int
    ) -> list[Event]:
        """The last `limit` events of `type_` before `before_seq` (all if None), ascending."""

    async def erase_conversation(self, conversation_id: str) -> bool:
        """Delete the conversation with every event, PIN and counter of it, in one step;
        False if there was none. Its media files are the caller's to delete."""

    async def media_in_use(self, media_ids: list[str]) -> set[str]:
        """Those of `media_ids` that a conversation's upload or a catalogue item refers to."""

    async def closed_before(self, before: float, limit: int = 500) -> list[str]:
        """Ids of conversations closed whose last event is older than `before` (ms)."""

    async def add_pin(self, pin: Pin) -> bool:
        """Make `pin` its conversation's one live PIN; False if an unexpired PIN has its digest.

        One atomic step: PINs expired at `pin.created_at` are dropped, the conversation's unused
        PINs are revoked (dropped) and `pin` is stored. A used PIN keeps its digits reserved until
        it expires, so a late typist of old digits never lands in another conversation.
        """

    async def pin(self, digest: str) -> Pin | None:
        """The stored PIN with this digest, used or not, expired or not (until dropped)."""

    async def claim_pin(self, digest: str, redeemer: Redeemer, now: float) -> Pin | None:
        """Mark the PIN used if it is for `redeemer`, unused and unexpired at `now`; else None.

        Atomic: of any number of concurrent claims of one PIN, from any process, one gets it.
        """

    async def count_attempt(
        self, key: str, now: float, reset_before: float, amount: int = 1
    ) -> Attempts:
        """Add `amount` to the counter under `key`, atomically across processes; return it.

        A counter lives one window, from its first count at `started` until
        `started + (now - reset_before)` of that first count: a spent counter restarts at `now`
        with `amount`. Spent counters of any key may be dropped on the way. Counters keep PIN
        attempts and the quotas of quotas.py; a key is always counted with one window.
        """

    async def forgive_attempt(self, key: str) -> None:
        """Take back one counted attempt (it turned out to be a successful redemption)."""

    async def attempts(self, key: str) -> Attempts | None:
        """The attempt counter under `key`, spent or not, or None if there is none."""

    async def add_catalogue_item(self, item: CatalogueRecord) -> bool:
        """Store `item` unless an item with its id exists (then change nothing, return False)."""

    async def catalogue_item(self, item_id: str) -> CatalogueRecord | None: ...

    async def catalogue_items(self, limit: int = 1000) -> list[CatalogueRecord]:
        """Oldest first (ties by id), at most `limit`."""

    async def add_push_subscription(self, subscription: PushSubscriptionRecord, keep: int) -> None:
        """Store `subscription`, replacing any with its endpoint (whichever agent had it: a
        browser has one endpoint, its last agent gets the pushes); then keep only the newest
        `keep` subscriptions of its agent, dropping older ones. One atomic step."""

    async def push_subscriptions(self, agent_ids: list[str]) -> list[PushSubscriptionRecord]:
        """Every subscription of those agents, oldest first (ties by endpoint)."""

    async def remove_push_subscription(self, endpoint: str, agent_id: str | None = None) -> bool:
        """Drop the subscription of `endpoint` (only if it is `agent_id`'s, when given);
        False if there was none."""

    async def add_reply(self, reply: ReplyRecord) -> bool:
        """Store a new saved reply; False (nothing stored) if its shortcut is taken in its
        scope: among `owner_id`'s personal replies, or among the shared ones."""

    async def update_reply(self, reply: ReplyRecord) -> bool | None:
        """Replace the stored reply with `reply.id` by `reply`: True when done, False (nothing
        changed) if another reply of its scope has its shortcut, None if there is no such
        reply (it is never created here)."""

    async def reply(self, reply_id: str) -> ReplyRecord | None: ...

    async def replies_for(self, owner_id: str, limit: int = 1000) -> list[ReplyRecord]:
        """`owner_id`'s personal replies and every shared one, by shortcut (then personal
        before shared, then by id), at most `limit`."""

    async def delete_reply(self, reply_id: str) -> bool:
        """Drop the reply; False if there was none."""

    async def add_webhook(self, hook: WebhookRecord) -> None:
        """Store a new webhook (its id is new)."""

    async def webhook(self, hook_id: str) -> WebhookRecord | None: ...

    async def webhooks(self) -> list[WebhookRecord]:
        """Every webhook, oldest first (ties by id)."""

    async def delete_webhook(self, hook_id: str) -> bool:
        """Drop the webhook and every delivery of it; False if there was none."""

    async def add_webhook_deliveries(self, deliveries: list[WebhookDeliveryRecord]) -> None:
        """Queue new deliveries (their ids are new)."""

    async def claim_webhook_deliveries(
        self, now: float, lease_until: float, claimer: str, limit: int
    ) -> list[WebhookDeliveryRecord]:
        """Lease up to `limit` pending deliveries due at `now` (`next_attempt_at <= now`) and
        not leased past `now`, to `claimer` until `lease_until`; the soonest due first.

        Atomic: of concurrent claims, from any process, one gets each delivery; a lease that
        ran out (its process died) lets the delivery be claimed again.
        """

    async def next_webhook_attempt(self) -> float | None:
        """When the soonest pending delivery may be claimed (the later of its next attempt and
        the end of its lease); None when none is pending."""

    async def settle_webhook_delivery(self, delivery: WebhookDeliveryRecord, claimer: str) -> bool:
        """Write the outcome of an attempt (`state`, `attempts`, `last_status`, `last_error`,
        `next_attempt_at`, `delivered_at`, `finished_at` of `delivery`) and end the lease, if
        `claimer` still holds it; False, changing nothing, if it does not (the lease ran out
        and another claimer took it, or the delivery is gone)."""

    async def webhook_deliveries(
        self, hook_id: str, limit: int = 50
    ) -> list[WebhookDeliveryRecord]:
        """The webhook's latest `limit` deliveries, newest first (ties by id, descending)."""

    async def drop_webhook_deliveries(self, finished_before: float) -> int:
        """Drop deliveries delivered or failed before `finished_before`; how many."""
