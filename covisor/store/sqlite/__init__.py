"""The embedded default store: one SQLite file in WAL mode, shared safely by several processes.

`SQLiteStore` is `SQLiteBase` (base.py: the connections, opening with the numbered migrations of
migrations.py, whose first is the DDL of schema.py, secrets, ping, backup) with one mixin a slice
of `Store`, each in the module named like the slice's protocol: agents.py, conversations.py
(with group commit), presence.py, pins.py, counters.py, catalogue.py, push.py, replies.py,
webhooks.py, visits.py, reports.py; and products.py, the `ProductStore` (the feed catalogue,
which the MongoDB store does not offer), with commerce.py, the `CommerceStore` (reports'
figures of products, which read the catalogue). A mixin's methods take `self` as `base.Connections`:
the reader, the writer and its lock, transactions.
"""

from __future__ import annotations

from covisor.store.sqlite.agents import SQLiteAgents
from covisor.store.sqlite.base import SQLiteBase
from covisor.store.sqlite.catalogue import SQLiteCatalogue
from covisor.store.sqlite.commerce import SQLiteCommerce
from covisor.store.sqlite.conversations import SQLiteConversations
from covisor.store.sqlite.counters import SQLiteCounters
from covisor.store.sqlite.pins import SQLitePins
from covisor.store.sqlite.presence import SQLitePresence
from covisor.store.sqlite.products import SQLiteProducts
from covisor.store.sqlite.push import SQLitePush
from covisor.store.sqlite.replies import SQLiteReplies
from covisor.store.sqlite.reports import SQLiteReports
from covisor.store.sqlite.visits import SQLiteVisits
from covisor.store.sqlite.webhooks import SQLiteWebhooks

__all__ = ["SQLiteStore"]


class SQLiteStore(
    SQLiteAgents,
    SQLiteConversations,
    SQLitePresence,
    SQLitePins,
    SQLiteCounters,
    SQLiteCatalogue,
    SQLitePush,
    SQLiteReplies,
    SQLiteWebhooks,
    SQLiteVisits,
    SQLiteReports,
    SQLiteProducts,
    SQLiteCommerce,
    SQLiteBase,
):
    """The `Store` on one SQLite file: `SQLiteBase` with every slice's mixin."""
