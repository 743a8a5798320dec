"""`AgentStore` on SQLite: agents and their tokens."""

from __future__ import annotations

import dataclasses
from typing import Any

from covisor.store.records import AgentChanges, AgentRecord, LastAdmin, removes_enabled_admin
from covisor.store.sql.db import HasDb

_AGENT_COLUMNS = "id, name, created_at, email, password_hash, role, disabled, capacity, language"


class SQLAgents:
    """Mixed into `SQLStore` (each method's `self` is one: see `HasDb`)."""

    async def add_agent(self: HasDb, agent: AgentRecord) -> bool:
        async with self._db.transaction() as db:
            if agent.email is not None and list(
                await db.fetch("SELECT 1 FROM agents WHERE email = ?", (agent.email,))
            ):
                return False
            await db.execute(
                f"INSERT INTO agents ({_AGENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    agent.id,
                    agent.name,
                    agent.created_at,
                    agent.email,
                    agent.password_hash,
                    agent.role,
                    int(agent.disabled),
                    agent.capacity,
                    agent.language,
                ),
            )
            if agent.token_digest is not None:
                await db.execute(
                    "INSERT INTO agent_tokens (digest, agent_id, created_at, label) "
                    "VALUES (?, ?, ?, 'api')",
                    (agent.token_digest, agent.id, agent.created_at),
                )
        return True

    async def agent_by_digest(self: HasDb, token_digest: str) -> AgentRecord | None:
        rows = list(
            await self._db.fetch(
                f"SELECT {_AGENT_COLUMNS} FROM agents WHERE id = "
                "(SELECT agent_id FROM agent_tokens WHERE digest = ?)",
                (token_digest,),
            )
        )
        return _agent(rows[0], token_digest) if rows else None

    async def agent(self: HasDb, agent_id: str) -> AgentRecord | None:
        rows = list(
            await self._db.fetch(f"SELECT {_AGENT_COLUMNS} FROM agents WHERE id = ?", (agent_id,))
        )
        return _agent(rows[0]) if rows else None

    async def agent_by_email(self: HasDb, email: str) -> AgentRecord | None:
        rows = list(
            await self._db.fetch(f"SELECT {_AGENT_COLUMNS} FROM agents WHERE email = ?", (email,))
        )
        return _agent(rows[0]) if rows else None

    async def agents(self: HasDb, limit: int = 1000) -> list[AgentRecord]:
        rows = await self._db.fetch(
            f"SELECT {_AGENT_COLUMNS} FROM agents ORDER BY created_at, id LIMIT ?", (limit,)
        )
        return [_agent(row) for row in rows]

    async def update_agent(self: HasDb, agent_id: str, changes: AgentChanges) -> AgentRecord | None:
        async with self._db.transaction() as db:
            rows = list(
                await db.fetch(f"SELECT {_AGENT_COLUMNS} FROM agents WHERE id = ?", (agent_id,))
            )
            if not rows:
                return None
            agent = _agent(rows[0])
            if removes_enabled_admin(agent, changes):
                others = list(
                    await db.fetch(
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

    async def set_agent_language(self: HasDb, agent_id: str, language: str | None) -> bool:
        changed = await self._db.execute(
            "UPDATE agents SET language = ? WHERE id = ?", (language, agent_id)
        )
        return changed > 0

    async def add_agent_token(
        self: HasDb, token_digest: str, agent_id: str, created_at: float, label: str
    ) -> None:
        await self._db.execute(
            "INSERT INTO agent_tokens (digest, agent_id, created_at, label) VALUES (?, ?, ?, ?)",
            (token_digest, agent_id, created_at, label),
        )

    async def revoke_agent_token(self: HasDb, token_digest: str, label: str) -> bool:
        changed = await self._db.execute(
            "DELETE FROM agent_tokens WHERE digest = ? AND label = ?", (token_digest, label)
        )
        return changed > 0

    async def revoke_agent_tokens(self: HasDb, agent_id: str, label: str) -> int:
        changed = await self._db.execute(
            "DELETE FROM agent_tokens WHERE agent_id = ? AND label = ?", (agent_id, label)
        )
        return changed

    async def count_agents(self: HasDb) -> int:
        rows = list(await self._db.fetch("SELECT count(*) FROM agents"))
        return int(rows[0][0])


def _agent(row: Any, token_digest: str | None = None) -> AgentRecord:
    id_, name, created_at, email, password_hash, role, disabled, capacity, language = row
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
        language=language,
    )
