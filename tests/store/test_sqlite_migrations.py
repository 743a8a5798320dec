"""The SQLite schema's numbered migrations: a fresh database gets them all, an older unversioned
one is upgraded in place, a newer one is refused, and processes opening at once apply each once."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sqlite3
from pathlib import Path

import pytest

from covisor.config import Config
from covisor.store import AgentRecord
from covisor.store.records import ConversionItem, ConversionRecord
from covisor.store.sql import SQLiteStore
from covisor.store.sql import migrations as migrations_module
from covisor.store.sql.db import Tx
from covisor.store.sql.migrations import SQLITE_MIGRATIONS, Migration, SchemaTooNew
from tests.conftest import serve_process

KNOWN = [m.version for m in SQLITE_MIGRATIONS]


def versions(path: Path) -> list[tuple[int, float]]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT version, applied_at FROM schema_migrations ORDER BY version")
        return [(int(v), float(at)) for v, at in rows]


def names(path: Path, kind: str) -> set[str]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type = ?", (kind,))
        return {row[0] for row in rows}


async def opened(path: Path) -> SQLiteStore:
    store = SQLiteStore(path)
    await store.open()
    return store


def test_the_migrations_are_numbered_from_1_without_a_gap() -> None:
    assert KNOWN == list(range(1, len(SQLITE_MIGRATIONS) + 1))


async def test_a_fresh_database_gets_every_migration_once(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    store = await opened(path)
    await store.close()
    stamped = versions(path)
    assert [v for v, _ in stamped] == KNOWN
    assert {"agents", "agent_tokens", "conversations", "events", "visitors"} <= names(path, "table")
    assert {"products", "conversion_items"} <= names(path, "table")
    assert {"events_by_kind", "agents_by_email", "conversions_by_visitor"} <= names(path, "index")
    store = await opened(path)  # opening again applies nothing
    await store.close()
    assert versions(path) == stamped


async def test_an_older_database_is_upgraded_in_place_and_keeps_its_rows(tmp_path: Path) -> None:
    """The shape an unversioned Covisor left: an agents table with one token each, the
    `events_by_type` index and the `pin_attempts` table later versions dropped."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE agents (id TEXT PRIMARY KEY, name TEXT NOT NULL,
                token_digest TEXT NOT NULL UNIQUE, created_at REAL NOT NULL);
            INSERT INTO agents VALUES ('a_1', 'Ann', 'digest-1', 5.0);
            CREATE TABLE conversations (id TEXT PRIMARY KEY, created_at REAL NOT NULL,
                seq INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL DEFAULT 'waiting',
                agent_id TEXT, summary TEXT NOT NULL DEFAULT '{}', snapshot BLOB,
                snapshot_seq INTEGER NOT NULL DEFAULT 0);
            INSERT INTO conversations (id, created_at, seq) VALUES ('c_1', 1.0, 2);
            CREATE TABLE events (conversation_id TEXT NOT NULL, seq INTEGER NOT NULL,
                type TEXT NOT NULL, body BLOB NOT NULL, PRIMARY KEY (conversation_id, seq))
                WITHOUT ROWID;
            CREATE INDEX events_by_type ON events (conversation_id, type, seq);
            INSERT INTO events VALUES ('c_1', 1, 'chat.message', x'7b7d'),
                ('c_1', 2, 'chat.message', x'7b7d');
            CREATE TABLE pin_attempts (key TEXT PRIMARY KEY, count INTEGER NOT NULL);
            """
        )
    store = await opened(path)
    try:
        assert await store.agent_by_digest("digest-1") == AgentRecord("a_1", "Ann", "digest-1", 5.0)
        conversation = await store.conversation("c_1")
        assert conversation is not None and conversation.seq == 2
        assert await store.add_agent(AgentRecord("b", "Bob", None, 6.0, email="b@s.t"))
    finally:
        await store.close()
    assert [v for v, _ in versions(path)] == KNOWN
    assert "events_by_type" not in names(path, "index")
    assert "events_by_kind" in names(path, "index")
    assert "pin_attempts" not in names(path, "table")
    assert "agents_before_tokens" not in names(path, "table")
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM events").fetchone() == (2,)
        columns = {row[1] for row in db.execute("PRAGMA table_info(agents)")}
        assert "token_digest" not in columns and "capacity" in columns


async def test_a_database_of_a_newer_covisor_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "newer.sqlite3"
    store = await opened(path)
    await store.close()
    newer = len(SQLITE_MIGRATIONS) + 2
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO schema_migrations VALUES (?, 0)", (newer,))
    store = SQLiteStore(path)
    with pytest.raises(SchemaTooNew) as refused:
        await store.open()
    assert str(refused.value) == (
        f"the database at {path} has schema version {newer}; "
        f"this Covisor knows up to {len(SQLITE_MIGRATIONS)}: upgrade Covisor"
    )
    assert isinstance(refused.value, ValueError)
    with pytest.raises(RuntimeError, match="not open"):
        await store.ping()  # closed again
    assert [v for v, _ in versions(path)] == [*KNOWN, newer]


async def test_serve_says_in_one_line_that_the_database_is_newer(tmp_path: Path) -> None:
    data = tmp_path / "data"
    path = Config(data_dir=data).database_path
    store = await opened(path)
    await store.close()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO schema_migrations VALUES (?, 0)", (len(SQLITE_MIGRATIONS) + 1,))
    process = await serve_process(
        data,
        env={**os.environ, "COVISOR_SEED_DEMO": "0", "COVISOR_MEDIA_WORKERS": "1"},
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert err.decode() == (
        f"covisor: the database at {path} has schema version {len(SQLITE_MIGRATIONS) + 1}; "
        f"this Covisor knows up to {len(SQLITE_MIGRATIONS)}: upgrade Covisor\n"
    )
    assert b"Traceback" not in out


def counting(calls: list[int], fail: bool = False) -> Migration:
    """Migration `len(SQLITE_MIGRATIONS) + 1`: a table of its own (made twice, it would fail)."""

    async def apply(db: Tx) -> None:
        calls.append(1)
        await db.execute("CREATE TABLE probe (id INTEGER PRIMARY KEY)")
        if fail:
            raise RuntimeError("migration failed")

    return Migration(len(SQLITE_MIGRATIONS) + 1, "a test's", apply)


def with_probe(monkeypatch: pytest.MonkeyPatch, probe: Migration) -> None:
    monkeypatch.setattr(migrations_module, "SQLITE_MIGRATIONS", (*SQLITE_MIGRATIONS, probe))


async def test_processes_opening_at_once_apply_each_migration_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    monkeypatch.setattr(
        migrations_module, "SQLITE_MIGRATIONS", (*SQLITE_MIGRATIONS, counting(calls))
    )
    path = tmp_path / "shared.sqlite3"
    stores = [SQLiteStore(path) for _ in range(4)]
    await asyncio.gather(*(store.open() for store in stores))
    try:
        for store in stores:
            await store.ping()
    finally:
        for store in stores:
            await store.close()
    assert calls == [1]
    assert [v for v, _ in versions(path)] == [*KNOWN, len(SQLITE_MIGRATIONS) + 1]


async def test_a_later_migration_upgrades_a_database_at_an_earlier_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "v1.sqlite3"
    store = await opened(path)
    await store.close()
    before = versions(path)
    calls: list[int] = []
    monkeypatch.setattr(
        migrations_module, "SQLITE_MIGRATIONS", (*SQLITE_MIGRATIONS, counting(calls))
    )
    store = await opened(path)
    await store.close()
    assert calls == [1]
    assert versions(path)[: len(before)] == before
    assert [v for v, _ in versions(path)] == [*KNOWN, len(SQLITE_MIGRATIONS) + 1]
    assert "probe" in names(path, "table")


async def test_a_failing_migration_leaves_the_database_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "v1.sqlite3"
    store = await opened(path)
    await store.close()
    calls: list[int] = []
    monkeypatch.setattr(
        migrations_module, "SQLITE_MIGRATIONS", (*SQLITE_MIGRATIONS, counting(calls, fail=True))
    )
    with pytest.raises(RuntimeError, match="migration failed"):
        await SQLiteStore(path).open()
    assert calls == [1]
    assert [v for v, _ in versions(path)] == KNOWN
    assert "probe" not in names(path, "table")


async def test_migration_3_adds_the_items_of_conversions_and_keeps_the_conversions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "v2.sqlite3"
    with monkeypatch.context() as patch:
        patch.setattr(migrations_module, "SQLITE_MIGRATIONS", SQLITE_MIGRATIONS[:2])
        store = await opened(path)
        before = ConversionRecord("o-1", "v1", "10.00", "EUR", "phone", False, 1.0)
        assert await store.add_conversion(before)
        await store.close()
    assert "conversion_items" not in names(path, "table")
    store = await opened(path)
    try:
        item = ConversionItem("P", None, 1, "10.00")
        assert not await store.add_conversion(dataclasses.replace(before, items=(item,)))
        after = ConversionRecord("o-2", "v1", "10.00", "EUR", "phone", False, 2.0, None, (item,))
        assert await store.add_conversion(after)
    finally:
        await store.close()
    assert [v for v, _ in versions(path)] == KNOWN
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT order_id FROM conversions ORDER BY 1").fetchall() == [
            ("o-1",),
            ("o-2",),
        ]
        assert db.execute("SELECT order_id, product_id FROM conversion_items").fetchall() == [
            ("o-2", "P")
        ]
