"""`CounterStore` on SQLite: attempt counters that expire."""

from __future__ import annotations

from covisor.store.records import Attempts
from covisor.store.sqlite.base import Connections


class SQLiteCounters:
    """Mixed into `SQLiteStore` (each method's `self` is one: see `Connections`)."""

    async def count_attempt(
        self: Connections, key: str, now: float, reset_before: float, amount: int = 1
    ) -> Attempts:
        async with self._immediate() as db:
            await db.execute("DELETE FROM counters WHERE expires <= ?", (now,))
            rows = list(
                await db.execute_fetchall(
                    "INSERT INTO counters (key, count, started, expires) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET count = count + excluded.count "
                    "RETURNING count, started",
                    (key, amount, now, now + (now - reset_before)),
                )
            )
        return Attempts(*rows[0])

    async def forgive_attempt(self: Connections, key: str) -> None:
        async with self._write_lock:
            await self._w.execute(
                "UPDATE counters SET count = count - 1 WHERE key = ? AND count > 0", (key,)
            )

    async def attempts(self: Connections, key: str) -> Attempts | None:
        rows = list(
            await self._r.execute_fetchall(
                "SELECT count, started FROM counters WHERE key = ?", (key,)
            )
        )
        return Attempts(*rows[0]) if rows else None
