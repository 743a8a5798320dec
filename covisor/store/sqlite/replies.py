"""`ReplyStore` on SQLite: canned replies, shared or an agent's own."""

from __future__ import annotations

import sqlite3
from typing import Any

from covisor.store.records import ReplyRecord
from covisor.store.sqlite.base import Connections

_REPLY_COLUMNS = "id, owner_id, shortcut, text, shared, created_at, updated_at, catalogue_id"


class SQLiteReplies:
    """Mixed into `SQLiteStore` (each method's `self` is one: see `Connections`)."""

    async def add_reply(self: Connections, reply: ReplyRecord) -> bool:
        async with self._write_lock:
            try:
                await self._w.execute(
                    f"INSERT INTO replies ({_REPLY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    _reply_row(reply),
                )
            except sqlite3.IntegrityError:
                return False
        return True

    async def update_reply(self: Connections, reply: ReplyRecord) -> bool | None:
        async with self._write_lock:
            try:
                cursor = await self._w.execute(
                    "UPDATE replies SET owner_id = ?, shortcut = ?, text = ?, shared = ?, "
                    "created_at = ?, updated_at = ?, catalogue_id = ? WHERE id = ?",
                    (*_reply_row(reply)[1:], reply.id),
                )
            except sqlite3.IntegrityError:
                return False
        return True if cursor.rowcount > 0 else None

    async def reply(self: Connections, reply_id: str) -> ReplyRecord | None:
        rows = list(
            await self._r.execute_fetchall(
                f"SELECT {_REPLY_COLUMNS} FROM replies WHERE id = ?", (reply_id,)
            )
        )
        return _reply(rows[0]) if rows else None

    async def replies_for(self: Connections, owner_id: str, limit: int = 1000) -> list[ReplyRecord]:
        rows = await self._r.execute_fetchall(
            f"SELECT {_REPLY_COLUMNS} FROM replies WHERE shared OR owner_id = ? "
            "ORDER BY shortcut, shared, id LIMIT ?",
            (owner_id, limit),
        )
        return [_reply(row) for row in rows]

    async def delete_reply(self: Connections, reply_id: str) -> bool:
        async with self._write_lock:
            cursor = await self._w.execute("DELETE FROM replies WHERE id = ?", (reply_id,))
            return cursor.rowcount > 0


def _reply_row(reply: ReplyRecord) -> tuple[Any, ...]:
    return (
        reply.id,
        reply.owner_id,
        reply.shortcut,
        reply.text,
        int(reply.shared),
        reply.created_at,
        reply.updated_at,
        reply.catalogue_id,
    )


def _reply(row: Any) -> ReplyRecord:
    id_, owner_id, shortcut, text, shared, created_at, updated_at, catalogue_id = row
    return ReplyRecord(
        id_, owner_id, shortcut, text, bool(shared), created_at, updated_at, catalogue_id
    )
