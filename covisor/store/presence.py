"""The store's presence slice: which agents are on duty, how many consoles a process holds."""

from __future__ import annotations

from typing import Protocol

from covisor.store.records import PresenceRecord


class PresenceStore(Protocol):
    """Which agents are on duty, and how many consoles each process holds."""

    async def set_agent_status(self, agent_id: str, status: str, at: float) -> None:
        """Keep the status an agent chose (online, away, offline)."""

    async def mark_assigned(self, agent_id: str, at: float) -> None:
        """Note when an agent was last given a conversation."""

    async def record_consoles(self, process_id: str, counts: dict[str, int], at: float) -> None:
        """Replace what process `process_id` reported of its agents' open consoles."""

    async def presence(self, seen_after: float) -> dict[str, PresenceRecord]:
        """Every agent with a status row or a console counted by a report newer than
        `seen_after` (older reports are of processes gone)."""
