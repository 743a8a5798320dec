"""`PinStore` on SQLite: one-time PINs."""

from __future__ import annotations

from covisor.store.records import Pin, Redeemer
from covisor.store.sql.db import HasDb

_PIN_COLUMNS = "digest, conversation_id, redeemer, issuer_id, created_at, expires_at, used_at"


class SQLPins:
    """Mixed into `SQLStore` (each method's `self` is one: see `HasDb`)."""

    async def add_pin(self: HasDb, pin: Pin) -> bool:
        async with self._db.transaction() as db:
            await db.execute("DELETE FROM pins WHERE expires_at <= ?", (pin.created_at,))
            taken = await db.fetch("SELECT 1 FROM pins WHERE digest = ?", (pin.digest,))
            if list(taken):
                return False
            await db.execute(
                "DELETE FROM pins WHERE conversation_id = ? AND used_at IS NULL",
                (pin.conversation_id,),
            )
            await db.execute(
                f"INSERT INTO pins ({_PIN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    pin.digest,
                    pin.conversation_id,
                    pin.redeemer,
                    pin.issuer_id,
                    pin.created_at,
                    pin.expires_at,
                    pin.used_at,
                ),
            )
        return True

    async def pin(self: HasDb, digest: str) -> Pin | None:
        rows = list(
            await self._db.fetch(f"SELECT {_PIN_COLUMNS} FROM pins WHERE digest = ?", (digest,))
        )
        return Pin(*rows[0]) if rows else None

    async def claim_pin(self: HasDb, digest: str, redeemer: Redeemer, now: float) -> Pin | None:
        rows = list(
            await self._db.returning(
                "UPDATE pins SET used_at = ? WHERE digest = ? AND redeemer = ? "
                f"AND used_at IS NULL AND expires_at > ? RETURNING {_PIN_COLUMNS}",
                (now, digest, redeemer, now),
            )
        )
        return Pin(*rows[0]) if rows else None
