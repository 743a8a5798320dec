"""`PushStore` on SQLite: agents' Web Push subscriptions."""

from __future__ import annotations

from covisor.store.records import PushSubscriptionRecord
from covisor.store.sqlite.base import Connections

_PUSH_COLUMNS = "endpoint, p256dh, auth, agent_id, created_at"


class SQLitePush:
    """Mixed into `SQLiteStore` (each method's `self` is one: see `Connections`)."""

    async def add_push_subscription(
        self: Connections, subscription: PushSubscriptionRecord, keep: int
    ) -> None:
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

    async def push_subscriptions(
        self: Connections, agent_ids: list[str]
    ) -> list[PushSubscriptionRecord]:
        if not agent_ids:
            return []
        marks = ",".join("?" * len(agent_ids))
        rows = await self._r.execute_fetchall(
            f"SELECT {_PUSH_COLUMNS} FROM push_subscriptions WHERE agent_id IN ({marks}) "
            "ORDER BY created_at, endpoint",
            agent_ids,
        )
        return [PushSubscriptionRecord(*row) for row in rows]

    async def remove_push_subscription(
        self: Connections, endpoint: str, agent_id: str | None = None
    ) -> bool:
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
