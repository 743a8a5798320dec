"""The SQL store: one code base over SQLite (the embedded default) and PostgreSQL.

`SQLStore` is the store over an open `Db` (db.py: the seam, and the `Dialect` of the few
fragments the engines spell differently), with one mixin a slice of `Store`, each in the module
named like the slice's protocol: agents.py, conversations.py (group commit), presence.py,
pins.py, counters.py, catalogue.py, push.py, replies.py, webhooks.py, offline_mail.py, visits.py,
reports.py, settings.py;
and products.py, the `ProductStore` (the feed catalogue, which the MongoDB store does not
offer), with commerce.py, the `CommerceStore` (reports' figures of products, which read the
catalogue). A mixin's methods take `self` as `db.HasDb`. The engines: sqlite.py (`SQLiteStore`,
one file), postgresql.py (`PostgresStore`, a server); the schema's versions: migrations.py.
"""

from __future__ import annotations

from pathlib import Path

from covisor.store.sql.agents import SQLAgents
from covisor.store.sql.catalogue import SQLCatalogue
from covisor.store.sql.commerce import SQLCommerce
from covisor.store.sql.conversations import SQLConversations
from covisor.store.sql.counters import SQLCounters
from covisor.store.sql.db import Db
from covisor.store.sql.offline_mail import SQLOfflineMail
from covisor.store.sql.pins import SQLPins
from covisor.store.sql.presence import SQLPresence
from covisor.store.sql.products import SQLProducts
from covisor.store.sql.push import SQLPush
from covisor.store.sql.replies import SQLReplies
from covisor.store.sql.reports import SQLReports
from covisor.store.sql.settings import SQLSettings
from covisor.store.sql.sqlite import SQLiteDb
from covisor.store.sql.visits import SQLVisits
from covisor.store.sql.webhooks import SQLWebhooks

__all__ = ["PostgresStore", "SQLStore", "SQLiteStore"]


class SQLStore(
    SQLAgents,
    SQLConversations,
    SQLPresence,
    SQLPins,
    SQLCounters,
    SQLCatalogue,
    SQLPush,
    SQLReplies,
    SQLWebhooks,
    SQLOfflineMail,
    SQLVisits,
    SQLReports,
    SQLSettings,
    SQLProducts,
    SQLCommerce,
):
    """The `Store` (with products and commerce) over `db`, which `open` connects and brings to
    this schema version."""

    def __init__(self, db: Db) -> None:
        self._db = db

    async def open(self) -> None:
        await self._db.open()

    async def close(self) -> None:
        await self._db.close()

    async def ping(self) -> None:
        await self._db.fetch("SELECT 1")

    async def secret(self, name: str, candidate: bytes) -> bytes:
        await self._db.execute(
            "INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            (name, candidate),
        )
        rows = await self._db.fetch("SELECT value FROM secrets WHERE name = ?", (name,))
        return bytes(rows[0][0])


class SQLiteStore(SQLStore):
    """The store in one SQLite file at `path` (the embedded default)."""

    def __init__(self, path: Path) -> None:
        self._sqlite = SQLiteDb(path)
        super().__init__(self._sqlite)

    async def backup(self, destination: Path) -> None:
        """A consistent copy of the database at `destination`, taken while the server keeps
        writing."""
        await self._sqlite.backup(destination)


class PostgresStore(SQLStore):
    """The store in the PostgreSQL database at `url` (`postgresql://…`), over a pool of
    connections."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        from covisor.store.sql.postgresql import PostgresDb

        super().__init__(PostgresDb(url, pool_size=pool_size))
