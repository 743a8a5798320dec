"""The embedded default store: one SQLite file in WAL mode, shared safely by several processes.

Two connections per process: a writer, whose transactions are serialised by a lock (and across
processes by SQLite's own write lock, `BEGIN IMMEDIATE`), and a reader that never sees a
half-done transaction. `synchronous=FULL`, so an acknowledged event survives a power cut, not only
a killed process; group commit (see journal.py) amortises the fsync over many events.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import fcntl
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite
import msgspec

from covisor.kernel.events import Event, decode, encode
from covisor.store import (
    AgentChanges,
    AgentRecord,
    Append,
    CatalogueRecord,
    ConversationRecord,
    LastAdmin,
    PresenceRecord,
    PushSubscriptionRecord,
    ReplyRecord,
    SummaryRecord,
    WebhookDeliveryRecord,
    WebhookRecord,
)
from covisor.store.records import Attempts, Pin, Redeemer, removes_enabled_admin, with_seq
from covisor.store.sqlite_reports import INDEXED_EVENTS, REPORTS_SCHEMA, SQLiteReports
from covisor.store.sqlite_visits import VISITS_SCHEMA, SQLiteVisits

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS agents (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at REAL NOT NULL,
    email TEXT,
    password_hash TEXT,
    role TEXT NOT NULL DEFAULT 'agent',
    disabled INTEGER NOT NULL DEFAULT 0,
    capacity INTEGER NOT NULL DEFAULT 3
);
CREATE TABLE IF NOT EXISTS agent_tokens (
    digest TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    label TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS agent_tokens_by_agent ON agent_tokens (agent_id, label);
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    seq INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'waiting',
    agent_id TEXT,
    summary TEXT NOT NULL DEFAULT '{{}}',
    snapshot BLOB,
    snapshot_seq INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS conversations_by_status ON conversations (status, created_at);
CREATE INDEX IF NOT EXISTS conversations_by_agent ON conversations (agent_id, created_at);
CREATE INDEX IF NOT EXISTS conversations_by_customer
    ON conversations (json_extract(summary, '$.visitor.customer_id'), created_at);
CREATE TABLE IF NOT EXISTS agent_status (
    agent_id TEXT PRIMARY KEY,
    status TEXT,
    changed_at REAL NOT NULL DEFAULT 0,
    assigned_at REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS consoles (
    process_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    count INTEGER NOT NULL,
    seen_at REAL NOT NULL,
    PRIMARY KEY (process_id, agent_id)
);
CREATE TABLE IF NOT EXISTS events (
    conversation_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (conversation_id, seq)
) WITHOUT ROWID;
DROP INDEX IF EXISTS events_by_type;
CREATE INDEX IF NOT EXISTS events_by_kind ON events (conversation_id, type, seq)
    WHERE {INDEXED_EVENTS};
CREATE TABLE IF NOT EXISTS pins (
    digest TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    redeemer TEXT NOT NULL,
    issuer_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    used_at REAL
);
CREATE INDEX IF NOT EXISTS pins_by_conversation ON pins (conversation_id);
CREATE INDEX IF NOT EXISTS pins_by_expiry ON pins (expires_at);
DROP TABLE IF EXISTS pin_attempts;
CREATE TABLE IF NOT EXISTS counters (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    started REAL NOT NULL,
    expires REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS counters_by_expiry ON counters (expires);
CREATE TABLE IF NOT EXISTS catalogue (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    kind TEXT NOT NULL,
    media_id TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    created_at REAL NOT NULL,
    price TEXT,
    currency TEXT,
    duration REAL,
    added_by TEXT
);
CREATE INDEX IF NOT EXISTS catalogue_by_age ON catalogue (created_at, id);
CREATE TABLE IF NOT EXISTS replies (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    shortcut TEXT NOT NULL,
    text TEXT NOT NULL,
    shared INTEGER NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    catalogue_id TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS replies_by_scope
    ON replies (CASE WHEN shared THEN '' ELSE owner_id END, shortcut);
CREATE TABLE IF NOT EXISTS push_subscriptions (
    endpoint TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS push_subscriptions_by_agent
    ON push_subscriptions (agent_id, created_at, endpoint);
CREATE TABLE IF NOT EXISTS webhooks (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at REAL NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_by TEXT
);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id TEXT PRIMARY KEY,
    hook_id TEXT NOT NULL,
    event TEXT NOT NULL,
    body BLOB NOT NULL,
    created_at REAL NOT NULL,
    next_attempt_at REAL NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    delivered_at REAL,
    finished_at REAL,
    claimer TEXT,
    leased_until REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due
    ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_hook
    ON webhook_deliveries (hook_id, created_at, id);
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_end ON webhook_deliveries (finished_at);
"""

