"""`PresenceStore` on SQLite: agents' statuses and the consoles each process reports."""

from __future__ import annotations

import dataclasses

from covisor.store.records import PresenceRecord
from covisor.store.sql.db import HasDb


class SQLPresence:
    """Mixed into `SQLStore` (each method's `self` is one: see `HasDb`)."""

    async def set_agent_status(self: HasDb, agent_id: str, status: str, at: float) -> None:
        await self._db.execute(
            "INSERT INTO agent_status (agent_id, status, changed_at) VALUES (?, ?, ?) "
            "ON CONFLICT (agent_id) DO UPDATE SET status = excluded.status, "
            "changed_at = excluded.changed_at",
            (agent_id, status, at),
        )

    async def mark_assigned(self: HasDb, agent_id: str, at: float) -> None:
        await self._db.execute(
            "INSERT INTO agent_status (agent_id, assigned_at) VALUES (?, ?) "
            "ON CONFLICT (agent_id) DO UPDATE SET assigned_at = excluded.assigned_at",
            (agent_id, at),
        )

    async def record_consoles(
        self: HasDb, process_id: str, counts: dict[str, int], at: float
    ) -> None:
        async with self._db.transaction() as db:
            await db.execute("DELETE FROM consoles WHERE process_id = ?", (process_id,))
            await db.executemany(
                "INSERT INTO consoles VALUES (?, ?, ?, ?)",
                [(process_id, agent, n, at) for agent, n in counts.items() if n > 0],
            )

    async def presence(self: HasDb, seen_after: float) -> dict[str, PresenceRecord]:
        rows = await self._db.fetch(
            "SELECT agent_id, status, changed_at, assigned_at FROM agent_status"
        )
        found = {row[0]: PresenceRecord(row[0], row[1], row[2], row[3], 0) for row in rows}
        for agent_id, count in await self._db.fetch(
            "SELECT agent_id, CAST(sum(count) AS BIGINT) FROM consoles WHERE seen_at > ? "
            "GROUP BY agent_id",
            (seen_after,),
        ):
            known = found.get(agent_id) or PresenceRecord(agent_id, None, 0.0, 0.0, 0)
            found[agent_id] = dataclasses.replace(known, consoles=count)
        return found
