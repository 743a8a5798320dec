"""`AgentStore` on MongoDB: agents, and their tokens in `agent_tokens`."""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from covisor.store.mongo.base import Database
from covisor.store.records import (
    DEFAULT_CAPACITY,
    AgentChanges,
    AgentRecord,
    LastAdmin,
    removes_enabled_admin,
)


class _Agents(Database, Protocol):
    """The database, and the methods of this mixin that others of it call."""

    async def agent(self, agent_id: str) -> AgentRecord | None: ...

    async def add_agent_token(
        self, token_digest: str, agent_id: str, created_at: float, label: str
    ) -> None: ...


class MongoAgents:
    """Mixed into `MongoStore` (each method's `self` is one: see `_Agents`)."""

    async def add_agent(self: _Agents, agent: AgentRecord) -> bool:
        try:
            await self._db.agents.insert_one(
                {
                    "_id": agent.id,
                    "name": agent.name,
                    "created_at": agent.created_at,
                    "email": agent.email,
                    "password_hash": agent.password_hash,
                    "role": agent.role,
                    "disabled": agent.disabled,
                    "capacity": agent.capacity,
                    "language": agent.language,
                }
            )
        except DuplicateKeyError:
            return False
        if agent.token_digest is not None:
            await self.add_agent_token(agent.token_digest, agent.id, agent.created_at, "api")
        return True

    async def agent_by_digest(self: _Agents, token_digest: str) -> AgentRecord | None:
        token = await self._db.agent_tokens.find_one({"_id": token_digest})
        if token is None:
            return None
        doc = await self._db.agents.find_one({"_id": token["agent_id"]})
        return _agent(doc, token_digest) if doc else None

    async def agent(self: _Agents, agent_id: str) -> AgentRecord | None:
        doc = await self._db.agents.find_one({"_id": agent_id})
        return _agent(doc) if doc else None

    async def agent_by_email(self: _Agents, email: str) -> AgentRecord | None:
        doc = await self._db.agents.find_one({"email": email})
        return _agent(doc) if doc else None

    async def agents(self: _Agents, limit: int = 1000) -> list[AgentRecord]:
        cursor = self._db.agents.find().sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        return [_agent(doc) async for doc in cursor.limit(limit)]

    async def update_agent(
        self: _Agents, agent_id: str, changes: AgentChanges
    ) -> AgentRecord | None:
        fields = {k: v for k, v in dataclasses.asdict(changes).items() if v is not None}
        if not fields:
            return await self.agent(agent_id)
        before = await self._db.agents.find_one_and_update(
            {"_id": agent_id}, {"$set": fields}, return_document=ReturnDocument.BEFORE
        )
        if before is None:
            return None
        agent = _agent(before)
        # No multi-document transaction without a replica set: the change is made, then taken
        # back if it left no enabled admin (two admins demoting themselves at once may both be
        # taken back; never may both go through).
        if removes_enabled_admin(agent, changes) and not await self._db.agents.count_documents(
            {"role": "admin", "disabled": {"$ne": True}}, limit=1
        ):
            restore = {k: getattr(agent, k) for k in fields}
            await self._db.agents.update_one({"_id": agent_id}, {"$set": restore})
            raise LastAdmin(agent_id)
        return dataclasses.replace(agent, **fields)

    async def set_agent_language(self: _Agents, agent_id: str, language: str | None) -> bool:
        result = await self._db.agents.update_one(
            {"_id": agent_id}, {"$set": {"language": language}}
        )
        return result.matched_count > 0

    async def add_agent_token(
        self: _Agents, token_digest: str, agent_id: str, created_at: float, label: str
    ) -> None:
        await self._db.agent_tokens.insert_one(
            {"_id": token_digest, "agent_id": agent_id, "created_at": created_at, "label": label}
        )

    async def revoke_agent_token(self: _Agents, token_digest: str, label: str) -> bool:
        result = await self._db.agent_tokens.delete_one({"_id": token_digest, "label": label})
        return result.deleted_count > 0

    async def revoke_agent_tokens(self: _Agents, agent_id: str, label: str) -> int:
        result = await self._db.agent_tokens.delete_many({"agent_id": agent_id, "label": label})
        return int(result.deleted_count)

    async def count_agents(self: _Agents) -> int:
        return int(await self._db.agents.count_documents({}))


def _agent(doc: dict[str, Any], token_digest: str | None = None) -> AgentRecord:
    return AgentRecord(
        doc["_id"],
        doc["name"],
        token_digest,
        doc["created_at"],
        email=doc.get("email"),
        password_hash=doc.get("password_hash"),
        role="admin" if doc.get("role") == "admin" else "agent",
        disabled=bool(doc.get("disabled", False)),
        capacity=int(doc.get("capacity", DEFAULT_CAPACITY)),
        language=doc.get("language"),
    )