_AGENT_COLUMNS = "id, name, created_at, email, password_hash, role, disabled, capacity"
_CONVERSATION_COLUMNS = "id, created_at, seq, summary, snapshot, snapshot_seq"
_SUMMARY_COLUMNS = "id, created_at, seq, summary"
_PIN_COLUMNS = "digest, conversation_id, redeemer, issuer_id, created_at, expires_at, used_at"
_CATALOGUE_COLUMNS = (
    "id, title, description, kind, media_id, width, height, created_at, price, currency, "
    "duration, added_by"
)
_PUSH_COLUMNS = "endpoint, p256dh, auth, agent_id, created_at"
_REPLY_COLUMNS = "id, owner_id, shortcut, text, shared, created_at, updated_at, catalogue_id"
_WEBHOOK_COLUMNS = "id, url, events, secret, created_at, enabled, created_by"
_DELIVERY_COLUMNS = (
    "id, hook_id, event, body, created_at, next_attempt_at, state, attempts, last_status, "
    "last_error, delivered_at, finished_at"
)


class SQLiteStore(SQLiteVisits, SQLiteReports):
    def __init__(self, path: Path) -> None:
        self._path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._commit_lock: int | None = None

    async def open(self) -> None:
        """Connect and create the schema; on failure, close what was opened (its threads
        would otherwise keep the process alive)."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._writer = await self._connect()
            await self._writer.execute_fetchall("PRAGMA journal_mode=WAL")
            async with self._write_lock:
                await self._writer.executescript(
                    f"BEGIN IMMEDIATE;\n{SCHEMA}{VISITS_SCHEMA}{REPORTS_SCHEMA}\nCOMMIT;"
                )
            async with self._immediate() as db:
                await _migrate_agents(db)
            self._reader = await self._connect()
            lock = self._path.with_name(self._path.name + ".commit-lock")
            self._commit_lock = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except BaseException:
            await self.close()
            raise

    async def _connect(self) -> aiosqlite.Connection:
        db = await aiosqlite.connect(self._path, isolation_level=None)
        await db.execute("PRAGMA busy_timeout=10000")
        await db.execute("PRAGMA synchronous=FULL")
        await db.execute("PRAGMA foreign_keys=ON")
        return db

    async def close(self) -> None:
        for db in (self._reader, self._writer):
            if db is not None:
                await db.close()
        self._reader = self._writer = None
        if self._commit_lock is not None:
            os.close(self._commit_lock)
            self._commit_lock = None

    @property
    def _r(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise RuntimeError("store is not open")
        return self._reader

    @property
    def _w(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise RuntimeError("store is not open")
        return self._writer

    async def ping(self) -> None:
        await self._r.execute_fetchall("SELECT 1")

    async def secret(self, name: str, candidate: bytes) -> bytes:
        async with self._write_lock:
            await self._w.execute(
                "INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)", (name, candidate)
            )
        rows = await self._r.execute_fetchall("SELECT value FROM secrets WHERE name = ?", (name,))
        return bytes(list(rows)[0][0])

    async def add_agent(self, agent: AgentRecord) -> bool:
        async with self._immediate() as db:
            if agent.email is not None and list(
                await db.execute_fetchall("SELECT 1 FROM agents WHERE email = ?", (agent.email,))
            ):
                return False
            await db.execute(
                f"INSERT INTO agents ({_AGENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    agent.id,
                    agent.name,
                    agent.created_at,
                    agent.email,
                    agent.password_hash,
                    agent.role,
                    int(agent.disabled),
                    agent.capacity,
                ),
            )
            if agent.token_digest is not None:
                await db.execute(
                    "INSERT INTO agent_tokens (digest, agent_id, created_at, label) "
                    "VALUES (?, ?, ?, 'api')",
                    (agent.token_digest, agent.id, agent.created_at),
                )
        return True

    async def agent_by_digest(self, token_digest: str) -> AgentRecord | None:
        rows = list(
            await self._r.execute_fetchall(
                f"SELECT {_AGENT_COLUMNS} FROM agents WHERE id = "
                "(SELECT agent_id FROM agent_tokens WHERE digest = ?)",
                (token_digest,),
            )
        )
        return _agent(rows[0], token_digest) if rows else None

    async def agent(self, agent_id: str) -> AgentRecord | None:
        rows = list(
            await self._r.execute_fetchall(
                f"SELECT {_AGENT_COLUMNS} FROM agents WHERE id = ?", (agent_id,)
            )
        )
        return _agent(rows[0]) if rows else None

    async def agent_by_email(self, email: str) -> AgentRecord | None:
        rows = list(
            await self._r.execute_fetchall(
                f"SELECT {_AGENT_COLUMNS} FROM agents WHERE email = ?", (email,)
            )
        )
        return _agent(rows[0]) if rows else None

    async def agents(self, limit: int = 1000) -> list[AgentRecord]:
        rows = await self._r.execute_fetchall(
            f"SELECT {_AGENT_COLUMNS} FROM agents ORDER BY created_at, id LIMIT ?", (limit,)
        )
        return [_agent(row) for row in rows]

    async def update_agent(self, agent_id: str, changes: AgentChanges) -> AgentRecord | None:
        async with self._immediate() as db:
            rows = list(
                await db.execute_fetchall(
                    f"SELECT {_AGENT_COLUMNS} FROM agents WHERE id = ?", (agent_id,)
                )
            )
            if not rows:
                return None
            agent = _agent(rows[0])
            if removes_enabled_admin(agent, changes):
                others = list(
                    await db.execute_fetchall(
                        "SELECT count(*) FROM agents "
                        "WHERE role = 'admin' AND disabled = 0 AND id != ?",
                        (agent_id,),
                    )
                )
                if others[0][0] == 0:
                    raise LastAdmin(agent_id)
            updated = dataclasses.replace(
                agent, **{k: v for k, v in dataclasses.asdict(changes).items() if v is not None}
            )
            await db.execute(
                "UPDATE agents SET name = ?, role = ?, disabled = ?, capacity = ?, "
                "password_hash = ? WHERE id = ?",
                (
                    updated.name,
                    updated.role,
                    int(updated.disabled),
                    updated.capacity,
                    updated.password_hash,
                    agent_id,
                ),
            )
        return updated

    async def add_agent_token(
        self, token_digest: str, agent_id: str, created_at: float, label: str
    ) -> None:
        async with self._write_lock:
            await self._w.execute(
                "INSERT INTO agent_tokens (digest, agent_id, created_at, label) "
                "VALUES (?, ?, ?, ?)",
                (token_digest, agent_id, created_at, label),
            )

    async def revoke_agent_token(self, token_digest: str, label: str) -> bool:
        async with self._write_lock:
            cursor = await self._w.execute(
                "DELETE FROM agent_tokens WHERE digest = ? AND label = ?", (token_digest, label)
            )
            return cursor.rowcount > 0

    async def revoke_agent_tokens(self, agent_id: str, label: str) -> int:
        async with self._write_lock:
            cursor = await self._w.execute(
                "DELETE FROM agent_tokens WHERE agent_id = ? AND label = ?", (agent_id, label)
            )
            return cursor.rowcount

    async def count_agents(self) -> int:
        rows = list(await self._r.execute_fetchall("SELECT count(*) FROM agents"))
        return int(rows[0][0])

    async def create_conversation(self, conversation_id: str, created_at: float) -> None:
        async with self._write_lock:
            await self._w.execute(
                "INSERT INTO conversations (id, created_at) VALUES (?, ?)",
                (conversation_id, created_at),
            )

    async def conversation(self, conversation_id: str) -> ConversationRecord | None:
        rows = list(
            await self._r.execute_fetchall(
                f"SELECT {_CONVERSATION_COLUMNS} FROM conversations WHERE id = ?",
                (conversation_id,),
            )
        )
        return _record(rows[0]) if rows else None

    async def summary(self, conversation_id: str) -> SummaryRecord | None:
        rows = list(
            await self._r.execute_fetchall(
                f"SELECT {_SUMMARY_COLUMNS} FROM conversations WHERE id = ?", (conversation_id,)
            )
        )
        return _summary(rows[0]) if rows else None

    async def conversations(
        self,
        *,
        status: str | None = None,
        agent_id: str | None = None,
        customer_id: str | None = None,
        limit: int = 200,
    ) -> list[SummaryRecord]:
        where, args = ["seq > 0"], []
        if status is not None:
            where.append("status = ?")
            args.append(status)
        if agent_id is not None:
            where.append("agent_id = ?")
            args.append(agent_id)
        if customer_id is not None:
            where.append("json_extract(summary, '$.visitor.customer_id') = ?")
            args.append(customer_id)
        rows = await self._r.execute_fetchall(
            f"SELECT {_SUMMARY_COLUMNS} FROM conversations WHERE {' AND '.join(where)} "
            "ORDER BY created_at DESC LIMIT ?",
            (*args, limit),
        )
        return [_summary(row) for row in rows]

    async def commit(self, appends: list[Append]) -> set[str]:
        if not appends:
            return set()
        rows = [_rows(a) for a in appends]
        async with self._write_lock:
            # The whole transaction is one trip to the connection's thread, in a few statements:
            # each statement hands CPython's lock to that thread and back, and behind a busy
            # event loop every hand-back waits out a switch interval (executemany of a round's
            # hundred events took 100 ms that way, one statement 10 ms; bench/relay.py).
            stale: set[str] = await self._w._execute(  # type: ignore[no-untyped-call]
                _commit_sync, self._w._conn, rows, self._commit_lock
            )
        return stale

    async def open_counts(self) -> dict[str, int]:
        rows = await self._r.execute_fetchall(
            "SELECT agent_id, count(*) FROM conversations "
            "WHERE status = 'active' AND agent_id IS NOT NULL GROUP BY agent_id"
        )
        return {agent_id: count for agent_id, count in rows}

    async def set_agent_status(self, agent_id: str, status: str, at: float) -> None:
        async with self._write_lock:
            await self._w.execute(
                "INSERT INTO agent_status (agent_id, status, changed_at) VALUES (?, ?, ?) "
                "ON CONFLICT (agent_id) DO UPDATE SET status = excluded.status, "
                "changed_at = excluded.changed_at",
                (agent_id, status, at),
            )

    async def mark_assigned(self, agent_id: str, at: float) -> None:
        async with self._write_lock:
            await self._w.execute(
                "INSERT INTO agent_status (agent_id, assigned_at) VALUES (?, ?) "
                "ON CONFLICT (agent_id) DO UPDATE SET assigned_at = excluded.assigned_at",
                (agent_id, at),
            )

    async def record_consoles(self, process_id: str, counts: dict[str, int], at: float) -> None:
        async with self._immediate() as db:
            await db.execute("DELETE FROM consoles WHERE process_id = ?", (process_id,))
            await db.executemany(
                "INSERT INTO consoles VALUES (?, ?, ?, ?)",
                [(process_id, agent, n, at) for agent, n in counts.items() if n > 0],
            )

    async def presence(self, seen_after: float) -> dict[str, PresenceRecord]:
        rows = await self._r.execute_fetchall(
            "SELECT agent_id, status, changed_at, assigned_at FROM agent_status"
        )
        found = {row[0]: PresenceRecord(row[0], row[1], row[2], row[3], 0) for row in rows}
        for agent_id, count in await self._r.execute_fetchall(
            "SELECT agent_id, sum(count) FROM consoles WHERE seen_at > ? GROUP BY agent_id",
            (seen_after,),
        ):
            known = found.get(agent_id) or PresenceRecord(agent_id, None, 0.0, 0.0, 0)
            found[agent_id] = dataclasses.replace(known, consoles=count)
        return found

    async def with_pending_uploads(self, limit: int = 1000) -> list[str]:
        rows = await self._r.execute_fetchall(
            "SELECT id FROM conversations "
            "WHERE json_extract(summary, '$.uploads_pending') > 0 LIMIT ?",
            (limit,),
        )
        return [row[0] for row in rows]

    async def events_after(self, conversation_id: str, after_seq: int, limit: int) -> list[Event]:
        rows = await self._r.execute_fetchall(
            "SELECT body FROM events WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (conversation_id, after_seq, limit),
        )
        return [decode(row[0]) for row in rows]

    async def events_of_type(
        self, conversation_id: str, type_: str, before_seq: int | None, limit: int
    ) -> list[Event]:
        rows = await self._r.execute_fetchall(
            f"SELECT body FROM events WHERE conversation_id = ? AND type = ? AND seq < ? "
            f"AND {INDEXED_EVENTS} ORDER BY seq DESC LIMIT ?",
            (conversation_id, type_, 2**62 if before_seq is None else before_seq, limit),
        )
        return [decode(row[0]) for row in reversed(list(rows))]

    @asynccontextmanager
    async def _immediate(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction that holds SQLite's write lock from its first statement.

        A task cancelled while it waits for `BEGIN` still has it run on the connection's
        thread, so the rollback covers that wait too (else the next transaction on the
        connection would find this one open)."""
        async with self._write_lock:
            db = self._w
            try:
                await db.execute("BEGIN IMMEDIATE")
                yield db
            except BaseException:
                with contextlib.suppress(sqlite3.OperationalError):
                    await db.execute("ROLLBACK")
                raise
            await db.execute("COMMIT")

    async def backup(self, destination: Path) -> None:
        """A consistent copy of the database at `destination`, taken with SQLite's online
        backup API while the server keeps writing (a temp name, then renamed)."""
        await asyncio.to_thread(_backup, self._path, destination)

    async def erase_conversation(self, conversation_id: str) -> bool:
        async with self._immediate() as db:
            await db.execute("DELETE FROM events WHERE conversation_id = ?", (conversation_id,))
            await db.execute("DELETE FROM pins WHERE conversation_id = ?", (conversation_id,))
            await db.execute(
                "DELETE FROM counters WHERE key IN (?, ?, ?)",
                tuple(
                    f"{kind}:{conversation_id}"
                    for kind in ("uploads", "upload-bytes", "conversation")
                ),
            )
            cursor = await db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            return cursor.rowcount > 0

    async def media_in_use(self, media_ids: list[str]) -> set[str]:
        if not media_ids:
            return set()
        marks = ",".join("?" * len(media_ids))
        rows = await self._r.execute_fetchall(
            "SELECT media_id FROM ("
            "  SELECT json_extract(CAST(body AS TEXT), '$.data.media_id') AS media_id"
            "  FROM events WHERE type = 'media.processing'"
            "  UNION SELECT media_id FROM catalogue"
            f") WHERE media_id IN ({marks})",
            media_ids,
        )
        return {row[0] for row in rows}

    async def closed_before(self, before: float, limit: int = 500) -> list[str]:
        rows = await self._r.execute_fetchall(
            "SELECT c.id FROM conversations c WHERE c.status = 'closed' AND ("
            "  SELECT json_extract(CAST(e.body AS TEXT), '$.at') FROM events e"
            "  WHERE e.conversation_id = c.id AND e.seq = c.seq) < ? LIMIT ?",
            (before, limit),
        )
        return [row[0] for row in rows]

    async def add_pin(self, pin: Pin) -> bool:
        async with self._immediate() as db:
            await db.execute("DELETE FROM pins WHERE expires_at <= ?", (pin.created_at,))
            taken = await db.execute_fetchall("SELECT 1 FROM pins WHERE digest = ?", (pin.digest,))
            if list(taken):
                return False
            await db.execute(
                "DELETE FROM pins WHERE conversation_id = ? AND used_at IS NULL",
                (pin.conversation_id,),
            )
            await db.execute(
                f"INSERT INTO pins ({_PIN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    pin.digest,
                    pin.conversation_id,
                    pin.redeemer,
                    pin.issuer_id,
                    pin.created_at,
                    pin.expires_at,
                    pin.used_at,
                ),
            )
        return True

    async def pin(self, digest: str) -> Pin | None:
        rows = list(
            await self._r.execute_fetchall(
                f"SELECT {_PIN_COLUMNS} FROM pins WHERE digest = ?", (digest,)
            )
        )
        return Pin(*rows[0]) if rows else None

    async def claim_pin(self, digest: str, redeemer: Redeemer, now: float) -> Pin | None:
        async with self._write_lock:
            rows = list(
                await self._w.execute_fetchall(
                    "UPDATE pins SET used_at = ? WHERE digest = ? AND redeemer = ? "
                    f"AND used_at IS NULL AND expires_at > ? RETURNING {_PIN_COLUMNS}",
                    (now, digest, redeemer, now),
                )
            )
        return Pin(*rows[0]) if rows else None

    async def count_attempt(
        self, key: str, now: float, reset_before: float, amount: int = 1
    ) -> Attempts:
        async with self._immediate() as db:
            await db.execute("DELETE FROM counters WHERE expires <= ?", (now,))
            rows = list(
                await db.execute_fetchall(
                    "INSERT INTO counters (key, count, started, expires) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET count = count + excluded.count "
                    "RETURNING count, started",
                    (key, amount, now, now + (now - reset_before)),
                )
            )
        return Attempts(*rows[0])

    async def forgive_attempt(self, key: str) -> None:
        async with self._write_lock:
            await self._w.execute(
                "UPDATE counters SET count = count - 1 WHERE key = ? AND count > 0", (key,)
            )

    async def attempts(self, key: str) -> Attempts | None:
        rows = list(
            await self._r.execute_fetchall(
                "SELECT count, started FROM counters WHERE key = ?", (key,)
            )
        )
        return Attempts(*rows[0]) if rows else None

    async def add_catalogue_item(self, item: CatalogueRecord) -> bool:
        async with self._write_lock:
            cursor = await self._w.execute(
                f"INSERT OR IGNORE INTO catalogue ({_CATALOGUE_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    item.id,
                    item.title,
                    item.description,
                    item.kind,
                    item.media_id,
                    item.width,
                    item.height,
                    item.created_at,
                    item.price,
                    item.currency,
                    item.duration,
                    item.added_by,
                ),
            )
            return cursor.rowcount == 1

    async def catalogue_item(self, item_id: str) -> CatalogueRecord | None:
        rows = list(
            await self._r.execute_fetchall(
                f"SELECT {_CATALOGUE_COLUMNS} FROM catalogue WHERE id = ?", (item_id,)
            )
        )
        return CatalogueRecord(*rows[0]) if rows else None

    async def catalogue_items(self, limit: int = 1000) -> list[CatalogueRecord]:
        rows = await self._r.execute_fetchall(
            f"SELECT {_CATALOGUE_COLUMNS} FROM catalogue ORDER BY created_at, id LIMIT ?", (limit,)
        )
        return [CatalogueRecord(*row) for row in rows]

    async def add_push_subscription(self, subscription: PushSubscriptionRecord, keep: int) -> None:
        async with self._immediate() as db:
            await db.execute(
                f"INSERT OR REPLACE INTO push_subscriptions ({_PUSH_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    subscription.endpoint,
                    subscription.p256dh,
                    subscription.auth,
                    subscription.agent_id,
                    subscription.created_at,
                ),
            )
            await db.execute(
                "DELETE FROM push_subscriptions WHERE agent_id = ? AND endpoint NOT IN ("
                "  SELECT endpoint FROM push_subscriptions WHERE agent_id = ?"
                "  ORDER BY created_at DESC, endpoint DESC LIMIT ?)",
                (subscription.agent_id, subscription.agent_id, keep),
            )

    async def push_subscriptions(self, agent_ids: list[str]) -> list[PushSubscriptionRecord]:
        if not agent_ids:
            return []
        marks = ",".join("?" * len(agent_ids))
        rows = await self._r.execute_fetchall(
            f"SELECT {_PUSH_COLUMNS} FROM push_subscriptions WHERE agent_id IN ({marks}) "
            "ORDER BY created_at, endpoint",
            agent_ids,
        )
        return [PushSubscriptionRecord(*row) for row in rows]

    async def remove_push_subscription(self, endpoint: str, agent_id: str | None = None) -> bool:
        async with self._write_lock:
            if agent_id is None:
                cursor = await self._w.execute(
                    "DELETE FROM push_subscriptions WHERE endpoint = ?", (endpoint,)
                )
            else:
                cursor = await self._w.execute(
                    "DELETE FROM push_subscriptions WHERE endpoint = ? AND agent_id = ?",
                    (endpoint, agent_id),
                )
            return cursor.rowcount > 0

    async def add_reply(self, reply: ReplyRecord) -> bool:
        async with self._write_lock:
            try:
                await self._w.execute(
                    f"INSERT INTO replies ({_REPLY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    _reply_row(reply),
                )
            except sqlite3.IntegrityError:
                return False
        return True

    async def update_reply(self, reply: ReplyRecord) -> bool | None:
        async with self._write_lock:
            try:
                cursor = await self._w.execute(
                    "UPDATE replies SET owner_id = ?, shortcut = ?, text = ?, shared = ?, "
                    "created_at = ?, updated_at = ?, catalogue_id = ? WHERE id = ?",
                    (*_reply_row(reply)[1:], reply.id),
                )
            except sqlite3.IntegrityError:
                return False
        return True if cursor.rowcount > 0 else None

    async def reply(self, reply_id: str) -> ReplyRecord | None:
        rows = list(
            await self._r.execute_fetchall(
                f"SELECT {_REPLY_COLUMNS} FROM replies WHERE id = ?", (reply_id,)
            )
        )
        return _reply(rows[0]) if rows else None

    async def replies_for(self, owner_id: str, limit: int = 1000) -> list[ReplyRecord]:
        rows = await self._r.execute_fetchall(
            f"SELECT {_REPLY_COLUMNS} FROM replies WHERE shared OR owner_id = ? "
            "ORDER BY shortcut, shared, id LIMIT ?",
            (owner_id, limit),
        )
        return [_reply(row) for row in rows]

    async def delete_reply(self, reply_id: str) -> bool:
        async with self._write_lock:
            cursor = await self._w.execute("DELETE FROM replies WHERE id = ?", (reply_id,))
            return cursor.rowcount > 0

    async def add_webhook(self, hook: WebhookRecord) -> None:
        async with self._write_lock:
            await self._w.execute(
                f"INSERT INTO webhooks ({_WEBHOOK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    hook.id,
                    hook.url,
                    msgspec.json.encode(list(hook.events)).decode(),
                    hook.secret,
                    hook.created_at,
                    int(hook.enabled),
                    hook.created_by,
                ),
            )

    async def webhook(self, hook_id: str) -> WebhookRecord | None:
        rows = list(
            await self._r.execute_fetchall(
                f"SELECT {_WEBHOOK_COLUMNS} FROM webhooks WHERE id = ?", (hook_id,)
            )
        )
        return _webhook(rows[0]) if rows else None

    async def webhooks(self) -> list[WebhookRecord]:
        rows = await self._r.execute_fetchall(
            f"SELECT {_WEBHOOK_COLUMNS} FROM webhooks ORDER BY created_at, id"
        )
        return [_webhook(row) for row in rows]

    async def delete_webhook(self, hook_id: str) -> bool:
        async with self._immediate() as db:
            await db.execute("DELETE FROM webhook_deliveries WHERE hook_id = ?", (hook_id,))
            cursor = await db.execute("DELETE FROM webhooks WHERE id = ?", (hook_id,))
            return cursor.rowcount > 0

    async def add_webhook_deliveries(self, deliveries: list[WebhookDeliveryRecord]) -> None:
        if not deliveries:
            return
        async with self._write_lock:
            await self._w.executemany(
                f"INSERT INTO webhook_deliveries ({_DELIVERY_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [dataclasses.astuple(d) for d in deliveries],
            )

    async def claim_webhook_deliveries(
        self, now: float, lease_until: float, claimer: str, limit: int
    ) -> list[WebhookDeliveryRecord]:
        # One statement: SQLite's write lock makes it atomic across connections and processes.
        async with self._write_lock:
            rows = await self._w.execute_fetchall(
                "UPDATE webhook_deliveries SET claimer = ?, leased_until = ? WHERE id IN ("
                "  SELECT id FROM webhook_deliveries WHERE state = 'pending'"
                "  AND next_attempt_at <= ? AND leased_until <= ?"
                "  ORDER BY next_attempt_at, id LIMIT ?"
                f") RETURNING {_DELIVERY_COLUMNS}",
                (claimer, lease_until, now, now, limit),
            )
        found = [_delivery(row) for row in rows]
        return sorted(found, key=lambda d: (d.next_attempt_at, d.id))

    async def next_webhook_attempt(self) -> float | None:
        rows = list(
            await self._r.execute_fetchall(
                "SELECT min(max(next_attempt_at, leased_until)) FROM webhook_deliveries "
                "WHERE state = 'pending'"
            )
        )
        return None if rows[0][0] is None else float(rows[0][0])

    async def settle_webhook_delivery(self, delivery: WebhookDeliveryRecord, claimer: str) -> bool:
        async with self._write_lock:
            cursor = await self._w.execute(
                "UPDATE webhook_deliveries SET state = ?, attempts = ?, last_status = ?, "
                "last_error = ?, next_attempt_at = ?, delivered_at = ?, finished_at = ?, "
                "claimer = NULL, leased_until = 0 WHERE id = ? AND claimer = ?",
                (
                    delivery.state,
                    delivery.attempts,
                    delivery.last_status,
                    delivery.last_error,
                    delivery.next_attempt_at,
                    delivery.delivered_at,
                    delivery.finished_at,
                    delivery.id,
                    claimer,
                ),
            )
            return cursor.rowcount > 0

    async def webhook_deliveries(
        self, hook_id: str, limit: int = 50
    ) -> list[WebhookDeliveryRecord]:
        rows = await self._r.execute_fetchall(
            f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE hook_id = ? "
            "ORDER BY created_at DESC, id DESC LIMIT ?",
            (hook_id, limit),
        )
        return [_delivery(row) for row in rows]

    async def drop_webhook_deliveries(self, finished_before: float) -> int:
        async with self._write_lock:
            cursor = await self._w.execute(
                "DELETE FROM webhook_deliveries WHERE state != 'pending' AND finished_at < ?",
                (finished_before,),
            )
            return cursor.rowcount


