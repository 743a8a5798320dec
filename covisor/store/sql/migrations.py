"""The schema's versions: numbered migrations, applied in order when the store opens.

`schema_migrations` holds one row per migration applied (its version, and when). On open, in one
write transaction (`Db.transaction`), the migrations the database lacks are applied in order and
recorded, so a failing one leaves the database as it was; several processes may open the same
database at once: the others wait for that transaction, then find every migration applied. A
database with a version this code does not know was made by a newer Covisor, and is refused
(`SchemaTooNew`).

Migration 1 is the schema when versions began (schema.py). It also upgrades, in place, the
database of an older Covisor, which has no `schema_migrations`: its `IF NOT EXISTS` leave the
tables there alone, its drops remove the index and the table older versions had, and
`migrate_agents` rebuilds an `agents` table of the one-token-each shape. A change to the schema
is a new migration appended to `SQLITE_MIGRATIONS` and `POSTGRESQL_MIGRATIONS` (the next
version, the same in both), never an edit of a released one.

PostgreSQL support began at version 4: its first migration is version 4's schema whole
(schema_postgresql.py), and its later ones follow SQLite's.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence

from covisor.store.products import link_path
from covisor.store.records import StoreError
from covisor.store.sql.db import Tx
from covisor.store.sql.schema import (
    AGENT_LANGUAGE_SCHEMA,
    COMMERCE_SCHEMA,
    OFFLINE_MAIL_SCHEMA,
    PRODUCTS_SCHEMA,
    REPORTS_SCHEMA,
    SCHEMA,
    SETTINGS_SCHEMA,
    SHOPPER_CONTEXT_SCHEMA,
    VISITS_SCHEMA,
)
from covisor.store.sql.schema_postgresql import POSTGRESQL_OFFLINE_MAIL, POSTGRESQL_SCHEMA


class SchemaTooNew(StoreError):
    """The database was made or upgraded by a newer Covisor than this one."""

    def __init__(self, where: str, version: int, known: int) -> None:
        super().__init__(
            f"the database at {where} has schema version {version}; "
            f"this Covisor knows up to {known}: upgrade Covisor"
        )
        self.where = where
        self.version = version
        self.known = known


@dataclasses.dataclass(frozen=True)
class Migration:
    """Version `version` of the schema: `apply` makes it, in the open transaction."""

    version: int
    summary: str
    apply: Callable[[Tx], Awaitable[None]]


TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations "
    "(version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)"
)


async def migrate(db: Tx, where: str, migrations: Sequence[Migration]) -> list[int]:
    """Apply the `migrations` the database (at `where`, for messages) lacks, in order, inside
    the write transaction `db`; return their versions. Raises `SchemaTooNew`, changing
    nothing, when the database has a version beyond the last known."""
    await db.execute(TABLE)
    applied = {row[0] for row in await db.fetch("SELECT version FROM schema_migrations")}
    known = migrations[-1].version
    newest = max(applied, default=0)
    if newest > known:
        raise SchemaTooNew(where, newest, known)
    done = []
    for migration in migrations:
        if migration.version in applied:
            continue
        await migration.apply(db)
        await db.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
            (migration.version, time.time()),
        )
        done.append(migration.version)
    return done


def statements(script: str) -> Iterator[str]:
    """The statements of `script`, one at a time (`executescript` would commit the open
    transaction first)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""
    if pending.strip():
        raise ValueError(f"an incomplete statement ends the script: {pending.strip()!r}")


async def _initial_schema(db: Tx) -> None:
    for statement in statements(f"{SCHEMA}{VISITS_SCHEMA}{REPORTS_SCHEMA}"):
        await db.execute(statement)
    await migrate_agents(db)


def _script(schema: str) -> Callable[[Tx], Awaitable[None]]:
    """A migration that runs the statements of `schema`, one at a time."""

    async def apply(db: Tx) -> None:
        for statement in statements(schema):
            await db.execute(statement)

    return apply


async def _shopper_context(db: Tx) -> None:
    await _script(SHOPPER_CONTEXT_SCHEMA)(db)
    rows = await db.fetch("SELECT rowid, link FROM products")
    await db.executemany(
        "UPDATE products SET link_path = ? WHERE rowid = ?",
        [(link_path(link), rowid) for rowid, link in rows],
    )


async def migrate_agents(db: Tx) -> None:
    """Bring an `agents` table of an older version to this one, in the open transaction.

    It had one token each (`token_digest`, NOT NULL): the tokens move to `agent_tokens` as
    `api` tokens and the table is rebuilt without that column (SQLite cannot drop a NOT NULL
    constraint), keeping every agent as a plain `agent`. Then the e-mail index is made.
    """
    columns = {row[1] for row in await db.fetch("PRAGMA table_info(agents)")}
    if "token_digest" in columns:
        await db.execute(
            "INSERT OR IGNORE INTO agent_tokens (digest, agent_id, created_at, label) "
            "SELECT token_digest, id, created_at, 'api' FROM agents"
        )
        await db.execute("ALTER TABLE agents RENAME TO agents_before_tokens")
        await db.execute(
            "CREATE TABLE agents (id TEXT PRIMARY KEY, name TEXT NOT NULL, "
            "created_at REAL NOT NULL, email TEXT, password_hash TEXT, "
            "role TEXT NOT NULL DEFAULT 'agent', disabled INTEGER NOT NULL DEFAULT 0, "
            "capacity INTEGER NOT NULL DEFAULT 3)"
        )
        await db.execute(
            "INSERT INTO agents (id, name, created_at) "
            "SELECT id, name, created_at FROM agents_before_tokens"
        )
        await db.execute("DROP TABLE agents_before_tokens")
    await db.execute("CREATE UNIQUE INDEX IF NOT EXISTS agents_by_email ON agents (email)")


SQLITE_MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "the schema when versions began; upgrades an unversioned database in place",
        _initial_schema,
    ),
    Migration(
        2,
        "the product catalogue: products, their search index, imports",
        _script(PRODUCTS_SCHEMA),
    ),
    Migration(3, "the items of conversions", _script(COMMERCE_SCHEMA)),
    Migration(4, "what a visitor looks at and has in the cart; products by link", _shopper_context),
    Migration(5, "offline answers waiting to be e-mailed", _script(OFFLINE_MAIL_SCHEMA)),
    Migration(6, "the shop's settings an admin edits", _script(SETTINGS_SCHEMA)),
    Migration(7, "the language each agent reads", _script(AGENT_LANGUAGE_SCHEMA)),
)
"""Every migration of a SQLite database, by version: 1, 2, … with none missing."""

POSTGRESQL_MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        4, "the schema of version 4, when PostgreSQL support began", _script(POSTGRESQL_SCHEMA)
    ),
    Migration(5, "offline answers waiting to be e-mailed", _script(POSTGRESQL_OFFLINE_MAIL)),
    Migration(6, "the shop's settings an admin edits", _script(SETTINGS_SCHEMA)),
    Migration(7, "the language each agent reads", _script(AGENT_LANGUAGE_SCHEMA)),
)
"""Every migration of a PostgreSQL database, by version: 4, 5, … with none missing."""
