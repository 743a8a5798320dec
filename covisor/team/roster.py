"""Who is on duty: each agent's status, open conversations and capacity, across processes.

An agent sets `online`, `away` or `offline` (the console sets `away` by itself after the idle
time of the config, and `online` again on activity). Whatever it set, an agent with no console
connected on any process is `offline`. Each process counts its agents' consoles and reports the
counts to the store when they change and every `heartbeat` seconds; a report older than three
heartbeats is of a process that is gone and no longer counts.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from covisor.kernel.clock import Clock
from covisor.kernel.errors import CovisorError
from covisor.kernel.identity import Identity
from covisor.store import Store
from covisor.store.records import AgentRecord

log = logging.getLogger(__name__)

Status = Literal["online", "away", "offline"]
STATUSES: tuple[Status, ...] = ("online", "away", "offline")


@dataclass(frozen=True)
class OnDuty:
    """An enabled agent as routing and the console's team list see it."""

    id: str
    name: str
    status: Status
    open: int
    capacity: int
    assigned_at: float

    @property
    def has_room(self) -> bool:
        return self.status == "online" and self.open < self.capacity

    def to_wire(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "open": self.open,
            "capacity": self.capacity,
        }


class Roster:
    def __init__(self, store: Store, clock: Clock, *, process_id: str, heartbeat: float) -> None:
        self._store = store
        self._clock = clock
        self._process_id = process_id
        self._heartbeat = heartbeat
        self._consoles: Counter[str] = Counter()
        self._lock = asyncio.Lock()

    async def console_opened(self, agent_id: str) -> None:
        self._consoles[agent_id] += 1
        if self._consoles[agent_id] == 1:
            await self.report()

    async def console_closed(self, agent_id: str) -> None:
        self._consoles[agent_id] -= 1
        if self._consoles[agent_id] <= 0:
            del self._consoles[agent_id]
            await self.report()

    async def report(self) -> int:
        """Tell the store this process's console counts (also the heartbeat); the number of
        agents counted."""
        async with self._lock:
            await self._store.record_consoles(self._process_id, dict(self._consoles), self._clock())
        return 0

    async def leave(self) -> None:
        """This process stops: its consoles no longer count."""
        self._consoles.clear()
        await self.report()

    async def set_status(self, agent: Identity, status: str) -> None:
        if status not in STATUSES:
            raise CovisorError("bad_request", f"status must be one of {', '.join(STATUSES)}")
        await self._store.set_agent_status(agent.id, status, self._clock())

    async def on_duty(self) -> list[OnDuty]:
        """Every enabled agent with its effective status, by name."""
        agents = [a for a in await self._store.agents() if not a.disabled]
        presence = await self._store.presence(self._clock() - 3000.0 * self._heartbeat)
        counts = await self._store.open_counts()
        found = []
        for agent in agents:
            standing = presence.get(agent.id)
            status: Status = "offline"
            assigned_at = 0.0
            if standing is not None:
                assigned_at = standing.assigned_at
                if standing.consoles > 0:
                    status = _status(standing.status)
            found.append(_duty(agent, status, counts.get(agent.id, 0), assigned_at))
        return sorted(found, key=lambda a: (a.name.lower(), a.id))

    async def status_of(self, agent_id: str) -> Status:
        for agent in await self.on_duty():
            if agent.id == agent_id:
                return agent.status
        return "offline"

    @property
    def heartbeat(self) -> float:
        return self._heartbeat


def pick(team: list[OnDuty]) -> OnDuty | None:
    """Whom auto routing gives the next conversation: an online agent under capacity with the
    fewest open conversations; of equals, the one given a conversation longest ago."""
    free = [a for a in team if a.has_room]
    return min(free, key=lambda a: (a.open, a.assigned_at, a.id), default=None)


def _status(chosen: str | None) -> Status:
    return "away" if chosen == "away" else "offline" if chosen == "offline" else "online"


def _duty(agent: AgentRecord, status: Status, open_: int, assigned_at: float) -> OnDuty:
    return OnDuty(agent.id, agent.name, status, open_, agent.capacity, assigned_at)