def _webhook(row: Any) -> WebhookRecord:
    id_, url, events, secret, created_at, enabled, created_by = row
    return WebhookRecord(
        id_,
        url,
        tuple(msgspec.json.decode(events)),
        secret,
        created_at,
        bool(enabled),
        created_by,
    )


def _delivery(row: Any) -> WebhookDeliveryRecord:
    id_, hook_id, event, body, created_at, next_at, state, attempts, status, error, done, end = row
    return WebhookDeliveryRecord(
        id_,
        hook_id,
        event,
        bytes(body),
        created_at,
        next_at,
        state,
        attempts,
        status,
        error,
        done,
        end,
    )


def _reply_row(reply: ReplyRecord) -> tuple[Any, ...]:
    return (
        reply.id,
        reply.owner_id,
        reply.shortcut,
        reply.text,
        int(reply.shared),
        reply.created_at,
        reply.updated_at,
        reply.catalogue_id,
    )


def _reply(row: Any) -> ReplyRecord:
    id_, owner_id, shortcut, text, shared, created_at, updated_at, catalogue_id = row
    return ReplyRecord(
        id_, owner_id, shortcut, text, bool(shared), created_at, updated_at, catalogue_id
    )


async def _migrate_agents(db: aiosqlite.Connection) -> None:
    """Bring an `agents` table of an older version to this one, in the open transaction.

    It had one token each (`token_digest`, NOT NULL): the tokens move to `agent_tokens` as
    `api` tokens and the table is rebuilt without that column (SQLite cannot drop a NOT NULL
    constraint), keeping every agent as a plain `agent`. Then the e-mail index is made.
    """
    columns = {row[1] for row in await db.execute_fetchall("PRAGMA table_info(agents)")}
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


