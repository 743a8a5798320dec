"""The MongoDB store, for deployments that already run MongoDB (pymongo's async client).

`MongoStore` is `MongoBase` (base.py: the client, opening with the indexes, secrets, ping) with
one mixin a slice of `Store`, each in the module named like the slice's protocol: agents.py,
conversations.py, presence.py, pins.py, counters.py, catalogue.py, push.py, replies.py,
webhooks.py, visits.py, reports.py. A mixin's methods take `self` as `base.Database`.
"""

from __future__ import annotations

from covisor.store.mongo.agents import MongoAgents
from covisor.store.mongo.base import MongoBase
from covisor.store.mongo.catalogue import MongoCatalogue
from covisor.store.mongo.conversations import MongoConversations
from covisor.store.mongo.counters import MongoCounters
from covisor.store.mongo.offline_mail import MongoOfflineMail
from covisor.store.mongo.pins import MongoPins
from covisor.store.mongo.presence import MongoPresence
from covisor.store.mongo.push import MongoPush
from covisor.store.mongo.replies import MongoReplies
from covisor.store.mongo.reports import MongoReports
from covisor.store.mongo.settings import MongoSettings
from covisor.store.mongo.visits import MongoVisits
from covisor.store.mongo.webhooks import MongoWebhooks

__all__ = ["MongoStore"]


class MongoStore(
    MongoAgents,
    MongoConversations,
    MongoPresence,
    MongoPins,
    MongoCounters,
    MongoCatalogue,
    MongoPush,
    MongoReplies,
    MongoWebhooks,
    MongoOfflineMail,
    MongoVisits,
    MongoReports,
    MongoSettings,
    MongoBase,
):
    """The `Store` on a MongoDB database: `MongoBase` with every slice's mixin."""
