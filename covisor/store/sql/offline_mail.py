"""`OfflineMailStore` in SQL: bursts of agents' answers waiting to be e-mailed."""

from __future__ import annotations

from covisor.store.offline_mail import PendingMail
from covisor.store.sql.db import HasDb


class SQLOfflineMail:
    """Mixed into `SQLStore` (each method's `self` is one: see `HasDb`)."""

    async def schedule_offline_mail(
        self: HasDb, conversation_id: str, first_seq: int, due_at: float
    ) -> None:
        d = self._db.dialect
        await self._db.execute(
            "INSERT INTO offline_mail (conversation_id, first_seq, due_at) VALUES (?, ?, ?) "
            "ON CONFLICT (conversation_id) DO UPDATE SET "
            f"first_seq = {d.least('offline_mail.first_seq', 'excluded.first_seq')}, "
            f"due_at = {d.greatest('offline_mail.due_at', 'excluded.due_at')}",
            (conversation_id, first_seq, due_at),
        )

    async def claim_offline_mail(
        self: HasDb, now: float, lease_until: float, claimer: str, limit: int
    ) -> list[PendingMail]:
        rows = await self._db.returning(
            "UPDATE offline_mail SET claimer = ?, leased_until = ? WHERE conversation_id IN ("
            "  SELECT conversation_id FROM offline_mail WHERE due_at <= ? AND leased_until <= ?"
            f"  ORDER BY due_at, conversation_id LIMIT ? {self._db.dialect.skip_locked}"
            ") RETURNING conversation_id, first_seq, due_at",
            (claimer, lease_until, now, now, limit),
        )
        return sorted(
            (PendingMail(*row) for row in rows), key=lambda m: (m.due_at, m.conversation_id)
        )

    async def finish_offline_mail(
        self: HasDb, claimed: PendingMail, claimer: str, next_seq: int
    ) -> None:
        async with self._db.transaction() as db:
            gone = await db.execute(
                "DELETE FROM offline_mail WHERE conversation_id = ? AND claimer = ? AND due_at = ?",
                (claimed.conversation_id, claimer, claimed.due_at),
            )
            if not gone:
                await db.execute(
                    "UPDATE offline_mail SET first_seq = ?, claimer = NULL, leased_until = 0 "
                    "WHERE conversation_id = ? AND claimer = ?",
                    (next_seq, claimed.conversation_id, claimer),
                )