def _agent(row: Any, token_digest: str | None = None) -> AgentRecord:
    id_, name, created_at, email, password_hash, role, disabled, capacity = row
    return AgentRecord(
        id_,
        name,
        token_digest,
        created_at,
        email=email,
        password_hash=password_hash,
        role="admin" if role == "admin" else "agent",
        disabled=bool(disabled),
        capacity=capacity,
    )


def _backup(source: Path, destination: Path) -> None:
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    partial.replace(destination)


@dataclasses.dataclass(frozen=True)
class _Rows:
    """One append as the parameters of its statements, made before the trip to the thread:
    `update` sets the summary too (7 values), `moved` the seq and maybe snapshot only (4)."""

    conversation_id: str
    expected_seq: int
    events: list[tuple[Any, ...]]
    update: tuple[Any, ...] | None
    moved: tuple[Any, ...] | None


_CHUNK = 500
"""Rows per multi-row statement (4 or 7 parameters each: far below SQLite's 32766)."""


def _commit_sync(db: sqlite3.Connection, appends: list[_Rows], lock: int | None) -> set[str]:
    """Write the appends that are not stale in one IMMEDIATE transaction; return the stale ids.

    Processes sharing the database take turns on `lock` (a file lock beside it) first: the
    kernel hands it over the moment it is released, where SQLite's busy handler, finding its
    write lock taken, sleeps 1, 2, 5, 10… ms before trying again."""
    if lock is not None:
        fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        return _write(db, appends)
    finally:
        if lock is not None:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write(db: sqlite3.Connection, appends: list[_Rows]) -> set[str]:
    db.execute("BEGIN IMMEDIATE")
    try:
        ids = [a.conversation_id for a in appends]
        marks = ",".join("?" * len(ids))
        current = dict(
            db.execute(f"SELECT id, seq FROM conversations WHERE id IN ({marks})", ids).fetchall()
        )
        stale = {
            a.conversation_id for a in appends if current.get(a.conversation_id) != a.expected_seq
        }
        fresh = [a for a in appends if a.conversation_id not in stale]
        _in_chunks(
            db,
            "INSERT INTO events (conversation_id, seq, type, body) VALUES {values}",
            [row for a in fresh for row in a.events],
        )
        _in_chunks(
            db,
            "UPDATE conversations AS c SET seq = v.column2, status = v.column3, "
            "agent_id = v.column4, summary = v.column5, "
            "snapshot = coalesce(v.column6, c.snapshot), "
            "snapshot_seq = CASE WHEN v.column6 IS NULL THEN c.snapshot_seq ELSE v.column7 END "
            "FROM (VALUES {values}) AS v WHERE c.id = v.column1",
            [a.update for a in fresh if a.update is not None],
        )
        _in_chunks(
            db,
            "UPDATE conversations AS c SET seq = v.column2, "
            "snapshot = coalesce(v.column3, c.snapshot), "
            "snapshot_seq = CASE WHEN v.column3 IS NULL THEN c.snapshot_seq ELSE v.column4 END "
            "FROM (VALUES {values}) AS v WHERE c.id = v.column1",
            [a.moved for a in fresh if a.moved is not None],
        )
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return stale


