"""`CounterStore` on SQLite: attempt counters that expire."""

from __future__ import annotations

from covisor.store.records import Attempts
from covisor.store.sql.db import HasDb


class SQLCounters:
    """Mixed into `SQLStore` (each method's `self` is one: see `HasDb`)."""

    async def count_attempt(
        self: HasDb, key: str, now: float, reset_before: float, amount: int = 1
    ) -> Attempts:
        async with self._db.transaction() as db:
            await db.execute("DELETE FROM counters WHERE expires <= ?", (now,))
            rows = list(
                await db.fetch(
                    "INSERT INTO counters (key, count, started, expires) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET count = counters.count + excluded.count "
                    "RETURNING count, started",
                    (key, amount, now, now + (now - reset_before)),
                )
            )
        return Attempts(*rows[0])

    async def forgive_attempt(self: HasDb, key: str) -> None:
        await self._db.execute(
            "UPDATE counters SET count = count - 1 WHERE key = ? AND count > 0", (key,)
        )

    async def attempts(self: HasDb, key: str) -> Attempts | None:
        rows = list(
            await self._db.fetch("SELECT count, started FROM counters WHERE key = ?", (key,))
        )
        return Attempts(*rows[0]) if rows else None
