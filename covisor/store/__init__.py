"""Where conversations, agents and secrets live: one small interface, several backends.

The server talks to a `Store` only: the sum of one slice a concern (`agents.py`,
`conversations.py`, `pins.py`, … each a `Protocol` of its own) over the records of
`records.py`. `SQLiteStore` (the embedded default) and `MongoStore` implement it and pass the
same contract tests (tests/store/). Events are the source of truth; a conversation row keeps a
summary for listing and a periodic state snapshot so loading does not replay forever.

Concurrency contract: `commit` writes each append whose conversation's last seq in the store is
still the `expected_seq` the writer assumed, and returns the ids of the others (stale: another
process wrote them in between), which it left untouched; the writer reloads those and decides again.
Each append is all-or-nothing; what `commit` returns from is durable.
"""

from __future__ import annotations

from typing import Protocol

from covisor.store.agents import AgentStore
from covisor.store.catalogue import CatalogueStore
from covisor.store.conversations import ConversationStore
from covisor.store.counters import CounterStore
from covisor.store.offline_mail import OfflineMailStore
from covisor.store.pins import PinStore
from covisor.store.presence import PresenceStore
from covisor.store.push import PushStore
from covisor.store.records import (
    AgentChanges,
    AgentRecord,
    AgentRole,
    Append,
    Attempts,
    CatalogueRecord,
    ClosedQuery,
    ConversationRecord,
    LastAdmin,
    Pin,
    PresenceRecord,
    PushSubscriptionRecord,
    Redeemer,
    ReplyRecord,
    StoreError,
    SummaryRecord,
    WebhookDeliveryRecord,
    WebhookRecord,
)
from covisor.store.replies import ReplyStore
from covisor.store.reports import ReportStore
from covisor.store.settings import SettingsStore
from covisor.store.visits import VisitStore
from covisor.store.webhooks import WebhookStore

__all__ = [
    "AgentChanges",
    "AgentRecord",
    "AgentRole",
    "Append",
    "Attempts",
    "CatalogueRecord",
    "ClosedQuery",
    "ConversationRecord",
    "LastAdmin",
    "Pin",
    "PresenceRecord",
    "PushSubscriptionRecord",
    "Redeemer",
    "ReplyRecord",
    "Store",
    "StoreError",
    "SummaryRecord",
    "WebhookDeliveryRecord",
    "WebhookRecord",
]


class Store(
    AgentStore,
    ConversationStore,
    PresenceStore,
    PinStore,
    CounterStore,
    CatalogueStore,
    PushStore,
    ReplyStore,
    OfflineMailStore,
    WebhookStore,
    VisitStore,
    ReportStore,
    SettingsStore,
    Protocol,
):
    """Everything the services keep, as one object: each slice is also usable alone."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def ping(self) -> None:
        """Raise if the store cannot serve."""

    async def secret(self, name: str, candidate: bytes) -> bytes:
        """The secret stored under `name`; stores `candidate` first if there is none yet."""
