"""The store's agents slice: agents and their tokens (digests only)."""

from __future__ import annotations

from typing import Protocol

from covisor.store.records import AgentChanges, AgentRecord


class AgentStore(Protocol):
    """Agents and their tokens (digests only)."""

    async def add_agent(self, agent: AgentRecord) -> bool:
        """Store `agent`, and its `token_digest` (if any) as an `api` token; False, storing
        nothing, if another agent has its e-mail (compared as stored: lower-cased)."""

    async def agent_by_digest(self, token_digest: str) -> AgentRecord | None:
        """The agent (disabled or not) a token digest belongs to, with `token_digest` set."""

    async def count_agents(self) -> int: ...

    async def agent(self, agent_id: str) -> AgentRecord | None:
        """The agent with this id, `token_digest` None."""

    async def agent_by_email(self, email: str) -> AgentRecord | None:
        """The agent with this (lower-cased) e-mail, `token_digest` None."""

    async def agents(self, limit: int = 1000) -> list[AgentRecord]:
        """Every agent, oldest first (ties by id), at most `limit`, `token_digest` None."""

    async def update_agent(self, agent_id: str, changes: AgentChanges) -> AgentRecord | None:
        """Apply `changes` in one step; the agent as it is now, None if there is none.

        Raises `LastAdmin`, changing nothing, when the agent is the last enabled admin and the
        change would demote or disable it.
        """

    async def set_agent_language(self, agent_id: str, language: str | None) -> bool:
        """The language the agent reads (None: none); False if there is no such agent."""

    async def add_agent_token(
        self, token_digest: str, agent_id: str, created_at: float, label: str
    ) -> None:
        """Another token of the agent: `api` (scripts) or `login` (one console session)."""

    async def revoke_agent_token(self, token_digest: str, label: str) -> bool:
        """Forget this one token if it is of `label`; False if there was no such token."""

    async def revoke_agent_tokens(self, agent_id: str, label: str) -> int:
        """Forget the agent's tokens of `label`; how many there were."""