def _in_chunks(db: sqlite3.Connection, statement: str, rows: list[tuple[Any, ...]]) -> None:
    """Run `statement` over `rows`, `_CHUNK` of them at a time, each chunk as the multi-row
    VALUES list that stands for `{values}` in it."""
    for start in range(0, len(rows), _CHUNK):
        part = rows[start : start + _CHUNK]
        marks = "(" + ", ".join("?" * len(part[0])) + ")"
        values = ",".join([marks] * len(part))
        db.execute(statement.format(values=values), [value for row in part for value in row])


def _record(row: Any) -> ConversationRecord:
    id_, created_at, seq, summary, snapshot, snapshot_seq = row
    return ConversationRecord(
        id_, created_at, seq, with_seq(msgspec.json.decode(summary), seq), snapshot, snapshot_seq
    )


def _summary(row: Any) -> SummaryRecord:
    id_, created_at, seq, summary = row
    return SummaryRecord(id_, created_at, seq, with_seq(msgspec.json.decode(summary), seq))


def _rows(a: Append) -> _Rows:
    if not a.events:
        return _Rows(a.conversation_id, a.expected_seq, [], None, None)
    events = [(e.conversation_id, e.seq, e.type, encode(e)) for e in a.events]
    last = a.events[-1].seq
    snapshot = (a.snapshot, last if a.snapshot is not None else None)
    if a.summary is None:
        moved = (a.conversation_id, last, *snapshot)
        return _Rows(a.conversation_id, a.expected_seq, events, None, moved)
    status, agent_id = a.summary.get("status", "waiting"), a.summary.get("agent_id")
    summary = msgspec.json.encode(a.summary)
    update = (a.conversation_id, last, status, agent_id, summary, *snapshot)
    return _Rows(a.conversation_id, a.expected_seq, events, update, None)
