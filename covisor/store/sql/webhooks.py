"""`WebhookStore` on SQLite: webhooks and their deliveries."""

from __future__ import annotations

import dataclasses
from typing import Any

import msgspec

from covisor.store.records import WebhookDeliveryRecord, WebhookRecord
from covisor.store.sql.db import HasDb

_WEBHOOK_COLUMNS = "id, url, events, secret, created_at, enabled, created_by"
_DELIVERY_COLUMNS = (
    "id, hook_id, event, body, created_at, next_attempt_at, state, attempts, last_status, "
    "last_error, delivered_at, finished_at"
)


class SQLWebhooks:
    """Mixed into `SQLStore` (each method's `self` is one: see `HasDb`)."""

    async def add_webhook(self: HasDb, hook: WebhookRecord) -> None:
        await self._db.execute(
            f"INSERT INTO webhooks ({_WEBHOOK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                hook.id,
                hook.url,
                msgspec.json.encode(list(hook.events)).decode(),
                hook.secret,
                hook.created_at,
                int(hook.enabled),
                hook.created_by,
            ),
        )

    async def webhook(self: HasDb, hook_id: str) -> WebhookRecord | None:
        rows = list(
            await self._db.fetch(
                f"SELECT {_WEBHOOK_COLUMNS} FROM webhooks WHERE id = ?", (hook_id,)
            )
        )
        return _webhook(rows[0]) if rows else None

    async def webhooks(self: HasDb) -> list[WebhookRecord]:
        rows = await self._db.fetch(
            f"SELECT {_WEBHOOK_COLUMNS} FROM webhooks ORDER BY created_at, id"
        )
        return [_webhook(row) for row in rows]

    async def delete_webhook(self: HasDb, hook_id: str) -> bool:
        async with self._db.transaction() as db:
            await db.execute("DELETE FROM webhook_deliveries WHERE hook_id = ?", (hook_id,))
            changed = await db.execute("DELETE FROM webhooks WHERE id = ?", (hook_id,))
            return changed > 0

    async def add_webhook_deliveries(self: HasDb, deliveries: list[WebhookDeliveryRecord]) -> None:
        if not deliveries:
            return
        await self._db.executemany(
            f"INSERT INTO webhook_deliveries ({_DELIVERY_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [dataclasses.astuple(d) for d in deliveries],
        )

    async def claim_webhook_deliveries(
        self: HasDb, now: float, lease_until: float, claimer: str, limit: int
    ) -> list[WebhookDeliveryRecord]:
        # One statement: SQLite's write lock makes it atomic across connections and processes;
        # PostgreSQL's row locks do, each claimer skipping the rows another has locked.
        rows = await self._db.returning(
            "UPDATE webhook_deliveries SET claimer = ?, leased_until = ? WHERE id IN ("
            "  SELECT id FROM webhook_deliveries WHERE state = 'pending'"
            "  AND next_attempt_at <= ? AND leased_until <= ?"
            f"  ORDER BY next_attempt_at, id LIMIT ? {self._db.dialect.skip_locked}"
            f") RETURNING {_DELIVERY_COLUMNS}",
            (claimer, lease_until, now, now, limit),
        )
        found = [_delivery(row) for row in rows]
        return sorted(found, key=lambda d: (d.next_attempt_at, d.id))

    async def next_webhook_attempt(self: HasDb) -> float | None:
        latest = self._db.dialect.greatest("next_attempt_at", "leased_until")
        rows = list(
            await self._db.fetch(
                f"SELECT min({latest}) FROM webhook_deliveries WHERE state = 'pending'"
            )
        )
        return None if rows[0][0] is None else float(rows[0][0])

    async def settle_webhook_delivery(
        self: HasDb, delivery: WebhookDeliveryRecord, claimer: str
    ) -> bool:
        changed = await self._db.execute(
            "UPDATE webhook_deliveries SET state = ?, attempts = ?, last_status = ?, "
            "last_error = ?, next_attempt_at = ?, delivered_at = ?, finished_at = ?, "
            "claimer = NULL, leased_until = 0 WHERE id = ? AND claimer = ?",
            (
                delivery.state,
                delivery.attempts,
                delivery.last_status,
                delivery.last_error,
                delivery.next_attempt_at,
                delivery.delivered_at,
                delivery.finished_at,
                delivery.id,
                claimer,
            ),
        )
        return changed > 0

    async def webhook_deliveries(
        self: HasDb, hook_id: str, limit: int = 50
    ) -> list[WebhookDeliveryRecord]:
        rows = await self._db.fetch(
            f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE hook_id = ? "
            "ORDER BY created_at DESC, id DESC LIMIT ?",
            (hook_id, limit),
        )
        return [_delivery(row) for row in rows]

    async def drop_webhook_deliveries(self: HasDb, finished_before: float) -> int:
        changed = await self._db.execute(
            "DELETE FROM webhook_deliveries WHERE state != 'pending' AND finished_at < ?",
            (finished_before,),
        )
        return changed


def _webhook(row: Any) -> WebhookRecord:
    id_, url, events, secret, created_at, enabled, created_by = row
    return WebhookRecord(
        id_,
        url,
        tuple(msgspec.json.decode(events)),
        secret,
        created_at,
        bool(enabled),
        created_by,
    )


def _delivery(row: Any) -> WebhookDeliveryRecord:
    id_, hook_id, event, body, created_at, next_at, state, attempts, status, error, done, end = row
    return WebhookDeliveryRecord(
        id_,
        hook_id,
        event,
        bytes(body),
        created_at,
        next_at,
        state,
        attempts,
        status,
        error,
        done,
        end,
    )
