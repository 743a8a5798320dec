"""The Store contract for the team: agents with e-mails and roles, their tokens, the last admin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from covisor.store import AgentChanges, AgentRecord, LastAdmin


def agent(agent_id: str, digest: str | None = None, **fields: Any) -> AgentRecord:
    return AgentRecord(agent_id, agent_id.title(), digest, 1.0 + len(agent_id), **fields)


async def test_an_agent_keeps_every_field(store: Any) -> None:
    ann = agent(
        "ann",
        "d-ann",
        email="ann@shop.test",
        password_hash="scrypt$x",
        role="admin",
        disabled=True,
        capacity=5,
    )
    assert await store.add_agent(ann)
    assert await store.agent_by_digest("d-ann") == ann
    listed = AgentRecord(**{**ann.__dict__, "token_digest": None})
    assert await store.agent("ann") == listed
    assert await store.agent_by_email("ann@shop.test") == listed
    assert await store.agent("bob") is None
    assert await store.agent_by_email("bob@shop.test") is None


async def test_an_agent_without_token_or_email_has_the_defaults(store: Any) -> None:
    assert await store.add_agent(agent("ann"))
    assert await store.add_agent(agent("bob"))
    found = await store.agent("ann")
    assert found == agent("ann")
    assert (found.role, found.disabled, found.capacity, found.email) == ("agent", False, 3, None)
    assert [a.id for a in await store.agents()] == ["ann", "bob"]
    assert await store.count_agents() == 2


async def test_an_email_belongs_to_one_agent(store: Any) -> None:
    assert await store.add_agent(agent("ann", "d1", email="x@shop.test"))
    assert not await store.add_agent(agent("bob", "d2", email="x@shop.test"))
    assert await store.agent("bob") is None
    assert await store.agent_by_digest("d2") is None
    assert await store.count_agents() == 1


async def test_agents_are_listed_oldest_first(store: Any) -> None:
    for agent_id, at in (("c", 3.0), ("a", 1.0), ("b", 1.0)):
        await store.add_agent(AgentRecord(agent_id, agent_id, None, at))
    assert [a.id for a in await store.agents()] == ["a", "b", "c"]
    assert [a.id for a in await store.agents(limit=2)] == ["a", "b"]


async def test_an_agent_has_several_tokens_revoked_by_label(store: Any) -> None:
    await store.add_agent(agent("ann", "api-1"))
    await store.add_agent_token("login-1", "ann", 2.0, "login")
    await store.add_agent_token("login-2", "ann", 3.0, "login")
    for digest in ("api-1", "login-1", "login-2"):
        found = await store.agent_by_digest(digest)
        assert found is not None and found.id == "ann" and found.token_digest == digest
    assert not await store.revoke_agent_token("api-1", "login")
    assert await store.revoke_agent_token("login-1", "login")
    assert not await store.revoke_agent_token("login-1", "login")
    assert await store.agent_by_digest("login-1") is None
    assert await store.agent_by_digest("api-1") is not None
    await store.add_agent_token("login-3", "ann", 4.0, "login")
    assert await store.revoke_agent_tokens("ann", "login") == 2
    assert await store.agent_by_digest("login-2") is None
    assert await store.agent_by_digest("api-1") is not None


async def test_update_changes_only_what_is_given(store: Any) -> None:
    await store.add_agent(agent("ann", "d1", email="ann@shop.test"))
    updated = await store.update_agent("ann", AgentChanges(name="Anna", capacity=7))
    created_at = agent("ann").created_at
    assert updated == AgentRecord(
        "ann", "Anna", None, created_at, email="ann@shop.test", capacity=7
    )
    assert await store.agent("ann") == updated
    changed = await store.update_agent("ann", AgentChanges(disabled=True, password_hash="h"))
    assert changed is not None and changed.disabled and changed.password_hash == "h"
    assert changed.name == "Anna" and changed.capacity == 7
    assert await store.update_agent("nobody", AgentChanges(name="X")) is None


async def test_the_last_enabled_admin_stays_one(store: Any) -> None:
    await store.add_agent(agent("ann", role="admin"))
    await store.add_agent(agent("bob"))
    for changes in (AgentChanges(role="agent"), AgentChanges(disabled=True)):
        with pytest.raises(LastAdmin):
            await store.update_agent("ann", changes)
    assert await store.agent("ann") == agent("ann", role="admin")
    assert await store.update_agent("ann", AgentChanges(name="Ann", capacity=1)) is not None
    await store.update_agent("bob", AgentChanges(role="admin"))
    demoted = await store.update_agent("ann", AgentChanges(role="agent"))
    assert demoted is not None and demoted.role == "agent"
    with pytest.raises(LastAdmin):
        await store.update_agent("bob", AgentChanges(disabled=True))


async def test_a_disabled_admin_does_not_count(store: Any) -> None:
    await store.add_agent(agent("ann", role="admin"))
    await store.add_agent(agent("bob", role="admin", disabled=True))
    with pytest.raises(LastAdmin):
        await store.update_agent("ann", AgentChanges(role="agent"))
    demoted = await store.update_agent("bob", AgentChanges(role="agent"))
    assert demoted is not None and demoted.role == "agent"


async def test_sqlite_moves_the_tokens_of_an_older_database(tmp_path: Path) -> None:
    from covisor.store.sql import SQLiteStore

    path = tmp_path / "old.sqlite3"
    async with aiosqlite.connect(path) as db:
        await db.execute(
            "CREATE TABLE agents (id TEXT PRIMARY KEY, name TEXT NOT NULL, "
            "token_digest TEXT NOT NULL UNIQUE, created_at REAL NOT NULL)"
        )
        await db.execute("INSERT INTO agents VALUES ('a_1', 'Ann', 'digest-1', 5.0)")
        await db.commit()
    for opening in range(2):  # the second open finds the new schema and changes nothing
        store = SQLiteStore(path)
        await store.open()
        try:
            assert await store.agent_by_digest("digest-1") == AgentRecord(
                "a_1", "Ann", "digest-1", 5.0
            )
            bob = AgentRecord(f"b_{opening}", "Bob", None, 6.0, email=f"b{opening}@s.t")
            assert await store.add_agent(bob)
            assert not await store.add_agent(AgentRecord("e", "Eve", None, 7.0, email=bob.email))
            assert await store.count_agents() == 2 + opening
        finally:
            await store.close()


async def test_an_agent_reads_a_language_until_it_says_none(store: Any) -> None:
    await store.add_agent(AgentRecord("ann", "Ann", None, 1.0))
    assert (await store.agent("ann")).language is None
    assert await store.set_agent_language("ann", "es") is True
    assert (await store.agent("ann")).language == "es"
    assert [a.language for a in await store.agents()] == ["es"]
    await store.update_agent("ann", AgentChanges(capacity=4))
    assert (await store.agent("ann")).language == "es"
    assert await store.set_agent_language("ann", None) is True
    assert (await store.agent("ann")).language is None
    assert await store.set_agent_language("nobody", "en") is False
