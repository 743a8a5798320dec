"""`PushStore` on SQLite: agents' Web Push subscriptions."""

from __future__ import annotations

from covisor.store.records import PushSubscriptionRecord
from covisor.store.sql.db import HasDb

_PUSH_COLUMNS = "endpoint, p256dh, auth, agent_id, created_at"


class SQLPush:
    """Mixed into `SQLStore` (each method's `self` is one: see `HasDb`)."""

    async def add_push_subscription(
        self: HasDb, subscription: PushSubscriptionRecord, keep: int
    ) -> None:
        async with self._db.transaction() as db:
            await db.execute(
                f"INSERT INTO push_subscriptions ({_PUSH_COLUMNS}) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (endpoint) DO UPDATE SET p256dh = excluded.p256dh, "
                "auth = excluded.auth, agent_id = excluded.agent_id, "
                "created_at = excluded.created_at",
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

    async def push_subscriptions(self: HasDb, agent_ids: list[str]) -> list[PushSubscriptionRecord]:
        if not agent_ids:
            return []
        marks = ",".join("?" * len(agent_ids))
        rows = await self._db.fetch(
            f"SELECT {_PUSH_COLUMNS} FROM push_subscriptions WHERE agent_id IN ({marks}) "
            "ORDER BY created_at, endpoint",
            agent_ids,
        )
        return [PushSubscriptionRecord(*row) for row in rows]

    async def remove_push_subscription(
        self: HasDb, endpoint: str, agent_id: str | None = None
    ) -> bool:
        if agent_id is None:
            changed = await self._db.execute(
                "DELETE FROM push_subscriptions WHERE endpoint = ?", (endpoint,)
            )
        else:
            changed = await self._db.execute(
                "DELETE FROM push_subscriptions WHERE endpoint = ? AND agent_id = ?",
                (endpoint, agent_id),
            )
        return changed > 0
