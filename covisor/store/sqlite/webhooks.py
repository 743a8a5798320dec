"""`WebhookStore` on SQLite: webhooks and their deliveries."""

from __future__ import annotations

import dataclasses
from typing import Any

import msgspec

from covisor.store.records import WebhookDeliveryRecord, WebhookRecord
from covisor.store.sqlite.base import Connections

_WEBHOOK_COLUMNS = "id, url, events, secret, created_at, enabled, created_by"
_DELIVERY_COLUMNS = (
    "id, hook_id, event, body, created_at, next_attempt_at, state, attempts, last_status, "
    "last_error, delivered_at, finished_at"
)


class SQLiteWebhooks:
    """Mixed into `SQLiteStore` (each method's `self` is one: see `Connections`)."""

    async def add_webhook(self: Connections, hook: WebhookRecord) -> None:
        async with self._write_lock:
            await self._w.execute(
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

    async def webhook(self: Connections, hook_id: str) -> WebhookRecord | None:
        rows = list(
            await self._r.execute_fetchall(
                f"SELECT {_WEBHOOK_COLUMNS} FROM webhooks WHERE id = ?", (hook_id,)
            )
        )
        return _webhook(rows[0]) if rows else None

    async def webhooks(self: Connections) -> list[WebhookRecord]:
        rows = await self._r.execute_fetchall(
            f"SELECT {_WEBHOOK_COLUMNS} FROM webhooks ORDER BY created_at, id"
        )
        return [_webhook(row) for row in rows]

    async def delete_webhook(self: Connections, hook_id: str) -> bool:
        async with self._immediate() as db:
            await db.execute("DELETE FROM webhook_deliveries WHERE hook_id = ?", (hook_id,))
            cursor = await db.execute("DELETE FROM webhooks WHERE id = ?", (hook_id,))
            return cursor.rowcount > 0

    async def add_webhook_deliveries(
        self: Connections, deliveries: list[WebhookDeliveryRecord]
    ) -> None:
        if not deliveries:
            return
        async with self._write_lock:
            await self._w.executemany(
                f"INSERT INTO webhook_deliveries ({_DELIVERY_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [dataclasses.astuple(d) for d in deliveries],
            )

    async def claim_webhook_deliveries(
        self: Connections, now: float, lease_until: float, claimer: str, limit: int
    ) -> list[WebhookDeliveryRecord]:
        # One statement: SQLite's write lock makes it atomic across connections and processes.
        async with self._write_lock:
            rows = await self._w.execute_fetchall(
                "UPDATE webhook_deliveries SET claimer = ?, leased_until = ? WHERE id IN ("
                "  SELECT id FROM webhook_deliveries WHERE state = 'pending'"
                "  AND next_attempt_at <= ? AND leased_until <= ?"
                "  ORDER BY next_attempt_at, id LIMIT ?"
                f") RETURNING {_DELIVERY_COLUMNS}",
                (claimer, lease_until, now, now, limit),
            )
        found = [_delivery(row) for row in rows]
        return sorted(found, key=lambda d: (d.next_attempt_at, d.id))

    async def next_webhook_attempt(self: Connections) -> float | None:
        rows = list(
            await self._r.execute_fetchall(
                "SELECT min(max(next_attempt_at, leased_until)) FROM webhook_deliveries "
                "WHERE state = 'pending'"
            )
        )
        return None if rows[0][0] is None else float(rows[0][0])

    async def settle_webhook_delivery(
        self: Connections, delivery: WebhookDeliveryRecord, claimer: str
    ) -> bool:
        async with self._write_lock:
            cursor = await self._w.execute(
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
            return cursor.rowcount > 0

    async def webhook_deliveries(
        self: Connections, hook_id: str, limit: int = 50
    ) -> list[WebhookDeliveryRecord]:
        rows = await self._r.execute_fetchall(
            f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE hook_id = ? "
            "ORDER BY created_at DESC, id DESC LIMIT ?",
            (hook_id, limit),
        )
        return [_delivery(row) for row in rows]

    async def drop_webhook_deliveries(self: Connections, finished_before: float) -> int:
        async with self._write_lock:
            cursor = await self._w.execute(
                "DELETE FROM webhook_deliveries WHERE state != 'pending' AND finished_at < ?",
                (finished_before,),
            )
            return cursor.rowcount


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
