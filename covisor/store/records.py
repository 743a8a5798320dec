"""What the store keeps, as plain frozen records: every slice of the `Store` speaks these.

Records carry no behaviour beyond what their own fields give (`to_wire` for what a client may
see of one); the services above decide what they mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from covisor.kernel.events import Event

AgentRole = Literal["admin", "agent"]
"""What an agent may do: an `admin` also manages the team (web/team.py)."""

DEFAULT_CAPACITY = 3


@dataclass(frozen=True)
class AgentRecord:
    """A stored agent: tokens themselves are never kept, only their digests.

    `token_digest` is the digest of the token the agent was found by (`agent_by_digest`), or
    of its first token when it is added (`add_agent` stores it as an `api` token); None for an
    agent without one (invited, logs in with its password) and in listings. `email` is stored
    lower-cased; `password_hash` is a passwords.py hash. `capacity` is how many conversations
    the agent takes at once.
    """

    id: str
    name: str
    token_digest: str | None
    created_at: float
    email: str | None = None
    password_hash: str | None = None
    role: AgentRole = "agent"
    disabled: bool = False
    capacity: int = DEFAULT_CAPACITY
    language: str | None = None
    """The language the agent reads (ISO 639-1), shoppers' messages translated into it; None
    when the agent has not said."""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def to_wire(self) -> dict[str, Any]:
        """What admins see of an agent (never its password hash or token digests)."""
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "role": self.role,
            "disabled": self.disabled,
            "capacity": self.capacity,
            "created_at": self.created_at,
        }


Redeemer = Literal["caller", "agent"]
"""Who may redeem a PIN: an anonymous caller (agent-issued) or an agent (shopper-issued)."""


@dataclass(frozen=True)
class Pin:
    """A stored PIN. It holds the keyed digest of the digits, never the digits."""

    digest: str
    conversation_id: str
    redeemer: Redeemer
    issuer_id: str
    created_at: float
    expires_at: float
    used_at: float | None = None


@dataclass(frozen=True)
class Attempts:
    """A counter of what was counted in the fixed window that began at `started` (ms)."""

    count: int
    started: float


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
class ProductRecord:
    """One item of the shop's product feed, as imported: a variant of the product `group_id`
    (the feed's `item_group_id`, else its own `id`).

    Prices are decimal strings in `currency` (`sale_price` None when not on sale); text fields
    are "" when the feed had none; `images` are the feed's picture URLs, `image_link` first;
    `extra` holds the feed's attributes Covisor does not know. `digest` identifies the feed's
    content for this item, so an unchanged item is recognised without comparing fields.
    `removed_at` is set when a complete import no longer lists the item: it is then neither
    searchable nor showable, while conversations that showed it keep their history.
    """

    id: str
    group_id: str
    title: str
    description: str
    link: str
    price: str
    currency: str
    sale_price: str | None
    availability: str
    brand: str
    gtin: str
    mpn: str
    color: str
    size: str
    material: str
    product_type: str
    condition: str
    images: tuple[str, ...]
    extra: dict[str, str]
    digest: str
    updated_at: float
    removed_at: float | None = None


@dataclass(frozen=True)
class ProductImageRecord:
    """A product picture by its feed URL: the media it became (`media_id`, with its kind and
    upright size), or why it could not be fetched or processed (`error`); neither while it
    waits for its fetch."""

    url: str
    media_id: str | None = None
    width: int | None = None
    height: int | None = None
    error: str | None = None
    attempted_at: float | None = None


ImportState = Literal["running", "done", "failed"]


@dataclass(frozen=True)
class ImportRecord:
    """A catalogue import: where from (`source`: "url" or "file", with `url` or the staged
    `file`), its counts so far and its per-product errors (the first 500, each `{"id",
    "reason"}`), `reason` when the whole import failed. A running import belongs to the
    process holding its lease until `lease_until`; a lapsed lease (a killed process) lets
    another take it over and finish the job."""

    id: str
    source: str
    state: ImportState
    started_at: float
    url: str | None = None
    file: str | None = None
    finished_at: float | None = None
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: int = 0
    errors: tuple[dict[str, str], ...] = ()
    reason: str | None = None
    lease_until: float = 0.0
    processed: int = 0


@dataclass(frozen=True)
class FeedScheduleRecord:
    """The shop's feed URL and how often it is fetched; `etag` and `last_modified` are the
    validators of the last successful fetch, for a conditional GET."""

    url: str
    every_minutes: int
    etag: str | None = None
    last_modified: str | None = None
    next_at: float = 0.0


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
class ClosedQuery:
    """A search of the closed conversations (the console's history), every given filter at
    once, newest first: `text` a piece (already lowercased, any case matches) of the shopper's
    name or e-mail or of a chat message; `since` ≤ the opening time (ms) < `until`; the agent
    who had it; the shopper's rating (1–5). `offset` rows skipped, then at most `limit`."""

    text: str | None = None
    since: float | None = None
    until: float | None = None
    agent_id: str | None = None
    rating: int | None = None
    limit: int = 50
    offset: int = 0


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


class StoreError(ValueError):
    """The store cannot be used as it is (a database made by a newer Covisor, say): told to
    the operator in one line, the message saying what to do."""


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


Outcome = Literal["pending", "accepted", "declined"]


@dataclass(frozen=True)
class PageView:
    """One page a visitor's widget reported (`url` None: only still there, a heartbeat);
    `product_id`: the product whose link the page is, found when it is written."""

    visitor_id: str
    at: float
    url: str | None = None
    title: str | None = None
    referrer: str | None = None
    device: str = "desktop"
    language: str | None = None
    product_id: str | None = None


@dataclass(frozen=True)
class CartValue:
    """What the live visitors list shows of a visitor's cart: its total (a decimal string)
    in `currency`, and how many units it holds."""

    value: str
    currency: str
    items: int


@dataclass(frozen=True)
class ShopContext:
    """What the shop's page told of its visitor: the product the page is about
    (`covisor.setProduct`; None: none, then the page's link decides) and, if it told one,
    the cart (`covisor.setCart`; None keeps the last one told)."""

    visitor_id: str
    at: float
    product_id: str | None
    cart: CartValue | None


@dataclass(frozen=True)
class VisitorRecord:
    """What is known of a visitor: its current page and visit, and its chat, if any."""

    id: str
    first_seen: float
    last_seen: float
    visit_started: float
    visits: int
    pages: int
    device: str
    language: str | None
    url: str | None
    title: str | None
    referrer: str | None
    page_at: float
    conversation_id: str | None = None
    assisted_at: float | None = None
    product_id: str | None = None
    """The product looked at: the one the page told, else the one its link is."""
    cart: CartValue | None = None

    @property
    def returning(self) -> bool:
        return self.visits > 1


@dataclass(frozen=True)
class VisitedPage:
    url: str
    title: str | None
    at: float


@dataclass(frozen=True)
class InvitationRecord:
    """An invitation to chat shown to a visitor: by an agent, a rule or the shop's JS."""

    id: str
    visitor_id: str
    message: str
    created_at: float
    agent_id: str | None = None
    agent_name: str | None = None
    rule_id: str | None = None
    outcome: Outcome = "pending"
    decided_at: float | None = None
    conversation_id: str | None = None


@dataclass(frozen=True)
class RuleRecord:
    """An admin's rule for proactive invitations (see invitations.py for `conditions`)."""

    id: str
    name: str
    enabled: bool
    conditions: dict[str, Any]
    messages: dict[str, str]
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class ConversionItem:
    """One line of a reported order: the shop's id of the product (a feed variant's or
    product's id, as the shop knows it), its variant if the shop named one, how many, and the
    unit `price` (a decimal string in the order's currency)."""

    product_id: str
    variant_id: str | None
    quantity: int
    price: str


@dataclass(frozen=True)
class ConversionRecord:
    """An order the shop's page reported (`covisor.trackConversion`), once per `order_id`.
    `value` is a decimal string in `currency`; `assisted`: the visitor chatted before;
    `items`: the order's lines, in the order the page gave them (none if it gave none)."""

    order_id: str
    visitor_id: str
    value: str
    currency: str
    device: str
    assisted: bool
    at: float
    conversation_id: str | None = field(default=None)
    items: tuple[ConversionItem, ...] = ()


@dataclass(frozen=True)
class AgentPart:
    """What one agent did in one conversation: `received_at`, when it first became theirs (its
    `conversation.accepted` by them or a `conversation.transferred` to them; None for an agent
    who wrote in it without ever holding it); `messages`, their `chat.message` events, the
    first at `first_message_at`. `name` is the name one of those events carries."""

    agent_id: str
    name: str
    received_at: float | None
    messages: int
    first_message_at: float | None


@dataclass(frozen=True)
class ConversationFacts:
    """One conversation opened in the range, as its events tell it.

    `opened_at`: when it was opened (its row's `created_at`). `device`: its visitor's device
    class (`phone`, `tablet`, `desktop`), `call` for a conversation opened for a PIN phone
    call, `unknown` without one. `agent_id`/`agent_name`: the agent of its first
    `conversation.accepted`, with `accepted_at`. `first_response_at`: its first `chat.message`
    by an agent. `closed_at`: its `conversation.closed`, and `closed_by`/`closed_by_name`
    the agent who closed it. `rating`: the score of its `conversation.rated`. `uploads`: its
    `media.ready` events; `pin_joins`: its `member.joined` events. `parts`: one per agent who
    held it or wrote in it, in the order they came to it (transfers followed)."""

    id: str
    opened_at: float
    device: str
    offline: bool
    status: str
    agent_id: str | None
    agent_name: str | None
    accepted_at: float | None
    first_response_at: float | None
    closed_at: float | None
    rating: int | None
    uploads: int
    pin_joins: int
    closed_by: str | None = None
    closed_by_name: str | None = None
    parts: tuple[AgentPart, ...] = ()


@dataclass(frozen=True)
class VisitorGroup:
    """Visitors seen in the range (`first_seen < end` and `last_seen >= start`) of one device
    class (the visitor's latest), split by `assisted`: the visitor had opened or been given a
    conversation before the range's end (`assisted_at < end`). `converted`: how many of them
    have at least one conversion in the range."""

    device: str
    assisted: bool
    visitors: int
    converted: int


@dataclass(frozen=True)
class OrderGroup:
    """Conversions in the range of one device class, `assisted` flag and currency, as each
    was recorded when the order came (`ConversionRecord.device`/`.assisted`). `total_cents`:
    the sum of their values in hundredths (values are stored with two decimals)."""

    device: str
    assisted: bool
    currency: str
    orders: int
    total_cents: int
